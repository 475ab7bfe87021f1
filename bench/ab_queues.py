#!/usr/bin/env python3
"""A/B of the queue paths between two builds, interleaved so that a shared machine's drift
(steal time on a 2-vCPU VM reached 25-45% during issue 10's last measurements) falls on both
alike: both servers run at once (`--async-concurrency 0`, no function running); rounds of
`--duration` s alternate between them (A, B, B, A, ...):

- `enqueue`: wrk with 16 connections replaying one signed `Invoke` with `X-Amz-Invocation-Type: Event`;
- `openloop`: `lambent-bench-load` sending the same request at `--open-rate` per second whether
  or not earlier ones were answered (latency from when each was due; see queues_bench.py), for
  the p99 the issue's target names; `lambent-bench-load` must be in both directories;
- `mapping`: `--mapping-n` messages through an SQS event source mapping (batch 10), each
  server in turn with the other idle (servers started per round).

    python3 bench/ab_queues.py --a <old release dir> --b <new release dir> --runtimes-dir <dir>
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import uuid
from pathlib import Path

from lambent_bench import EVENT, REPO, Bench, free_port, log, make_zip, run_wrk, stop, wrk_script
from queues_bench import ECHO, enqueue_target, open_load, sqs_client


def bench_for(directory: str, options) -> Bench:
    class O:
        pass
    o = O()
    o.bin, o.runtimes_dir, o.out = directory, options.runtimes_dir, options.out
    o.runs, o.duration, o.cold, o.sandbox_n, o.sandbox_memory, o.teardown_cycles = 1, options.duration, 0, 0, 0, 0
    o.concurrency_limit, o.idle_timeout = 2000, "1h"
    return Bench(o)


def enqueue_server(bench: Bench):
    server, url, headers = enqueue_target(bench, "enqueue")
    bench.server = server
    return server, url, wrk_script(bench.work, "ab-enqueue", "POST", EVENT, headers)


def mapping_round(bench: Bench, n: int) -> float:
    port = free_port()
    server = bench.launch_server(bench.work / f"map-{port}", port)
    bench.server = server
    try:
        client, sqs = bench.client_for(port), sqs_client(port)
        url = sqs.create_queue(QueueName=f"ab-{uuid.uuid4().hex[:6]}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        for start in range(0, n, 10):
            sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": str(start + i)} for i in range(10)])
        bench.create("ab-consumer", code=make_zip({"app.py": ECHO}), memory=2048, client=client)
        started = time.monotonic()
        client.create_event_source_mapping(EventSourceArn=arn, FunctionName="ab-consumer", BatchSize=10)
        while True:
            values = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages",
                                                                            "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
            if values["ApproximateNumberOfMessages"] == "0" and values["ApproximateNumberOfMessagesNotVisible"] == "0":
                break
            time.sleep(0.1)
        return n / (time.monotonic() - started)
    finally:
        stop(server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--a", required=True, help="baseline release dir")
    parser.add_argument("--b", required=True, help="candidate release dir")
    parser.add_argument("--runtimes-dir", default=str(REPO / ".build-release" / "bench-runtimes"))
    parser.add_argument("--out", default=str(REPO / "bench" / "results"))
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--mapping-n", type=int, default=10_000)
    parser.add_argument("--open-rate", type=float, default=5000)
    parser.add_argument("--only", default="enqueue,openloop,mapping")
    options = parser.parse_args()
    benches = {"a": bench_for(options.a, options), "b": bench_for(options.b, options)}
    results: dict = {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "a": options.a, "b": options.b}
    if "enqueue" in options.only:
        servers = {key: enqueue_server(bench) for key, bench in benches.items()}
        runs: dict[str, list[dict]] = {"a": [], "b": []}
        try:
            for index in range(options.rounds):
                for key in (("a", "b") if index % 2 == 0 else ("b", "a")):
                    server, url, script = servers[key]
                    runs[key].append(run_wrk(url, script, 16, options.duration, [server.pid]))
                    log(f"enqueue {key} round {index + 1}: {runs[key][-1]['rps']:.0f}/s, p99 {runs[key][-1]['latency_us']['p99']} us")
        finally:
            for server, _, _ in servers.values():
                stop(server)
        results["enqueue"] = {key: {"rps": [r["rps"] for r in value], "p50_us": [r["latency_us"]["p50"] for r in value],
                                    "p99_us": [r["latency_us"]["p99"] for r in value],
                                    "errors": sum(r["non_2xx_or_socket_errors"] for r in value)} for key, value in runs.items()}
        results["enqueue"]["b_over_a_rps"] = statistics.median(b["rps"] / a["rps"] for a, b in zip(runs["a"], runs["b"]))
    if "openloop" in options.only:
        targets = {key: enqueue_target(bench, "openloop") for key, bench in benches.items()}
        open_runs: dict[str, list[dict]] = {"a": [], "b": []}
        try:
            for index in range(options.rounds):
                for key in (("a", "b") if index % 2 == 0 else ("b", "a")):
                    _, url, headers = targets[key]
                    result = open_load(benches[key], url, options.open_rate, options.duration, "POST", EVENT, headers)
                    open_runs[key].append(result)
                    log(f"openloop {key} round {index + 1}: {result['rate']:.0f}/s of {options.open_rate:.0f}, "
                        f"p50 {result['latency_us']['p50'] / 1000:.2f} ms, p99 {result['latency_us']['p99'] / 1000:.2f} ms")
        finally:
            for server, _, _ in targets.values():
                stop(server)
        results["openloop"] = {key: {"rate": [r["rate"] for r in value], "p50_us": [r["latency_us"]["p50"] for r in value],
                                     "p99_us": [r["latency_us"]["p99"] for r in value], "p999_us": [r["latency_us"]["p999"] for r in value],
                                     "errors": sum(r["errors"] for r in value)} for key, value in open_runs.items()}
        results["openloop"]["target_rate"] = options.open_rate
    if "mapping" in options.only:
        rates: dict[str, list[float]] = {"a": [], "b": []}
        for index in range(max(2, options.rounds // 2)):
            for key in (("a", "b") if index % 2 == 0 else ("b", "a")):
                rates[key].append(mapping_round(benches[key], options.mapping_n))
                log(f"mapping {key} round {index + 1}: {rates[key][-1]:.0f} messages/s")
        results["mapping"] = {**rates, "b_over_a": statistics.median(b / a for a, b in zip(rates["a"], rates["b"]))}
    stamp = time.strftime("%Y%m%d-%H%M%S")
    Path(options.out).mkdir(parents=True, exist_ok=True)
    (Path(options.out) / f"{stamp}-ab-queues.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
