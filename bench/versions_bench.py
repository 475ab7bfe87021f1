#!/usr/bin/env python3
"""Issue 9's benchmarks, against same-run baselines:

- `qualifiers`: the warm invoke latency of one function through its bare name, through a
  published version (`name:1`) and through an alias (`name:live`, pointing at version 1), each
  measured with wrk (1 connection, `--duration` seconds) in interleaved rounds (name, version,
  alias; then again, `--runs` times), and then request by request (`--interleaved-n` each,
  alternating targets on keep-alive connections, so drift falls on all three alike). The
  target: the same p50 within noise.
- `provisioned`: `--provisioned-n` rounds of: create a function with `Publish`, put provisioned
  concurrency 1 on version 1 and wait until READY, then time (client latency, one request each)
  the first invoke of version 1 (served by the provisioned environment), a second invoke of it
  (warm), and the first invoke of `$LATEST` (an on-demand cold start of the same code), each
  after 0.5 s of quiet; delete the function. The target: the provisioned first invoke as fast as the warm one.

Run through bench/run.sh (which builds the release binaries):

    bench/run.sh --suite versions [--runs 3] [--duration 10] [--provisioned-n 15]

It starts its own `lambent serve` (temporary data dir, fixed credentials, loopback only) and
writes bench/results/<stamp>-versions.json and .md.
"""

from __future__ import annotations

import http.client
import json
import statistics
import time
from pathlib import Path

from lambent_bench import (EVENT, WARM_MEMORY, Bench, log, run_suite, run_wrk, signed_invoke, stats_ms, suite_parser,
                           summarize, wrk_script)


def qualifiers(bench: Bench, options) -> dict:
    bench.create("bench-versions", memory=WARM_MEMORY)
    bench.client.publish_version(FunctionName="bench-versions")
    bench.client.create_alias(FunctionName="bench-versions", Name="live", FunctionVersion="1")
    targets = {"name": "bench-versions", "version": "bench-versions:1", "alias": "bench-versions:live"}
    for target in targets.values():  # one warm environment each: $LATEST and version 1
        elapsed, status, body, _ = bench.invoke_raw(target)
        if status != 200 or json.loads(body) != json.loads(EVENT):
            raise SystemExit(f"invoke of {target} failed: {status} {body[:300]!r}")
    runs: dict[str, list[dict]] = {kind: [] for kind in targets}
    for run in range(options.runs):
        order = list(targets.items()) if run % 2 == 0 else list(reversed(targets.items()))
        for kind, target in order:
            path, headers = signed_invoke(bench.endpoint, target, EVENT)
            script = wrk_script(bench.work, f"versions-{kind}-{run}", "POST", EVENT, headers)
            runs[kind].append(run_wrk(bench.endpoint + path, script, 1, options.duration, bench.server_tree()))
            log(f"qualifiers run {run + 1} {kind}: p50 {runs[kind][-1]['latency_us']['p50']} us, "
                f"{runs[kind][-1]['rps']:.0f}/s, errors {runs[kind][-1]['non_2xx_or_socket_errors']}")
    summary = {kind: summarize(kind_runs) for kind, kind_runs in runs.items()}
    # Ratios within each round (the same machine state), then their median.
    for kind in ("version", "alias"):
        ratios = [r["latency_us"]["p50"] / n["latency_us"]["p50"] for n, r in zip(runs["name"], runs[kind])]
        summary[kind]["p50_ratio_to_name"] = statistics.median(ratios)
        summary[kind]["p50_minus_name_ms"] = statistics.median(
            (r["latency_us"]["p50"] - n["latency_us"]["p50"]) / 1000 for n, r in zip(runs["name"], runs[kind]))
    # Noise: how far apart two runs of the *same* target are, round to round.
    name_p50s = [r["latency_us"]["p50"] / 1000 for r in runs["name"]]
    summary["name"]["p50_spread_ms"] = max(name_p50s) - min(name_p50s)
    interleaved = interleave(bench, targets, options.interleaved_n)
    bench.client.delete_function(FunctionName="bench-versions")
    return {"summary": summary, "interleaved": interleaved, "runs": runs}


def interleave(bench: Bench, targets: dict, count: int) -> dict:
    """`count` requests per target, alternating name, version, alias request by request on one
    keep-alive connection each, so that the machine's drift (large on a shared 2-core host) falls
    on all three alike. Client latency per request; the client's own cost is the same for all."""
    connections, signed = {}, {}
    for kind, target in targets.items():
        connections[kind] = http.client.HTTPConnection("127.0.0.1", bench.port, timeout=60)
        signed[kind] = signed_invoke(bench.endpoint, target, EVENT)
    samples: dict[str, list[float]] = {kind: [] for kind in targets}
    for index in range(count):
        kinds = list(targets) if index % 2 == 0 else list(reversed(list(targets)))
        for kind in kinds:
            path, headers = signed[kind]
            started = time.perf_counter()
            connections[kind].request("POST", path, body=EVENT, headers=headers)
            response = connections[kind].getresponse()
            response.read()
            samples[kind].append((time.perf_counter() - started) * 1000)
            if response.status != 200:
                raise SystemExit(f"interleaved invoke of {kind} failed: {response.status}")
    for connection in connections.values():
        connection.close()
    result = {kind: stats_ms(values) for kind, values in samples.items()}
    for kind in ("version", "alias"):
        result[kind]["p50_ratio_to_name"] = result[kind]["p50"] / result["name"]["p50"]
        result[kind]["p50_minus_name_ms"] = result[kind]["p50"] - result["name"]["p50"]
    log("interleaved p50: " + ", ".join(f"{kind} {result[kind]['p50']:.3f} ms" for kind in targets))
    return result


def provisioned(bench: Bench, options) -> dict:
    first, warm, cold, provision_s = [], [], [], []
    for round_number in range(options.provisioned_n):
        name = f"bench-pc-{round_number}"
        bench.client.create_function(FunctionName=name, Runtime="python3.12", Role="arn:aws:iam::000000000000:role/lambent-bench",
                                     Handler="app.handler", Code={"ZipFile": bench.zip}, MemorySize=WARM_MEMORY, Timeout=30,
                                     Publish=True)
        bench.client.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 300})
        started = time.monotonic()
        bench.client.put_provisioned_concurrency_config(FunctionName=name, Qualifier="1", ProvisionedConcurrentExecutions=1)
        while bench.client.get_provisioned_concurrency_config(FunctionName=name, Qualifier="1")["Status"] != "READY":
            if time.monotonic() - started > 60:
                raise SystemExit(f"{name}: provisioned concurrency not READY after 60 s")
            time.sleep(0.05)
        provision_s.append(time.monotonic() - started)
        # Each invoke comes after the same 0.5 s of quiet, so the warm one is not favoured by
        # caches its predecessor just filled.
        for series, target in ((first, f"{name}:1"), (warm, f"{name}:1"), (cold, name)):
            time.sleep(0.5)
            elapsed, status, body, headers = bench.invoke_raw(target, log_tail=True)
            if status != 200:
                raise SystemExit(f"invoke of {target} failed: {status} {body[:300]!r}")
            series.append(elapsed)
        bench.client.delete_function(FunctionName=name)
        log(f"provisioned round {round_number + 1}: first {first[-1]:.2f} ms, warm {warm[-1]:.2f} ms, "
            f"cold {cold[-1]:.1f} ms, READY after {provision_s[-1]:.2f} s")
        time.sleep(0.5)
    result = {"provisioned_first_invoke": stats_ms(first), "warm_invoke": stats_ms(warm), "on_demand_cold_start": stats_ms(cold),
              "ready_after_s": statistics.median(provision_s), "n": options.provisioned_n}
    result["first_over_warm_p50"] = result["provisioned_first_invoke"]["p50"] / result["warm_invoke"]["p50"]
    result["first_over_cold_p50"] = result["provisioned_first_invoke"]["p50"] / result["on_demand_cold_start"]["p50"]
    return result


def markdown(results: dict) -> str:
    lines = [f"# Lambent versions benchmarks ({results['date']})", "", f"Machine: {json.dumps(results['machine'])}", ""]
    if "qualifiers" in results:
        s = results["qualifiers"]["summary"]
        lines += ["## Warm invoke through a version and an alias vs the bare name", "",
                  "| target | p50 ms | p90 ms | p99 ms | invokes/s | p50 / name | p50 − name (ms) |", "|---|---|---|---|---|---|---|"]
        for kind in ("name", "version", "alias"):
            row = s[kind]
            lines.append(f"| {kind} | {row['p50_ms']:.3f} | {row['p90_ms']:.3f} | {row['p99_ms']:.3f} | {row['rps']:.0f} | "
                         f"{row.get('p50_ratio_to_name', 1):.3f} | {row.get('p50_minus_name_ms', 0):+.3f} |")
        lines += ["", f"Spread of the bare name's p50 across rounds (noise): {s['name']['p50_spread_ms']:.3f} ms.", ""]
        i = results["qualifiers"]["interleaved"]
        lines += [f"Interleaved request by request ({i['name']['n']} each, client latency over keep-alive connections):", "",
                  "| target | p50 ms | p90 ms | p99 ms | p50 / name | p50 − name (ms) |", "|---|---|---|---|---|---|"]
        for kind in ("name", "version", "alias"):
            row = i[kind]
            lines.append(f"| {kind} | {row['p50']:.3f} | {row['p90']:.3f} | {row['p99']:.3f} | "
                         f"{row.get('p50_ratio_to_name', 1):.3f} | {row.get('p50_minus_name_ms', 0):+.3f} |")
        lines.append("")
    if "provisioned" in results:
        p = results["provisioned"]
        lines += ["## First invoke of a provisioned version vs warm and on-demand cold", "",
                  "| invoke | p50 ms | p90 ms | max ms |", "|---|---|---|---|"]
        for key, label in (("provisioned_first_invoke", "provisioned, first"), ("warm_invoke", "warm (second)"),
                           ("on_demand_cold_start", "on-demand cold start")):
            row = p[key]
            lines.append(f"| {label} | {row['p50']:.2f} | {row['p90']:.2f} | {row['max']:.2f} |")
        lines += ["", f"Provisioned first / warm (p50): {p['first_over_warm_p50']:.3f}; provisioned first / cold (p50): "
                  f"{p['first_over_cold_p50']:.4f}; READY after {p['ready_after_s']:.2f} s (median); n = {p['n']}.", ""]
    return "\n".join(lines)


def main() -> None:
    parser = suite_parser(__doc__, "qualifiers,provisioned")
    parser.add_argument("--provisioned-n", type=int, default=15)
    parser.add_argument("--interleaved-n", type=int, default=2000, help="requests per target, interleaved")
    run_suite(parser.parse_args(), "versions", {"qualifiers": qualifiers, "provisioned": provisioned}, markdown)


if __name__ == "__main__":
    main()
