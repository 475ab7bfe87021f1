#!/usr/bin/env python3
"""Issue 10's enqueue target as a curve rather than one point: where on this machine durable
async enqueue keeps its p99 within 5 ms.

- `closed`: wrk replaying the signed `Invoke` with `X-Amz-Invocation-Type: Event` (a server with
  `--async-concurrency 0`, as in queues_bench.py) at `--connections` (default 2,4,8,16): the
  acknowledgements per second each reaches and their p50/p99. Each run is followed by the same
  against the hello-world server (one GET, no work: the generator's and the machine's floor).
- `open`: `lambent-bench-load` sending the same request at each of `--rates` (default
  1000,2000,3000,4000,5000 per second) whether or not earlier ones were answered, latency from
  when each was due; alternating with the hello-world server at the same rate.

Rounds alternate enqueue and hello so that drift on a shared VM falls on both.

    python3 bench/enqueue_curve.py --bin .build-release/release --runtimes-dir .build/e2e-runtimes [--runs 2] [--duration 8]

Results: bench/results/<stamp>-enqueue-curve.{json,md}.
"""

from __future__ import annotations

import statistics

from lambent_bench import EVENT, Bench, log, run_suite, run_wrk, stop, suite_parser, wrk_script
from queues_bench import enqueue_target, open_load


def closed(bench: Bench, options) -> dict:
    server, url, headers = enqueue_target(bench, "curve-closed")
    hello = f"http://127.0.0.1:{bench.hello_port}/"
    results: dict = {}
    try:
        script = wrk_script(bench.work, "curve-enqueue", "POST", EVENT, headers)
        hello_script = wrk_script(bench.work, "curve-hello", "GET", b"", {})
        for connections in (int(c) for c in options.connections.split(",")):
            runs: dict[str, list[dict]] = {"enqueue": [], "hello": []}
            for run in range(options.runs):
                for kind in (("enqueue", "hello") if run % 2 == 0 else ("hello", "enqueue")):
                    if kind == "enqueue":
                        result = run_wrk(url, script, connections, options.duration, [server.pid])
                    else:
                        result = run_wrk(hello, hello_script, connections, options.duration, [])
                    runs[kind].append(result)
                    log(f"closed {connections} connections {kind}: {result['rps']:.0f}/s, p50 {result['latency_us']['p50']} us, "
                        f"p99 {result['latency_us']['p99']} us")
            results[str(connections)] = {
                kind: {"rps": [r["rps"] for r in value], "p50_us": [r["latency_us"]["p50"] for r in value],
                       "p99_us": [r["latency_us"]["p99"] for r in value],
                       "server_cpu_percent": [r["cpu_percent"]["server_tree"] for r in value],
                       "errors": sum(r["non_2xx_or_socket_errors"] for r in value)}
                for kind, value in runs.items()}
    finally:
        stop(server)
    return results


def open_curve(bench: Bench, options) -> dict:
    server, url, headers = enqueue_target(bench, "curve-open")
    hello = f"http://127.0.0.1:{bench.hello_port}/"
    results: dict = {}
    try:
        for rate in (float(r) for r in options.rates.split(",")):
            runs: dict[str, list[dict]] = {"enqueue": [], "hello": []}
            for run in range(options.runs):
                for kind in (("enqueue", "hello") if run % 2 == 0 else ("hello", "enqueue")):
                    if kind == "enqueue":
                        result = open_load(bench, url, rate, options.duration, "POST", EVENT, headers)
                    else:
                        result = open_load(bench, hello, rate, options.duration)
                    runs[kind].append(result)
                    log(f"open {rate:.0f}/s {kind}: achieved {result['rate']:.0f}/s, p50 {result['latency_us']['p50'] / 1000:.2f} ms, "
                        f"p99 {result['latency_us']['p99'] / 1000:.2f} ms, errors {result['errors']}")
            results[f"{rate:.0f}"] = {
                kind: {"rate": [r["rate"] for r in value], "p50_us": [r["latency_us"]["p50"] for r in value],
                       "p99_us": [r["latency_us"]["p99"] for r in value], "errors": sum(r["errors"] for r in value)}
                for kind, value in runs.items()}
    finally:
        stop(server)
    return results


def markdown(results: dict) -> str:
    def ms(values: list[float]) -> str:
        return " · ".join(f"{v / 1000:.2f}" for v in values)

    lines = [f"# Enqueue latency curve, {results['date']}", ""]
    if "closed" in results:
        lines += ["| Closed loop (wrk) | enqueue acks/s | enqueue p50 / p99 (ms) | hello req/s | hello p99 (ms) |", "|---|---|---|---|---|"]
        for connections, kinds in results["closed"].items():
            e, h = kinds["enqueue"], kinds["hello"]
            lines.append(f"| {connections} connections | {' · '.join(f'{v:,.0f}' for v in e['rps'])} | "
                         f"{statistics.median(e['p50_us']) / 1000:.2f} / {ms(e['p99_us'])} | "
                         f"{statistics.median(h['rps']):,.0f} | {ms(h['p99_us'])} |")
        lines.append("")
    if "open" in results:
        lines += ["| Open loop, offered | enqueue achieved | enqueue p50 / p99 (ms) | hello p99 (ms) |", "|---|---|---|---|"]
        for rate, kinds in results["open"].items():
            e, h = kinds["enqueue"], kinds["hello"]
            lines.append(f"| {int(rate):,}/s | {min(e['rate']):,.0f}–{max(e['rate']):,.0f}/s | "
                         f"{statistics.median(e['p50_us']) / 1000:.2f} / {ms(e['p99_us'])} | {ms(h['p99_us'])} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = suite_parser(__doc__, "closed,open")
    parser.add_argument("--connections", default="2,4,8,16")
    parser.add_argument("--rates", default="1000,2000,3000,4000,5000")
    options = parser.parse_args()
    run_suite(options, "enqueue-curve", {"closed": closed, "open": open_curve}, markdown)


if __name__ == "__main__":
    main()
