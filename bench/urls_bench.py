#!/usr/bin/env python3
"""Issue 11's benchmarks (Function URLs), against same-run baselines:

- `latency`: one warm Python echo function with a public URL. In interleaved rounds (`--runs`),
  wrk with 1 connection for `--duration` seconds each: the hello-world Hummingbird server
  (`GET /`), a signed `Invoke` of the function (POST, 23-byte JSON), and a URL request to the
  same function (GET by the URL's own Host header, the event built from the request). The
  target: URL p50 within +0.1 ms of the `Invoke` p50.
- `interleaved`: `--interleaved-n` requests each, alternating `Invoke`, `Invoke` of the event a
  URL request becomes (same payload, same answer size: the difference is the URL layer alone),
  URL (by Host) and hello request by request on keep-alive connections, so the machine's drift
  (large on a shared 2-core VM) falls on all alike. Client latency per request.
- `throughput`: the same function with 4 warm environments, wrk with 4 connections: `Invoke`
  and URL requests per second, interleaved rounds.
- `chunks`: response streaming. A provided.al2023 bootstrap streams `--chunk-n` chunks,
  `--chunk-interval-ms` apart, each holding the wall-clock time it was written; the client reads
  them from a RESPONSE_STREAM URL with http.client and subtracts. The baseline, in alternating
  rounds: the same writer and reader over a direct loopback HTTP connection (no Lambent). The
  target: Lambent's p50 ≤ 1 ms.

Run through bench/run.sh (which builds the release binaries):

    bench/run.sh --suite urls [--runs 3] [--duration 10]

It starts its own `lambent serve` and writes bench/results/<stamp>-urls.json and .md.
"""

from __future__ import annotations

import http.client
import socket
import statistics
import subprocess
import sys
import time

from lambent_bench import (EVENT, ROLE, WARM_MEMORY, Bench, log, make_zip, run_suite, run_wrk, signed_invoke, stats_ms,
                           suite_parser, summarize, wrk_script)

# Writes one line per chunk: the time it was written (ns). As a custom runtime's bootstrap it
# streams through the Runtime API; run with a port argument it is the baseline's direct server.
STREAMER = r"""#!/usr/bin/env python3
import base64, http.client, json, os, socket, sys, time

def chunks(write, n, interval):
    for _ in range(n):
        time.sleep(interval)
        line = b"%d\n" % time.time_ns()
        write(b"%x\r\n%s\r\n" % (len(line), line))

if len(sys.argv) > 1:  # the baseline: a plain HTTP server on the loopback
    listener = socket.create_server(("127.0.0.1", int(sys.argv[1])))
    while True:
        connection, _ = listener.accept()
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        reader = connection.makefile("rb")
        request = reader.readline().split()
        while reader.readline() not in (b"\r\n", b""):
            pass
        n, interval = int(request[1].split(b"/")[1]), int(request[1].split(b"/")[2]) / 1000
        connection.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
        chunks(connection.sendall, n, interval)
        connection.sendall(b"0\r\n\r\n")
        connection.close()

api = os.environ["AWS_LAMBDA_RUNTIME_API"]
while True:
    next_connection = http.client.HTTPConnection(api)
    next_connection.request("GET", "/2018-06-01/runtime/invocation/next")
    response = next_connection.getresponse()
    request_id = response.getheader("Lambda-Runtime-Aws-Request-Id")
    event = json.loads(response.read())
    next_connection.close()
    body = event.get("body") or "{}"
    event = json.loads(base64.b64decode(body) if event.get("isBase64Encoded") else body)
    stream = http.client.HTTPConnection(api)
    stream.putrequest("POST", f"/2018-06-01/runtime/invocation/{request_id}/response")
    stream.putheader("Lambda-Runtime-Function-Response-Mode", "streaming")
    stream.putheader("Transfer-Encoding", "chunked")
    stream.putheader("Content-Type", "text/plain")
    stream.endheaders()
    stream.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    chunks(stream.send, event["n"], event["interval_ms"] / 1000)
    stream.send(b"0\r\n\r\n")
    stream.getresponse().read()
    stream.close()
"""


def setup(bench: Bench) -> tuple[str, dict]:
    bench.create("bench-url", memory=WARM_MEMORY)
    url = bench.client.create_function_url_config(FunctionName="bench-url", AuthType="NONE")["FunctionUrl"]
    bench.client.add_permission(FunctionName="bench-url", StatementId="url", Action="lambda:InvokeFunctionUrl", Principal="*",
                                FunctionUrlAuthType="NONE")
    bench.client.add_permission(FunctionName="bench-url", StatementId="invoke", Action="lambda:InvokeFunction", Principal="*",
                                InvokedViaFunctionUrl=True)
    host = url.split("//", 1)[1].rstrip("/")
    return host, {"Host": host}


def rounds(bench: Bench, options, connections: int, label: str) -> dict:
    host, url_headers = bench.url_host
    path, invoke_headers = signed_invoke(bench.endpoint, "bench-url", EVENT)
    kinds = {
        "hello": (f"http://127.0.0.1:{bench.hello_port}/", wrk_script(bench.work, f"{label}-hello", "GET")),
        "invoke": (bench.endpoint + path, wrk_script(bench.work, f"{label}-invoke", "POST", EVENT, invoke_headers)),
        "url": (bench.endpoint + "/", wrk_script(bench.work, f"{label}-url", "GET", b"", url_headers)),
    }
    if connections > 1:
        kinds.pop("hello")
        # Four warm environments before measuring (the first concurrent requests start them).
        for kind in ("invoke", "url"):
            run_wrk(kinds[kind][0], kinds[kind][1], connections, 2, bench.server_tree())
    runs: dict[str, list[dict]] = {kind: [] for kind in kinds}
    for run in range(options.runs):
        order = list(kinds.items()) if run % 2 == 0 else list(reversed(kinds.items()))
        for kind, (target, script) in order:
            runs[kind].append(run_wrk(target, script, connections, options.duration, bench.server_tree()))
            result = runs[kind][-1]
            log(f"{label} run {run + 1} {kind}: p50 {result['latency_us']['p50']} us, {result['rps']:.0f}/s, "
                f"errors {result['non_2xx_or_socket_errors']}")
    summary = {kind: summarize(kind_runs) for kind, kind_runs in runs.items()}
    summary["url_minus_invoke_p50_ms"] = statistics.median(
        (u["latency_us"]["p50"] - i["latency_us"]["p50"]) / 1000 for u, i in zip(runs["url"], runs["invoke"]))
    summary["url_over_invoke_rps"] = statistics.median(u["rps"] / i["rps"] for u, i in zip(runs["url"], runs["invoke"]))
    return summary


def latency(bench: Bench, options) -> dict:
    if not hasattr(bench, "url_host"):
        bench.url_host = setup(bench)
    return rounds(bench, options, 1, "latency")


def interleaved(bench: Bench, options) -> dict:
    if not hasattr(bench, "url_host"):
        bench.url_host = setup(bench)
    _, url_headers = bench.url_host
    path, invoke_headers = signed_invoke(bench.endpoint, "bench-url", EVENT)
    # The event a URL request becomes (the echo function returns it), as an Invoke payload: the
    # same work in the sandbox, so the difference is the URL layer alone.
    probe = http.client.HTTPConnection("127.0.0.1", bench.port, timeout=60)
    probe.request("GET", "/", headers=url_headers)
    url_event = probe.getresponse().read()
    probe.close()
    event_path, event_headers = signed_invoke(bench.endpoint, "bench-url", url_event)
    requests = {
        "invoke": (bench.port, "POST", path, EVENT, invoke_headers),
        "invoke-event": (bench.port, "POST", event_path, url_event, event_headers),
        "url": (bench.port, "GET", "/", None, url_headers),
        "hello": (bench.hello_port, "GET", "/", None, {}),
    }
    connections = {kind: http.client.HTTPConnection("127.0.0.1", port, timeout=60) for kind, (port, *_) in requests.items()}
    samples: dict[str, list[float]] = {kind: [] for kind in requests}
    for index in range(options.interleaved_n):
        kinds = list(requests) if index % 2 == 0 else list(reversed(list(requests)))
        for kind in kinds:
            _, method, target, body, headers = requests[kind]
            started = time.perf_counter()
            connections[kind].request(method, target, body=body, headers=headers)
            response = connections[kind].getresponse()
            response.read()
            samples[kind].append((time.perf_counter() - started) * 1000)
            if response.status != 200:
                raise SystemExit(f"interleaved {kind} failed: {response.status}")
    for connection in connections.values():
        connection.close()
    result = {kind: stats_ms(values) for kind, values in samples.items()}
    result["url_minus_invoke_p50_ms"] = result["url"]["p50"] - result["invoke"]["p50"]
    result["url_minus_invoke_event_p50_ms"] = result["url"]["p50"] - result["invoke-event"]["p50"]
    result["url_event_bytes"] = len(url_event)
    log("interleaved p50: " + ", ".join(f"{kind} {result[kind]['p50']:.3f} ms" for kind in requests))
    return result


def throughput(bench: Bench, options) -> dict:
    if not hasattr(bench, "url_host"):
        bench.url_host = setup(bench)
    return rounds(bench, options, 4, "throughput")


def read_latencies(connection: http.client.HTTPConnection, method: str, target: str, body: bytes | None,
                   headers: dict) -> list[float]:
    """Sends the request and returns, per line of the streamed answer, received − written (ms)."""
    connection.request(method, target, body=body, headers=headers)
    response = connection.getresponse()
    if response.status != 200:
        raise SystemExit(f"streaming request failed: {response.status} {response.read()[:200]!r}")
    latencies = []
    while line := response.readline():
        latencies.append((time.time_ns() - int(line)) / 1e6)
    return latencies


def chunks(bench: Bench, options) -> dict:
    zip_bytes = make_zip({"bootstrap": STREAMER}, modes={"bootstrap": 0o755})
    bench.client.create_function(FunctionName="bench-stream", Runtime="provided.al2023", Role=ROLE, Handler="stream",
                                 Code={"ZipFile": zip_bytes}, MemorySize=WARM_MEMORY, Timeout=60)
    bench.client.get_waiter("function_active_v2").wait(FunctionName="bench-stream", WaiterConfig={"Delay": 0.2, "MaxAttempts": 300})
    url = bench.client.create_function_url_config(FunctionName="bench-stream", AuthType="NONE",
                                                  InvokeMode="RESPONSE_STREAM")["FunctionUrl"]
    for sid, action, extra in (("url", "lambda:InvokeFunctionUrl", {"FunctionUrlAuthType": "NONE"}),
                               ("invoke", "lambda:InvokeFunction", {"InvokedViaFunctionUrl": True})):
        bench.client.add_permission(FunctionName="bench-stream", StatementId=sid, Action=action, Principal="*", **extra)
    host = url.split("//", 1)[1].rstrip("/")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        direct_port = probe.getsockname()[1]
    script = bench.work / "streamer.py"
    script.write_text(STREAMER)
    direct = subprocess.Popen([sys.executable, str(script), str(direct_port)])
    try:
        time.sleep(0.5)
        n, interval = options.chunk_n, options.chunk_interval_ms
        body = f'{{"n":{n},"interval_ms":{interval}}}'.encode()
        samples: dict[str, list[float]] = {"direct": [], "lambent": []}
        rounds_p50: dict[str, list[float]] = {"direct": [], "lambent": []}
        # One warm-up invocation starts the environment.
        url_headers = {"Host": host, "Content-Type": "application/json"}
        read_latencies(http.client.HTTPConnection("127.0.0.1", bench.port, timeout=120), "POST", "/", body, url_headers)
        for run in range(options.runs):
            kinds = ["direct", "lambent"] if run % 2 == 0 else ["lambent", "direct"]
            for kind in kinds:
                if kind == "direct":
                    connection = http.client.HTTPConnection("127.0.0.1", direct_port, timeout=120)
                    values = read_latencies(connection, "GET", f"/{n}/{interval}", None, {})
                else:
                    connection = http.client.HTTPConnection("127.0.0.1", bench.port, timeout=120)
                    values = read_latencies(connection, "POST", "/", body, url_headers)
                connection.close()
                samples[kind] += values
                rounds_p50[kind].append(statistics.median(values))
                log(f"chunks run {run + 1} {kind}: p50 {rounds_p50[kind][-1]:.3f} ms over {len(values)} chunks")
    finally:
        direct.kill()
        direct.wait()
    result = {kind: stats_ms(values) for kind, values in samples.items()}
    result["lambent_minus_direct_p50_ms"] = result["lambent"]["p50"] - result["direct"]["p50"]
    result["lambent_over_direct_p50"] = result["lambent"]["p50"] / result["direct"]["p50"]
    result["rounds_p50_ms"] = rounds_p50
    return result


def markdown(results: dict) -> str:
    lines = [f"# Lambent Function URL benchmarks ({results['date']})", "", f"Machine: {results['machine']}", ""]
    if "interleaved" in results:
        r = results["interleaved"]
        lines += ["## interleaved (request by request)", "| target | p50 ms | p90 ms | p99 ms |", "|---|---|---|---|"]
        lines += [f"| {kind} | {r[kind]['p50']:.3f} | {r[kind]['p90']:.3f} | {r[kind]['p99']:.3f} |"
                  for kind in ("hello", "invoke", "invoke-event", "url") if kind in r]
        lines.append(f"\nURL − Invoke p50: {r['url_minus_invoke_p50_ms']:+.3f} ms")
        if "url_minus_invoke_event_p50_ms" in r:
            lines.append(f"URL − Invoke of the same {r['url_event_bytes']}-byte event p50: {r['url_minus_invoke_event_p50_ms']:+.3f} ms\n")
    if "chunks" in results:
        r = results["chunks"]
        lines += ["## chunks (function writes a chunk → client has it)", "| path | p50 ms | p90 ms | p99 ms |", "|---|---|---|---|"]
        lines += [f"| {kind} | {r[kind]['p50']:.3f} | {r[kind]['p90']:.3f} | {r[kind]['p99']:.3f} |" for kind in ("direct", "lambent")]
        lines.append(f"\nLambent − direct p50: {r['lambent_minus_direct_p50_ms']:+.3f} ms "
                     f"(×{r['lambent_over_direct_p50']:.2f})\n")
    for name in ("latency", "throughput"):
        if name not in results:
            continue
        r = results[name]
        lines.append(f"## {name}")
        lines.append("| target | p50 ms | p99 ms | req/s | errors |")
        lines.append("|---|---|---|---|---|")
        for kind in ("hello", "invoke", "url"):
            if kind in r:
                lines.append(f"| {kind} | {r[kind]['p50_ms']:.3f} | {r[kind]['p99_ms']:.3f} | {r[kind]['rps']:.0f} | {r[kind]['errors']} |")
        lines.append(f"\nURL − Invoke p50 (median of rounds): {r['url_minus_invoke_p50_ms']:+.3f} ms; "
                     f"URL ÷ Invoke req/s: {r['url_over_invoke_rps']:.2f}\n")
    return "\n".join(lines)


def main() -> None:
    parser = suite_parser(__doc__, "latency,interleaved,throughput,chunks")
    parser.add_argument("--interleaved-n", type=int, default=2000)
    parser.add_argument("--chunk-n", type=int, default=500, help="chunks per streamed response")
    parser.add_argument("--chunk-interval-ms", type=int, default=5, help="pause before each chunk")
    options = parser.parse_args()
    run_suite(options, "urls", {"latency": latency, "interleaved": interleaved, "throughput": throughput, "chunks": chunks},
              markdown)


if __name__ == "__main__":
    main()
