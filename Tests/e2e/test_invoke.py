"""Invoke scenarios: results, function errors, log tails, limits and the runtime's view.

Exact strings (Sandbox.Timedout, Runtime.ExitError, REPORT lines) are AWS's: clients parse them.
"""

from __future__ import annotations

import re

import pytest
from botocore.exceptions import ClientError

from conftest import (
    assert_timeout_kills_spawned_processes,
    ACCOUNT_ID, REGION, error_code, function_arn, http_status, invoke, make_zip, not_found_message,
)

MAX_PAYLOAD = 6 * 1024 * 1024  # 6291456 bytes, Lambda's synchronous request limit

REPORT = re.compile(
    r"^REPORT RequestId: (?P<id>\S+)\tDuration: \d+(\.\d+)? ms\tBilled Duration: \d+ ms"
    r"\tMemory Size: (?P<memory>\d+) MB\tMax Memory Used: \d+ MB"
    r"(?P<init>\tInit Duration: \d+(\.\d+)? ms)?\s*$",
    re.MULTILINE,
)


def request_id_of(log: str) -> str:
    match = re.search(r"^START RequestId: (\S+) Version: \$LATEST\s*$", log, re.MULTILINE)
    assert match, f"no START line in log tail:\n{log}"
    return match.group(1)


def test_invoke_returns_handler_result(lambda_client, function):
    """RequestResponse returns 200, the handler's JSON result and X-Amz-Executed-Version."""
    name = function("probe")["FunctionName"]
    result = invoke(lambda_client, name, {"action": "echo", "a": 1, "nested": {"list": [1, "two"]}})
    assert result.status == 200
    assert result.function_error is None
    assert result.executed_version == "$LATEST"
    assert result.headers.get("x-amz-executed-version") == "$LATEST"
    assert result.payload["event"] == {"action": "echo", "a": 1, "nested": {"list": [1, "two"]}}


@pytest.mark.parametrize("form", ["name", "arn", "partial-arn"])
def test_invoke_by_name_arn_or_partial_arn(lambda_client, function, form):
    """Invoke resolves the function from its name, full ARN or partial ARN."""
    name = function("probe")["FunctionName"]
    identifier = {
        "name": name,
        "arn": function_arn(name),
        "partial-arn": f"{ACCOUNT_ID}:function:{name}",
    }[form]
    result = invoke(lambda_client, identifier, {"action": "context"})
    assert result.status == 200, result.payload
    assert result.payload["function_name"] == name
    if form == "arn":
        assert result.payload["invoked_function_arn"] == function_arn(name)


def test_dry_run_returns_204(lambda_client, function):
    """InvocationType DryRun validates and answers 204 with an empty body."""
    name = function("probe")["FunctionName"]
    result = invoke(lambda_client, name, {}, InvocationType="DryRun")
    assert result.status == 204
    assert result.raw == b""


def test_event_invocation_is_queued(lambda_client, function):
    """InvocationType Event answers 202 with an empty body and the request id (test_async.py has the rest)."""
    name = function("probe")["FunctionName"]
    answer = lambda_client.invoke(FunctionName=name, InvocationType="Event", Payload=b"{}")
    assert answer["StatusCode"] == 202 and answer["Payload"].read() == b""
    assert answer["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]


def test_unknown_function_is_not_found(lambda_client):
    """Invoking an unknown function fails with 404 ResourceNotFoundException."""
    with pytest.raises(ClientError) as caught:
        invoke(lambda_client, "nope", {})
    assert error_code(caught.value) == "ResourceNotFoundException"
    assert http_status(caught.value) == 404
    # AWS's recordings show both "...:function:nope" and "...:function:nope:$LATEST".
    assert caught.value.response["Error"]["Message"].startswith(not_found_message("nope"))


def test_function_error_is_unhandled(lambda_client, function):
    """An exception in the handler gives 200, FunctionError Unhandled and the error document."""
    name = function("probe")["FunctionName"]
    result = invoke(lambda_client, name, {"action": "raise", "message": "boom"})
    assert result.status == 200
    assert result.function_error == "Unhandled"
    assert result.headers.get("x-amz-function-error") == "Unhandled"
    assert result.payload["errorType"] == "ValueError"
    assert result.payload["errorMessage"] == "boom"
    assert isinstance(result.payload["stackTrace"], list)


def test_log_tail_has_start_end_and_report(lambda_client, function):
    """LogType Tail returns START/END/REPORT lines, the handler's output and Init Duration once."""
    name = function("probe")["FunctionName"]

    cold = invoke(lambda_client, name, {"action": "log", "line": "probe says hi"}, tail=True)
    assert cold.status == 200, cold.payload
    assert cold.log is not None, "no LogResult"
    request_id = request_id_of(cold.log)
    assert request_id == cold.request_id
    assert "probe says hi" in cold.log
    assert re.search(rf"^END RequestId: {re.escape(request_id)}\s*$", cold.log, re.MULTILINE), cold.log
    report = REPORT.search(cold.log)
    assert report, f"no AWS-shaped REPORT line in:\n{cold.log!r}"
    assert report.group("id") == request_id
    assert report.group("memory") == "128"
    assert report.group("init"), "a cold start reports Init Duration"

    warm = invoke(lambda_client, name, {"action": "echo"}, tail=True)
    assert warm.payload["env_id"] == cold.payload["env_id"], "second invoke was not warm"
    warm_report = REPORT.search(warm.log)
    assert warm_report and warm_report.group("id") == request_id_of(warm.log) != request_id
    assert not warm_report.group("init"), "a warm invoke reports no Init Duration"


def test_payload_over_6mb_is_rejected(lambda_client, function):
    """A request payload over 6 MB fails with 413 RequestTooLargeException."""
    name = function("probe")["FunctionName"]
    payload = b'"' + b"x" * (MAX_PAYLOAD + 1024) + b'"'
    with pytest.raises(ClientError) as caught:
        invoke(lambda_client, name, payload=payload)
    # The service model names RequestTooLargeException; real AWS answers sync invokes with
    # RequestEntityTooLargeException. Either is accepted until Lambent settles on one.
    assert error_code(caught.value) in {"RequestTooLargeException", "RequestEntityTooLargeException"}
    assert http_status(caught.value) == 413
    assert caught.value.response["Error"]["Message"] == (
        "Request must be smaller than 6291456 bytes for the InvokeFunction operation")


def test_payload_just_under_6mb_is_delivered(lambda_client, function):
    """A payload of almost 6 MB reaches the handler intact."""
    name = function("probe")["FunctionName"]
    filler = "y" * (MAX_PAYLOAD - 200_000)
    result = invoke(lambda_client, name, {"action": "size", "filler": filler})
    assert result.status == 200, result.payload
    assert result.payload["size"] == len('{"action":"size","filler":""}') + len(filler)


@pytest.mark.parametrize("payload", [b"this is not json", b"{\"a\": 1", b"\x87\x99\xeb not utf-8", b"{\"a\": [1, 2,]}"],
                         ids=["text", "truncated", "invalid-utf8", "trailing-comma"])
def test_non_json_payload_is_rejected(lambda_client, function, payload):
    """A payload that is not JSON fails with 400 InvalidRequestContentException."""
    name = function("probe")["FunctionName"]
    with pytest.raises(ClientError) as caught:
        invoke(lambda_client, name, payload=payload)
    assert error_code(caught.value) == "InvalidRequestContentException"
    assert http_status(caught.value) == 400


def test_timeout_reports_sandbox_timedout_and_recovers(lambda_client, function):
    """A handler past its Timeout gets Sandbox.Timedout; the next invoke runs in a fresh environment."""
    name = function("probe", Timeout=1)["FunctionName"]
    before = invoke(lambda_client, name, {"action": "echo"})
    assert before.status == 200, before.payload

    timed_out = invoke(lambda_client, name, {"action": "sleep", "seconds": 5})
    assert timed_out.status == 200
    assert timed_out.function_error == "Unhandled"
    assert timed_out.payload["errorType"] == "Sandbox.Timedout"
    assert timed_out.payload["errorMessage"] == (
        f"RequestId: {timed_out.request_id} Error: Task timed out after 1.00 seconds")

    after = invoke(lambda_client, name, {"action": "echo"})
    assert after.status == 200 and after.function_error is None, after.payload
    assert after.payload["env_id"] != before.payload["env_id"]


def test_timeout_destroys_every_process_of_the_environment(lambda_client, function):
    """After a timeout no process the handler started survives (the whole sandbox is destroyed)."""
    name = function("probe", Timeout=1)["FunctionName"]
    assert_timeout_kills_spawned_processes(lambda_client, name)


def test_response_over_6mb_is_function_response_size_too_large(lambda_client, function):
    """A handler returning more than 6 MB gets Function.ResponseSizeTooLarge, as on AWS."""
    name = function("probe")["FunctionName"]
    result = invoke(lambda_client, name, {"action": "big_response", "bytes": 7 * 1024 * 1024})
    assert result.status == 200
    assert result.function_error == "Unhandled"
    assert result.payload["errorType"] == "Function.ResponseSizeTooLarge"
    assert "6291556 bytes" in result.payload["errorMessage"]
    after = invoke(lambda_client, name, {"action": "echo"})
    assert after.status == 200 and after.function_error is None, after.payload


def test_runtime_exit_reports_exit_error_and_recovers(lambda_client, function):
    """A handler calling os._exit(1) gets Runtime.ExitError; the next invoke still works."""
    name = function("probe")["FunctionName"]
    exited = invoke(lambda_client, name, {"action": "exit", "code": 1})
    assert exited.status == 200
    assert exited.function_error == "Unhandled"
    assert exited.payload["errorType"] == "Runtime.ExitError"
    assert exited.payload["errorMessage"] == (
        f"RequestId: {exited.request_id} Error: Runtime exited with error: exit status 1")

    after = invoke(lambda_client, name, {"action": "echo"})
    assert after.status == 200 and after.function_error is None, after.payload


def test_import_error_reports_import_module_error(lambda_client, function):
    """A module that fails to import gives Runtime.ImportModuleError."""
    name = function("import_error")["FunctionName"]
    result = invoke(lambda_client, name, {})
    assert result.status == 200
    assert result.function_error == "Unhandled"
    assert result.payload["errorType"] == "Runtime.ImportModuleError"
    assert result.payload["errorMessage"].startswith("Unable to import module 'app':")
    assert "lambent_e2e_module_that_does_not_exist" in result.payload["errorMessage"]


def test_missing_handler_reports_handler_not_found(lambda_client, function):
    """A Handler naming a function the module lacks gives Runtime.HandlerNotFound."""
    name = function("no_handler")["FunctionName"]
    result = invoke(lambda_client, name, {})
    assert result.status == 200
    assert result.function_error == "Unhandled"
    assert result.payload["errorType"] == "Runtime.HandlerNotFound"


def test_context_object_describes_the_invocation(lambda_client, function):
    """The handler's context carries the function's name, memory, ARN, log group and deadline."""
    name = function("probe", Timeout=7)["FunctionName"]
    result = invoke(lambda_client, name, {"action": "context"}, tail=True)
    assert result.status == 200, result.payload
    context = result.payload
    assert context["function_name"] == name
    assert context["function_version"] == "$LATEST"
    assert context["memory_limit_in_mb"] == "128"
    assert context["invoked_function_arn"] == function_arn(name)
    assert context["log_group_name"] == f"/aws/lambda/{name}"
    assert context["log_stream_name"]
    assert context["aws_request_id"] == request_id_of(result.log) == result.request_id
    assert 0 < context["remaining_ms"] <= 7000


def test_environment_variables_reach_the_handler(lambda_client, function, server):
    """Configured variables and Lambda's reserved ones are set; the server's secrets are not."""
    name = function(
        "probe", MemorySize=256,
        Environment={"Variables": {"MY_SETTING": "forty-two", "UNICODE_VALUE": "héllo"}},
    )["FunctionName"]
    result = invoke(lambda_client, name, {"action": "environment"})
    assert result.status == 200, result.payload
    environ = result.payload["environ"]
    assert environ["MY_SETTING"] == "forty-two"
    assert environ["UNICODE_VALUE"] == "héllo"
    assert environ["AWS_LAMBDA_FUNCTION_NAME"] == name
    assert environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert environ["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert environ["AWS_LAMBDA_LOG_GROUP_NAME"] == f"/aws/lambda/{name}"
    assert environ["AWS_REGION"] == REGION
    assert environ["AWS_LAMBDA_RUNTIME_API"] == "127.0.0.1:9001"
    assert environ["LAMBDA_TASK_ROOT"] == "/var/task"
    assert environ["_HANDLER"] == "app.handler"
    assert result.payload["cwd"] == "/var/task"

    assert "LAMBENT_SECRET_ACCESS_KEY" not in environ
    assert "LAMBENT_ACCESS_KEY_ID" not in environ
    assert server.secret_key not in "\n".join(environ.values()), "root secret leaked into the sandbox"
    assert "PYTEST_CURRENT_TEST" not in environ, "the host environment leaked into the sandbox"


def test_task_root_is_read_only_and_tmp_is_writable(lambda_client, function):
    """/var/task holds the code read-only; /tmp is writable scratch space."""
    name = function("probe")["FunctionName"]
    result = invoke(lambda_client, name, {"action": "filesystem"})
    assert result.status == 200, result.payload
    assert result.payload["var_task_write"] != "succeeded"
    assert result.payload["tmp_roundtrip"] == "scratch"
    assert "app.py" in result.payload["var_task_listing"]


def test_python_runtime_ships_boto3(function, lambda_client):
    """boto3 and botocore are importable without being packaged, as in AWS's Python runtimes."""
    source = "import boto3, botocore\n\ndef handler(event, context):\n    return [boto3.__version__, botocore.__version__, boto3.__file__]\n"
    name = function(zip_bytes=make_zip({"app.py": source}))["FunctionName"]
    result = invoke(lambda_client, name, {})
    assert result.function_error is None, result.payload
    boto3_version, botocore_version, location = result.payload
    assert boto3_version[0].isdigit() and botocore_version[0].isdigit()
    assert location.startswith("/var/runtime/"), location
