"""AWS's Runtime Interface Emulator (RIE) as a test oracle.

RIE is the emulator AWS ships for running a runtime interface client outside Lambda: it
starts a bootstrap command as its child, serves it the Runtime API, and accepts invokes on
`POST /2015-03-31/functions/function/invocations`. Running a runtime client under RIE shows
what AWS's side of the Runtime API makes of it, with no Lambent code involved.

Plain helpers, no pytest fixtures:

    with Rie(["node", str(NODE_CLIENT)], task_dir, "index.handler") as rie:
        status, headers, body = rie.invoke({"x": 1})
        assert "INFO" in rie.output()

The binary is not vendored: `rie_binary()` takes it from $LAMBENT_RIE (a file), or from the
cache directory (~/.cache/lambent-test/rie), extracting it there from the aws-sam-cli wheel
(`python3 -m pip download`) the first time.
"""

from __future__ import annotations

import glob
import json
import os
import platform
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
NODE_CLIENT = REPO / "runtime-clients" / "nodejs" / "index.mjs"
CACHE_DIR = Path.home() / ".cache" / "lambent-test" / "rie"
INVOKE_PATH = "/2015-03-31/functions/function/invocations"

STARTUP_TIMEOUT_S = 20
STOP_TIMEOUT_S = 5


def _binary_name() -> str:
    arch = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}[platform.machine().lower()]
    return f"aws-lambda-rie-{arch}"


def rie_binary() -> Path:
    """The RIE executable: $LAMBENT_RIE, else the cache, else extracted from aws-sam-cli's wheel."""
    explicit = os.environ.get("LAMBENT_RIE")
    if explicit:
        path = Path(explicit)
        if path.is_dir():
            path = path / _binary_name()
        if not path.is_file():
            raise FileNotFoundError(f"LAMBENT_RIE={explicit} does not name an RIE binary")
        return path

    cached = CACHE_DIR / _binary_name()
    if cached.is_file():
        return cached

    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lambent-rie-") as scratch:
        subprocess.run(
            ["python3", "-m", "pip", "download", "--no-deps", "--quiet", "aws-sam-cli", "-d", scratch],
            check=True,
        )
        wheels = glob.glob(os.path.join(scratch, "aws_sam_cli-*.whl"))
        if not wheels:
            raise FileNotFoundError("pip downloaded no aws-sam-cli wheel")
        member = f"samcli/local/rapid/{_binary_name()}"
        with zipfile.ZipFile(wheels[0]) as wheel:
            data = wheel.read(member)
        # Written under a temporary name and renamed, so that parallel test workers never
        # execute a half-written binary.
        partial = cached.with_suffix(f".{os.getpid()}.partial")
        partial.write_bytes(data)
        partial.chmod(0o755)
        partial.replace(cached)
    return cached


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Rie:
    """One RIE process running `command` as the function's bootstrap.

    task_dir becomes LAMBDA_TASK_ROOT and the working directory, handler becomes _HANDLER;
    env adds to (or, with None values, removes from) the inherited environment.
    """

    def __init__(self, command: list[str], task_dir: str | os.PathLike, handler: str,
                 env: dict | None = None, timeout_s: int = 30):
        self.command = command
        self.task_dir = str(Path(task_dir).resolve())
        self.handler = handler
        self.env = env or {}
        self.timeout_s = timeout_s
        self.port = 0
        self.process: subprocess.Popen | None = None
        self._output = bytearray()
        self._output_lock = threading.Lock()
        self._reader: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> "Rie":
        self.port = free_port()
        environment = dict(os.environ)
        # The host's own AWS settings must not leak into the function under test.
        for name in list(environment):
            if name.startswith(("AWS_", "_HANDLER", "LAMBDA_", "_X_AMZN")):
                del environment[name]
        environment.update({
            "LAMBDA_TASK_ROOT": self.task_dir,
            "_HANDLER": self.handler,
            "AWS_LAMBDA_FUNCTION_TIMEOUT": str(self.timeout_s),
        })
        for name, value in self.env.items():
            if value is None:
                environment.pop(name, None)
            else:
                environment[name] = str(value)

        self.process = subprocess.Popen(
            [
                str(rie_binary()),
                "--runtime-interface-emulator-address", f"127.0.0.1:{self.port}",
                # RIE's Runtime API defaults to 127.0.0.1:9001; a port of its own lets tests
                # run in parallel.
                "--runtime-api-address", f"127.0.0.1:{free_port()}",
                *self.command,
            ],
            cwd=self.task_dir,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._pump, daemon=True)
        self._reader.start()
        self._wait_until_listening()
        return self

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        # RIE and the runtime share a session of their own: signal the whole group so that
        # no node process outlives the test.
        try:
            os.killpg(self.process.pid, 15)
            self.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, 9)
            self.process.wait()
        except ProcessLookupError:
            pass
        if self._reader:
            self._reader.join(timeout=STOP_TIMEOUT_S)

    def __enter__(self) -> "Rie":
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.stop()

    def _pump(self) -> None:
        assert self.process and self.process.stdout
        for chunk in iter(lambda: self.process.stdout.read1(65536), b""):
            with self._output_lock:
                self._output.extend(chunk)

    def _wait_until_listening(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"RIE exited with {self.process.returncode}:\n{self.output()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise TimeoutError(f"RIE did not listen on {self.port}:\n{self.output()}")

    # -- use ---------------------------------------------------------------------------

    def invoke(self, payload=None, *, raw: bytes | None = None,
               headers: dict | None = None, timeout: float = 60) -> tuple[int, dict, bytes]:
        """POSTs an event (JSON-encoded `payload`, or `raw` bytes): (status, headers, body)."""
        body = raw if raw is not None else json.dumps({} if payload is None else payload).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{INVOKE_PATH}", data=body, method="POST",
            headers=headers or {},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def invoke_json(self, payload=None, **kwargs):
        """invoke() with the body decoded as JSON: (status, decoded body)."""
        status, _headers, body = self.invoke(payload, **kwargs)
        return status, json.loads(body) if body else None

    def output(self) -> str:
        """Everything RIE and the runtime have written to stdout and stderr so far."""
        with self._output_lock:
            return self._output.decode("utf-8", "replace")

    def wait_for_output(self, text: str, timeout: float = 10) -> str:
        """Waits until `text` appears in output() (logs are written asynchronously)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            current = self.output()
            if text in current:
                return current
            time.sleep(0.05)
        raise TimeoutError(f"{text!r} not in output:\n{self.output()}")

    def log_records(self) -> list[str]:
        """The function's own log lines: RIE's bracketed and START/END/REPORT lines removed."""
        records = []
        # Split on LF only: a record may contain CRs (the runtime's encoding of newlines).
        for line in self.output().split("\n"):
            if not line:
                continue
            if " [INFO] (rapid) " in line or " [WARNING] (rapid) " in line or " [ERROR] (rapid) " in line:
                continue
            if line.startswith(("START RequestId:", "END RequestId:", "REPORT RequestId:")):
                continue
            records.append(line)
        return records

    def exit_code(self, timeout: float = 0) -> int | None:
        """RIE's own exit status (not the runtime's), None while it runs."""
        if self.process is None:
            return None
        try:
            return self.process.wait(timeout=timeout) if timeout else self.process.poll()
        except subprocess.TimeoutExpired:
            return None


def node_rie(task_dir, handler: str, env: dict | None = None, node: str = "node", **kwargs) -> Rie:
    """A Rie running Lambent's Node.js runtime client (`node runtime-clients/nodejs/index.mjs`)."""
    return Rie([node, str(NODE_CLIENT)], task_dir, handler, env=env, **kwargs)
