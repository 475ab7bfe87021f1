#!/usr/bin/env python3
"""Lambent's benchmarks: warm invoke latency, warm throughput, cold start, memory.

Run through bench/run.sh, which builds the release binaries first. This script starts
its own `lambent serve` (temporary data dir, fixed credentials, loopback only) and the
hello-world Hummingbird baseline, measures, stops both, and writes
bench/results/<stamp>.json and .md. Every load run is bounded in time (--duration).

    python3 bench/lambent_bench.py --bin .build-release/release [--runs 3] [--duration 10]

Load comes from wrk replaying one SigV4-signed Invoke request (signatures stay valid for
15 minutes and AWS accepts replays); requests are re-signed for every run.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import http.client
import io
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from pathlib import Path

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

REPO = Path(__file__).resolve().parents[1]
REGION = "us-east-1"
ACCESS_KEY = "LKIABENCHMARK0000000"
SECRET_KEY = "benchmark/secret/key/not/for/production0"
ROLE = "arn:aws:iam::000000000000:role/lambent-bench"
RUNTIME = "python3.12"  # served by the host's python (3.11 on Debian 12)
EVENT = b'{"hello":"world","n":1}'
ECHO_SOURCE = "def handler(event, context):\n    return event\n"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{process.args[0]} exited with {process.returncode} before serving {url}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"{url} not ready within {timeout} s")


def stop(process: subprocess.Popen | None) -> None:
    """SIGTERM the process (its group holds its sandboxes), then SIGKILL the group if needed."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    return children


def descendants(pid: int) -> list[int]:
    children = children_map()
    found, stack = [], [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")[:-1]
    except OSError:
        return []


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime of the whole process (all threads)
    return total / CLK_TCK


def sandbox_processes(server_pid: int) -> list[dict]:
    """One entry per live environment: its bwrap, agent and runtime pids."""
    environments = []
    tree = children_map()
    for outer in tree.get(server_pid, []):
        argv = cmdline(outer)
        if not argv or not argv[0].endswith("bwrap"):
            continue
        pids, stack = [outer], [outer]
        while stack:
            for child in tree.get(stack.pop(), []):
                pids.append(child)
                stack.append(child)
        argvs = {p: cmdline(p) for p in pids}
        agent = next((p for p in pids if argvs[p][:1] == ["/var/lambent/agent"]), None)
        python = next((p for p in pids if argvs[p] and "awslambdaric" in argvs[p]
                       and not argvs[p][0].endswith(("bwrap", "/var/lambent/agent"))), None)
        environments.append({"bwrap": [p for p in pids if p not in (agent, python)], "agent": agent, "python": python,
                             "argv0": {p: (argvs[p][:1] or ["?"])[0] for p in pids}})
    return environments


def memory_of(pid: int | None) -> dict:
    """RSS, PSS and USS (private clean + dirty) in KiB, from /proc/<pid>/smaps_rollup."""
    if pid is None:
        return {"rss_kb": 0, "pss_kb": 0, "uss_kb": 0}
    values = {}
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[0].endswith(":"):
                values[parts[0][:-1]] = int(parts[1])
    except OSError:
        return {"rss_kb": 0, "pss_kb": 0, "uss_kb": 0}
    return {"rss_kb": values.get("Rss", 0), "pss_kb": values.get("Pss", 0),
            "uss_kb": values.get("Private_Clean", 0) + values.get("Private_Dirty", 0)}


def set_affinity(pids: list[int], cpus: set[int]) -> None:
    """Pins every thread of every pid (new processes and threads inherit the mask)."""
    for pid in pids:
        try:
            for tid in os.listdir(f"/proc/{pid}/task"):
                try:
                    os.sched_setaffinity(int(tid), cpus)
                except OSError:
                    pass
        except OSError:
            pass


# ---------------------------------------------------------------------------
# Signing and wrk
# ---------------------------------------------------------------------------


def signed_invoke(endpoint: str, function: str, body: bytes, log_tail: bool = False) -> tuple[str, dict]:
    """Path and headers of a SigV4-signed Invoke request (valid for 15 minutes)."""
    path = f"/2015-03-31/functions/{function}/invocations"
    headers = {"Content-Type": "application/json"}
    if log_tail:
        headers["X-Amz-Log-Type"] = "Tail"
    request = AWSRequest(method="POST", url=endpoint + path, data=body, headers=headers)
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "lambda", REGION).add_auth(request)
    signed = {key: value for key, value in request.headers.items()}
    signed["Host"] = endpoint.split("//", 1)[1]
    return path, signed


def lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


DONE_LUA = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCHJSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"min":%d,"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d}}\\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9), latency.max))
end
"""


def wrk_script(directory: Path, name: str, method: str = "GET", body: bytes = b"", headers: dict | None = None) -> Path:
    lines = [f"wrk.method = {lua_string(method)}"]
    if body:
        lines.append(f"wrk.body = {lua_string(body.decode())}")
    for key, value in (headers or {}).items():
        lines.append(f"wrk.headers[{lua_string(key)}] = {lua_string(value)}")
    path = directory / f"{name}.lua"
    path.write_text("\n".join(lines) + "\n" + DONE_LUA)
    return path


def run_wrk(url: str, script: Path, connections: int, duration: int, observe: list[int],
            cpus: str | None = None) -> dict:
    """One bounded wrk run; adds requests/s, wrk's own CPU and the CPU of `observe` pids."""
    threads = 1 if connections == 1 else 2
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "5s",
               "--latency", "-s", str(script), url]
    if cpus is not None:
        command = ["taskset", "-c", cpus] + command
    before_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    before_observed = cpu_seconds(observe)
    started = time.monotonic()
    output = subprocess.run(command, capture_output=True, text=True, timeout=duration + 30)
    wall = time.monotonic() - started
    after_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    observed = cpu_seconds(observe) - before_observed
    match = re.search(r"^BENCHJSON (.*)$", output.stdout, re.M)
    if output.returncode != 0 or not match:
        raise SystemExit(f"wrk failed ({output.returncode}):\n{output.stdout}\n{output.stderr}")
    result = json.loads(match.group(1))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    wrk_cpu = (after_children.ru_utime - before_children.ru_utime) + (after_children.ru_stime - before_children.ru_stime)
    result["cpu_percent"] = {"wrk": 100 * wrk_cpu / wall, "server_tree": 100 * observed / wall}
    result["non_2xx_or_socket_errors"] = sum(result["errors"].values())
    return result


def summarize(runs: list[dict]) -> dict:
    """Median over runs of each figure."""
    def med(get):
        return statistics.median(get(run) for run in runs)
    return {
        "p50_ms": med(lambda r: r["latency_us"]["p50"]) / 1000,
        "p90_ms": med(lambda r: r["latency_us"]["p90"]) / 1000,
        "p99_ms": med(lambda r: r["latency_us"]["p99"]) / 1000,
        "mean_ms": med(lambda r: r["latency_us"]["mean"]) / 1000,
        "rps": med(lambda r: r["rps"]),
        "wrk_cpu_percent": med(lambda r: r["cpu_percent"]["wrk"]),
        "server_tree_cpu_percent": med(lambda r: r["cpu_percent"]["server_tree"]),
        "errors": sum(r["non_2xx_or_socket_errors"] for r in runs),
        "runs": len(runs),
    }


# ---------------------------------------------------------------------------
# The benchmark
# ---------------------------------------------------------------------------


class Bench:
    def __init__(self, options: argparse.Namespace):
        self.options = options
        self.bin = Path(options.bin)
        self.work = Path(tempfile.mkdtemp(prefix="lambent-bench-"))
        self.runtimes = Path(options.runtimes_dir)
        self.server: subprocess.Popen | None = None
        self.hello: subprocess.Popen | None = None
        self.port = free_port()
        self.hello_port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.results: dict = {"machine": machine(), "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                              "settings": {"runs": options.runs, "duration_s": options.duration, "cold_n": options.cold}}

    # -- setup ----------------------------------------------------------------

    def start(self) -> None:
        self.runtimes.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, LAMBENT_ACCESS_KEY_ID=ACCESS_KEY, LAMBENT_SECRET_ACCESS_KEY=SECRET_KEY)
        log(f"starting lambent serve on {self.endpoint} (data {self.work / 'data'})")
        self.server = subprocess.Popen(
            [str(self.bin / "lambent"), "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--data-dir", str(self.work / "data"), "--runtimes-dir", str(self.runtimes), "--log-level", "warning"],
            stdin=subprocess.DEVNULL, stdout=open(self.work / "server.out", "wb"), stderr=open(self.work / "server.err", "wb"),
            env=env, start_new_session=True)
        wait_http(self.endpoint + "/lambent/v1/health", self.server)
        self.hello = subprocess.Popen([str(self.bin / "lambent-bench-hello"), str(self.hello_port)],
                                      stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                      stderr=open(self.work / "hello.err", "wb"), start_new_session=True)
        wait_http(f"http://127.0.0.1:{self.hello_port}/", self.hello)
        self.client = boto3.client(
            "lambda", endpoint_url=self.endpoint, region_name=REGION, aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY, config=Config(retries={"max_attempts": 0}, read_timeout=600))
        self.zip = make_zip({"app.py": ECHO_SOURCE})

    def stop(self) -> None:
        stop(self.hello)
        stop(self.server)
        if self.server is not None:
            self.results["server_exit_status"] = self.server.returncode
        for name in ("server.err", "server.out"):
            if (self.work / name).exists():  # kept for diagnosis; the data dir is not
                shutil.copy(self.work / name, Path(self.options.out) / f"last-{name}")
        shutil.rmtree(self.work, ignore_errors=True)

    def create(self, name: str) -> None:
        self.client.create_function(FunctionName=name, Runtime=RUNTIME, Role=ROLE, Handler="app.handler",
                                    Code={"ZipFile": self.zip}, MemorySize=1024, Timeout=30)
        self.client.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 300})

    def invoke_raw(self, function: str, log_tail: bool = False) -> tuple[float, int, bytes, dict]:
        path, headers = signed_invoke(self.endpoint, function, EVENT, log_tail)
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        connection.connect()
        started = time.perf_counter()
        connection.request("POST", path, body=EVENT, headers=headers)
        response = connection.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - started
        connection.close()
        return elapsed * 1000, response.status, body, dict(response.getheaders())

    def environments(self) -> list[dict]:
        return sandbox_processes(self.server.pid)

    def server_tree(self) -> list[int]:
        return [self.server.pid] + descendants(self.server.pid)

    # -- benchmarks -----------------------------------------------------------

    def warm(self) -> None:
        options = self.options
        self.create("bench-echo")
        elapsed, status, body, _ = self.invoke_raw("bench-echo")  # also installs awslambdaric on first use
        if status != 200 or json.loads(body) != json.loads(EVENT):
            raise SystemExit(f"echo invoke failed: {status} {body[:300]!r}")
        log(f"first invoke of bench-echo: {elapsed:.0f} ms; environments: {len(self.environments())}")
        hello_url = f"http://127.0.0.1:{self.hello_port}/"
        hello_script = wrk_script(self.work, "hello")
        hello_pids = [self.hello.pid]
        variants = [("unpinned", None, None)]
        if not options.no_pinned and os.cpu_count() and os.cpu_count() >= 2:
            variants.append(("pinned", "1", {0}))  # wrk on CPU 1; servers, agent and python on CPU 0
        latency: dict = {}
        for variant, wrk_cpus, server_cpus in variants:
            all_cpus = set(range(os.cpu_count()))
            set_affinity(self.server_tree() + hello_pids, server_cpus or all_cpus)
            runs_hello, runs_lambent = [], []
            for run in range(options.runs):
                runs_hello.append(run_wrk(hello_url, hello_script, 1, options.duration, hello_pids, wrk_cpus))
                path, headers = signed_invoke(self.endpoint, "bench-echo", EVENT)
                script = wrk_script(self.work, f"invoke-{variant}-{run}", "POST", EVENT, headers)
                runs_lambent.append(run_wrk(self.endpoint + path, script, 1, options.duration, self.server_tree(), wrk_cpus))
                log(f"latency {variant} run {run + 1}: hello p50 {runs_hello[-1]['latency_us']['p50']} us, "
                    f"invoke p50 {runs_lambent[-1]['latency_us']['p50']} us p99 {runs_lambent[-1]['latency_us']['p99']} us "
                    f"({runs_lambent[-1]['rps']:.0f}/s, errors {runs_lambent[-1]['non_2xx_or_socket_errors']})")
            hello, invoke = summarize(runs_hello), summarize(runs_lambent)
            ratios = [r["latency_us"]["p50"] / h["latency_us"]["p50"] for h, r in zip(runs_hello, runs_lambent)]
            overheads = [(r["latency_us"]["p50"] - h["latency_us"]["p50"]) / 1000 for h, r in zip(runs_hello, runs_lambent)]
            latency[variant] = {
                "hello": hello, "invoke": invoke,
                "p50_ratio_to_hello": statistics.median(ratios),
                "p50_minus_hello_ms": statistics.median(overheads),
                "runs": {"hello": runs_hello, "invoke": runs_lambent},
            }
        set_affinity(self.server_tree() + hello_pids, set(range(os.cpu_count())))
        self.results["warm_latency"] = latency
        self.results["environments_after_latency"] = len(self.environments())

    def throughput(self) -> None:
        options = self.options
        self.create("bench-echo4")
        # Four simultaneous first invokes: all four are cold, so exactly four environments start.
        procs = []
        for _ in range(4):
            path, headers = signed_invoke(self.endpoint, "bench-echo4", EVENT)
            args = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "--data-binary", EVENT.decode()]
            for key, value in headers.items():
                args += ["-H", f"{key}: {value}"]
            procs.append(subprocess.Popen(args + [self.endpoint + path], stdout=subprocess.PIPE, text=True))
        codes = [p.communicate(timeout=120)[0] for p in procs]
        count = sum(1 for e in self.environments() if e["python"] is not None)
        log(f"throughput warm-up: statuses {codes}; environments now {count} (1 is bench-echo's)")
        hello_url = f"http://127.0.0.1:{self.hello_port}/"
        hello_script = wrk_script(self.work, "hello")
        runs, runs_hello = [], []
        for run in range(options.runs):
            runs_hello.append(run_wrk(hello_url, hello_script, 4, options.duration, [self.hello.pid]))
            path, headers = signed_invoke(self.endpoint, "bench-echo4", EVENT)
            script = wrk_script(self.work, f"throughput-{run}", "POST", EVENT, headers)
            runs.append(run_wrk(self.endpoint + path, script, 4, options.duration, self.server_tree()))
            log(f"throughput run {run + 1}: {runs[-1]['rps']:.0f} invokes/s (hello c4: {runs_hello[-1]['rps']:.0f}/s), "
                f"p50 {runs[-1]['latency_us']['p50']} us, errors {runs[-1]['non_2xx_or_socket_errors']}, "
                f"cpu wrk {runs[-1]['cpu_percent']['wrk']:.0f}% server tree {runs[-1]['cpu_percent']['server_tree']:.0f}%")
        after = sum(1 for e in self.environments() if e["python"] is not None)
        self.results["throughput"] = {
            "invoke": summarize(runs), "hello": summarize(runs_hello),
            "environments_for_function": count - 1, "environments_for_function_after": after - 1,
            "runs": {"invoke": runs, "hello": runs_hello},
        }
        if options.perf and shutil.which("perf"):
            self.profile(path, headers)

    def profile(self, path: str, headers: dict) -> None:
        """A system-wide perf profile of one throughput run: where the CPU goes, by process and by symbol."""
        out = Path(self.options.out)
        data = out / "perf-throughput.data"
        script = wrk_script(self.work, "throughput-perf", "POST", EVENT, headers)
        duration = min(self.options.duration, 10)
        recorder = subprocess.Popen(["perf", "record", "-a", "-g", "-F", "499", "-o", str(data), "--", "sleep", str(duration)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        run_wrk(self.endpoint + path, script, 4, duration, self.server_tree())
        recorder.wait(timeout=duration + 60)
        by_comm = subprocess.run(["perf", "report", "-i", str(data), "--stdio", "--no-children", "--sort", "comm", "-g", "none"],
                                 capture_output=True, text=True, timeout=300).stdout
        by_dso = subprocess.run(["perf", "report", "-i", str(data), "--stdio", "--no-children", "--sort", "comm,dso", "-g", "none"],
                                capture_output=True, text=True, timeout=300).stdout
        by_symbol = subprocess.run(["perf", "report", "-i", str(data), "--stdio", "--no-children", "--sort", "comm,symbol",
                                    "-g", "none", "--percent-limit", "0.4"], capture_output=True, text=True, timeout=300).stdout
        demangle = shutil.which("swift-demangle") or (Path(shutil.which("swift") or "swift").parent / "swift-demangle")
        try:
            by_symbol = subprocess.run([str(demangle), "--simplified"], input=by_symbol, capture_output=True, text=True, timeout=120).stdout
        except OSError:
            pass
        # Inclusive time (self + callees) of the server's and the agent's own functions.
        inclusive = {}
        agents = ",".join(str(e["agent"]) for e in self.environments() if e["agent"] is not None)
        for label, pid in (("server", str(self.server.pid)), ("agents (all environments)", agents), ("python (all environments)",
                           ",".join(str(e["python"]) for e in self.environments() if e["python"] is not None))):
            if not pid:
                continue
            report = subprocess.run(["perf", "report", "-i", str(data), "--stdio", "--children", "--pid", str(pid),
                                     "--sort", "symbol", "-g", "none", "--percent-limit", "1.5"],
                                    capture_output=True, text=True, timeout=300).stdout
            try:
                report = subprocess.run([str(demangle), "--simplified"], input=report, capture_output=True, text=True, timeout=120).stdout
            except OSError:
                pass
            inclusive[label] = report
        def tidy(text: str) -> str:
            return "\n".join(re.sub(r"\s+-\s+-\s*$", "", line).rstrip() for line in text.splitlines()
                             if line.strip() and not line.startswith("#"))
        (out / "perf-throughput.txt").write_text(
            "# CPU by process\n" + tidy(by_comm) + "\n\n# CPU by process and object\n" + tidy(by_dso)
            + "\n\n# CPU by process and symbol (self)\n" + tidy(by_symbol)
            + "".join(f"\n\n# {label}: inclusive (children) percentages of all samples\n" + tidy(text)
                      for label, text in inclusive.items()) + "\n")
        log(f"perf profile written to {out / 'perf-throughput.txt'}")

    def cold(self) -> None:
        options = self.options
        python_path = self.runtimes / "python3.11"
        candidates = sorted(self.runtimes.glob("python3.*"))
        if not (python_path / "awslambdaric").exists() and candidates:
            python_path = candidates[0]
        baseline_env = dict(os.environ, PYTHONPATH=str(python_path))
        baseline_command = ["/usr/bin/python3", "-c", "import awslambdaric.bootstrap"]
        subprocess.run(baseline_command, env=baseline_env, check=True)  # fills the page cache and .pyc files
        rounds = []
        for round_index in range(options.runs):
            firsts, inits, baselines = [], [], []
            for i in range(options.cold):
                name = f"bench-cold-{round_index}-{i}"
                self.create(name)
                elapsed, status, body, headers = self.invoke_raw(name, log_tail=True)
                if status != 200:
                    raise SystemExit(f"cold invoke failed: {status} {body[:300]!r}")
                tail = base64.b64decode(headers.get("X-Amz-Log-Result", headers.get("x-amz-log-result", "")) or b"").decode()
                match = re.search(r"Init Duration: ([0-9.]+) ms", tail)
                firsts.append(elapsed)
                if match:
                    inits.append(float(match.group(1)))
                self.client.delete_function(FunctionName=name)
                started = time.perf_counter()
                subprocess.run(baseline_command, env=baseline_env, check=True)
                baselines.append((time.perf_counter() - started) * 1000)
            rounds.append({"first_invoke_ms": firsts, "init_duration_ms": inits, "baseline_import_ms": baselines})
            log(f"cold round {round_index + 1}: first invoke p50 {percentile(firsts, 50):.1f} ms p99 {percentile(firsts, 99):.1f} ms, "
                f"Init Duration p50 {percentile(inits, 50) if inits else float('nan'):.1f} ms, "
                f"baseline import p50 {percentile(baselines, 50):.1f} ms")
        def med(key, q):
            return statistics.median(percentile(r[key], q) for r in rounds if r[key])
        summary = {
            "first_invoke_p50_ms": med("first_invoke_ms", 50), "first_invoke_p99_ms": med("first_invoke_ms", 99),
            "init_duration_p50_ms": med("init_duration_ms", 50) if any(r["init_duration_ms"] for r in rounds) else None,
            "init_duration_p99_ms": med("init_duration_ms", 99) if any(r["init_duration_ms"] for r in rounds) else None,
            "baseline_p50_ms": med("baseline_import_ms", 50), "baseline_p99_ms": med("baseline_import_ms", 99),
        }
        summary["p50_ratio_to_baseline"] = statistics.median(
            percentile(r["first_invoke_ms"], 50) / percentile(r["baseline_import_ms"], 50) for r in rounds)
        hyperfine = None
        if shutil.which("hyperfine"):
            export = self.work / "hyperfine.json"
            subprocess.run(["hyperfine", "-N", "--warmup", "3", "--runs", str(options.cold * options.runs),
                            "--export-json", str(export), "/usr/bin/python3 -c 'import awslambdaric.bootstrap'"],
                           env=baseline_env, capture_output=True, timeout=300)
            if export.exists():
                data = json.loads(export.read_text())["results"][0]
                hyperfine = {"mean_ms": data["mean"] * 1000, "median_ms": data["median"] * 1000,
                             "stddev_ms": data["stddev"] * 1000, "runs": len(data["times"])}
        self.results["cold_start"] = {"summary": summary, "hyperfine_baseline": hyperfine, "rounds": rounds,
                                      "pythonpath": str(python_path)}

    def memory(self) -> None:
        time.sleep(1.0)  # let every environment settle back to idle
        environments = []
        for env in self.environments():
            if env["agent"] is None:
                continue
            agent, python = memory_of(env["agent"]), memory_of(env["python"])
            bwraps = [memory_of(p) for p in env["bwrap"]]
            environments.append({
                "agent": agent, "python": python,
                "agent_plus_python": {k: agent[k] + python[k] for k in agent},
                "all_sandbox_processes": {k: agent[k] + python[k] + sum(b[k] for b in bwraps) for k in agent},
                "bwrap_processes": len(bwraps),
            })
        def med(path):
            values = [env[path[0]][path[1]] for env in environments]
            return statistics.median(values) / 1024 if values else None
        self.results["memory"] = {
            "environments_measured": len(environments),
            "agent_rss_mb": med(("agent", "rss_kb")), "agent_pss_mb": med(("agent", "pss_kb")), "agent_uss_mb": med(("agent", "uss_kb")),
            "python_rss_mb": med(("python", "rss_kb")),
            "env_rss_mb": med(("agent_plus_python", "rss_kb")), "env_pss_mb": med(("agent_plus_python", "pss_kb")),
            "env_uss_mb": med(("agent_plus_python", "uss_kb")),
            "sandbox_rss_mb": med(("all_sandbox_processes", "rss_kb")), "sandbox_pss_mb": med(("all_sandbox_processes", "pss_kb")),
            "sandbox_uss_mb": med(("all_sandbox_processes", "uss_kb")),
            "server_rss_mb": memory_of(self.server.pid)["rss_kb"] / 1024,
            "environments": environments,
        }


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (for N = 20, p99 is the maximum)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]


def make_zip(files: dict) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            archive.writestr(info, content)
    return buffer.getvalue()


def machine() -> dict:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), "unknown")
    memory_kb = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")))
    def version(command):
        try:
            return subprocess.run(command, capture_output=True, text=True, timeout=30).stdout.strip().splitlines()[0]
        except (OSError, IndexError, subprocess.SubprocessError):
            return "unknown"
    import hashlib
    digest = hashlib.sha256()
    for path in sorted((REPO / "Sources").rglob("*.swift")) + [REPO / "Package.swift"]:
        digest.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes())
    return {"sources_sha256": digest.hexdigest()[:16], "nproc": os.cpu_count(), "cpu_model": model, "kernel": platform.release(), "memory_gb": round(memory_kb / 1024 / 1024, 1),
            "python": version(["/usr/bin/python3", "--version"]), "swift": version(["swift", "--version"]),
            "wrk": version(["wrk", "-v"]) if shutil.which("wrk") else "missing"}


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def markdown(results: dict) -> str:
    m = results["machine"]
    lines = [f"## Lambent benchmark run {results['date']}", "",
             f"Machine: {m['nproc']} CPUs ({m['cpu_model']}), kernel {m['kernel']}, {m['memory_gb']} GB RAM; "
             f"{m['python']}; {m['swift']}; {m['wrk']}. Median of {results['settings']['runs']} runs of "
             f"{results['settings']['duration_s']} s each.", ""]
    if "warm_latency" in results:
        lines += ["### Warm invoke latency (1 connection)", "",
                  "| variant | hello p50 | hello p99 | invoke p50 | invoke p99 | p50 − hello | p50 ÷ hello | invokes/s | CPU wrk / server tree | target p50 ≤ hello + 1 ms | target p99 ≤ 3 ms |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]
        for variant, data in results["warm_latency"].items():
            h, i = data["hello"], data["invoke"]
            lines.append(f"| {variant} | {h['p50_ms']:.3f} ms | {h['p99_ms']:.3f} ms | {i['p50_ms']:.3f} ms | {i['p99_ms']:.3f} ms | "
                         f"{data['p50_minus_hello_ms']:.3f} ms | {data['p50_ratio_to_hello']:.1f}× | {i['rps']:.0f} | "
                         f"{i['wrk_cpu_percent']:.0f}% / {i['server_tree_cpu_percent']:.0f}% | "
                         f"{verdict(data['p50_minus_hello_ms'] <= 1.0)} | {verdict(i['p99_ms'] <= 3.0)} |")
        lines.append("")
    if "throughput" in results:
        t = results["throughput"]
        i, h = t["invoke"], t["hello"]
        lines += ["### Warm throughput (4 connections, 4 environments)", "",
                  "| invokes/s | p50 | p99 | CPU wrk / server tree (of 200%) | hello c4 req/s | environments before/after | errors | target ≥ 2,000/s |",
                  "|---|---|---|---|---|---|---|---|",
                  f"| {i['rps']:.0f} | {i['p50_ms']:.2f} ms | {i['p99_ms']:.2f} ms | {i['wrk_cpu_percent']:.0f}% / {i['server_tree_cpu_percent']:.0f}% | "
                  f"{h['rps']:.0f} | {t['environments_for_function']} / {t['environments_for_function_after']} | {i['errors']} | {verdict(i['rps'] >= 2000)} |", ""]
    if "cold_start" in results:
        c = results["cold_start"]["summary"]
        hf = results["cold_start"]["hyperfine_baseline"]
        lines += ["### Cold start (first invoke of a new function)", "",
                  "| first invoke p50 | p99 | Init Duration p50 | p99 | baseline import p50 | p99 | p50 ÷ baseline | hyperfine baseline median | target ≤ 1.5× |",
                  "|---|---|---|---|---|---|---|---|---|",
                  f"| {c['first_invoke_p50_ms']:.1f} ms | {c['first_invoke_p99_ms']:.1f} ms | "
                  f"{(c['init_duration_p50_ms'] or 0):.1f} ms | {(c['init_duration_p99_ms'] or 0):.1f} ms | "
                  f"{c['baseline_p50_ms']:.1f} ms | {c['baseline_p99_ms']:.1f} ms | {c['p50_ratio_to_baseline']:.2f}× | "
                  f"{(hf or {}).get('median_ms', float('nan')):.1f} ms | {verdict(c['p50_ratio_to_baseline'] <= 1.5)} |", ""]
    if "memory" in results:
        mem = results["memory"]
        def f(x):
            return "n/a" if x is None else f"{x:.1f} MB"
        lines += ["### Memory of idle environments (median over environments)", "",
                  "| | RSS | PSS | USS |", "|---|---|---|---|",
                  f"| agent | {f(mem['agent_rss_mb'])} | {f(mem['agent_pss_mb'])} | {f(mem['agent_uss_mb'])} |",
                  f"| agent + python | {f(mem['env_rss_mb'])} | {f(mem['env_pss_mb'])} | {f(mem['env_uss_mb'])} |",
                  f"| all sandbox processes (incl. bwrap) | {f(mem['sandbox_rss_mb'])} | {f(mem['sandbox_pss_mb'])} | {f(mem['sandbox_uss_mb'])} |",
                  "", f"Idle agent RSS target ≤ 8 MB: {verdict((mem['agent_rss_mb'] or 99) <= 8)} "
                  f"({mem['environments_measured']} environments measured; server RSS {mem['server_rss_mb']:.1f} MB).", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", required=True, help="directory with lambent, lambent-agent and lambent-bench-hello")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10, help="seconds per load run")
    parser.add_argument("--cold", type=int, default=20, help="cold starts per round")
    parser.add_argument("--runtimes-dir", default=str(REPO / ".build-release" / "bench-runtimes"))
    parser.add_argument("--out", default=str(REPO / "bench" / "results"))
    parser.add_argument("--no-pinned", action="store_true", help="skip the CPU-pinned latency variant")
    parser.add_argument("--perf", action="store_true", help="record a perf profile of one extra throughput run")
    parser.add_argument("--only", default="warm,throughput,cold,memory")
    options = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    Path(options.out).mkdir(parents=True, exist_ok=True)
    only = set(options.only.split(","))
    bench = Bench(options)
    try:
        bench.start()
        if "warm" in only:
            bench.warm()
        if "throughput" in only:
            bench.throughput()
        if "memory" in only:
            bench.memory()
        if "cold" in only:
            bench.cold()
    finally:
        bench.stop()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = Path(options.out)
    (out / f"{stamp}.json").write_text(json.dumps(bench.results, indent=2))
    text = markdown(bench.results)
    (out / f"{stamp}.md").write_text(text)
    print(text)
    log(f"results: {out / (stamp + '.json')} and {out / (stamp + '.md')}")


if __name__ == "__main__":
    main()
