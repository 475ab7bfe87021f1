"""A C++ function on AWS's own runtime library, aws-lambda-cpp 0.2.6 (built by cpp_runtime.py),
deployed as provided.al2023 and provided.al2: Lambent's Runtime API accepts what the real
library sends. aws-lambda-cpp talks libcurl with `User-Agent: AWS_Lambda_Cpp/0.2.6`, posts
results with an explicit Content-Length and with `Expect` and chunked encoding switched off,
and posts errors as its own JSON (`errorMessage`, `errorType`, an empty `stackTrace`) without
a Lambda-Runtime-Function-Error-Type header."""

from __future__ import annotations

import base64
import json

import pytest

from conftest import REGION, ROLE, function_arn, invoke, make_zip
from cpp_runtime import BuildError, build_bootstrap


@pytest.fixture(scope="session")
def cpp_zip() -> bytes:
    """The deployment package: the C++ `bootstrap` at its root, mode 0755."""
    try:
        bootstrap = build_bootstrap()
    except BuildError as error:
        problem = str(error)
    else:
        return make_zip({"bootstrap": bootstrap.read_bytes()}, modes={"bootstrap": 0o755})
    pytest.fail(problem, pytrace=False)


@pytest.mark.parametrize("runtime", ["provided.al2023", "provided.al2"])
def test_cpp_function_serves_cold_and_warm(function, lambda_client, cpp_zip, runtime):
    """Cold, then warm in the same process: the handler gets the event, the request id, the
    invoked ARN, a deadline in the future and Lambda's variables; what it prints is in the tail."""
    config = function(zip_bytes=cpp_zip, Runtime=runtime, Handler="function.handler")
    name = config["FunctionName"]
    event = {"action": "echo", "n": 1, "text": 'h\u00e9llo "quoted"\n'}

    first = invoke(lambda_client, name, event, tail=True)
    assert first.status == 200 and first.function_error is None, first.payload
    assert first.payload["event"] == event
    assert first.payload["request_id"] == first.request_id
    assert first.payload["function_arn"] == function_arn(name)
    assert 0 < first.payload["remaining_ms"] <= 30_000
    assert first.payload["content_type"] == "application/json"
    env = first.payload["env"]
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == name
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == str(config["MemorySize"])
    assert env["AWS_REGION"] == REGION
    assert env["LAMBDA_TASK_ROOT"] == "/var/task"
    assert env["_HANDLER"] == "function.handler"
    assert env["AWS_LAMBDA_RUNTIME_API"]
    assert env["AWS_EXECUTION_ENV"] is None  # custom runtimes get none on AWS
    assert f"handling {first.request_id}" in first.log
    assert f"stderr from C++ for {first.request_id}" in first.log
    assert "Init Duration" in first.log
    # What the bootstrap prints during init belongs to the stream, not to the invocation's tail.
    assert "cpp bootstrap initializing" not in first.log

    second = invoke(lambda_client, name, {"action": "echo", "n": 2}, tail=True)
    assert second.status == 200 and second.function_error is None, second.payload
    assert second.payload["event"] == {"action": "echo", "n": 2}
    assert second.payload["request_id"] == second.request_id != first.request_id
    assert (second.payload["pid"], second.payload["invocations"]) == (first.payload["pid"], 2)
    assert f"handling {second.request_id}" in second.log
    assert "Init Duration" not in second.log


def test_cpp_function_failure(function, lambda_client, cpp_zip):
    """invocation_response::failure reaches the caller as the library posted it, Unhandled;
    the process lives on for the next invocation."""
    name = function(zip_bytes=cpp_zip, Runtime="provided.al2023", Handler="x")["FunctionName"]
    result = invoke(lambda_client, name, {"action": "fail"}, tail=True)
    assert result.status == 200
    assert result.function_error == "Unhandled"
    assert result.payload == {
        "errorMessage": 'the "fail" action\nfailed on purpose',
        "errorType": "CppHandlerError",
        "stackTrace": [],
    }
    assert f"handling {result.request_id}" in result.log

    after = invoke(lambda_client, name, {"action": "echo"})
    assert after.function_error is None, after.payload
    assert after.payload["invocations"] == 2


def test_cpp_function_timeout(function, lambda_client, cpp_zip):
    """A handler that outlives the timeout gets Sandbox.Timedout; the next call starts a
    fresh environment."""
    name = function(zip_bytes=cpp_zip, Runtime="provided.al2023", Handler="x", Timeout=1)["FunctionName"]
    result = invoke(lambda_client, name, {"action": "sleep", "seconds": 5}, tail=True)
    assert result.status == 200
    assert result.function_error == "Unhandled"
    assert result.payload["errorType"] == "Sandbox.Timedout"
    assert result.payload["errorMessage"].endswith("Task timed out after 1.00 seconds")
    assert "Task timed out after 1.00 seconds" in result.log

    after = invoke(lambda_client, name, {"action": "echo"}, tail=True)
    assert after.status == 200 and after.function_error is None, after.payload
    assert after.payload["invocations"] == 1
    assert "Init Duration" in after.log


def test_cpp_function_large_payload(function, lambda_client, cpp_zip):
    """A 1 MB event and its echo: libcurl uploads the result through the library's read
    callback in many pieces under one Content-Length, with no `Expect: 100-continue`."""
    name = function(zip_bytes=cpp_zip, Runtime="provided.al2023", Handler="x")["FunctionName"]
    blob = "0123456789abcdef" * 65_536
    result = invoke(lambda_client, name, {"action": "echo", "blob": blob})
    assert result.status == 200 and result.function_error is None, result.raw[:500]
    assert result.payload["event"]["blob"] == blob


def test_cpp_function_text_response(function, lambda_client, cpp_zip):
    """A success with a non-JSON body and its own content type comes back byte for byte."""
    name = function(zip_bytes=cpp_zip, Runtime="provided.al2023", Handler="x")["FunctionName"]
    result = invoke(lambda_client, name, {"action": "text"})
    assert result.status == 200 and result.function_error is None, result.raw
    assert result.raw == b"plain text from C++"


def test_cpp_function_init_error(function, lambda_client, cpp_zip):
    """An init error the library posts (runtime::post_init_error) fails the invocation with
    the posted body, Unhandled."""
    name = function(zip_bytes=cpp_zip, Runtime="provided.al2023", Handler="x",
                    Environment={"Variables": {"CPP_FAIL_INIT": "1"}})["FunctionName"]
    result = invoke(lambda_client, name, {"action": "echo"})
    assert result.status == 200
    assert result.function_error == "Unhandled"
    assert result.payload == {"errorMessage": "init failed on purpose", "errorType": "CppInitError"}


def test_cpp_function_with_the_aws_cli(aws, function, cpp_zip, tmp_path):
    """The user's path: create-function with fileb:// (provided.al2), wait, invoke with
    --log-type Tail, and an Unhandled error as the CLI shows it."""
    name = function.unique_name()
    package = tmp_path / "function.zip"
    package.write_bytes(cpp_zip)
    created = aws("lambda", "create-function", "--function-name", name,
                  "--runtime", "provided.al2", "--handler", "function.handler", "--role", ROLE,
                  "--zip-file", f"fileb://{package}")
    assert created["Runtime"] == "provided.al2"
    aws("lambda", "wait", "function-active-v2", "--function-name", name)

    out = tmp_path / "out.json"
    invoked = aws("lambda", "invoke", "--function-name", name, "--payload", '{"action": "echo", "via": "cli"}',
                  "--log-type", "Tail", str(out))
    assert invoked["StatusCode"] == 200
    assert "FunctionError" not in invoked
    answer = json.loads(out.read_text())
    assert answer["event"] == {"action": "echo", "via": "cli"}
    log = base64.b64decode(invoked["LogResult"]).decode()
    assert f"START RequestId: {answer['request_id']}" in log
    assert f"handling {answer['request_id']}" in log

    failed_out = tmp_path / "failed.json"
    failed = aws("lambda", "invoke", "--function-name", name, "--payload", '{"action": "fail"}', str(failed_out))
    assert failed["StatusCode"] == 200
    assert failed["FunctionError"] == "Unhandled"
    assert json.loads(failed_out.read_text())["errorType"] == "CppHandlerError"
