#!/usr/bin/env python3
"""Issue 11's benchmarks (Function URLs), against same-run baselines:

- `latency`: one warm Python echo function with a public URL. In interleaved rounds (`--runs`),
  wrk with 1 connection for `--duration` seconds each: the hello-world Hummingbird server
  (`GET /`), a signed `Invoke` of the function (POST, 23-byte JSON), and a URL request to the
  same function (GET by the URL's own Host header, the event built from the request). The
  target: URL p50 within +0.1 ms of the `Invoke` p50.
- `interleaved`: `--interleaved-n` requests each, alternating `Invoke`, URL (by Host) and hello
  request by request on keep-alive connections, so the machine's drift (large on a shared
  2-core VM) falls on all three alike. Client latency per request.
- `throughput`: the same function with 4 warm environments, wrk with 4 connections: `Invoke`
  and URL requests per second, interleaved rounds.

Run through bench/run.sh (which builds the release binaries):

    bench/run.sh --suite urls [--runs 3] [--duration 10]

It starts its own `lambent serve` and writes bench/results/<stamp>-urls.json and .md.
"""

from __future__ import annotations

import http.client
import statistics
import time

from lambent_bench import (EVENT, WARM_MEMORY, Bench, log, run_suite, run_wrk, signed_invoke, stats_ms, suite_parser,
                           summarize, wrk_script)


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
    requests = {
        "invoke": (bench.port, "POST", path, EVENT, invoke_headers),
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
    log("interleaved p50: " + ", ".join(f"{kind} {result[kind]['p50']:.3f} ms" for kind in requests))
    return result


def throughput(bench: Bench, options) -> dict:
    if not hasattr(bench, "url_host"):
        bench.url_host = setup(bench)
    return rounds(bench, options, 4, "throughput")


def markdown(results: dict) -> str:
    lines = [f"# Lambent Function URL benchmarks ({results['date']})", "", f"Machine: {results['machine']}", ""]
    if "interleaved" in results:
        r = results["interleaved"]
        lines += ["## interleaved (request by request)", "| target | p50 ms | p90 ms | p99 ms |", "|---|---|---|---|"]
        lines += [f"| {kind} | {r[kind]['p50']:.3f} | {r[kind]['p90']:.3f} | {r[kind]['p99']:.3f} |" for kind in ("hello", "invoke", "url")]
        lines.append(f"\nURL − Invoke p50: {r['url_minus_invoke_p50_ms']:+.3f} ms\n")
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
    parser = suite_parser(__doc__, "latency,interleaved,throughput")
    parser.add_argument("--interleaved-n", type=int, default=2000)
    options = parser.parse_args()
    run_suite(options, "urls", {"latency": latency, "interleaved": interleaved, "throughput": throughput}, markdown)


if __name__ == "__main__":
    main()
