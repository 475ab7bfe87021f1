#!/usr/bin/env python3
"""Lambent's benchmarks: warm invoke latency, warm throughput, cold start, memory, the
concurrency benchmarks (throughput with 1/4/16 environments, bursts of cold invocations,
density), and issue 3's sandbox benchmarks:

- `--only sandbox`: the cold start with the full sandbox (`--sandbox namespaces`: bwrap,
  seccomp, cgroups) against the same cold start with `--sandbox process` (no isolation), on two
  extra servers, alternating between them (A B, B A, ...), `--sandbox-n` cold starts each of the
  same function code, payload and MemorySize (`--sandbox-memory`, 2,048 MB: more than a vCPU).
  Cold starts are forced as `cold` does: a new function, its first invoke, delete; the next
  sample waits until the server has no process or cgroup left. p50/p90/p99 of the client's
  latency and of REPORT's Init Duration for both, and the differences and ratios.
- `--only teardown`: `--teardown-cycles` (1,000) create/destroy cycles on an extra server
  (`--sandbox namespaces`): each a cold invoke, then UpdateFunctionConfiguration (a new variable
  value retires the idle environment of the old revision at once) while a thread polls /proc
  for the environment's processes and its cgroup directories. Teardown times; zombies left to
  the host's init; before/after the cycles: processes under the server and in its cgroups,
  cgroup directories (environments' apart from the launcher pool's parked `launcher-<n>` ones),
  parked launchers, mountinfo lines, the disk-backed /tmp volumes (mounts under `<data>/tmp/`,
  loop devices backed by files there, as `losetup -a` lists them, entries of the directory), the
  server's fds, threads and RSS, diagnostics files; per role, when each process of the environment
  (outer and inner bwrap, agent, runtime, network helper) exited.

Run through bench/run.sh, which builds the release binaries first. This script starts
its own `lambent serve` (temporary data dir, fixed credentials, loopback only) and the
hello-world Hummingbird baseline, measures, stops both, and writes
bench/results/<stamp>.json and .md. Every load run is bounded in time (--duration).

    python3 bench/lambent_bench.py --bin .build-release/release [--runs 3] [--duration 10]
    python3 bench/lambent_bench.py --bin .build-release/release --only sandbox,teardown

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
import threading
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
# The burst, density and scaling benchmarks' handler: echoes the event, unless the event asks it to
# sleep; then it returns its environment's id (drawn once per environment, at import), the wall
# time the handler module was imported (the environment's init) and the time the invocation
# reached the handler (bwrap does not unshare time, so these compare with the client's clock).
SLEEP_SOURCE = """import time, uuid
ENV_ID = uuid.uuid4().hex
LOADED = time.time()

def handler(event, context):
    start = time.time()
    if isinstance(event, dict) and event.get("sleep") is not None:
        time.sleep(float(event["sleep"]))
        return {"env": ENV_ID, "loaded": LOADED, "start": start}
    return event
"""
CLK_TCK = os.sysconf("SC_CLK_TCK")
# MemorySize of the warm-latency and throughput functions: above 1,769 MB a function gets a
# whole vCPU, so its CPU quota (Lambda's, enforced by cgroups) does not throttle the load.
WARM_MEMORY = 2048


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
        process.wait(timeout=120)  # the server retires every environment first (up to 1,000 in the density run)
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


def is_parked_launcher(argv: list[str]) -> bool:
    """A launcher of the server's launcher pool (`lambent-agent --park …`), parked in a fresh
    cgroup (`launcher-<n>`) ahead of demand: not an environment (yet)."""
    return "--park" in argv[1:3]


def is_network_helper(argv: list[str]) -> bool:
    """An environment's network helper (default network mode): `/bin/sh -c <script> lambent-network
    <outer bwrap pid> …`, which becomes `slirp4netns … /proc/<namespace pid>/ns/net tap0`."""
    return (argv[:1] and argv[0].endswith("slirp4netns")) or "lambent-network" in argv[2:4]


def parked_launchers(server_pid: int) -> list[int]:
    return [p for p in children_map().get(server_pid, []) if is_parked_launcher(cmdline(p))]


def sandbox_processes(server_pid: int) -> list[dict]:
    """One entry per live environment: its bwrap, agent and runtime pids, and its network helper
    (slirp4netns; a child of the server, not of bwrap) if any."""
    environments = []
    tree = children_map()
    helpers = {}
    for child in tree.get(server_pid, []):
        argv = cmdline(child)
        if is_network_helper(argv):
            if "lambent-network" in argv[2:4] and len(argv) > 4:
                helpers[("outer", argv[argv.index("lambent-network") + 1])] = child
            for arg in argv:
                match = re.fullmatch(r"/proc/(\d+)/ns/net", arg)
                if match:
                    helpers[("ns", match.group(1))] = child
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
        helper = helpers.get(("outer", str(outer))) or next((helpers[("ns", str(p))] for p in pids if ("ns", str(p)) in helpers), None)
        environments.append({"bwrap": [p for p in pids if p not in (agent, python)], "agent": agent, "python": python,
                             "helpers": [helper] if helper else [],
                             "argv0": {p: (argvs[p][:1] or ["?"])[0] for p in pids}})
    return environments


def environment_pids(env: dict) -> list[int]:
    """Every process of one environment: bwrap (outer and the namespace's init), agent, runtime, network helper."""
    return env["bwrap"] + [p for p in (env["agent"], env["python"]) if p is not None] + env.get("helpers", [])


def process_identity(pid: int) -> tuple[int, int] | None:
    """(pid, start time in clock ticks): tells a process from a later one that reuses its pid."""
    try:
        return pid, int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def process_state(identity: tuple[int, int]) -> str:
    """One of alive, zombie (exited, not yet reaped by its parent) or gone (no /proc entry)."""
    pid, started = identity
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return "gone"
    if int(fields[19]) != started:
        return "gone"
    return "zombie" if fields[0] in ("Z", "X") else "alive"


CGROUP_BASE = Path("/sys/fs/cgroup")


def cgroup_roots(server_pid: int) -> dict[str, Path]:
    """The server's own group in each hierarchy, as Sources/LambentExecution/Sandbox/Cgroups.swift
    lays them out: v2 `/sys/fs/cgroup/lambent/s<pid>/`, v1 `/sys/fs/cgroup/{memory,cpu,pids}/lambent/s<pid>/`;
    one directory per environment below."""
    if (CGROUP_BASE / "cgroup.controllers").exists():
        return {"unified": CGROUP_BASE / "lambent" / f"s{server_pid}"}
    return {controller: CGROUP_BASE / controller / "lambent" / f"s{server_pid}" for controller in ("memory", "cpu", "pids")}


def cgroup_groups(server_pid: int) -> dict[str, list[str] | None]:
    """Environment cgroup directories of a server by hierarchy (None: the server's group does not exist)."""
    found: dict[str, list[str] | None] = {}
    for hierarchy, root in cgroup_roots(server_pid).items():
        try:
            found[hierarchy] = sorted(e.name for e in os.scandir(root) if e.is_dir(follow_symlinks=False))
        except OSError:
            found[hierarchy] = None
    return found


def environment_groups(server_pid: int) -> dict[str, list[str] | None]:
    """`cgroup_groups` without the launcher pool's parked groups (`launcher-<n>`)."""
    return {h: (None if names is None else [n for n in names if not n.startswith("launcher-")])
            for h, names in cgroup_groups(server_pid).items()}


def tmp_volumes(data_dir: Path, pid: int | str = "self") -> dict:
    """The disk-backed /tmp volumes of a server whose data dir is `data_dir`: mounts at or below
    `<data>/tmp/` in /proc/<pid>/mountinfo, loop devices whose backing file lies there
    (/sys/block/loop*/loop/backing_file, what `losetup -a` lists), and the entries of the directory
    (images `<n>.img` and mount points `<n>`). Also every loop device on the machine."""
    directory = str(Path(os.path.realpath(data_dir)) / "tmp")
    try:
        lines = Path(f"/proc/{pid}/mountinfo").read_text().splitlines()
    except OSError:
        lines = []
    mounts = [line.split()[4] for line in lines if len(line.split()) > 4
              and (line.split()[4] == directory or line.split()[4].startswith(directory + "/"))]
    loops, all_loops = [], []
    for device in sorted(Path("/sys/block").glob("loop*")):
        try:
            backing = (device / "loop" / "backing_file").read_text().strip()
        except OSError:
            continue  # not attached
        all_loops.append({"device": device.name, "backing_file": backing})
        if backing.startswith(directory + "/"):
            loops.append({"device": device.name, "backing_file": backing})
    try:
        entries = sorted(os.listdir(directory))
    except OSError:
        entries = []
    return {"directory": directory, "mounts": len(mounts), "mount_points": mounts, "loop_devices": len(loops),
            "loops": loops, "all_loop_devices": len(all_loops), "entries": len(entries),
            "images": len([e for e in entries if e.endswith(".img")]), "names": entries[:50]}


def processes_in_cgroups_of(server_pid: int) -> list[int]:
    """Every process on the machine whose cgroup lies under the server's group (whoever its parent is)."""
    needle = f"/lambent/s{server_pid}/"
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if needle in Path(f"/proc/{entry}/cgroup").read_text():
                found.append(int(entry))
        except OSError:
            continue
    return found


def mount_lines(pid: int | str, needles: list[str]) -> dict:
    """Line count of /proc/<pid>/mountinfo and the lines that mention any of `needles`."""
    try:
        lines = Path(f"/proc/{pid}/mountinfo").read_text().splitlines()
    except OSError:
        return {"lines": None, "matching": []}
    return {"lines": len(lines), "matching": [line for line in lines if any(n in line for n in needles)]}


def fd_kinds(pid: int) -> dict:
    """The open descriptors of a process by kind (socket, pipe, anon_inode:[eventpoll], file ...)."""
    kinds: dict[str, int] = {}
    files = []
    try:
        entries = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return {"count": None, "kinds": {}, "files": []}
    for fd in entries:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        kind = target.split(":", 1)[0] if target.startswith(("socket:", "pipe:")) else target if target.startswith("anon_inode:") else "file"
        kinds[kind] = kinds.get(kind, 0) + 1
        if kind == "file":
            files.append(target)
    return {"count": sum(kinds.values()), "kinds": dict(sorted(kinds.items())), "files": sorted(files)}


def stats_ms(values: list[float]) -> dict:
    """Nearest-rank p50/p90/p99 (for N ≤ 100, p99 is the maximum), mean, min, max."""
    if not values:
        return {"n": 0}
    return {"n": len(values), "p50": percentile(values, 50), "p90": percentile(values, 90), "p99": percentile(values, 99),
            "mean": statistics.fmean(values), "min": min(values), "max": max(values)}


def comm_of(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "?"


def parent_of(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


class TeardownWatch(threading.Thread):
    """Polls one environment's processes and cgroup directories (every ~0.5 ms) from before the
    server is asked to retire it, and notes when every process has exited (dead, zombie or
    not), when the server has reaped its own child (the outer bwrap), and when every cgroup
    directory is gone. Processes still zombies then are left to `ZombieTracker`."""

    def __init__(self, identities: list[tuple[int, int]], outer: tuple[int, int] | None, group_dirs: list[Path], timeout: float):
        super().__init__(daemon=True)
        self.identities, self.outer, self.group_dirs, self.timeout = identities, outer, group_dirs, timeout
        self.exited = self.outer_reaped = self.cgroups_removed = None
        self.exited_each: list[float | None] = [None] * len(identities)  # when each process was first seen not alive
        self.polls = 0

    def run(self) -> None:
        deadline = time.perf_counter() + self.timeout
        while True:
            states = [process_state(identity) for identity in self.identities]
            outer_gone = self.outer is None or process_state(self.outer) == "gone"
            groups_left = any(d.is_dir() for d in self.group_dirs)
            now = time.perf_counter()
            self.polls += 1
            for i, state in enumerate(states):
                if self.exited_each[i] is None and state != "alive":
                    self.exited_each[i] = now
            if self.exited is None and all(state != "alive" for state in states):
                self.exited = now
            if self.outer_reaped is None and outer_gone:
                self.outer_reaped = now
            if self.cgroups_removed is None and not groups_left:
                self.cgroups_removed = now
            if (self.exited and self.outer_reaped and self.cgroups_removed) or now > deadline:
                return
            time.sleep(0.0005)


class ZombieTracker:
    """Follows the zombies environments leave after the server is done with them (processes
    whose parent died first, so that they were re-parented to the host's init or a subreaper)
    until someone reaps them, every 5 ms; records when and who their parent was."""

    def __init__(self):
        self.pending: list[dict] = []
        self.done: list[dict] = []
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def add(self, identity: tuple[int, int], since: float, cycle: int) -> None:
        with self.lock:
            self.pending.append({"identity": identity, "since": since, "cycle": cycle,
                                 "parent": parent_of(identity[0]), "comm": comm_of(identity[0])})

    def _run(self) -> None:
        while not self._stop.wait(0.005):
            with self.lock:
                pending = list(self.pending)
            finished = []
            for item in pending:
                if process_state(item["identity"]) == "gone":
                    item["reaped_ms"] = (time.perf_counter() - item["since"]) * 1000
                    finished.append(item)
                else:
                    item["parent"] = parent_of(item["identity"][0]) or item["parent"]
            with self.lock:
                for item in finished:
                    self.pending.remove(item)
                    self.done.append(item)

    def stop(self) -> list[dict]:
        """Stops tracking; returns the zombies still present."""
        self._stop.set()
        self.thread.join(5)
        return [item for item in self.pending if process_state(item["identity"]) != "gone"]


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


def signed_request(endpoint: str, method: str, path: str, body: bytes) -> dict:
    """Headers of any SigV4-signed Lambda API request with a JSON body."""
    request = AWSRequest(method=method, url=endpoint + path, data=body, headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "lambda", REGION).add_auth(request)
    signed = {key: value for key, value in request.headers.items()}
    signed["Host"] = endpoint.split("//", 1)[1]
    return signed


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
        self.extra_servers: list[dict] = []
        self.port = free_port()
        self.hello_port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.results: dict = {"machine": machine(), "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                              "settings": {"runs": options.runs, "duration_s": options.duration, "cold_n": options.cold,
                                           "concurrency_limit": options.concurrency_limit, "idle_timeout": options.idle_timeout,
                                           "sandbox_n": options.sandbox_n, "sandbox_memory_mb": options.sandbox_memory,
                                           "teardown_cycles": options.teardown_cycles}}

    # -- setup ----------------------------------------------------------------

    def start(self) -> None:
        self.runtimes.mkdir(parents=True, exist_ok=True)
        log(f"starting lambent serve on {self.endpoint} (data {self.work / 'data'})")
        self.server = self.launch_server(self.work, self.port)
        self.hello = subprocess.Popen([str(self.bin / "lambent-bench-hello"), str(self.hello_port)],
                                      stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                      stderr=open(self.work / "hello.err", "wb"), start_new_session=True)
        wait_http(f"http://127.0.0.1:{self.hello_port}/", self.hello)
        self.client = self.client_for(self.port)
        self.zip = make_zip({"app.py": ECHO_SOURCE})
        self.sleep_zip = make_zip({"app.py": SLEEP_SOURCE})
        self.server_at_start = server_snapshot(self.server.pid, 5.0)  # 0 environments

    def launch_server(self, directory: Path, port: int, extra: list[str] | None = None) -> subprocess.Popen:
        """Starts `lambent serve` on `port` with its data dir, stdout and stderr in `directory`, and
        waits until it answers."""
        env = dict(os.environ, LAMBENT_ACCESS_KEY_ID=ACCESS_KEY, LAMBENT_SECRET_ACCESS_KEY=SECRET_KEY)
        directory.mkdir(parents=True, exist_ok=True)
        # Started through a symlink so that its name (comm, argv[0]) is not "lambent": during the
        # 2026-11-23 runs something else on the machine ran `pkill` on processes named lambent
        # (every `lambent serve` on the machine got its SIGTERM, ours included). /proc/self/exe
        # still resolves to the real binary, so lambent-agent is found next to it.
        server_link = directory / "bench-server"
        server_link.symlink_to((self.bin / "lambent").resolve())
        process = subprocess.Popen(
            [str(server_link), "serve", "--host", "127.0.0.1", "--port", str(port),
             "--data-dir", str(directory / "data"), "--runtimes-dir", str(self.runtimes), "--log-level", "warning",
             "--concurrency-limit", str(self.options.concurrency_limit),
             "--idle-timeout", self.options.idle_timeout, *(extra or [])],
            stdin=subprocess.DEVNULL, stdout=open(directory / "server.out", "wb"), stderr=open(directory / "server.err", "wb"),
            env=env, start_new_session=True)
        try:
            wait_http(f"http://127.0.0.1:{port}/lambent/v1/health", process)
        except BaseException:
            stop(process)
            raise
        return process

    def client_for(self, port: int):
        return boto3.client(
            "lambda", endpoint_url=f"http://127.0.0.1:{port}", region_name=REGION, aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY, config=Config(retries={"max_attempts": 0}, read_timeout=600))

    def stop(self) -> None:
        self.stop_extra_servers()
        stop(self.hello)
        stop(self.server)
        if self.server is not None:
            self.results["server_exit_status"] = self.server.returncode
        for name in ("server.err", "server.out"):
            if (self.work / name).exists():  # kept for diagnosis; the data dir is not
                shutil.copy(self.work / name, Path(self.options.out) / f"last-{name}")
        shutil.rmtree(self.work, ignore_errors=True)

    def create(self, name: str, code: bytes | None = None, timeout: int = 30, memory: int = 1024, client=None) -> None:
        if self.server.poll() is not None:
            raise SystemExit(f"the server exited ({self.server.returncode}); see bench/results/last-server.err")
        client = client or self.client
        client.create_function(FunctionName=name, Runtime=RUNTIME, Role=ROLE, Handler="app.handler",
                               Code={"ZipFile": code or self.zip}, MemorySize=memory, Timeout=timeout)
        client.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 300})

    def invoke_raw(self, function: str, log_tail: bool = False, port: int | None = None) -> tuple[float, int, bytes, dict]:
        port = port or self.port
        path, headers = signed_invoke(f"http://127.0.0.1:{port}", function, EVENT, log_tail)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
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
        # A full vCPU (1,769 MB or more): the figures measure Lambent, not the function's CPU share.
        self.create("bench-echo", memory=WARM_MEMORY)
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
        self.create("bench-echo4", memory=WARM_MEMORY)
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
            helpers = [memory_of(p) for p in env.get("helpers", [])]
            environments.append({
                "agent": agent, "python": python,
                "agent_plus_python": {k: agent[k] + python[k] for k in agent},
                "all_sandbox_processes": {k: agent[k] + python[k] + sum(b[k] for b in bwraps) for k in agent},
                "network_helper": {k: sum(h[k] for h in helpers) for k in agent},
                "with_network_helper": {k: agent[k] + python[k] + sum(b[k] for b in bwraps + helpers) for k in agent},
                "bwrap_processes": len(bwraps), "network_helpers": len(helpers),
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
            "network_helper_rss_mb": med(("network_helper", "rss_kb")), "network_helper_pss_mb": med(("network_helper", "pss_kb")),
            "network_helper_uss_mb": med(("network_helper", "uss_kb")),
            "with_network_helper_pss_mb": med(("with_network_helper", "pss_kb")),
            "server_rss_mb": memory_of(self.server.pid)["rss_kb"] / 1024,
            "environments": environments,
        }

    # -- concurrency: scaling, burst, density -----------------------------------

    def environment_count(self) -> int:
        """Live sandboxes (outer bwrap processes) under the server, in any state."""
        return len(self.environments())

    def delete_and_wait(self, names: list[str], target: int, timeout: float = 120) -> dict:
        """Deletes the functions (which retires their environments) and waits until only `target`
        environments are left and every process of the others is gone (no zombies either);
        returns how long that took (scale down after a delete)."""
        started = time.monotonic()
        for name in names:
            self.client.delete_function(FunctionName=name)
        while True:
            count = self.environment_count()
            launchers = set(parked_launchers(self.server.pid))
            processes = len([p for p in descendants(self.server.pid) if p not in launchers])
            elapsed = time.monotonic() - started
            if (count <= target and processes <= 5 * target) or elapsed > timeout:
                return {"environments_left": count, "processes_left": processes, "seconds": elapsed}
            time.sleep(0.05)

    def signed(self, function: str, body: bytes) -> tuple[str, dict]:
        return signed_invoke(self.endpoint, function, body)

    def scaling(self) -> None:
        """Warm throughput with 1, 4 and 16 connections, each after warming exactly that many environments."""
        options = self.options
        hello_url = f"http://127.0.0.1:{self.hello_port}/"
        hello_script = wrk_script(self.work, "hello")
        levels = [int(x) for x in options.scaling.split(",")]
        base = self.environment_count()
        out: dict = {}
        for n in levels:
            name = f"bench-scale-{n}"
            self.create(name, self.sleep_zip)
            # n simultaneous first invokes that sleep 2 s: each needs its own environment.
            warm_body = b'{"sleep": 2}'
            path, headers = self.signed(name, warm_body)
            warm = burst_figures(concurrent_invokes(self.port, path, headers, warm_body, n, 60), 2.0)
            environments = self.environment_count() - base
            runs, runs_hello, server_cpu = [], [], []
            for run in range(options.runs):
                runs_hello.append(run_wrk(hello_url, hello_script, n, options.duration, [self.hello.pid]))
                path, headers = self.signed(name, EVENT)
                script = wrk_script(self.work, f"scale-{n}-{run}", "POST", EVENT, headers)
                before = cpu_seconds([self.server.pid])
                runs.append(run_wrk(self.endpoint + path, script, n, options.duration, self.server_tree()))
                server_cpu.append(100 * (cpu_seconds([self.server.pid]) - before) / (runs[-1]["duration_us"] / 1e6))
                log(f"scaling c{n} run {run + 1}: {runs[-1]['rps']:.0f} invokes/s (hello c{n}: {runs_hello[-1]['rps']:.0f}/s), "
                    f"p50 {runs[-1]['latency_us']['p50']} us p99 {runs[-1]['latency_us']['p99']} us, "
                    f"errors {runs[-1]['non_2xx_or_socket_errors']}, cpu server {server_cpu[-1]:.0f}% "
                    f"tree {runs[-1]['cpu_percent']['server_tree']:.0f}%")
            after = self.environment_count() - base
            out[str(n)] = {"invoke": summarize(runs), "hello": summarize(runs_hello),
                           "server_cpu_percent": statistics.median(server_cpu),
                           "warm_distinct_environments": warm["distinct_environments"], "warm_failed": warm["failed"],
                           "environments_before": environments, "environments_after": after,
                           "server_threads": proc_status(self.server.pid, "Threads"),
                           "runs": {"invoke": runs, "hello": runs_hello, "server_cpu_percent": server_cpu}}
            self.delete_and_wait([name], base)
        one = out[str(levels[0])]["invoke"]["rps"]
        for n in levels:
            entry = out[str(n)]
            entry["speedup_vs_first"] = entry["invoke"]["rps"] / one
        self.results["scaling"] = out

    def burst_sleep(self, n: int) -> float:
        for item in self.options.burst_sleep.split(","):
            size, _, seconds = item.partition("=")
            if int(size) == n:
                return float(seconds)
        return float(self.options.burst_sleep.split(",")[-1].partition("=")[2])

    def burst(self) -> None:
        """N simultaneous invocations of a new (cold) function whose handler sleeps: N environments."""
        options = self.options
        sizes = [int(x) for x in options.burst.split(",")]
        base = self.environment_count()
        singles: list[dict] = []
        rounds: dict[str, list[dict]] = {str(n): [] for n in sizes}
        for run in range(options.runs):
            # Baseline, same run: the cold start of a single environment of the same code.
            for i in range(3):
                name = f"bench-single-{run}-{i}"
                self.create(name, self.sleep_zip)
                body = b'{"sleep": 0}'
                path, headers = self.signed(name, body)
                single = burst_figures(concurrent_invokes(self.port, path, headers, body, 1, 60), 0.0)
                singles.append(single)
                self.delete_and_wait([name], base)
            for n in sizes:
                sleep = self.burst_sleep(n)
                available_gb = meminfo()["MemAvailable"] / 1024 / 1024
                if available_gb < 3 + n * 0.012:  # 8 MB per idle environment measured (density), with margin
                    log(f"burst {n}: skipped, only {available_gb:.1f} GB available")
                    rounds[str(n)].append({"skipped": f"MemAvailable {available_gb:.1f} GB"})
                    continue
                name = f"bench-burst-{n}-{run}"
                self.create(name, self.sleep_zip, timeout=int(sleep) + 120)
                body = json.dumps({"sleep": sleep}).encode()
                path, headers = self.signed(name, body)
                metrics_before = metric_totals(self.endpoint)
                sampler = Sampler(self.server.pid)
                outcome = concurrent_invokes(self.port, path, headers, body, n, sleep + 180)
                sampler.stop()
                metrics_after = metric_totals(self.endpoint)
                figures = burst_figures(outcome, sleep)
                figures["sleep_s"] = sleep
                figures["metrics_delta"] = {key.replace("lambent_", ""): metrics_after.get(key, 0) - metrics_before.get(key, 0)
                                            for key in ("lambent_cold_starts_total", "lambent_throttles_total",
                                                        "lambent_init_errors_total", "lambent_errors_total",
                                                        "lambent_invocations_total")}
                figures["peak"] = sampler.figures()
                figures["teardown"] = self.delete_and_wait([name], base)
                rounds[str(n)].append(figures)
                log(f"burst {n} run {run + 1}: ok {figures['ok']}/{n}, environments {figures['distinct_environments']}, "
                    f"all started {figures['all_started_s']:.2f} s (first {figures['first_started_s']:.2f} s, "
                    f"send spread {figures['send_spread_s']:.2f} s), all returned {figures['all_returned_s']:.2f} s "
                    f"(− sleep {sleep:.0f} s = {figures['all_returned_minus_sleep_s']:.2f} s), "
                    f"{(figures['cold_starts_per_s'] or 0):.0f} cold starts/s; single cold start "
                    f"{statistics.median(x['all_returned_s'] for x in singles[-3:]) * 1000:.0f} ms; "
                    f"metrics {figures['metrics_delta']}; peak server threads {figures['peak']['max_threads']}, "
                    f"min MemAvailable {figures['peak']['min_mem_available_gb']:.1f} GB; teardown "
                    f"{figures['teardown']['seconds']:.1f} s; failures {figures['failure_statuses']}")
        single_ms = statistics.median(x["all_returned_s"] for x in singles) * 1000
        single_to_handler_ms = statistics.median(x["all_started_s"] for x in singles) * 1000
        summary = {"single_cold_start_ms": single_to_handler_ms, "single_first_invoke_ms": single_ms}
        for n in sizes:
            done = [r for r in rounds[str(n)] if "skipped" not in r]
            if not done:
                continue
            def med(key):
                values = [r[key] for r in done if r.get(key) is not None]
                return statistics.median(values) if values else None
            all_started = med("all_started_s")
            summary[str(n)] = {
                "rounds": len(done), "all_started_s": all_started, "all_returned_s": med("all_returned_s"),
                "all_returned_minus_sleep_s": med("all_returned_minus_sleep_s"), "first_started_s": med("first_started_s"),
                "started_p50_s": med("started_p50_s"), "send_spread_s": med("send_spread_s"),
                "cold_starts_per_s": med("cold_starts_per_s"),
                "all_started_vs_single": (all_started * 1000 / single_to_handler_ms) if all_started else None,
                "serial_estimate_s": n * single_to_handler_ms / 1000,
                "distinct_environments": [r["distinct_environments"] for r in done],
                "failed": [r["failed"] for r in done],
                "cold_starts_metric": [r["metrics_delta"]["cold_starts_total"] for r in done],
                "throttles_metric": [r["metrics_delta"]["throttles_total"] for r in done],
                "max_server_threads": max(r["peak"]["max_threads"] or 0 for r in done),
                "teardown_s": med_of([r["teardown"]["seconds"] for r in done]),
                "sleep_s": done[0]["sleep_s"],
            }
        self.results["burst"] = {"summary": summary, "singles": singles, "rounds": rounds}

    def sandbox_pids(self) -> list[int]:
        pids = []
        for env in self.environments():
            pids += environment_pids(env)
        return pids

    def density(self) -> None:
        """Fills the server with idle warm environments in batches, up to --density (or until memory
        gets tight), and measures their memory and the idle server's threads, RSS and CPU."""
        options = self.options
        target, batch, reserve_kb = options.density, options.density_batch, options.density_reserve_gb * 1024 * 1024
        sleep = self.burst_sleep(batch)
        base = self.environment_count()
        mem0 = meminfo()
        server0 = server_snapshot(self.server.pid, 5.0)
        names, steps, stopped = [], [], None
        count = 0
        started = time.monotonic()
        while count < target:
            info = meminfo()
            per_env_kb = (mem0["MemAvailable"] - info["MemAvailable"]) / count if count else 40 * 1024
            want = min(batch, target - count)
            if info["MemAvailable"] - want * per_env_kb * 1.25 < reserve_kb:
                stopped = f"memory: MemAvailable {info['MemAvailable'] / 1048576:.1f} GB, next batch ≈ {want * per_env_kb / 1048576:.1f} GB"
                log(f"density: stopping at {count} environments ({stopped})")
                break
            name = f"bench-density-{len(names)}"
            self.create(name, self.sleep_zip, timeout=int(sleep) + 120)
            names.append(name)
            body = json.dumps({"sleep": sleep}).encode()
            path, headers = self.signed(name, body)
            figures = burst_figures(concurrent_invokes(self.port, path, headers, body, want, sleep + 180), sleep)
            time.sleep(1.0)
            count = self.environment_count() - base
            info = meminfo()
            steps.append({"environments": count, "mem_available_kb": info["MemAvailable"], "ok": figures["ok"],
                          "failed": figures["failed"], "distinct_environments": figures["distinct_environments"],
                          "all_started_s": figures["all_started_s"], "server_threads": proc_status(self.server.pid, "Threads"),
                          "server_rss_kb": proc_status(self.server.pid, "VmRSS")})
            log(f"density: {count} environments (batch ok {figures['ok']}/{want}, started in {(figures['all_started_s'] or 0):.1f} s), "
                f"MemAvailable {info['MemAvailable'] / 1048576:.1f} GB, server threads {steps[-1]['server_threads']}")
        fill_s = time.monotonic() - started
        time.sleep(5.0)  # let every environment settle back to idle
        mem1 = meminfo()
        totals = {"rss_kb": 0, "pss_kb": 0, "uss_kb": 0}
        agents = pythons = 0
        environments = [e for e in self.environments() if e["agent"] is not None]
        per_env_pss = []
        helper_totals = {"rss_kb": 0, "pss_kb": 0, "uss_kb": 0}
        helper_count = 0
        for env in environments:
            pids = environment_pids(env)
            env_total = {"rss_kb": 0, "pss_kb": 0, "uss_kb": 0}
            for helper in env.get("helpers", []):
                helper_count += 1
                for key, value in memory_of(helper).items():
                    helper_totals[key] += value
            for pid in pids:
                memory = memory_of(pid)
                for key in totals:
                    totals[key] += memory[key]
                    env_total[key] += memory[key]
            per_env_pss.append(env_total["pss_kb"])
            agents += 1
            pythons += env["python"] is not None
        sandbox_pids = self.sandbox_pids()
        sandbox_cpu_before = cpu_seconds(sandbox_pids)
        server1 = server_snapshot(self.server.pid, options.idle_window)
        sandbox_cpu = cpu_seconds(sandbox_pids) - sandbox_cpu_before
        n = len(environments)
        delta = {key: mem0[key] - mem1[key] if key == "MemAvailable" else mem1[key] - mem0[key]
                 for key in ("MemAvailable", "Shmem", "Slab", "SUnreclaim", "KernelStack", "PageTables", "AnonPages")}
        gib8 = 8 * 1024 * 1024
        teardown = self.delete_and_wait(names, base, timeout=300)
        server2 = server_snapshot(self.server.pid, 5.0)
        result = {
            "target": target, "reached": count, "stopped": stopped, "fill_seconds": fill_s, "batch": batch, "sleep_s": sleep,
            "environments_measured": n, "with_python": pythons,
            "sandbox_total_mb": {key: value / 1024 for key, value in totals.items()},
            "per_environment_mb": {key: value / 1024 / n for key, value in totals.items()} if n else None,
            "per_environment_pss_median_mb": statistics.median(per_env_pss) / 1024 if per_env_pss else None,
            "network_helpers": helper_count,
            "network_helper_per_environment_mb": {key: value / 1024 / n for key, value in helper_totals.items()} if n else None,
            "tmp_volumes_full": tmp_volumes(self.work / "data"),
            "meminfo_delta_mb": {key: value / 1024 for key, value in delta.items()},
            "mem_available_per_environment_mb": delta["MemAvailable"] / 1024 / count if count else None,
            "fit_in_8gib_by_pss": int(gib8 / (totals["pss_kb"] / n)) if n else None,
            "fit_in_8gib_by_mem_available": int(gib8 / (delta["MemAvailable"] / count)) if count else None,
            "server_before": server0, "server_full": server1, "server_after_teardown": server2,
            "server_at_start": self.server_at_start,
            "sandbox_cpu_percent_idle": 100 * sandbox_cpu / server1["window_s"],
            "teardown": teardown, "steps": steps,
        }
        self.results["density"] = result
        log(f"density: {n} environments, PSS {result['per_environment_mb']['pss_kb'] if n else 0:.1f} MB each, "
            f"MemAvailable −{result['mem_available_per_environment_mb'] or 0:.1f} MB each; server threads "
            f"{server0['threads']} → {server1['threads']}, RSS {server0['rss_mb']:.0f} → {server1['rss_mb']:.0f} MB, "
            f"idle CPU {server1['cpu_percent']:.2f}%, sandboxes idle CPU {result['sandbox_cpu_percent_idle']:.2f}%; "
            f"teardown {teardown['seconds']:.1f} s")


    # -- issue 3: sandbox cost and teardown -------------------------------------

    def start_extra_server(self, label: str, extra: list[str]) -> dict:
        """One more server of its own (data dir, port, log files), stopped by `stop_extra_servers`."""
        port = free_port()
        log(f"starting a second lambent serve ({label}: {' '.join(extra)}) on 127.0.0.1:{port}")
        process = self.launch_server(self.work / f"server-{label}", port, extra)
        server = {"label": label, "port": port, "endpoint": f"http://127.0.0.1:{port}", "process": process,
                  "pid": process.pid, "client": self.client_for(port), "directory": self.work / f"server-{label}"}
        self.extra_servers.append(server)
        return server

    def stop_extra_servers(self) -> None:
        while self.extra_servers:
            server = self.extra_servers.pop()
            stop(server["process"])
            if (server["directory"] / "server.err").exists():
                shutil.copy(server["directory"] / "server.err", Path(self.options.out) / f"last-server-{server['label']}.err")

    def alive(self, server: dict) -> None:
        if server["process"].poll() is not None:
            raise SystemExit(f"the {server['label']} server exited ({server['process'].returncode}); "
                             f"see bench/results/last-server-{server['label']}.err")

    def wait_quiet(self, pid: int, timeout: float = 10.0) -> float:
        """Waits until a server has no child process and no environment cgroup left (parked
        launchers and their groups aside); returns the wait in ms."""
        started = time.perf_counter()
        while time.perf_counter() - started < timeout:
            launchers = set(parked_launchers(pid))
            if not [p for p in descendants(pid) if p not in launchers] and not any(environment_groups(pid).values()):
                break
            time.sleep(0.002)
        return (time.perf_counter() - started) * 1000

    def cold_sample(self, server: dict, name: str, inspect: bool = False) -> dict:
        """One cold start as the `cold` benchmark forces it: a new function, its first invoke (timed
        at the client, REPORT's Init Duration from the log tail), delete, then wait until the
        environment is gone so that the next sample starts on a quiet server."""
        self.alive(server)
        self.create(name, memory=self.options.sandbox_memory, client=server["client"])
        elapsed, status, body, headers = self.invoke_raw(name, log_tail=True, port=server["port"])
        if status != 200 or json.loads(body) != json.loads(EVENT):
            raise SystemExit(f"cold invoke on the {server['label']} server failed: {status} {body[:300]!r}")
        tail = base64.b64decode(headers.get("X-Amz-Log-Result", headers.get("x-amz-log-result", "")) or b"").decode()
        match = re.search(r"Init Duration: ([0-9.]+) ms", tail)
        sample = {"first_invoke_ms": elapsed, "init_duration_ms": float(match.group(1)) if match else None}
        if inspect:
            sample["inspect"] = self.inspect_environment(server["pid"])
        server["client"].delete_function(FunctionName=name)
        sample["quiet_after_delete_ms"] = self.wait_quiet(server["pid"])
        return sample

    def inspect_environment(self, pid: int) -> dict:
        """What a server runs an environment in: its processes, and its cgroups with their limits."""
        children = [{"pid": p, "argv0": (cmdline(p)[:1] or ["?"])[0]} for p in descendants(pid)]
        groups = environment_groups(pid)
        limits = {}
        for hierarchy, names in groups.items():
            for name in names or []:
                directory = cgroup_roots(pid)[hierarchy] / name
                for file in ("memory.limit_in_bytes", "memory.max", "cpu.cfs_quota_us", "cpu.max", "pids.max"):
                    if (directory / file).exists():
                        limits[f"{hierarchy}/{file}"] = (directory / file).read_text().strip()
        return {"processes": children, "bwrap_sandboxes": len(sandbox_processes(pid)), "cgroups": groups, "limits": limits,
                "parked_launchers": len(parked_launchers(pid)), "all_cgroups": cgroup_groups(pid)}

    def sandbox(self) -> None:
        """Issue 3: the cold start with the full sandbox (bubblewrap namespaces, seccomp, cgroups)
        against the same cold start with `--sandbox process` (no isolation). Two servers, one per
        driver, measured in alternation (A B, B A, ...), same function code, payload and MemorySize."""
        options = self.options
        servers = [self.start_extra_server("namespaces", ["--sandbox", "namespaces"]),
                   self.start_extra_server("process", ["--sandbox", "process"])]
        try:
            checks = {}
            for server in servers:  # 2 unrecorded cold starts each: page cache, .pyc files, the servers' first use
                checks[server["label"]] = self.cold_sample(server, f"bench-sbx-warmup-{server['label']}-0", inspect=True)["inspect"]
                self.cold_sample(server, f"bench-sbx-warmup-{server['label']}-1")
                log(f"sandbox: {server['label']} server runs its environments as "
                    f"{sorted({p['argv0'] for p in checks[server['label']]['processes']})}, cgroups {checks[server['label']]['limits']}")
            if not checks["namespaces"]["bwrap_sandboxes"] or not any(checks["namespaces"]["cgroups"].values()):
                raise SystemExit(f"the namespaces server did not run a bwrap sandbox with cgroups: {checks['namespaces']}")
            if checks["process"]["bwrap_sandboxes"]:
                raise SystemExit(f"the process server ran bwrap: {checks['process']}")
            samples: dict[str, list[dict]] = {server["label"]: [] for server in servers}
            started = time.monotonic()
            for i in range(options.sandbox_n):
                for server in (servers if i % 2 == 0 else servers[::-1]):
                    samples[server["label"]].append(self.cold_sample(server, f"bench-sbx-{server['label']}-{i}"))
                if (i + 1) % 10 == 0:
                    log(f"sandbox: {i + 1}/{options.sandbox_n} pairs; first invoke p50 so far " + ", ".join(
                        f"{label} {percentile([x['first_invoke_ms'] for x in values], 50):.1f} ms" for label, values in samples.items()))
        finally:
            self.stop_extra_servers()
        summary: dict = {"memory_size_mb": options.sandbox_memory, "samples_per_driver": options.sandbox_n,
                         "seconds": time.monotonic() - started}
        for label, values in samples.items():
            firsts = [x["first_invoke_ms"] for x in values]
            inits = [x["init_duration_ms"] for x in values if x["init_duration_ms"] is not None]
            outside = [x["first_invoke_ms"] - x["init_duration_ms"] for x in values if x["init_duration_ms"] is not None]
            half = len(firsts) // 2
            summary[label] = {"first_invoke_ms": stats_ms(firsts), "init_duration_ms": stats_ms(inits),
                              "first_invoke_minus_init_ms": stats_ms(outside),
                              "first_half_p50_ms": percentile(firsts[:half], 50) if half else None,
                              "second_half_p50_ms": percentile(firsts[half:], 50) if half else None}
        ns, pr = summary["namespaces"], summary["process"]
        for key in ("first_invoke_ms", "init_duration_ms", "first_invoke_minus_init_ms"):
            summary[f"added_{key}"] = {q: ns[key][q] - pr[key][q] for q in ("p50", "p90", "p99")}
            summary[f"ratio_{key}"] = {q: ns[key][q] / pr[key][q] for q in ("p50", "p90", "p99")}
        paired = [a["first_invoke_ms"] - b["first_invoke_ms"] for a, b in zip(samples["namespaces"], samples["process"])]
        summary["paired_difference_ms"] = stats_ms(paired)
        summary["target_added_p50_ms"] = 15.0
        summary["target_met"] = summary["added_first_invoke_ms"]["p50"] <= 15.0
        self.results["sandbox_cold_start"] = {"summary": summary, "checks": checks, "samples": samples}
        log(f"sandbox: first invoke p50 namespaces {ns['first_invoke_ms']['p50']:.1f} ms, process {pr['first_invoke_ms']['p50']:.1f} ms "
            f"(+{summary['added_first_invoke_ms']['p50']:.1f} ms, {summary['ratio_first_invoke_ms']['p50']:.2f}×); Init Duration p50 "
            f"{ns['init_duration_ms']['p50']:.1f} vs {pr['init_duration_ms']['p50']:.1f} ms")

    def leak_snapshot(self, server: dict) -> dict:
        """What a server holds and leaves on the machine: child processes, processes in its cgroups,
        environment cgroups, mounts, descriptors, threads, RSS and diagnostics files."""
        pid = server["pid"]
        processes = [{"pid": p, "state": (Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split() or ["?"])[0]
                      if Path(f"/proc/{p}/stat").exists() else "gone", "argv": cmdline(p)[:3]} for p in descendants(pid)]
        groups = cgroup_groups(pid)
        needles = ["lambent", str(self.work), "nsfs", "/var/task", "/var/runtime"]
        state_dir = server["directory"] / "data" / "environments"
        files = list(state_dir.iterdir()) if state_dir.exists() else []
        fds = fd_kinds(pid)  # before the /metrics request below opens a connection
        launchers = parked_launchers(pid)
        volumes = tmp_volumes(server["directory"] / "data")
        volumes_server = tmp_volumes(server["directory"] / "data", pid)
        try:
            environments_metric = metric_totals(server["endpoint"]).get("lambent_environments")
        except OSError:
            environments_metric = None
        return {
            "processes": processes, "live_environments": len(sandbox_processes(pid)),
            "parked_launchers": len(launchers),
            "environment_cgroups": {h: (None if names is None else len(names)) for h, names in environment_groups(pid).items()},
            "tmp_volumes": volumes, "tmp_mounts_server": volumes_server["mounts"],
            "processes_in_server_cgroups": processes_in_cgroups_of(pid),
            "cgroups": {h: (None if names is None else len(names)) for h, names in groups.items()},
            "cgroup_names": groups,
            "mountinfo_self": mount_lines("self", needles), "mountinfo_server": mount_lines(pid, needles),
            "fds": fds, "threads": proc_status(pid, "Threads"),
            "rss_mb": (proc_status(pid, "VmRSS") or 0) / 1024,
            "diagnostics_files": len(files), "diagnostics_bytes": sum(f.stat().st_size for f in files if f.is_file()),
            "environments_metric": environments_metric,
        }

    def teardown(self) -> None:
        """Issue 3: environment teardown time, and what 1,000 create/destroy cycles leave behind.
        A server of its own (`--sandbox namespaces`, cgroups); each cycle cold-starts an environment
        (first invoke after a configuration change) and retires it with UpdateFunctionConfiguration
        (a new value of an environment variable: Lambent retires environments of older revisions at
        once when idle), then polls /proc until its processes have exited and been reaped and its
        cgroup directories are gone."""
        options = self.options
        server = self.start_extra_server("teardown", ["--sandbox", "namespaces"])
        pid, port, name = server["pid"], server["port"], "bench-teardown"
        path = f"/2015-03-31/functions/{name}/configuration"
        cycles: list[dict] = []
        anomalies: list[dict] = []
        zombie_tracker = ZombieTracker()

        def cycle(index: int) -> dict:
            elapsed, status, body, headers = self.invoke_raw(name, log_tail=True, port=port)
            if status != 200:
                raise SystemExit(f"teardown cycle {index}: invoke failed: {status} {body[:300]!r}")
            tail = base64.b64decode(headers.get("X-Amz-Log-Result", headers.get("x-amz-log-result", "")) or b"").decode()
            environments = sandbox_processes(pid)
            roles = [(p, role) for env in environments for p, role in
                     [(env["bwrap"][0], "outer bwrap")] + [(b, "inner bwrap") for b in env["bwrap"][1:]]
                     + [(env["agent"], "agent"), (env["python"], "python")] + [(h, "network helper") for h in env.get("helpers", [])]
                     if p is not None]
            identified = [(process_identity(p), role) for p, role in roles]
            identities = [i for i, _ in identified if i is not None]
            role_of = [role for i, role in identified if i is not None]
            outer = process_identity(environments[0]["bwrap"][0]) if environments else None
            roots = cgroup_roots(pid)
            group_dirs = [roots[h] / n for h, names in environment_groups(pid).items() for n in names or []]
            entry = {"cycle": index, "cold_invoke_ms": elapsed, "cold": "Init Duration" in tail,
                     "environments": len(environments), "processes": len(identities), "cgroup_dirs": len(group_dirs),
                     "network_helpers": sum(len(env.get("helpers", [])) for env in environments)}
            update = json.dumps({"Environment": {"Variables": {"BENCH_CYCLE": str(index)}}}).encode()
            signed = signed_request(server["endpoint"], "PUT", path, update)
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            connection.connect()
            watch = TeardownWatch(identities, outer, group_dirs, timeout=options.teardown_timeout)
            sent = time.perf_counter()
            watch.start()
            connection.request("PUT", path, body=update, headers=signed)
            response = connection.getresponse()
            response.read()
            answered = time.perf_counter()
            connection.close()
            if response.status != 200:
                raise SystemExit(f"teardown cycle {index}: UpdateFunctionConfiguration returned {response.status}")
            watch.join(options.teardown_timeout + 5)
            def since(t):
                return None if t is None else (t - sent) * 1000
            zombies = [i for i in identities if process_state(i) == "zombie"]
            for identity in zombies:
                zombie_tracker.add(identity, sent, index)
            if index % 100 == 99:  # the /tmp volumes now (pool refills run in the background)
                entry["tmp_volumes"] = {k: v for k, v in tmp_volumes(server["directory"] / "data").items()
                                        if k in ("mounts", "loop_devices", "entries")}
            entry.update({"update_ms": (answered - sent) * 1000, "exited_ms": since(watch.exited),
                          "outer_reaped_ms": since(watch.outer_reaped), "cgroups_removed_ms": since(watch.cgroups_removed),
                          "zombies_left": len(zombies), "polls": watch.polls,
                          "exited_by_role_ms": {role: since(t) for role, t in zip(role_of, watch.exited_each)}})
            if len(environments) != 1 or not entry["cold"] or None in (watch.exited, watch.outer_reaped, watch.cgroups_removed):
                anomalies.append(entry)
            return entry

        try:
            self.create(name, memory=options.sandbox_memory, client=server["client"])
            for i in range(options.teardown_warmup):  # unrecorded: the server's lazily opened files and caches
                cycle(-1 - i)
            time.sleep(options.teardown_settle)
            before = self.leak_snapshot(server)
            log(f"teardown: before: {len(before['processes'])} processes ({before['parked_launchers']} parked launchers), "
                f"cgroups {before['cgroups']}, fds {before['fds']['count']}, mountinfo {before['mountinfo_self']['lines']} lines, "
                f"/tmp volumes: {before['tmp_volumes']['mounts']} mounts, {before['tmp_volumes']['loop_devices']} loop devices, "
                f"{before['tmp_volumes']['entries']} entries")
            started = time.monotonic()
            for i in range(options.teardown_cycles):
                self.alive(server)
                cycles.append(cycle(i))
                if (i + 1) % 100 == 0:
                    recent = cycles[-100:]
                    log(f"teardown: {i + 1} cycles; last 100: exited p50 {percentile([c['exited_ms'] or 1e9 for c in recent], 50):.1f} ms, "
                        f"cgroups removed p50 {percentile([c['cgroups_removed_ms'] or 1e9 for c in recent], 50):.1f} ms, "
                        f"cold invoke p50 {percentile([c['cold_invoke_ms'] for c in recent], 50):.1f} ms; "
                        f"server fds {len(os.listdir(f'/proc/{pid}/fd'))}")
                if time.monotonic() - started > options.teardown_max_seconds:
                    log(f"teardown: stopping after {i + 1} cycles ({options.teardown_max_seconds:.0f} s limit)")
                    break
            seconds = time.monotonic() - started
            time.sleep(options.teardown_settle)
            after = self.leak_snapshot(server)
        finally:
            zombies_left = zombie_tracker.stop()
            self.stop_extra_servers()
        reaped = [z for z in zombie_tracker.done if z["cycle"] >= 0]
        zombies = {
            "count": len(reaped) + len([z for z in zombies_left if z["cycle"] >= 0]),
            "cycles_with_zombies": len({z["cycle"] for z in reaped + zombies_left if z["cycle"] >= 0}),
            "reaped_ms": stats_ms([z["reaped_ms"] for z in reaped]),
            "parents": {str(k): sum(1 for z in reaped + zombies_left if z["parent"] == k)
                        for k in sorted({z["parent"] for z in reaped + zombies_left}, key=str)},
            "comm": sorted({z["comm"] for z in reaped + zombies_left}),
            "left_after_settle": [{"pid": z["identity"][0], "parent": z["parent"], "comm": z["comm"], "cycle": z["cycle"]}
                                  for z in zombies_left],
        }
        after_stop = {"processes_in_server_cgroups": processes_in_cgroups_of(pid), "cgroups": cgroup_groups(pid),
                      "mountinfo_self": mount_lines("self", ["lambent", str(self.work), "nsfs"]),
                      "tmp_volumes": tmp_volumes(server["directory"] / "data")}
        def column(key):
            return [c[key] for c in cycles if c[key] is not None]
        summary = {
            "cycles": len(cycles), "seconds": seconds, "anomalies": len(anomalies),
            "exited_ms": stats_ms(column("exited_ms")), "outer_reaped_ms": stats_ms(column("outer_reaped_ms")),
            "exited_by_role_ms": {role: stats_ms([c["exited_by_role_ms"][role] for c in cycles
                                                  if c.get("exited_by_role_ms", {}).get(role) is not None])
                                  for role in sorted({r for c in cycles for r in c.get("exited_by_role_ms", {})})},
            "zombies": zombies,
            "cgroups_removed_ms": stats_ms(column("cgroups_removed_ms")), "update_ms": stats_ms(column("update_ms")),
            "cold_invoke_ms": stats_ms(column("cold_invoke_ms")),
            "first_100": {k: percentile([c[k] for c in cycles[:100] if c[k] is not None], 50)
                          for k in ("exited_ms", "cgroups_removed_ms", "cold_invoke_ms")} if cycles else None,
            "last_100": {k: percentile([c[k] for c in cycles[-100:] if c[k] is not None], 50)
                         for k in ("exited_ms", "cgroups_removed_ms", "cold_invoke_ms")} if cycles else None,
            "leftover_processes": len(after["processes"]) - len(before["processes"]),
            "leftover_processes_in_cgroups": len(after["processes_in_server_cgroups"]) - len(before["processes_in_server_cgroups"]),
            "leftover_cgroups": {h: (after["cgroups"][h] or 0) - (before["cgroups"][h] or 0) for h in after["cgroups"]},
            "parked_launchers": {"before": before["parked_launchers"], "after": after["parked_launchers"]},
            "environment_cgroups": {"before": before["environment_cgroups"], "after": after["environment_cgroups"]},
            "network_helpers_per_cycle": sorted({c.get("network_helpers", 0) for c in cycles}),
            "tmp_volumes": {key: {"before": before["tmp_volumes"][key], "after": after["tmp_volumes"][key]}
                            for key in ("mounts", "loop_devices", "entries", "images", "all_loop_devices")}
                           | {"server_mounts": {"before": before["tmp_mounts_server"], "after": after["tmp_mounts_server"]},
                              "during_cycles": [c["tmp_volumes"] for c in cycles if "tmp_volumes" in c]},
            "mountinfo_lines": {"before": before["mountinfo_self"]["lines"], "after": after["mountinfo_self"]["lines"],
                                "server_before": before["mountinfo_server"]["lines"], "server_after": after["mountinfo_server"]["lines"]},
            "fds": {"before": before["fds"]["count"], "after": after["fds"]["count"],
                    "kinds_changed": {k: [before["fds"]["kinds"].get(k, 0), after["fds"]["kinds"].get(k, 0)]
                                      for k in sorted(set(before["fds"]["kinds"]) | set(after["fds"]["kinds"]))
                                      if before["fds"]["kinds"].get(k, 0) != after["fds"]["kinds"].get(k, 0)},
                    "files_added": sorted(set(after["fds"]["files"]) - set(before["fds"]["files"]))},
            "threads": {"before": before["threads"], "after": after["threads"]},
            "rss_mb": {"before": before["rss_mb"], "after": after["rss_mb"]},
            "diagnostics_files": {"before": before["diagnostics_files"], "after": after["diagnostics_files"],
                                  "bytes_after": after["diagnostics_bytes"]},
            "after_stop": {"processes_in_server_cgroups": len(after_stop["processes_in_server_cgroups"]),
                           "server_cgroup_directories": {h: v is not None for h, v in after_stop["cgroups"].items()},
                           "mountinfo_lines": after_stop["mountinfo_self"]["lines"],
                           "mountinfo_matching": after_stop["mountinfo_self"]["matching"],
                           "tmp_mounts": after_stop["tmp_volumes"]["mounts"], "tmp_loop_devices": after_stop["tmp_volumes"]["loop_devices"],
                           "tmp_entries": after_stop["tmp_volumes"]["entries"],
                           "all_loop_devices": after_stop["tmp_volumes"]["all_loop_devices"]},
        }
        self.results["teardown"] = {"summary": summary, "before": before, "after": after, "after_stop": after_stop,
                                    "anomalies": anomalies[:20], "zombies": [{k: v for k, v in z.items() if k != "since"}
                                                                              for z in zombie_tracker.done[:50]],
                                    "cycles": cycles}
        log(f"teardown: {len(cycles)} cycles in {seconds:.0f} s; zombies {zombies['count']} (parents {zombies['parents']}, "
            f"reaped p50 {zombies['reaped_ms'].get('p50', float('nan')):.0f} ms, left {len(zombies_left)}); exited p50 {summary['exited_ms'].get('p50', float('nan')):.1f} ms "
            f"p99 {summary['exited_ms'].get('p99', float('nan')):.1f} ms; cgroups removed p50 "
            f"{summary['cgroups_removed_ms'].get('p50', float('nan')):.1f} ms; leftover processes {summary['leftover_processes']}, "
            f"cgroups {summary['leftover_cgroups']}, mountinfo {summary['mountinfo_lines']}, fds {summary['fds']}, "
            f"/tmp volumes {summary['tmp_volumes']}, after stop {summary['after_stop']}, "
            f"diagnostics files {summary['diagnostics_files']}, anomalies {len(anomalies)}")

def meminfo() -> dict:
    """/proc/meminfo in KiB."""
    values = {}
    for line in Path("/proc/meminfo").read_text().splitlines():
        key, rest = line.split(":", 1)
        values[key] = int(rest.split()[0])
    return values


def proc_status(pid: int, key: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def server_snapshot(pid: int, seconds: float) -> dict:
    """The server process alone: threads, RSS/PSS, open fds, and its CPU over `seconds` of idling."""
    before, started = cpu_seconds([pid]), time.monotonic()
    time.sleep(seconds)
    cpu = cpu_seconds([pid]) - before
    wall = time.monotonic() - started
    try:
        fds = len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        fds = None
    memory = memory_of(pid)
    return {"threads": proc_status(pid, "Threads"), "rss_mb": memory["rss_kb"] / 1024, "pss_mb": memory["pss_kb"] / 1024,
            "fds": fds, "cpu_percent": 100 * cpu / wall, "cpu_seconds": cpu, "window_s": wall}


def metric_totals(endpoint: str) -> dict:
    """Sums over all label sets of the server's counters and gauges (GET /metrics, unsigned)."""
    with urllib.request.urlopen(endpoint + "/metrics", timeout=30) as response:
        text = response.read().decode()
    totals: dict[str, float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name = re.split(r"[{ ]", line, 1)[0]
        try:
            totals[name] = totals.get(name, 0.0) + float(line.rsplit(" ", 1)[1])
        except ValueError:
            pass
    return totals


def med_of(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


class Sampler:
    """Polls the server's thread count and RSS and the machine's MemAvailable every 0.2 s."""

    def __init__(self, pid: int):
        self.pid, self.samples, self._stop = pid, [], threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((proc_status(self.pid, "Threads"), proc_status(self.pid, "VmRSS"), meminfo()["MemAvailable"]))
            self._stop.wait(0.2)

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(5)

    def figures(self) -> dict:
        threads = [t for t, _, _ in self.samples if t is not None]
        rss = [r for _, r, _ in self.samples if r is not None]
        return {"max_threads": max(threads) if threads else None, "max_server_rss_mb": max(rss) / 1024 if rss else None,
                "min_mem_available_gb": min(m for _, _, m in self.samples) / 1048576 if self.samples else float("nan")}


def concurrent_invokes(port: int, path: str, headers: dict, body: bytes, count: int, timeout: float) -> dict:
    """`count` simultaneous invocations, one thread and one pre-opened loopback connection each
    (the same signed request for all: AWS accepts replays). All threads start sending at once
    (a barrier); wall-clock times, so they compare with the handler's time.time()."""
    threading.stack_size(256 * 1024)
    connections = []
    for _ in range(count):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        connection.connect()
        connections.append(connection)
    barrier = threading.Barrier(count + 1)
    results: list[dict | None] = [None] * count

    def worker(index: int) -> None:
        connection = connections[index]
        barrier.wait()
        sent = time.time()
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            first = time.time()
            data = response.read()
            done = time.time()
            results[index] = {"status": response.status, "sent": sent, "first_byte": first, "done": done, "body": data,
                              "function_error": response.getheader("X-Amz-Function-Error")}
        except Exception as error:  # noqa: BLE001 - recorded, counted as a failure
            results[index] = {"status": None, "sent": sent, "first_byte": None, "done": time.time(), "body": b"",
                              "error": f"{type(error).__name__}: {error}"}
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    barrier.wait()
    for thread in threads:
        thread.join(timeout + 30)
    threading.stack_size(0)
    return {"results": [r for r in results if r is not None], "unfinished": sum(1 for r in results if r is None)}


def burst_figures(outcome: dict, sleep: float) -> dict:
    """What one burst measured: when the environments started, how many, and the failures."""
    results = outcome["results"]
    t0 = min(r["sent"] for r in results)
    ok, failures, envs, starts, loads = [], [], set(), [], []
    for r in results:
        payload = None
        if r["status"] == 200 and not r.get("function_error"):
            try:
                payload = json.loads(r["body"])
            except ValueError:
                payload = None
        if isinstance(payload, dict) and "env" in payload:
            ok.append(r)
            envs.add(payload["env"])
            starts.append(payload["start"] - t0)
            loads.append(payload["loaded"] - t0)
            r["handler_start"] = payload["start"] - t0
        else:
            failures.append({"status": r["status"], "error": r.get("error"), "function_error": r.get("function_error"),
                             "body": r["body"][:200].decode(errors="replace")})
    done = [r["done"] - t0 for r in results]
    first_bytes = [r["first_byte"] - t0 for r in ok if r["first_byte"] is not None]
    per_invocation = [r["handler_start"] - (r["sent"] - t0) for r in ok]
    return {
        "count": len(results) + outcome["unfinished"], "ok": len(ok), "failed": len(failures) + outcome["unfinished"],
        "failures": failures[:10], "failure_statuses": sorted({str(f["status"]) for f in failures}),
        "distinct_environments": len(envs),
        "send_spread_s": max(r["sent"] for r in results) - t0,
        "first_started_s": min(starts) if starts else None,
        "all_started_s": max(starts) if starts else None,
        "all_loaded_s": max(loads) if loads else None,
        "all_returned_s": max(done),
        "all_returned_minus_sleep_s": max(done) - sleep,
        "all_first_byte_minus_sleep_s": (max(first_bytes) - sleep) if first_bytes else None,
        "started_p50_s": percentile(starts, 50) if starts else None,
        "started_p90_s": percentile(starts, 90) if starts else None,
        "per_invocation_to_handler_p50_s": percentile(per_invocation, 50) if per_invocation else None,
        "cold_starts_per_s": (len(envs) / max(starts)) if starts else None,
        "last_started_before_first_returned": bool(starts) and max(starts) < min(done),
    }


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (for N = 20, p99 is the maximum)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]


def make_zip(files: dict, modes: dict | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = (modes or {}).get(name, 0o644) << 16
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
    git = version(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"])
    dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "Sources", "Package.swift"],
                           capture_output=True, text=True, timeout=30).stdout.strip() if git != "unknown" else ""
    return {"sources_sha256": digest.hexdigest()[:16], "git_head": git, "sources_modified_since_head": bool(dirty),
            "nproc": os.cpu_count(), "cpu_model": model, "kernel": platform.release(), "memory_gb": round(memory_kb / 1024 / 1024, 1),
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
    if "scaling" in results:
        sc = results["scaling"]
        lines += ["### Warm throughput with 1, 4 and 16 environments (c connections after warming exactly c environments)", "",
                  "| connections = environments | invokes/s | × c1 | p50 | p99 | CPU server / server tree (of 200%) | hello req/s (same c) | environments before/after | errors |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for n, e in sc.items():
            i = e["invoke"]
            lines.append(f"| {n} | {i['rps']:.0f} | {e['speedup_vs_first']:.2f}× | {i['p50_ms']:.2f} ms | {i['p99_ms']:.2f} ms | "
                         f"{e['server_cpu_percent']:.0f}% / {i['server_tree_cpu_percent']:.0f}% | {e['hello']['rps']:.0f} | "
                         f"{e['environments_before']} / {e['environments_after']} | {i['errors']} |")
        lines.append("")
    if "burst" in results:
        b = results["burst"]["summary"]
        lines += ["### Burst (N simultaneous invocations of a new function; the handler sleeps, so each needs its own environment)", "",
                  f"Single cold start in the same run (send → handler start): {b['single_cold_start_ms']:.1f} ms "
                  f"(first invoke {b['single_first_invoke_ms']:.1f} ms).", "",
                  "| N | sleep | all started | all returned − sleep | first started | p50 started | cold starts/s | all started ÷ single | environments | failed | cold starts (metric) | throttles | max server threads | teardown |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for n, e in b.items():
            if not isinstance(e, dict):
                continue
            lines.append(f"| {n} | {e['sleep_s']:.0f} s | {e['all_started_s']:.2f} s | {e['all_returned_minus_sleep_s']:.2f} s | "
                         f"{e['first_started_s'] * 1000:.0f} ms | {e['started_p50_s']:.2f} s | {e['cold_starts_per_s']:.0f} | "
                         f"{e['all_started_vs_single']:.0f}× | {e['distinct_environments']} | {e['failed']} | {e['cold_starts_metric']} | "
                         f"{e['throttles_metric']} | {e['max_server_threads']} | {e['teardown_s']:.2f} s |")
        lines.append("")
    if "density" in results:
        d = results["density"]
        pe = d["per_environment_mb"] or {}
        lines += ["### Density (idle warm environments)", "",
                  f"Reached {d['reached']} of {d['target']} environments in {d['fill_seconds']:.0f} s"
                  + (f" (stopped: {d['stopped']})" if d["stopped"] else "") + ".", "",
                  "| per environment: RSS | PSS | USS | MemAvailable drop | fit in 8 GiB (PSS) | fit in 8 GiB (MemAvailable) |",
                  "|---|---|---|---|---|---|",
                  f"| {pe.get('rss_kb', 0):.1f} MB | {pe.get('pss_kb', 0):.1f} MB | {pe.get('uss_kb', 0):.1f} MB | "
                  f"{d['mem_available_per_environment_mb'] or 0:.1f} MB | {d['fit_in_8gib_by_pss']} | {d['fit_in_8gib_by_mem_available']} |", "",
                  "| server | threads | RSS | fds | idle CPU |", "|---|---|---|---|---|"]
        for label, key in (("at start (0 environments)", "server_at_start"), ("before filling", "server_before"),
                           (f"with {d['environments_measured']} idle environments", "server_full"),
                           ("after deleting them", "server_after_teardown")):
            x = d[key]
            lines.append(f"| {label} | {x['threads']} | {x['rss_mb']:.1f} MB | {x['fds']} | {x['cpu_percent']:.2f}% over {x['window_s']:.0f} s |")
        lines += ["", f"Idle sandboxes' CPU (all {d['environments_measured']}): {d['sandbox_cpu_percent_idle']:.2f}%; "
                  f"teardown after DeleteFunction: {d['teardown']['seconds']:.1f} s.", ""]
    if "sandbox_cold_start" in results:
        sb = results["sandbox_cold_start"]["summary"]
        ns, pr = sb["namespaces"], sb["process"]
        lines += [f"### Sandbox cost: cold start, namespaces (bwrap + seccomp + cgroups) vs process driver "
                  f"({sb['samples_per_driver']} each, interleaved, MemorySize {sb['memory_size_mb']} MB)", "",
                  "| | driver | p50 | p90 | p99 | mean |", "|---|---|---|---|---|---|"]
        for label, key in (("first invoke (client)", "first_invoke_ms"), ("Init Duration (REPORT)", "init_duration_ms"),
                           ("first invoke − Init Duration", "first_invoke_minus_init_ms")):
            for driver, data in (("namespaces", ns), ("process", pr)):
                x = data[key]
                lines.append(f"| {label} | {driver} | {x['p50']:.1f} ms | {x['p90']:.1f} ms | {x['p99']:.1f} ms | {x['mean']:.1f} ms |")
            a, r = sb[f"added_{key}"], sb[f"ratio_{key}"]
            lines.append(f"| {label} | **added** (ratio) | **{a['p50']:+.1f} ms** ({r['p50']:.2f}×) | {a['p90']:+.1f} ms ({r['p90']:.2f}×) | "
                         f"{a['p99']:+.1f} ms ({r['p99']:.2f}×) | |")
        lines += ["", f"Paired difference (sample i of each driver): median {sb['paired_difference_ms']['p50']:+.1f} ms. "
                  f"Target ≤ 15 ms added at p50: {verdict(sb['target_met'])}.", ""]
    if "teardown" in results:
        td = results["teardown"]["summary"]
        def q(x):
            return f"{x['p50']:.1f} ms | {x['p90']:.1f} ms | {x['p99']:.1f} ms | {x['max']:.1f} ms" if x.get("n") else "n/a | | |"
        lines += [f"### Environment teardown ({td['cycles']} create/destroy cycles in {td['seconds']:.0f} s, "
                  f"{td['anomalies']} anomalies)", "",
                  "| from UpdateFunctionConfiguration sent to | p50 | p90 | p99 | max |", "|---|---|---|---|---|",
                  f"| its response | {q(td['update_ms'])} |",
                  f"| every process of the environment exited | {q(td['exited_ms'])} |",
                  *[f"| … {role} exited | {q(x)} |" for role, x in td.get("exited_by_role_ms", {}).items()],
                  f"| the server reaped its child (outer bwrap) | {q(td['outer_reaped_ms'])} |",
                  f"| every cgroup directory removed | {q(td['cgroups_removed_ms'])} |",
                  f"| (cold invoke of each cycle) | {q(td['cold_invoke_ms'])} |", "",
                  f"Zombies left when the server was done (re-parented, parent pid: count {td['zombies']['parents']}; "
                  f"{', '.join(td['zombies']['comm'])}): {td['zombies']['count']} in {td['zombies']['cycles_with_zombies']} cycles, "
                  f"reaped after p50 {td['zombies']['reaped_ms'].get('p50', float('nan')):.0f} ms / max "
                  f"{td['zombies']['reaped_ms'].get('max', float('nan')):.0f} ms; still present after the settle: "
                  f"{len(td['zombies']['left_after_settle'])}.", "",
                  "| left behind | before | after | after − before |", "|---|---|---|---|",
                  f"| processes under the server | {len(results['teardown']['before']['processes'])} | "
                  f"{len(results['teardown']['after']['processes'])} | {td['leftover_processes']} |",
                  f"| processes in the server's cgroups | {len(results['teardown']['before']['processes_in_server_cgroups'])} | "
                  f"{len(results['teardown']['after']['processes_in_server_cgroups'])} | {td['leftover_processes_in_cgroups']} |"]
        for hierarchy, left in td["leftover_cgroups"].items():
            lines.append(f"| cgroup directories ({hierarchy}) | {results['teardown']['before']['cgroups'][hierarchy]} | "
                         f"{results['teardown']['after']['cgroups'][hierarchy]} | {left} |")
        m = td["mountinfo_lines"]
        lines += [f"| mountinfo lines (host, server) | {m['before']}, {m['server_before']} | {m['after']}, {m['server_after']} | "
                  f"{m['after'] - m['before']}, {m['server_after'] - m['server_before']} |",
                  f"| server fds | {td['fds']['before']} | {td['fds']['after']} | {td['fds']['after'] - td['fds']['before']} "
                  f"{td['fds']['kinds_changed'] or ''} |",
                  f"| server threads | {td['threads']['before']} | {td['threads']['after']} | |",
                  f"| server RSS | {td['rss_mb']['before']:.1f} MB | {td['rss_mb']['after']:.1f} MB | |",
                  f"| files in <data>/environments | {td['diagnostics_files']['before']} | {td['diagnostics_files']['after']} | "
                  f"{td['diagnostics_files']['after'] - td['diagnostics_files']['before']} |"]
        if "tmp_volumes" in td:
            tv = td["tmp_volumes"]
            lines += [f"| parked launchers | {td['parked_launchers']['before']} | {td['parked_launchers']['after']} | "
                      f"{td['parked_launchers']['after'] - td['parked_launchers']['before']} |"]
            for label, key in (("/tmp volume mounts under <data>/tmp (host)", "mounts"), ("… (server's mountinfo)", "server_mounts"),
                               ("loop devices backed by <data>/tmp", "loop_devices"), ("entries in <data>/tmp", "entries"),
                               ("loop devices on the machine", "all_loop_devices")):
                lines.append(f"| {label} | {tv[key]['before']} | {tv[key]['after']} | {tv[key]['after'] - tv[key]['before']} |")
        lines += ["",
                  f"After the server's SIGTERM: {td['after_stop']['processes_in_server_cgroups']} processes in its cgroups, "
                  f"its group still present: {td['after_stop']['server_cgroup_directories']}; /tmp mounts "
                  f"{td['after_stop'].get('tmp_mounts')}, loop devices backed by <data>/tmp {td['after_stop'].get('tmp_loop_devices')}, "
                  f"entries in <data>/tmp {td['after_stop'].get('tmp_entries')}.", ""]
    return "\n".join(lines)


def suite_parser(description: str, only: str) -> argparse.ArgumentParser:
    """The options every issue suite takes: `--bin`, `--runs`, `--duration`, `--only` (default
    `only`: every step), `--runtimes-dir`, `--out`; a suite adds its own."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--only", default=only)
    parser.add_argument("--runtimes-dir", default=str(REPO / ".build-release" / "bench-runtimes"))
    parser.add_argument("--out", default=str(REPO / "bench" / "results"))
    return parser


def run_suite(options: argparse.Namespace, suffix: str, steps: dict, markdown_of, bench_class: type | None = None) -> None:
    """Runs a suite's benchmarks (`steps`: name -> function of (bench, options), those named in
    `options.only`, in order) on one server, then writes bench/results/<stamp>-<suffix>.{json,md}.
    `bench_class`: a subclass of `Bench` that starts (and stops) what the suite needs besides."""
    # The fields `Bench` reads from the main benchmark's options.
    for field, value in {"cold": 0, "sandbox_n": 0, "sandbox_memory": 0, "teardown_cycles": 0,
                         "concurrency_limit": 2000, "idle_timeout": "1h"}.items():
        if not hasattr(options, field):
            setattr(options, field, value)
    only = set(options.only.split(","))
    Path(options.out).mkdir(parents=True, exist_ok=True)
    bench = (bench_class or Bench)(options)
    results = {"machine": machine(), "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
               "settings": {key: value for key, value in vars(options).items() if isinstance(value, (int, float, str))}}
    try:
        bench.start()
        for name, step in steps.items():
            if name in only:
                # A failing step is recorded, and the others' figures are still written.
                try:
                    results[name] = step(bench, options)
                except (Exception, SystemExit) as error:  # noqa: BLE001
                    log(f"step {name} failed: {error!r}")
                    results.setdefault("failed_steps", {})[name] = repr(error)
    finally:
        bench.stop()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = Path(options.out)
    (out / f"{stamp}-{suffix}.json").write_text(json.dumps(results, indent=2))
    text = markdown_of(results)
    (out / f"{stamp}-{suffix}.md").write_text(text)
    print(text)


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
    parser.add_argument("--only", default="warm,throughput,memory,cold,scaling,burst,density,sandbox,teardown",
                        help="comma-separated benchmarks (default: all)")
    parser.add_argument("--concurrency-limit", type=int, default=2000, help="the server's --concurrency-limit")
    parser.add_argument("--idle-timeout", default="1h", help="the server's --idle-timeout")
    parser.add_argument("--scaling", default="1,4,16", help="connections = warm environments of the scaling benchmark")
    parser.add_argument("--burst", default="100,500", help="simultaneous cold invocations of the burst benchmark")
    parser.add_argument("--burst-sleep", default="1=0,16=2,100=8,500=25",
                        help="size=seconds the handler sleeps in a burst of that size (longer than the ramp)")
    parser.add_argument("--density", type=int, default=1000, help="idle environments to fill the server with")
    parser.add_argument("--density-batch", type=int, default=100)
    parser.add_argument("--density-reserve-gb", type=float, default=3.0, help="stop filling before MemAvailable drops below this")
    parser.add_argument("--idle-window", type=float, default=10.0, help="seconds of idle CPU sampling with the server full")
    parser.add_argument("--sandbox-n", type=int, default=50, help="cold starts per driver in the sandbox benchmark")
    parser.add_argument("--sandbox-memory", type=int, default=2048,
                        help="MemorySize of the sandbox and teardown functions (≥ 1769: a whole vCPU, so the quota is not measured)")
    parser.add_argument("--teardown-cycles", type=int, default=1000, help="create/destroy cycles of the teardown benchmark")
    parser.add_argument("--teardown-warmup", type=int, default=5, help="unrecorded cycles before the leak baseline")
    parser.add_argument("--teardown-settle", type=float, default=3.0, help="seconds of settling before each leak snapshot")
    parser.add_argument("--teardown-timeout", type=float, default=10.0, help="seconds one environment may take to disappear")
    parser.add_argument("--teardown-max-seconds", type=float, default=270.0, help="stop cycling after this long")
    options = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    Path(options.out).mkdir(parents=True, exist_ok=True)
    only = set(options.only.split(","))
    unknown = only - {"warm", "throughput", "memory", "cold", "scaling", "burst", "density", "sandbox", "teardown"}
    if unknown:
        raise SystemExit(f"--only: unknown benchmark(s) {', '.join(sorted(unknown))}")
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
        if "scaling" in only:
            bench.scaling()
        if "burst" in only:
            bench.burst()
        if "density" in only:
            bench.density()
        if "sandbox" in only:
            bench.sandbox()
        if "teardown" in only:
            bench.teardown()
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
