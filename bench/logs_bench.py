#!/usr/bin/env python3
"""Issue 14's CloudWatch Logs benchmarks, each with a baseline measured in the same run:

- `put`: `PutLogEvents` of 10,000 events (~60-byte messages) per call, `--events` in all, into
  one stream: events stored per second. Baseline: the same rows inserted by Python's sqlite3
  into a scratch database on the same disk (WAL, one transaction per 10,000 rows), the
  storage's own floor.
- `printing`: warm invoke latency and throughput of a function that prints one line per
  invocation against the same function printing nothing (the baseline), interleaved wrk rounds
  (1 connection for latency, 4 for throughput on 4 environments): what logging costs the warm
  path (target: ≤ 5 % for one line per invocation).
- `metrics`: warm invoke latency and throughput of the quiet function on this server, which
  records CloudWatch metrics of every invocation, against the same function on a second server
  started with `--no-cloudwatch-metrics` (the baseline), interleaved wrk rounds: what the
  metrics cost the warm path (target: no measurable loss).
- `noisy`: a function printing 1,000 lines of ~100 bytes per invocation, invoked back to back,
  while a quiet function's warm latency is measured (wrk, 1 connection); baselines in the same
  run: the quiet function alone, and beside the same work printed into memory (so the CPU the
  Python loop takes is not counted as the logs' cost). Reports the lines per second stored
  (counted in Lambent's database afterwards) and the quiet function's p50 in each case.
- `console`: server time of the web console's functions list with `--functions` functions
  (1,000 by default) and of a function's monitor page (six charts over a day), against
  ListFunctions paged through the same functions with boto3 (the API's own list) in the
  same run: medians of 20 requests each.
- `filter`: `FilterLogEvents` over the group those calls filled (1 million events by default),
  following `nextToken` to the end, with a term pattern that matches 1 % of the events, then a
  JSON pattern: seconds for the whole group and events read per second. Baseline: Python's
  sqlite3 reading the same rows from Lambent's own database file (WAL allows it) in the same
  order and testing the same term: reading alone, nothing sent over HTTP.

    bench/run.sh --suite logs [--events 1000000]

Results: bench/results/<stamp>-logs.{json,md}.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
import threading
import time
from pathlib import Path

import boto3
from botocore.config import Config

from lambent_bench import (ACCESS_KEY, EVENT, REGION, SECRET_KEY, WARM_MEMORY, Bench, log, make_zip, run_suite, run_wrk,
                           signed_invoke, suite_parser, summarize, wrk_script)

GROUP = "/bench/logs"
STREAM = "s"


def logs_client(bench: Bench):
    return boto3.client("logs", endpoint_url=bench.endpoint, region_name=REGION, aws_access_key_id=ACCESS_KEY,
                        aws_secret_access_key=SECRET_KEY, config=Config(retries={"max_attempts": 0}, read_timeout=600))


def message(index: int) -> str:
    if index % 100 == 0:
        return json.dumps({"level": "ERROR", "n": index, "path": "/api/orders"})
    return f"INFO request {index} served in {index % 97} ms path=/api/items"


def put(bench: Bench, options) -> dict:
    logs = logs_client(bench)
    logs.create_log_group(logGroupName=GROUP)
    logs.create_log_stream(logGroupName=GROUP, logStreamName=STREAM)
    base = int(time.time() * 1000) - 3_600_000
    batch = 10_000
    started = time.perf_counter()
    for start in range(0, options.events, batch):
        events = [{"timestamp": base + (start + i) // 300, "message": message(start + i)} for i in range(batch)]
        logs.put_log_events(logGroupName=GROUP, logStreamName=STREAM, logEvents=events)
    elapsed = time.perf_counter() - started
    rate = options.events / elapsed
    log(f"put: {options.events} events in {elapsed:.1f} s = {rate:.0f}/s")

    # Baseline: the same rows, straight into SQLite.
    with tempfile.TemporaryDirectory(dir=bench.work) as directory:
        connection = sqlite3.connect(Path(directory) / "floor.sqlite", isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("CREATE TABLE logEvent (id INTEGER PRIMARY KEY, logGroup TEXT, stream TEXT, timestamp INTEGER, message TEXT, ingestionTime INTEGER)")
        connection.execute("CREATE INDEX byTime ON logEvent (logGroup, timestamp, id)")
        started = time.perf_counter()
        for start in range(0, options.events, batch):
            connection.execute("BEGIN")
            connection.executemany("INSERT INTO logEvent (logGroup, stream, timestamp, message, ingestionTime) VALUES (?, ?, ?, ?, ?)",
                                   [(GROUP, STREAM, base + (start + i) // 300, message(start + i), 0) for i in range(batch)])
            connection.execute("COMMIT")
        floor = options.events / (time.perf_counter() - started)
        connection.close()
    log(f"put floor (Python sqlite3): {floor:.0f}/s")
    return {"events": options.events, "seconds": elapsed, "events_per_s": rate, "floor_events_per_s": floor, "ratio": rate / floor}


def filter_(bench: Bench, options) -> dict:
    logs = logs_client(bench)
    results = {}
    for label, pattern, expected in (("term", "ERROR", options.events // 100),
                                     ("json", '{ $.level = "ERROR" && $.n >= 0 }', options.events // 100)):
        runs = []
        for _ in range(options.runs):
            started = time.perf_counter()
            found, calls, token = 0, 0, None
            while True:
                params = {"nextToken": token} if token else {}
                page = logs.filter_log_events(logGroupName=GROUP, filterPattern=pattern, **params)
                found += len(page["events"])
                calls += 1
                token = page.get("nextToken")
                if not token:
                    break
            runs.append(time.perf_counter() - started)
            if found != expected:
                raise SystemExit(f"filter {label}: found {found} events, expected {expected}")
        seconds = sorted(runs)[len(runs) // 2]
        results[label] = {"seconds": seconds, "events_read_per_s": options.events / seconds, "calls": calls, "found": found,
                          "runs": runs}
        log(f"filter {label}: {options.events} events in {seconds:.2f} s ({calls} calls), {found} found")

    # Baseline: read the same rows from Lambent's database and test the same term.
    database = bench.work / "data" / "lambent.sqlite"
    runs = []
    for _ in range(options.runs):
        connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        started = time.perf_counter()
        found = sum(1 for (text,) in connection.execute(
            "SELECT message FROM logEvent WHERE logGroup = ? ORDER BY timestamp, id", (GROUP,)) if "ERROR" in text)
        runs.append(time.perf_counter() - started)
        connection.close()
    seconds = sorted(runs)[len(runs) // 2]
    results["floor"] = {"seconds": seconds, "events_read_per_s": options.events / seconds, "found": found, "runs": runs}
    results["term_over_floor"] = results["term"]["seconds"] / seconds
    log(f"filter floor (Python sqlite3 scan): {seconds:.2f} s, {found} found")
    return results


QUIET = "def handler(event, context):\n    return event\n"
PRINTING = "def handler(event, context):\n    print('handled', event.get('n'))\n    return event\n"


def interleaved(bench: Bench, options, step: str, targets: dict, measured: str, baseline: str, check=None) -> dict:
    """wrk rounds against two targets (kind -> (url, script)), alternating which goes first,
    with 1 connection (latency) and 4 (throughput); medians per kind and the ratios of
    `measured` over `baseline`."""
    results = {}
    for connections, label in ((1, "latency"), (4, "throughput")):
        # Warm `connections` environments of each first.
        for kind in targets:
            run_wrk(targets[kind][0], targets[kind][1], connections, 2, bench.server_tree())
        runs: dict[str, list[dict]] = {kind: [] for kind in targets}
        for run in range(options.runs):
            order = list(targets) if run % 2 == 0 else list(reversed(list(targets)))
            for kind in order:
                if check:
                    check()
                runs[kind].append(run_wrk(targets[kind][0], targets[kind][1], connections, options.duration, bench.server_tree()))
                result = runs[kind][-1]
                log(f"{step} {label} run {run + 1} {kind}: p50 {result['latency_us']['p50']} us, {result['rps']:.0f}/s")
        summary = {kind: summarize(kind_runs) for kind, kind_runs in runs.items()}
        summary[f"{measured}_over_{baseline}_p50"] = summary[measured]["p50_ms"] / summary[baseline]["p50_ms"]
        summary[f"{measured}_over_{baseline}_rps"] = summary[measured]["rps"] / summary[baseline]["rps"]
        results[label] = summary
    return results


def invoke_target(bench: Bench, endpoint: str, name: str, label: str) -> tuple[str, str]:
    path, headers = signed_invoke(endpoint, name, EVENT)
    return endpoint + path, wrk_script(bench.work, label, "POST", EVENT, headers)


def printing(bench: Bench, options) -> dict:
    bench.create("bench-quiet", code=make_zip({"app.py": QUIET}), memory=WARM_MEMORY)
    bench.create("bench-printing", code=make_zip({"app.py": PRINTING}), memory=WARM_MEMORY)
    targets = {kind: invoke_target(bench, bench.endpoint, f"bench-{kind}", f"logs-{kind}") for kind in ("quiet", "printing")}
    return interleaved(bench, options, "printing", targets, "printing", "quiet")


def metrics(bench: Bench, options) -> dict:
    bare = bench.start_extra_server("no-metrics", ["--no-cloudwatch-metrics"])
    try:
        bench.create("bench-metrics", code=make_zip({"app.py": QUIET}), memory=WARM_MEMORY)
        bench.create("bench-metrics", code=make_zip({"app.py": QUIET}), memory=WARM_MEMORY, client=bare["client"])
        targets = {"recorded": invoke_target(bench, bench.endpoint, "bench-metrics", "metrics-recorded"),
                   "unrecorded": invoke_target(bench, bare["endpoint"], "bench-metrics", "metrics-unrecorded")}
        return interleaved(bench, options, "metrics", targets, "recorded", "unrecorded", check=lambda: bench.alive(bare))
    finally:
        bench.stop_extra_servers()


NOISY = "def handler(event, context):\n    for i in range(1000):\n        print('noisy line', i, 'x' * 80)\n    return {}\n"
# The same work, printed into memory: what the noisy function costs without its lines going anywhere.
SILENT = ("import io\ndef handler(event, context):\n    sink = io.StringIO()\n    for i in range(1000):\n"
          "        print('noisy line', i, 'x' * 80, file=sink)\n    return {}\n")


def noisy(bench: Bench, options) -> dict:
    bench.create("bench-noisy", code=make_zip({"app.py": NOISY}), memory=WARM_MEMORY)
    bench.create("bench-silent", code=make_zip({"app.py": SILENT}), memory=WARM_MEMORY)
    bench.create("bench-calm", code=make_zip({"app.py": QUIET}), memory=WARM_MEMORY)
    url, script = invoke_target(bench, bench.endpoint, "bench-calm", "noisy-calm")
    run_wrk(url, script, 1, 2, bench.server_tree())
    bench.invoke_raw("bench-noisy")
    bench.invoke_raw("bench-silent")
    rounds: dict[str, list[dict]] = {"alone": [], "noisy": [], "silent": []}
    noisy_seconds, noisy_invocations = 0.0, 0
    for run in range(options.runs):
        order = ["alone", "noisy", "silent"] if run % 2 == 0 else ["silent", "noisy", "alone"]
        for beside in order:
            stop = threading.Event()
            count = [0]

            def loop(function=f"bench-{beside}"):
                while not stop.is_set():
                    bench.invoke_raw(function)
                    count[0] += 1
            thread = threading.Thread(target=loop, daemon=True) if beside != "alone" else None
            began = time.perf_counter()
            if thread:
                thread.start()
            rounds[beside].append(run_wrk(url, script, 1, options.duration, bench.server_tree()))
            stop.set()
            if thread:
                thread.join()
            if beside == "noisy":
                noisy_seconds += time.perf_counter() - began
                noisy_invocations += count[0]
            log(f"noisy run {run + 1}, calm function {beside if beside == 'alone' else 'beside the ' + beside + ' one'}: "
                f"p50 {rounds[beside][-1]['latency_us']['p50']} us ({count[0]} invocations of it)")
    time.sleep(3)  # the log sink writes every few hundred milliseconds
    with sqlite3.connect(f"file:{bench.work / 'data' / 'lambent.sqlite'}?mode=ro", uri=True) as db:
        stored = db.execute("SELECT COUNT(*) FROM logEvent WHERE logGroup = '/aws/lambda/bench-noisy' AND message LIKE 'noisy line%'")\
            .fetchone()[0]
    stored -= 1000  # the warm-up invocation's
    calm = {beside: summarize(runs) for beside, runs in rounds.items()}
    return {"lines_per_s": stored / noisy_seconds, "lines_stored": stored, "lines_printed": noisy_invocations * 1000,
            "calm_alone": calm["alone"], "calm_beside_noisy": calm["noisy"], "calm_beside_silent": calm["silent"],
            "noisy_over_silent_p50": calm["noisy"]["p50_ms"] / calm["silent"]["p50_ms"]}


def console_session(bench: Bench) -> str:
    """Signs in to the console; returns the Cookie header value."""
    import http.cookiejar
    import re
    import urllib.parse
    import urllib.request
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{bench.endpoint}/console/login").read().decode()
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrf": token, "accessKeyId": ACCESS_KEY, "secretAccessKey": SECRET_KEY}).encode()
    opener.open(f"{bench.endpoint}/console/login", data=form).read()
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar if cookie.name == "lambent_console")


def console(bench: Bench, options) -> dict:
    import statistics
    import urllib.request
    code = make_zip({"app.py": QUIET})
    started = time.perf_counter()
    for index in range(options.functions):
        bench.client.create_function(FunctionName=f"console-{index:04d}", Runtime="python3.12", Role="arn:aws:iam::000000000000:role/bench",
                                     Handler="app.handler", Code={"ZipFile": code}, MemorySize=128)
    log(f"console: created {options.functions} functions in {time.perf_counter() - started:.1f} s")
    bench.client.get_waiter("function_active_v2").wait(FunctionName=f"console-{options.functions - 1:04d}")
    for _ in range(5):
        bench.invoke_raw("console-0000")
    cookie = console_session(bench)

    def timed(url: str) -> float:
        request = urllib.request.Request(url, headers={"Cookie": cookie})
        began = time.perf_counter()
        with urllib.request.urlopen(request, timeout=60) as response:
            body = response.read()
            assert response.status == 200, response.status
        elapsed = (time.perf_counter() - began) * 1000
        assert b"<html" in body
        return elapsed

    def api_list() -> float:
        began = time.perf_counter()
        count = sum(len(page["Functions"]) for page in bench.client.get_paginator("list_functions").paginate())
        assert count >= options.functions
        return (time.perf_counter() - began) * 1000

    timed(f"{bench.endpoint}/console/")
    rounds = 20
    list_ms = statistics.median(timed(f"{bench.endpoint}/console/") for _ in range(rounds))
    monitor_ms = statistics.median(timed(f"{bench.endpoint}/console/functions/console-0000?tab=monitor&window=1d") for _ in range(rounds))
    api_ms = statistics.median(api_list() for _ in range(rounds))
    log(f"console: list {list_ms:.1f} ms, monitor {monitor_ms:.1f} ms, ListFunctions paged {api_ms:.1f} ms")
    return {"functions": options.functions, "list_ms": list_ms, "monitor_ms": monitor_ms, "api_list_ms": api_ms,
            "list_over_api": list_ms / api_ms}


def markdown(results: dict) -> str:
    lines = [f"# Lambent CloudWatch Logs benchmarks ({results['date']})", "", f"Machine: {json.dumps(results['machine'])}", ""]
    if "put" in results:
        p = results["put"]
        lines += [f"PutLogEvents (10,000 per call): **{p['events_per_s']:.0f} events/s** ({p['events']} in {p['seconds']:.1f} s); "
                  f"Python sqlite3 floor {p['floor_events_per_s']:.0f}/s (×{p['ratio']:.2f}).", ""]
    comparisons = (("printing", "quiet", "printing", "quiet", "one line per invocation"),
                   ("metrics", "unrecorded", "recorded", "`--no-cloudwatch-metrics`", "with CloudWatch metrics"))
    for step, baseline, measured, baseline_label, measured_label in comparisons:
        if step not in results:
            continue
        for label in ("latency", "throughput"):
            r = results[step][label]
            lines += [f"Warm invoke, {label} ({'1 connection' if label == 'latency' else '4 connections'}): {baseline_label} p50 "
                      f"{r[baseline]['p50_ms']:.3f} ms, {r[baseline]['rps']:.0f}/s; {measured_label} p50 "
                      f"{r[measured]['p50_ms']:.3f} ms, {r[measured]['rps']:.0f}/s: p50 ×{r[f'{measured}_over_{baseline}_p50']:.3f}, "
                      f"req/s ×{r[f'{measured}_over_{baseline}_rps']:.3f}.", ""]
    if "noisy" in results:
        n = results["noisy"]
        lines += [f"A function printing 1,000 lines per invocation, back to back: **{n['lines_per_s']:.0f} lines/s stored** "
                  f"({n['lines_stored']} of {n['lines_printed']} printed). A quiet function's p50: {n['calm_alone']['p50_ms']:.3f} ms "
                  f"alone, {n['calm_beside_noisy']['p50_ms']:.3f} ms beside the printing one, {n['calm_beside_silent']['p50_ms']:.3f} ms "
                  f"beside the same work printed into memory (printing ÷ silent ×{n['noisy_over_silent_p50']:.3f}).", ""]
    if "console" in results:
        c = results["console"]
        lines += [f"Console, {c['functions']} functions: functions list **{c['list_ms']:.1f} ms**, monitor page (six charts, 1 day) "
                  f"**{c['monitor_ms']:.1f} ms** (medians of 20, measured at the client on loopback); ListFunctions paged through "
                  f"the same functions with boto3 {c['api_list_ms']:.1f} ms (list ÷ API ×{c['list_over_api']:.2f}).", ""]
    if "filter" in results:
        f = results["filter"]
        for label in ("term", "json"):
            r = f[label]
            lines += [f"FilterLogEvents, {label} pattern, whole group: **{r['seconds']:.2f} s** "
                      f"({r['events_read_per_s']:.0f} events read/s, {r['calls']} calls, {r['found']} found).", ""]
        lines += [f"Floor (Python sqlite3 reading the same rows and testing the term): {f['floor']['seconds']:.2f} s "
                  f"({f['floor']['events_read_per_s']:.0f}/s); term pattern ÷ floor: ×{f['term_over_floor']:.2f}.", ""]
    return "\n".join(lines)


def main() -> None:
    parser = suite_parser(__doc__, "printing,metrics,noisy,console,put,filter")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--functions", type=int, default=1000)
    options = parser.parse_args()
    run_suite(options, "logs", {"printing": printing, "metrics": metrics, "noisy": noisy, "console": console, "put": put, "filter": filter_}, markdown)


if __name__ == "__main__":
    main()
