#!/usr/bin/env python3
"""Issue 10's benchmarks, each with a baseline measured in the same run:

- `store`: the raw commit rate of SQLite on this disk (Python's sqlite3, WAL, synchronous
  NORMAL as Lambent's GRDB pool uses it, one row per transaction, one writer): the ceiling
  every durable acknowledgement below is bounded by.
- `enqueue`: durable async enqueue: wrk replays one signed `Invoke` with
  `X-Amz-Invocation-Type: Event` (16 connections, `--duration` s) against a server started
  with `--async-concurrency 0`, so the events are queued and not run: 202s per second and
  their latency.
- `openloop`: the same signed `Event` request at a fixed rate (`--open-rate`, default 5,000/s)
  whether or not earlier ones were answered, by `lambent-bench-load` (open loop: a request's
  latency runs from when it was due, so waiting for a connection counts, as with wrk2), in
  `--runs` rounds of `--duration` s, alternating with the hello-world server at the same rate
  (the generator's and the machine's own floor): the enqueue target's p99 at its rate.
- `send`: SQS `SendMessage` (16 connections) and `SendMessageBatch` of 10 (messages per second).
- `mapping`: `--mapping-n` messages preloaded into a queue, then a mapping (batch size 10) to a
  trivial function created on a normal server; messages per second until the queue is empty.
- `latency`: queue-to-start latency of an async event on an idle warm function: the event
  carries the client's send time, the handler returns its start time, the OnSuccess record
  brings it back (`--latency-n` events, one at a time, 0.2 s apart). Clocks are shared: bwrap
  does not unshare time.

    bench/run.sh --suite queues [--duration 10] [--mapping-n 20000] [--latency-n 50] [--open-rate 5000]

Results: bench/results/<stamp>-queues.{json,md}.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import statistics
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from lambent_bench import (ACCESS_KEY, EVENT, REGION, ROLE, SECRET_KEY, Bench, free_port, log, make_zip, run_suite,
                           run_wrk, stats_ms, stop, suite_parser, summarize, wrk_script)

ECHO = "def handler(event, context):\n    return event\n"
STAMP = "import time\ndef handler(event, context):\n    return {'sent': event['sent'], 'started': time.time()}\n"


def signed(endpoint: str, service: str, path: str, body: bytes, headers: dict) -> dict:
    request = AWSRequest(method="POST", url=endpoint + path, data=body, headers=headers)
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), service, REGION).add_auth(request)
    result = dict(request.headers.items())
    result["Host"] = endpoint.split("//", 1)[1]
    return result


def sqs_client(port: int):
    return boto3.client("sqs", endpoint_url=f"http://127.0.0.1:{port}", region_name=REGION, aws_access_key_id=ACCESS_KEY,
                        aws_secret_access_key=SECRET_KEY, config=Config(retries={"max_attempts": 3}))


def store_rate(directory: Path, seconds: float = 3.0) -> dict:
    """One-row transactions per second on a WAL SQLite database in `directory`."""
    path = directory / "raw.sqlite"
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("CREATE TABLE m (id INTEGER PRIMARY KEY, body BLOB)")
    body = os.urandom(200)
    count, latencies = 0, []
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        t = time.perf_counter()
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("INSERT INTO m (body) VALUES (?)", (body,))
        connection.execute("COMMIT")
        latencies.append((time.perf_counter() - t) * 1000)
        count += 1
    elapsed = time.perf_counter() - started
    connection.close()
    return {"commits_per_s": count / elapsed, "commit_ms": stats_ms(latencies)}


def enqueue_target(bench: Bench, name: str) -> tuple:
    """A server of its own with `--async-concurrency 0` (events are only queued) and a function:
    (server process, the `Invoke` URL, the signed `Event` request's headers)."""
    port = free_port()
    server = bench.launch_server(bench.work / name, port, ["--async-concurrency", "0"])
    try:
        endpoint = f"http://127.0.0.1:{port}"
        client = bench.client_for(port)
        client.create_function(FunctionName="bench-async", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                               Code={"ZipFile": make_zip({"app.py": ECHO})})
        client.get_waiter("function_active_v2").wait(FunctionName="bench-async", WaiterConfig={"Delay": 0.2, "MaxAttempts": 300})
        path = "/2015-03-31/functions/bench-async/invocations"
        headers = signed(endpoint, "lambda", path, EVENT, {"Content-Type": "application/json", "X-Amz-Invocation-Type": "Event"})
        return server, endpoint + path, headers
    except BaseException:
        stop(server)
        raise


def enqueue(bench: Bench, options) -> dict:
    server, url, headers = enqueue_target(bench, "enqueue")
    try:
        runs = []
        for run in range(options.runs):
            script = wrk_script(bench.work, f"enqueue-{run}", "POST", EVENT, headers)
            runs.append(run_wrk(url, script, 16, options.duration, [server.pid]))
            log(f"enqueue run {run + 1}: {runs[-1]['rps']:.0f} acks/s, p50 {runs[-1]['latency_us']['p50']} us, "
                f"p99 {runs[-1]['latency_us']['p99']} us, errors {runs[-1]['non_2xx_or_socket_errors']}")
        return summarize(runs)
    finally:
        stop(server)


def open_load(bench: Bench, url: str, rate: float, duration: int, method: str = "GET", body: bytes = b"",
              headers: dict | None = None) -> dict:
    """One `lambent-bench-load` run: requests at `rate` per second for `duration` seconds."""
    command = [str(bench.bin / "lambent-bench-load"), "--url", url, "--rate", str(rate), "--duration", str(duration),
               "--connections", "64", "--method", method]
    if body:
        body_file = bench.work / "open-load-body"
        body_file.write_bytes(body)
        command += ["--body-file", str(body_file)]
    for name, value in (headers or {}).items():
        if name.lower() not in ("content-length", "host"):
            command += ["--header", f"{name}: {value}"]
    output = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60)
    match = re.search(r"^OPENLOAD (.*)$", output.stdout, re.M)
    if output.returncode != 0 or not match:
        raise SystemExit(f"lambent-bench-load failed ({output.returncode}):\n{output.stdout}\n{output.stderr}")
    return json.loads(match.group(1))


def openloop(bench: Bench, options) -> dict:
    server, url, headers = enqueue_target(bench, "openloop")
    runs: dict[str, list[dict]] = {"enqueue": [], "hello": []}
    try:
        for run in range(options.runs):
            kinds = ["enqueue", "hello"] if run % 2 == 0 else ["hello", "enqueue"]
            for kind in kinds:
                if kind == "enqueue":
                    result = open_load(bench, url, options.open_rate, options.duration, "POST", EVENT, headers)
                else:
                    result = open_load(bench, f"http://127.0.0.1:{bench.hello_port}/", options.open_rate, options.duration)
                runs[kind].append(result)
                log(f"openloop run {run + 1} {kind}: {result['rate']:.0f}/s of {result['target_rate']:.0f}, p50 "
                    f"{result['latency_us']['p50'] / 1000:.2f} ms, p99 {result['latency_us']['p99'] / 1000:.2f} ms, "
                    f"errors {result['errors']}")
    finally:
        stop(server)
    def med(kind: str, key: str) -> float:
        return statistics.median(r["latency_us"][key] for r in runs[kind]) / 1000
    return {kind: {"rate": statistics.median(r["rate"] for r in kind_runs), "p50_ms": med(kind, "p50"),
                   "p90_ms": med(kind, "p90"), "p99_ms": med(kind, "p99"), "p999_ms": med(kind, "p999"),
                   "errors": sum(r["errors"] for r in kind_runs), "rounds": kind_runs}
            for kind, kind_runs in runs.items()} | {"target_rate": options.open_rate}


def send(bench: Bench, options) -> dict:
    sqs = sqs_client(bench.port)
    url = sqs.create_queue(QueueName=f"bench-send-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    results = {}
    single = json.dumps({"QueueUrl": url, "MessageBody": "x" * 200}).encode()
    batch = json.dumps({"QueueUrl": url, "Entries": [{"Id": str(i), "MessageBody": "x" * 200} for i in range(10)]}).encode()
    for kind, body, target in (("SendMessage", single, "AmazonSQS.SendMessage"), ("SendMessageBatch", batch, "AmazonSQS.SendMessageBatch")):
        headers = signed(bench.endpoint, "sqs", "/", body, {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": target})
        runs = []
        for run in range(options.runs):
            script = wrk_script(bench.work, f"{kind}-{run}", "POST", body, headers)
            runs.append(run_wrk(bench.endpoint + "/", script, 16, options.duration, bench.server_tree()))
            log(f"{kind} run {run + 1}: {runs[-1]['rps']:.0f} requests/s, p99 {runs[-1]['latency_us']['p99']} us")
        results[kind] = summarize(runs)
        sqs.purge_queue(QueueUrl=url)
    results["SendMessageBatch"]["messages_per_s"] = results["SendMessageBatch"]["rps"] * 10
    sqs.delete_queue(QueueUrl=url)
    return results


def mapping(bench: Bench, options) -> dict:
    sqs = sqs_client(bench.port)
    url = sqs.create_queue(QueueName=f"bench-map-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    for start in range(0, options.mapping_n, 10):
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": str(start + i)} for i in range(10)])
    # A whole vCPU for the function (2,048 MB), as the warm benchmarks give theirs.
    bench.create("bench-consumer", code=make_zip({"app.py": ECHO}), memory=2048)
    started = time.monotonic()
    uuid_ = bench.client.create_event_source_mapping(EventSourceArn=arn, FunctionName="bench-consumer", BatchSize=10)["UUID"]
    while True:
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages",
                                                                            "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        if attributes["ApproximateNumberOfMessages"] == "0" and attributes["ApproximateNumberOfMessagesNotVisible"] == "0":
            break
        if time.monotonic() - started > 600:
            raise SystemExit("the mapping did not drain the queue in 10 minutes")
        time.sleep(0.1)
    elapsed = time.monotonic() - started
    bench.client.delete_event_source_mapping(UUID=uuid_)
    log(f"mapping: {options.mapping_n} messages in {elapsed:.1f} s = {options.mapping_n / elapsed:.0f}/s")
    return {"messages": options.mapping_n, "seconds": elapsed, "messages_per_s": options.mapping_n / elapsed}


def latency(bench: Bench, options) -> dict:
    sqs = sqs_client(bench.port)
    url = sqs.create_queue(QueueName=f"bench-lat-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    bench.create("bench-stamp", code=make_zip({"app.py": STAMP}), memory=1024)
    bench.client.put_function_event_invoke_config(FunctionName="bench-stamp", DestinationConfig={"OnSuccess": {"Destination": arn}})
    bench.client.invoke(FunctionName="bench-stamp", Payload=json.dumps({"sent": time.time()}).encode())  # warm it
    samples, sync_samples = [], []
    for _ in range(options.latency_n):
        time.sleep(0.2)
        bench.client.invoke(FunctionName="bench-stamp", InvocationType="Event", Payload=json.dumps({"sent": time.time()}).encode())
        message = None
        while message is None:
            got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5).get("Messages", [])
            message = got[0] if got else None
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        response = json.loads(message["Body"])["responsePayload"]
        samples.append((response["started"] - response["sent"]) * 1000)
        # The same with a synchronous invoke, for comparison (client send to handler start).
        time.sleep(0.2)
        answer = json.loads(bench.client.invoke(FunctionName="bench-stamp", Payload=json.dumps({"sent": time.time()}).encode())["Payload"].read())
        sync_samples.append((answer["started"] - answer["sent"]) * 1000)
    log(f"queue-to-start p50 {statistics.median(samples):.2f} ms (sync send-to-start {statistics.median(sync_samples):.2f} ms)")
    return {"async_queue_to_start_ms": stats_ms(samples), "sync_send_to_start_ms": stats_ms(sync_samples)}


def markdown(results: dict) -> str:
    lines = [f"# Lambent queue benchmarks ({results['date']})", "", f"Machine: {json.dumps(results['machine'])}", ""]
    if "store" in results:
        s = results["store"]
        lines += [f"Raw SQLite commit rate (WAL, synchronous NORMAL, one row per transaction): **{s['commits_per_s']:.0f}/s**, "
                  f"commit p50 {s['commit_ms']['p50']:.3f} ms, p99 {s['commit_ms']['p99']:.3f} ms.", ""]
    if "enqueue" in results:
        e = results["enqueue"]
        lines += [f"Durable async enqueue (202s, 16 connections, dispatcher off): **{e['rps']:.0f}/s**, p50 {e['p50_ms']:.2f} ms, "
                  f"p99 {e['p99_ms']:.2f} ms, errors {e['errors']}.", ""]
    if "openloop" in results:
        o = results["openloop"]
        for kind, label in (("enqueue", "Durable async enqueue"), ("hello", "Hello-world server (floor)")):
            r = o[kind]
            lines += [f"{label}, open loop at {o['target_rate']:.0f}/s: achieved {r['rate']:.0f}/s, p50 {r['p50_ms']:.2f} ms, "
                      f"p90 {r['p90_ms']:.2f} ms, **p99 {r['p99_ms']:.2f} ms**, p99.9 {r['p999_ms']:.2f} ms, errors {r['errors']} "
                      f"(median of {len(r['rounds'])} rounds).", ""]
    if "send" in results:
        s = results["send"]
        lines += [f"SendMessage: **{s['SendMessage']['rps']:.0f}/s** (p99 {s['SendMessage']['p99_ms']:.2f} ms); "
                  f"SendMessageBatch of 10: {s['SendMessageBatch']['rps']:.0f} requests/s = **{s['SendMessageBatch']['messages_per_s']:.0f} messages/s** "
                  f"(p99 {s['SendMessageBatch']['p99_ms']:.2f} ms).", ""]
    if "mapping" in results:
        m = results["mapping"]
        lines += [f"SQS → mapping (batch 10) → trivial function: **{m['messages_per_s']:.0f} messages/s** "
                  f"({m['messages']} in {m['seconds']:.1f} s).", ""]
    if "latency" in results:
        l = results["latency"]
        lines += [f"Queue-to-start of an async event on an idle warm function: p50 **{l['async_queue_to_start_ms']['p50']:.2f} ms**, "
                  f"p90 {l['async_queue_to_start_ms']['p90']:.2f} ms (synchronous send-to-start, same function: p50 "
                  f"{l['sync_send_to_start_ms']['p50']:.2f} ms).", ""]
    return "\n".join(lines)


def main() -> None:
    parser = suite_parser(__doc__, "store,enqueue,openloop,send,mapping,latency")
    parser.add_argument("--mapping-n", type=int, default=20_000)
    parser.add_argument("--open-rate", type=float, default=5000, help="the open-loop enqueue rate (requests/s)")
    parser.add_argument("--latency-n", type=int, default=50)
    options = parser.parse_args()

    def store(bench: Bench, options) -> dict:
        result = store_rate(Path(tempfile.mkdtemp(dir=bench.work)))
        log(f"raw store: {result['commits_per_s']:.0f} commits/s")
        return result

    run_suite(options, "queues", {"store": store, "enqueue": enqueue, "openloop": openloop, "send": send, "mapping": mapping, "latency": latency}, markdown)


if __name__ == "__main__":
    main()
