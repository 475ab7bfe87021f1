"""Custom runtimes (provided.al2023, provided.al2): the function's own `bootstrap` runs the
Runtime API loop, through the same language-runtime and sandbox seams as Python."""

from __future__ import annotations

import io
import shutil
import zipfile

import pytest

from conftest import FUNCTIONS_DIR, invoke
from test_layers import layers, unique_layer  # noqa: F401 - layers is a fixture


def bootstrap_zip(extra: dict | None = None, with_bootstrap: bool = True) -> bytes:
    """A package with functions/custom_runtime/bootstrap at its root, executable."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if with_bootstrap:
            info = zipfile.ZipInfo("bootstrap", date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = 0o755 << 16
            archive.writestr(info, (FUNCTIONS_DIR / "custom_runtime" / "bootstrap").read_text())
        for name, content in (extra or {}).items():
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            archive.writestr(info, content)
    return buffer.getvalue()


@pytest.mark.parametrize("runtime", ["provided.al2023", "provided.al2"])
def test_custom_runtime_runs_its_bootstrap(function, lambda_client, runtime):
    """Create, invoke cold and warm: the bootstrap sees Lambda's variables and the invocation."""
    name = function(zip_bytes=bootstrap_zip(), Runtime=runtime, Handler="function.handler")["FunctionName"]
    assert lambda_client.get_function_configuration(FunctionName=name)["Runtime"] == runtime

    first = invoke(lambda_client, name, {"action": "echo", "n": 1}, tail=True)
    assert first.status == 200, first.payload
    assert first.function_error is None
    assert first.executed_version == "$LATEST"
    assert first.payload["event"] == {"action": "echo", "n": 1}
    assert first.payload["cwd"] == "/var/task"
    assert 0 < first.payload["remaining_ms"] <= 30_000
    env = first.payload["env"]
    assert env["_HANDLER"] == "function.handler"
    assert env["LAMBDA_TASK_ROOT"] == "/var/task"
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == name
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    # Custom runtimes get no AWS_EXECUTION_ENV on AWS, and nothing of Python's.
    assert env["AWS_EXECUTION_ENV"] is None
    assert env["PYTHONPATH"] is None
    # What the bootstrap prints during init belongs to the stream, not to the invocation's tail.
    assert "bootstrap initializing" not in first.log
    assert f"handling {first.payload['request_id']}" in first.log
    assert "Init Duration" in first.log

    second = invoke(lambda_client, name, {"action": "echo", "n": 2}, tail=True)
    assert second.status == 200 and second.payload["event"]["n"] == 2
    assert "Init Duration" not in second.log


def test_custom_runtime_error(function, lambda_client):
    """An error the bootstrap posts reaches the caller as it was posted, with Unhandled."""
    name = function(zip_bytes=bootstrap_zip(), Runtime="provided.al2023", Handler="x")["FunctionName"]
    result = invoke(lambda_client, name, {"action": "error"})
    assert result.status == 200
    assert result.function_error == "Unhandled"
    assert result.payload == {"errorMessage": "boom", "errorType": "CustomError"}
    # The environment survives a handled error.
    assert invoke(lambda_client, name, {"action": "echo"}).function_error is None


def test_custom_runtime_timeout(function, lambda_client):
    """A bootstrap that outlives the timeout gets Sandbox.Timedout, and the next call a fresh environment."""
    name = function(zip_bytes=bootstrap_zip(), Runtime="provided.al2023", Handler="x", Timeout=1)["FunctionName"]
    result = invoke(lambda_client, name, {"action": "sleep", "seconds": 5}, tail=True)
    assert result.function_error == "Unhandled"
    assert result.payload["errorType"] == "Sandbox.Timedout"
    assert result.payload["errorMessage"].endswith("Task timed out after 1.00 seconds")
    assert "Task timed out after 1.00 seconds" in result.log
    after = invoke(lambda_client, name, {"action": "echo"}, tail=True)
    assert after.status == 200 and after.function_error is None
    assert "Init Duration" in after.log


def test_custom_runtime_exit(function, lambda_client):
    """A bootstrap that exits mid-invocation fails it with Runtime.ExitError."""
    name = function(zip_bytes=bootstrap_zip(), Runtime="provided.al2023", Handler="x")["FunctionName"]
    result = invoke(lambda_client, name, {"action": "exit"})
    assert result.function_error == "Unhandled"
    assert result.payload["errorType"] == "Runtime.ExitError"
    assert result.payload["errorMessage"].endswith("Runtime exited with error: exit status 3")


def test_custom_runtime_without_bootstrap(function, lambda_client):
    """A package without a bootstrap fails its invocations; it never hangs."""
    name = function(zip_bytes=bootstrap_zip({"readme.txt": "no bootstrap"}, with_bootstrap=False),
                    Runtime="provided.al2023", Handler="x")["FunctionName"]
    result = invoke(lambda_client, name, {})
    assert result.function_error == "Unhandled"
    assert result.payload["errorType"] == "Runtime.InvalidEntrypoint"


def test_custom_runtime_from_a_layer(function, lambda_client, layers):
    """A package without a bootstrap runs its layer's /opt/bootstrap, as on AWS."""
    layer = layers.publish(unique_layer("bootstrap"), bootstrap_zip())["LayerVersionArn"]
    name = function(zip_bytes=bootstrap_zip({"data.txt": "from the package"}, with_bootstrap=False),
                    Runtime="provided.al2023", Handler="function.handler", Layers=[layer])["FunctionName"]
    result = invoke(lambda_client, name, {"action": "echo", "n": 5})
    assert result.function_error is None, result.payload
    assert result.payload["event"] == {"action": "echo", "n": 5}
    assert result.payload["cwd"] == "/var/task"


SHELL_BOOTSTRAP = """#!/bin/sh
# The README's custom runtime: the Runtime API loop in sh and curl.
set -eu
API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation"
while true; do
  HEADERS=$(mktemp)
  EVENT=$(curl -sS -D "$HEADERS" "$API/next")
  ID=$(grep -i '^Lambda-Runtime-Aws-Request-Id:' "$HEADERS" | cut -d: -f2 | tr -d '[:space:]')
  curl -sS -X POST "$API/$ID/response" -d "{\\"echo\\": $EVENT}" >/dev/null
  rm -f "$HEADERS"
done
"""


@pytest.mark.skipif(not shutil.which("curl"), reason="the shell bootstrap needs curl on the host (/usr is bound read-only)")
def test_custom_runtime_shell_bootstrap(function, lambda_client):
    """A bootstrap in sh and curl, as in the README's tour, serves invocations cold and warm."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("bootstrap", date_time=(2020, 1, 1, 0, 0, 0))
        info.external_attr = 0o755 << 16
        archive.writestr(info, SHELL_BOOTSTRAP)
    name = function(zip_bytes=buffer.getvalue(), Runtime="provided.al2023", Handler="unused")["FunctionName"]
    for n in (1, 2):
        result = invoke(lambda_client, name, {"n": n})
        assert result.status == 200 and result.function_error is None, result.payload
        assert result.payload == {"echo": {"n": n}}
