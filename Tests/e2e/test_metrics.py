"""Metrics: `GET /metrics` (Prometheus text) and `lambent top` after known sequences of invokes.

Each xdist worker has its own server, but a worker's tests share it: every assertion looks
only at the series labelled with the test's own function.
"""

from __future__ import annotations

import re
import subprocess
import threading
import time
import urllib.request

from botocore.exceptions import ClientError

from conftest import error_code, http_status, invoke, lambent_binary

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def scrape(server) -> tuple[dict, str]:
    """GET /metrics unsigned; returns (headers, body)."""
    with urllib.request.urlopen(f"{server.endpoint}/metrics", timeout=10) as response:
        assert response.status == 200
        return dict(response.headers), response.read().decode()


def series(server, function: str) -> dict:
    """{(metric name, frozenset of labels other than function): value} for one function."""
    _, text = scrape(server)
    found = {}
    for line in text.splitlines():
        match = SAMPLE.match(line)
        if not match:
            continue
        name, labels, value = match.groups()
        labels = dict(LABEL.findall(labels or ""))
        if labels.pop("function", None) != function:
            continue
        found[(name, frozenset(labels.items()))] = float(value)
    return found


def value(samples: dict, name: str, **labels) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def wait_for_gauges_at_zero(server, name: str, timeout: float = 10) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        samples = series(server, name)
        gauges = [value(samples, "lambent_concurrent_executions")] + [
            value(samples, "lambent_environments", state=state) for state in ("initializing", "idle", "busy")]
        if all(g == 0 for g in gauges) or time.monotonic() > deadline:
            return samples
        time.sleep(0.2)


def test_metrics_after_a_known_sequence(server, lambda_client, function):
    """3 successes, 1 raise, 1 timeout on a fresh function: /metrics has exactly those counts."""
    name = function("probe", Timeout=1)["FunctionName"]
    assert series(server, name) == {}, "a fresh function has no series"

    env_ids = set()
    for event in ({"action": "echo"}, {"action": "echo"}, {"action": "raise"}, {"action": "echo"}):
        result = invoke(lambda_client, name, event)
        if event["action"] == "raise":
            assert result.function_error == "Unhandled"
        else:
            assert result.function_error is None
            env_ids.add(result.payload["env_id"])
    # While the environment is warm and idle, the gauges say so.
    samples = series(server, name)
    assert value(samples, "lambent_environments", state="idle") == 1
    assert value(samples, "lambent_environments", state="busy") == 0
    assert value(samples, "lambent_concurrent_executions") == 0

    timed_out = invoke(lambda_client, name, {"action": "sleep", "seconds": 3})
    assert timed_out.function_error == "Unhandled"
    assert "Task timed out after 1.00 seconds" in timed_out.payload["errorMessage"]

    # Sequential invokes in one warm environment: one cold start; the timeout destroyed it.
    assert len(env_ids) == 1
    samples = wait_for_gauges_at_zero(server, name)
    assert value(samples, "lambent_invocations_total", outcome="success") == 3
    assert value(samples, "lambent_invocations_total", outcome="function_error") == 1
    assert value(samples, "lambent_invocations_total", outcome="timeout") == 1
    assert value(samples, "lambent_invocations_total", outcome="runtime_error") is None
    assert value(samples, "lambent_errors_total") == 2
    assert value(samples, "lambent_cold_starts_total") == len(env_ids)
    assert value(samples, "lambent_init_duration_seconds_count") == len(env_ids)
    assert value(samples, "lambent_init_duration_seconds_sum") > 0
    assert value(samples, "lambent_invocation_duration_seconds_count") == 5
    assert value(samples, "lambent_invocation_duration_seconds_bucket", le="+Inf") == 5
    # The timed-out invocation lasted about 1 s, the others far less.
    assert value(samples, "lambent_invocation_duration_seconds_bucket", le="0.5") == 4
    assert 1 <= value(samples, "lambent_invocation_duration_seconds_sum") < 3
    assert not [key for key in samples if key[0] == "lambent_throttles_total"]
    assert value(samples, "lambent_concurrent_executions") == 0
    for state in ("initializing", "idle", "busy"):
        assert value(samples, "lambent_environments", state=state) == 0, state

    # `lambent top --once` shows the same numbers in the function's row.
    top = subprocess.run([str(lambent_binary()), "top", "--once", "--endpoint-url", server.endpoint],
                         capture_output=True, text=True, timeout=30)
    assert top.returncode == 0, top.stderr
    lines = top.stdout.splitlines()
    assert lines[0].split()[:5] == ["FUNCTION", "INVOKES", "ERRORS", "THROTTLES", "COLD"]
    row = next(line.split() for line in lines if line.split()[0] == name)
    # INVOKES ERRORS THROTTLES COLD CONC IDLE BUSY INIT
    assert row[1:9] == ["5", "2", "0", "1", "0", "0", "0", "0"], top.stdout
    assert "\x1b[" not in top.stdout, "no escape codes when stdout is not a terminal"


def test_metrics_count_throttles(server, lambda_client, function):
    """Reserved concurrency 1 and two concurrent slow invokes: one throttle, with its reason."""
    name = function("probe")["FunctionName"]
    lambda_client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    results = [None, None]
    barrier = threading.Barrier(2)

    def run(index):
        barrier.wait()
        try:
            results[index] = invoke(lambda_client, name, {"action": "sleep", "seconds": 2})
        except ClientError as error:
            results[index] = error

    threads = [threading.Thread(target=run, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    refused = [result for result in results if isinstance(result, ClientError)]
    assert len(refused) == 1, results
    assert http_status(refused[0]) == 429 and error_code(refused[0]) == "TooManyRequestsException"
    reason = refused[0].response.get("Reason")
    samples = series(server, name)
    assert value(samples, "lambent_throttles_total", reason=reason) == 1
    assert value(samples, "lambent_invocations_total", outcome="success") == 1


def test_metrics_endpoint_is_unsigned_prometheus_text(server):
    """Scrapers cannot sign: /metrics answers without SigV4, in Prometheus's text format."""
    headers, text = scrape(server)
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4")
    for line in text.splitlines():
        assert line.startswith("#") or SAMPLE.match(line), line
