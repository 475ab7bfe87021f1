"""Shared fixtures for Lambent's end-to-end suite.

The suite drives a real `lambent serve` with real clients (boto3, the AWS CLI and
the lambent CLI). Nothing is built here: `scripts/test.sh` runs `swift build`
first and exports LAMBENT_BIN (the directory printed by `swift build
--show-bin-path`). Each pytest-xdist worker starts one server of its own; the
Python runtime cache (awslambdaric) is shared by every server of the run.

Environment knobs:
  LAMBENT_BIN                bin directory holding `lambent` (or the binary itself)
  LAMBENT_E2E_RUNTIME        Lambda runtime of the sample functions (python3.12)
  LAMBENT_E2E_RUNTIMES_DIR   shared runtimes cache (<repo>/.build/e2e-runtimes)
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import io
import json
import os
import random
import re
import secrets
import signal
import socket
import string
import subprocess
import sys
import time
import urllib.request
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

REPO = Path(__file__).resolve().parents[2]
FUNCTIONS_DIR = Path(__file__).resolve().parent / "functions"

REGION = "us-east-1"
ACCOUNT_ID = "000000000000"
ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/lambent-e2e"
RUNTIME = os.environ.get("LAMBENT_E2E_RUNTIME", "python3.12")
RUNTIMES_DIR = Path(os.environ.get("LAMBENT_E2E_RUNTIMES_DIR", REPO / ".build" / "e2e-runtimes"))

HEALTH_TIMEOUT_S = 60
SHUTDOWN_TIMEOUT_S = 20


def function_arn(name: str) -> str:
    """The unqualified ARN Lambent gives function `name`."""
    return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}"


def not_found_message(name: str) -> str:
    """AWS's ResourceNotFoundException message for an unknown function."""
    return f"Function not found: {function_arn(name)}"


# ---------------------------------------------------------------------------
# Zips and code digests
# ---------------------------------------------------------------------------


def make_zip(files: dict, modes: dict | None = None) -> bytes:
    """A deployment package holding `files` ({path in zip: str or bytes}), mode 0644 unless `modes` says."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in sorted(files.items()):
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = (modes or {}).get(name, 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return buffer.getvalue()


def zip_function(directory: str, overrides: dict | None = None) -> bytes:
    """The zip of functions/<directory>, with `overrides` replacing or adding files."""
    root = FUNCTIONS_DIR / directory
    files = {
        str(path.relative_to(root)): path.read_bytes()
        for path in root.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    files.update(overrides or {})
    return make_zip(files)


def code_sha256(zip_bytes: bytes) -> str:
    """Lambda's CodeSha256: base64 of the zip's SHA-256 digest."""
    return base64.b64encode(hashlib.sha256(zip_bytes).digest()).decode()


def error_code(error: ClientError) -> str:
    return error.response["Error"]["Code"]


def http_status(error: ClientError) -> int:
    return error.response["ResponseMetadata"]["HTTPStatusCode"]


# ---------------------------------------------------------------------------
# The server under test
# ---------------------------------------------------------------------------


def lambent_bin_dir() -> Path:
    """Where the built executables are: $LAMBENT_BIN, else `swift build --show-bin-path`."""
    configured = os.environ.get("LAMBENT_BIN")
    if configured:
        path = Path(configured)
        return path.parent if path.is_file() else path
    try:
        shown = subprocess.run(
            ["swift", "build", "--show-bin-path"],
            cwd=REPO, capture_output=True, text=True, check=True, timeout=120,
        ).stdout.strip()
        return Path(shown)
    except (OSError, subprocess.SubprocessError):
        return REPO / ".build" / "debug"


def lambent_binary() -> Path:
    binary = lambent_bin_dir() / "lambent"
    if not binary.is_file():
        pytest.exit(
            f"lambent binary not found at {binary}; run `swift build` first "
            "(scripts/test.sh does) or set LAMBENT_BIN",
            returncode=2,
        )
    return binary


def assert_timeout_kills_spawned_processes(client, name: str) -> None:
    """Invokes the probe's `spawn_and_hang` past the function's timeout and checks that the
    child it started does not outlive the environment."""
    marker = "%d.%06d" % (random.randint(1000, 9999), random.randint(0, 999999))
    timed_out = invoke(client, name, {"action": "spawn_and_hang", "marker": marker, "seconds": 5})
    assert timed_out.payload["errorType"] == "Sandbox.Timedout", timed_out.payload
    survivors = ""
    for _ in range(50):
        survivors = subprocess.run(["pgrep", "-f", f"sleep {marker}"], capture_output=True, text=True).stdout
        if not survivors:
            break
        time.sleep(0.1)
    assert survivors == "", f"processes outlived the environment: {survivors}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def random_credentials() -> tuple[str, str]:
    alphabet = string.ascii_uppercase + string.digits
    access_key = "AKIA" + "".join(secrets.choice(alphabet) for _ in range(16))
    secret_key = secrets.token_urlsafe(30)[:40]
    return access_key, secret_key


@dataclass
class LambentServer:
    """One `lambent serve` process with its own port, data dir and credentials."""

    binary: Path
    workdir: Path
    access_key: str = field(default_factory=lambda: random_credentials()[0])
    secret_key: str = field(default_factory=lambda: random_credentials()[1])
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    extra_args: list[str] = field(default_factory=list)

    @property
    def data_dir(self) -> Path:
        return self.workdir / "data"

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def stdout_path(self) -> Path:
        return self.workdir / "server.stdout.log"

    @property
    def stderr_path(self) -> Path:
        return self.workdir / "server.stderr.log"

    def start(self) -> "LambentServer":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        RUNTIMES_DIR.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env.update(
            LAMBENT_ACCESS_KEY_ID=self.access_key,
            LAMBENT_SECRET_ACCESS_KEY=self.secret_key,
            LAMBENT_RUNTIMES_DIR=str(RUNTIMES_DIR),
        )
        command = [
            str(self.binary), "serve",
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--data-dir", str(self.data_dir),
            "--runtimes-dir", str(RUNTIMES_DIR),
            "--region", REGION,
            "--account-id", ACCOUNT_ID,
            *self.extra_args,
        ]
        with open(self.stdout_path, "ab") as out, open(self.stderr_path, "ab") as err:
            self.process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env,
                start_new_session=True,
            )
        self.wait_healthy()
        return self

    def wait_healthy(self) -> None:
        deadline = time.monotonic() + HEALTH_TIMEOUT_S
        url = f"{self.endpoint}/lambent/v1/health"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(
                    f"lambent serve exited with {self.process.returncode} before becoming "
                    f"healthy; stderr:\n{self.log_tail()}",
                    pytrace=False,
                )
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        self.kill()
        pytest.fail(
            f"lambent serve was not healthy at {url} within {HEALTH_TIMEOUT_S} s; "
            f"stderr:\n{self.log_tail()}",
            pytrace=False,
        )

    def terminate(self, timeout: float = SHUTDOWN_TIMEOUT_S) -> int | None:
        """SIGTERM, then wait; returns the exit status, or None if it did not exit in time."""
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def wait_exit(self, timeout: float = SHUTDOWN_TIMEOUT_S) -> int | None:
        """Wait (without signalling) for the server to exit; None if it is still running."""
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait(timeout=10)

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.stderr_path.read_text(errors="replace")
        except OSError:
            return "<no stderr captured>"
        return "\n".join(text.splitlines()[-lines:])

    def client(self, access_key: str | None = None, secret_key: str | None = None, service: str = "lambda",
               **config) -> "boto3.client":
        """A boto3 client for this server: Lambda, or another service it serves (`sqs`, `logs`);
        override the credentials to test auth."""
        options = dict(retries={"max_attempts": 0}, read_timeout=120, connect_timeout=10)
        options.update(config)
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=access_key or self.access_key,
            aws_secret_access_key=secret_key or self.secret_key,
            config=Config(**options),
        )

    def env(self) -> dict:
        """Environment for the aws and lambent CLIs talking to this server."""
        env = dict(os.environ)
        for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
            env.pop(key, None)
        env.update(
            AWS_ACCESS_KEY_ID=self.access_key,
            AWS_SECRET_ACCESS_KEY=self.secret_key,
            AWS_DEFAULT_REGION=REGION,
            AWS_CONFIG_FILE=str(self.workdir / "no-aws-config"),
            AWS_SHARED_CREDENTIALS_FILE=str(self.workdir / "no-aws-credentials"),
            AWS_MAX_ATTEMPTS="1",
            AWS_PAGER="",
            LAMBENT_ENDPOINT=self.endpoint,
        )
        return env

    def processes_mentioning_data_dir(self) -> list[str]:
        """Command lines of live processes that mention this server's data dir."""
        needle = str(self.data_dir).encode()
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if needle in cmdline:
                readable = cmdline.replace(b"\0", b" ").decode(errors="replace")
                found.append(f"{entry.name}: {readable}")
        return found


_SERVERS: list[LambentServer] = []


def _warm_runtime(server: LambentServer) -> None:
    """Run one invocation under a run-wide lock so the runtime cache is filled once.

    The first invocation of a Python function pip-installs awslambdaric into the
    shared runtimes dir; xdist workers take turns here so only one of them does.
    Failures are left for the tests themselves to report.
    """
    lock_path = RUNTIMES_DIR / ".e2e-warmup.lock"
    client = server.client(read_timeout=600)
    name = f"e2e-warmup-{uuid.uuid4().hex[:8]}"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            client.create_function(
                FunctionName=name, Runtime=RUNTIME, Role=ROLE, Handler="app.handler",
                Code={"ZipFile": zip_function("probe")}, Timeout=300,
            )
            client.get_waiter("function_active_v2").wait(
                FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 600})
            client.invoke(FunctionName=name, Payload=b"{}")
        except Exception as error:  # noqa: BLE001 - reported by the tests that need it
            sys.stderr.write(f"runtime warm-up failed: {error!r}\n")
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
            try:
                client.delete_function(FunctionName=name)
            except Exception:  # noqa: BLE001
                pass


@pytest.fixture(scope="session")
def start_server(tmp_path_factory):
    """Factory: start another server (own port and data dir; pass `workdir` to reuse one)."""
    binary = lambent_binary()
    started: list[LambentServer] = []

    def start(workdir: Path | None = None, extra_args: list[str] | None = None) -> LambentServer:
        server = LambentServer(binary=binary, workdir=workdir or tmp_path_factory.mktemp("lambent"),
                               extra_args=list(extra_args or []))
        started.append(server)
        _SERVERS.append(server)
        return server.start()

    yield start
    # SIGTERM first: a server killed outright leaves its mounted /tmp volumes (and loop
    # devices) until it next starts on the same data directory, which these never do.
    for server in started:
        if server.terminate(timeout=15) is None:
            server.kill()


@pytest.fixture(scope="session")
def server(start_server):
    """The server shared by this worker's tests; torn down with SIGTERM."""
    instance = start_server()
    _warm_runtime(instance)
    yield instance
    status = instance.terminate()
    assert status is not None, (
        f"lambent serve did not exit within {SHUTDOWN_TIMEOUT_S} s of SIGTERM; "
        f"stderr:\n{instance.log_tail()}"
    )
    assert status == 0, f"lambent serve exited with {status} after SIGTERM:\n{instance.log_tail()}"


@pytest.fixture(scope="session")
def lambda_client(server):
    """A boto3 Lambda client signed with the server's root credentials."""
    return server.client()


@pytest.fixture(scope="session", name="make_zip")
def make_zip_fixture():
    """`make_zip({"app.py": "..."})` -> zip bytes."""
    return make_zip


class AwsCliError(AssertionError):
    def __init__(self, result: subprocess.CompletedProcess):
        super().__init__(
            f"aws {' '.join(result.args[3:])} exited {result.returncode}\n"
            f"stdout: {result.stdout}\nstderr: {result.stderr}"
        )
        self.result = result


class AwsCli:
    """Runs the real `aws` CLI (v1, from this Python) against one server."""

    def __init__(self, server: LambentServer, cwd: Path):
        self.server = server
        self.cwd = cwd

    def run(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "awscli", *args,
                   "--endpoint-url", self.server.endpoint, "--output", "json"]
        return subprocess.run(command, cwd=self.cwd, env=self.server.env(),
                              capture_output=True, text=True, timeout=timeout)

    def __call__(self, *args: str, timeout: float = 180):
        """Run and return the parsed JSON output (None when the command prints nothing)."""
        result = self.run(*args, timeout=timeout)
        if result.returncode != 0:
            raise AwsCliError(result)
        return json.loads(result.stdout) if result.stdout.strip() else None


@pytest.fixture
def aws(server, tmp_path):
    """`aws("lambda", "get-function", "--function-name", name)` -> parsed JSON."""
    return AwsCli(server, tmp_path)


def _unique_name(request, label: str = "") -> str:
    base = re.sub(r"[^a-zA-Z0-9-_]", "-", request.node.name.removeprefix("test_"))
    base = re.sub(r"-+", "-", base).strip("-")
    suffix = uuid.uuid4().hex[:8]
    label = f"-{label}" if label else ""
    return f"{base[: 64 - len(suffix) - len(label) - 1]}{label}-{suffix}"


class FunctionFactory:
    """Creates uniquely named functions for one test and deletes them afterwards."""

    def __init__(self, client, request):
        self.client = client
        self.request = request
        self.names: list[str] = []

    def unique_name(self, label: str = "") -> str:
        name = _unique_name(self.request, label)
        self.track(name)
        return name

    def track(self, name: str) -> str:
        """Delete `name` at teardown (for functions a test creates itself)."""
        if name not in self.names:
            self.names.append(name)
        return name

    def __call__(self, directory: str = "probe", *, zip_bytes: bytes | None = None,
                 wait: bool = True, label: str = "", **params) -> dict:
        """Create a function from functions/<directory>; returns its configuration."""
        name = params.pop("FunctionName", None) or self.unique_name(label)
        self.track(name)
        request = dict(
            FunctionName=name, Runtime=RUNTIME, Role=ROLE, Handler="app.handler",
            Code={"ZipFile": zip_bytes if zip_bytes is not None else zip_function(directory)},
            Timeout=30,
        )
        request.update(params)
        created = self.client.create_function(**request)
        if wait:
            self.wait_active(name)
            return self.client.get_function_configuration(FunctionName=name)
        return created

    def wait_active(self, name: str) -> None:
        self.client.get_waiter("function_active_v2").wait(
            FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120})

    def wait_updated(self, name: str) -> None:
        self.client.get_waiter("function_updated_v2").wait(
            FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120})

    def cleanup(self) -> None:
        for name in self.names:
            try:
                self.client.delete_function(FunctionName=name)
            except ClientError as error:
                if error_code(error) != "ResourceNotFoundException":
                    raise
            except Exception:  # noqa: BLE001 - the server may be gone (shutdown scenarios)
                pass


@pytest.fixture
def function(lambda_client, request):
    """`function("probe", Timeout=1)` -> configuration of a new, Active function."""
    factory = FunctionFactory(lambda_client, request)
    yield factory
    factory.cleanup()


@dataclass
class Invocation:
    """The parts of an Invoke response the scenarios look at."""

    status: int
    payload: object
    raw: bytes
    function_error: str | None
    executed_version: str | None
    log: str | None
    headers: dict

    @property
    def request_id(self) -> str | None:
        return self.headers.get("x-amzn-requestid")


def invoke(client, name: str, event=None, *, payload: bytes | None = None,
           tail: bool = False, **params) -> Invocation:
    """Invoke synchronously and decode the payload (JSON when possible) and log tail."""
    if payload is None:
        payload = json.dumps({} if event is None else event).encode()
    if tail:
        params["LogType"] = "Tail"
    response = client.invoke(FunctionName=name, Payload=payload, **params)
    raw = response["Payload"].read()
    try:
        decoded = json.loads(raw) if raw else None
    except ValueError:
        decoded = raw
    log = response.get("LogResult")
    return Invocation(
        status=response["StatusCode"],
        payload=decoded,
        raw=raw,
        function_error=response.get("FunctionError"),
        executed_version=response.get("ExecutedVersion"),
        log=base64.b64decode(log).decode(errors="replace") if log else None,
        headers=response["ResponseMetadata"]["HTTPHeaders"],
    )


@pytest.fixture(scope="session", name="invoke")
def invoke_fixture():
    """`invoke(client, name, {"action": "echo"}, tail=True)` -> Invocation."""
    return invoke


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Attach the tail of each server's stderr to failing tests' reports."""
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for server in _SERVERS:
            report.sections.append(
                (f"lambent serve stderr (port {server.port})", server.log_tail(40)))
