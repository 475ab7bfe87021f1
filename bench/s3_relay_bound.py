#!/usr/bin/env python3
"""How close any proxy can come to a direct GET on this machine: issue 13's large-GET target
(≥ 90 % of direct) measured against plain relays in the same run, so that Lambent's figure can
be read against what the machine allows rather than against 100 %.

One SeaweedFS (`weed mini`), one 256 MiB object, and GETs of it alternating between:

- `direct`: to the store;
- `copy`: through a relay in this process that reads the store's answer 1 MiB at a time and
  writes it to the client (the least a copying proxy can do; no HTTP parsing);
- `splice`: the same relay moving the bytes with splice(2) through a pipe, never copying
  them into user space (what Lambent cannot do: NIO does not expose a channel's descriptor);
- `lambent`: `lambent serve --s3-backend` in front of the same store (with `--bin`).

Each relay and Lambent get the store's answer over TCP as the client does. The client (this
process, one keep-alive connection per side) reads each answer into a preallocated buffer;
the relays run in threads of this process, so they share its interpreter with the client:
if anything that favours the direct side. Reported: MiB/s per transfer, medians, the ratio of
each median to direct's, and the CPU seconds each relay (thread CPU) or Lambent (process CPU)
spent per transfer.

    python3 bench/s3_relay_bound.py --bin .build-release/release --reps 10 [--sides copy,splice,lambent]
"""

from __future__ import annotations

import argparse
import fcntl
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lambent_bench import ACCESS_KEY, REPO, SECRET_KEY, free_port, log  # noqa: E402
from s3_bench import STORE_KEY, install_seaweedfs, launch_weed, s3_headers  # noqa: E402

F_SETPIPE_SZ = 1031
CHUNK = 1 << 20


class Relay:
    """A TCP relay to the store: requests go up as they come, answers come down by `mode`."""

    def __init__(self, store_port: int, mode: str):
        self.store_port, self.mode = store_port, mode
        self.cpu = 0.0  # thread CPU seconds of the answer-moving threads, summed
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self) -> None:
        while True:
            client, _ = self.listener.accept()
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self.serve, args=(client,), daemon=True).start()

    def serve(self, client: socket.socket) -> None:
        store = socket.create_connection(("127.0.0.1", self.store_port))
        store.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def upward() -> None:
            while data := client.recv(CHUNK):
                store.sendall(data)

        threading.Thread(target=upward, daemon=True).start()
        started = time.thread_time()
        try:
            if self.mode == "splice":
                read_end, write_end = os.pipe()
                fcntl.fcntl(read_end, F_SETPIPE_SZ, CHUNK)
                while (moved := os.splice(store.fileno(), write_end, CHUNK)) > 0:
                    while moved:
                        moved -= os.splice(read_end, client.fileno(), moved)
                    self.cpu += time.thread_time() - started
                    started = time.thread_time()
            else:
                buffer = bytearray(CHUNK)
                view = memoryview(buffer)
                while (count := store.recv_into(buffer)) > 0:
                    client.sendall(view[:count])
                    self.cpu += time.thread_time() - started
                    started = time.thread_time()
        except OSError:
            pass


def process_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_until(check, what: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{what} not ready within {seconds:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", help="directory with a release lambent and lambent-agent (for the lambent side)")
    parser.add_argument("--runtimes-dir", default=str(REPO / ".build" / "e2e-runtimes"))
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--mib", type=int, default=256)
    parser.add_argument("--sides", default="copy,splice,lambent")
    parser.add_argument("--out", default=str(REPO / "bench" / "results"))
    options = parser.parse_args()
    sides = [side for side in options.sides.split(",") if side]
    if "lambent" in sides and not options.bin:
        raise SystemExit("--bin is needed for the lambent side")

    work = Path(f"/tmp/lambent-relay-bound-{os.getpid()}")
    shutil.rmtree(work, ignore_errors=True)
    binary = install_seaweedfs(Path(options.runtimes_dir) / "seaweedfs-4.48")
    weed, (s3, *_) = launch_weed(binary, work / "weed")
    server = None
    try:
        def signed(port: int, key, method: str, path: str, body: bytes = b"", connection=None):
            connection.request(method, path, body=body or None,
                               headers=s3_headers(method, f"http://127.0.0.1:{port}{path}", key, body, unsigned=True))
            return connection.getresponse()

        def store_answers() -> bool:
            answer = signed(s3, STORE_KEY, "GET", "/", connection=http.client.HTTPConnection("127.0.0.1", s3, timeout=5))
            answer.read()
            return answer.status == 200

        wait_until(store_answers, "SeaweedFS")
        ports = {"direct": (s3, STORE_KEY)}
        relays = {}
        for mode in ("copy", "splice"):
            if mode in sides:
                relays[mode] = Relay(s3, mode)
                ports[mode] = (relays[mode].port, STORE_KEY)
        if "lambent" in sides:
            port = free_port()
            link = work / "bench-server"
            link.symlink_to((Path(options.bin) / "lambent").resolve())
            environment = dict(os.environ, LAMBENT_ACCESS_KEY_ID=ACCESS_KEY, LAMBENT_SECRET_ACCESS_KEY=SECRET_KEY,
                               LAMBENT_S3_BACKEND_ACCESS_KEY_ID=STORE_KEY[0], LAMBENT_S3_BACKEND_SECRET_ACCESS_KEY=STORE_KEY[1])
            server = subprocess.Popen(
                [str(link), "serve", "--host", "127.0.0.1", "--port", str(port), "--data-dir", str(work / "data"),
                 "--runtimes-dir", options.runtimes_dir, "--log-level", "warning", "--s3-backend", f"http://127.0.0.1:{s3}"],
                stdin=subprocess.DEVNULL, stdout=open(work / "server.out", "wb"), stderr=open(work / "server.err", "wb"),
                env=environment, start_new_session=True)

            def lambent_answers() -> bool:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/lambent/v1/health")
                return connection.getresponse().status == 200

            wait_until(lambent_answers, "lambent serve")
            ports["lambent"] = (port, (ACCESS_KEY, SECRET_KEY))

        size = options.mib << 20
        content = os.urandom(size)
        setup = http.client.HTTPConnection("127.0.0.1", s3, timeout=600)
        signed(s3, STORE_KEY, "PUT", "/bound", connection=setup).read()

        def store_writes() -> bool:  # a fresh store places writes only after its volume server's heartbeat
            answer = signed(s3, STORE_KEY, "PUT", "/bound/probe", b"x", connection=setup)
            answer.read()
            return answer.status == 200

        wait_until(store_writes, "SeaweedFS's volumes")
        answer = signed(s3, STORE_KEY, "PUT", "/bound/object", content, connection=setup)
        answer.read()
        if answer.status != 200:
            raise SystemExit(f"PUT of the object: {answer.status}")
        buffer = bytearray(size)
        view = memoryview(buffer)
        connections = {side: http.client.HTTPConnection("127.0.0.1", port, timeout=600) for side, (port, _) in ports.items()}

        def get(side: str) -> float:
            port, key = ports[side]
            view[:16] = b"\0" * 16
            started = time.perf_counter()
            answer = signed(port, key, "GET", "/bound/object", connection=connections[side])
            read = 0
            while count := answer.readinto(view[read:]):
                read += count
            answer.read()
            elapsed = time.perf_counter() - started
            if answer.status != 200 or read != size:
                raise SystemExit(f"{side}: GET answered {answer.status} with {read} bytes")
            return options.mib / elapsed

        order = ["direct", *[side for side in sides if side in ports]]
        for side in order:  # one unrecorded transfer each: connections made, caches warm
            get(side)
        rates = {side: [] for side in order}
        cpu = {side: [] for side in order if side != "direct"}
        for rep in range(options.reps):
            for side in (order if rep % 2 == 0 else list(reversed(order))):
                before = relays[side].cpu if side in relays else process_cpu(server.pid) if side == "lambent" else 0
                rates[side].append(get(side))
                if side in relays:
                    cpu[side].append(relays[side].cpu - before)
                elif side == "lambent":
                    cpu[side].append(process_cpu(server.pid) - before)
        if buffer != content:
            raise SystemExit("the last transfer's content differs")
        direct = statistics.median(rates["direct"])
        results = {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "object_mib": options.mib,
                   "reps": options.reps, "bin": options.bin, "sides": {}}
        for side in order:
            median = statistics.median(rates[side])
            entry = {"mib_per_s": median, "each": [round(rate) for rate in rates[side]], "ratio": median / direct}
            if side in cpu:
                entry["cpu_s_median"] = statistics.median(cpu[side])
            results["sides"][side] = entry
            log(f"{side:8} {median:6.0f} MiB/s  {100 * median / direct:5.1f} % of direct"
                + (f"  cpu {entry['cpu_s_median']:.3f} s per GET" if side in cpu else "") + f"  each {entry['each']}")
        Path(options.out).mkdir(parents=True, exist_ok=True)
        out = Path(options.out) / f"{time.strftime('%Y%m%d-%H%M%S')}-relay-bound.json"
        out.write_text(json.dumps(results, indent=2))
        log(f"wrote {out}")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        os.killpg(weed.pid, 15)
        weed.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
