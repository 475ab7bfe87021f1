"""Lambent's Node.js runtime interface client (runtime-clients/nodejs) under AWS's Runtime
Interface Emulator: handler loading, completion styles, error shapes, log formats and
response streaming, checked against AWS's side of the Runtime API with no Lambent server.

Needs `node` on PATH and the RIE binary (see rie.py). The functions under
functions/nodejs/ report what they saw, so the same scenarios can be replayed on Lambent.
"""

from __future__ import annotations

import json
import re
import shutil
import time

import pytest

from rie import node_rie
from conftest import FUNCTIONS_DIR

NODE_FUNCTIONS = FUNCTIONS_DIR / "nodejs"

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")

TEXT_LINE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)\t([^\t]+)\t([A-Z]+)\t(.*)$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
CALLBACK_WARNING = (
    "AWS Lambda plans to remove support for callback-based function handlers starting with Node.js 24. "
    "You will need to update this function to use an async handler to use Node.js 24 or later. For more "
    "information and to provide feedback on this change, see "
    "https://github.com/aws/aws-lambda-nodejs-runtime-interface-client/issues/137. To disable this "
    "warning, set the AWS_LAMBDA_NODEJS_DISABLE_CALLBACK_WARNING environment variable."
)
CALLBACK_REMOVED = (
    "ERROR: AWS Lambda has removed support for callback-based function handlers starting with Node.js 24. "
    "You need to modify this function to use a supported handler signature to use Node.js 24 or later. "
    "For more information see https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html."
)


def run(function: str, handler: str, events: list, env: dict | None = None):
    """Invokes `events` in one environment: ([(status, decoded body)], log records)."""
    with node_rie(NODE_FUNCTIONS / function, handler, env=env) as rie:
        results = []
        for event in events:
            status, _headers, body = rie.invoke(event)
            results.append((status, json.loads(body) if body else None))
        time.sleep(0.2)  # the last invocation's log lines may trail its response
        return results, rie.log_records()


def run_one(function: str, handler: str, event=None, env: dict | None = None):
    results, records = run(function, handler, [event if event is not None else {}], env)
    status, body = results[0]
    return status, body, records


def parse_text(records: list[str]) -> list[tuple[str, str, str, str]]:
    return [match.groups() for match in map(TEXT_LINE.match, records) if match]


# ---------------------------------------------------------------------------
# Handler forms
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "function, handler, module, file",
    [
        ("probe", "index.handler", "commonjs", None),
        ("esm_package", "index.handler", "module", "index.js"),
        ("mjs", "index.handler", "module", "index.mjs"),
        ("cjs", "index.handler", "commonjs", "index.cjs"),
        ("extensionless", "app.handler", "commonjs", "app"),
        ("nested", "lib/handlers/app.api.v1.handler", "commonjs", "lib/handlers/app.js"),
    ],
)
def test_handler_forms_load_and_answer(function, handler, module, file):
    """CommonJS .js, ESM by package.json "type", .mjs, .cjs, extensionless, dir/module.a.b."""
    status, body, _ = run_one(function, handler, {"form": function})
    assert status == 200, body
    assert body["event"] == {"form": function}
    assert body["module"] == module
    if file:
        location = body.get("url") or body.get("file")
        assert location.endswith(f"/{function}/{file}"), location


def test_promise_returning_and_sync_handlers():
    """A non-async handler returning a promise answers its value; one returning nothing, null."""
    status, body, _ = run_one("probe", "index.promise", {"p": 1})
    assert status == 200 and body["event"] == {"p": 1}
    status, body, _ = run_one("probe", "index.sync", {})
    assert status == 200 and body is None


# ---------------------------------------------------------------------------
# Context and environment
# ---------------------------------------------------------------------------


def test_context_fields_and_environment():
    """The context carries RIE's function identity, the request id and a shrinking deadline."""
    results, _ = run("probe", "index.handler", [{"action": "echo"}, {"action": "echo"}],
                     env={"AWS_LAMBDA_FUNCTION_TIMEOUT": "30"})
    (status, first), (_, second) = results
    assert status == 200, first
    context = first["context"]
    assert context["functionName"] == "test_function"
    assert context["functionVersion"] == "$LATEST"
    assert context["memoryLimitInMB"] == "3008"  # a string, as on Lambda
    assert context["logGroupName"] == "/aws/lambda/Functions"
    assert context["invokedFunctionArn"] == "arn:aws:lambda:us-east-1:012345678912:function:test_function"
    assert UUID.match(context["awsRequestId"])
    assert context["awsRequestId"] != second["context"]["awsRequestId"]
    assert 0 < context["remainingTimeInMillis"] <= 30_000
    assert context["callbackWaitsForEmptyEventLoop"] is True
    assert context["clientContext"] is None and context["identity"] is None
    # Key order is AWS's: the callback part first, then environment, then header data.
    assert context["keys"] == [
        "callbackWaitsForEmptyEventLoop", "succeed", "fail", "done",
        "functionVersion", "functionName", "memoryLimitInMB", "logGroupName", "logStreamName",
        "clientContext", "identity", "invokedFunctionArn", "awsRequestId", "tenantId",
        "getRemainingTimeInMillis",
    ]
    assert first["awslambda"] == "function"
    assert first["env"]["_HANDLER"] == "index.handler"
    assert first["env"]["LAMBDA_TASK_ROOT"] == str(NODE_FUNCTIONS / "probe")
    assert first["cwd"] == str(NODE_FUNCTIONS / "probe")
    assert first["envId"] == second["envId"]  # a warm environment


# ---------------------------------------------------------------------------
# Callback handlers
# ---------------------------------------------------------------------------


def test_callback_waits_for_the_event_loop_by_default():
    """callback(null, result) is sent once the loop drains: a timer's later change is in it."""
    status, body, records = run_one("probe", "index.callback", {"mode": "wait"})
    assert status == 200 and body["late"] is True
    warnings = [line for line in parse_text(records) if line[2] == "WARN"]
    assert [w[3] for w in warnings] == [CALLBACK_WARNING]
    assert warnings[0][1] == "undefined"  # emitted during init, before any request


@pytest.mark.parametrize(
    "mode, expected",
    [
        ("noWait", {"late": None}),
        ("succeed", {}),
        ("done", {}),
        ("twice", {"first": True}),
    ],
)
def test_callback_completion_paths(mode, expected):
    status, body, _ = run_one("probe", "index.callback", {"mode": mode})
    assert status == 200, body
    for key, value in expected.items():
        assert body.get(key) == value


@pytest.mark.parametrize(
    "mode, error_type, message",
    [
        ("error", "Error", "callback error"),
        ("fail", "Error", "context fail"),
        ("errorString", "string", "callback string error"),
    ],
)
def test_callback_errors(mode, error_type, message):
    status, body, _ = run_one("probe", "index.callback", {"mode": mode})
    assert status == 200
    assert body["errorType"] == error_type and body["errorMessage"] == message


def test_callback_warning_can_be_disabled():
    _, _, records = run_one("probe", "index.callback", {},
                            env={"AWS_LAMBDA_NODEJS_DISABLE_CALLBACK_WARNING": "1"})
    assert not [line for line in parse_text(records) if line[2] == "WARN"]


def test_nodejs24_rejects_callback_handlers_at_init():
    """AWS_Lambda_nodejs24.x: a 3-parameter handler is Runtime.CallbackHandlerDeprecated."""
    env = {"AWS_EXECUTION_ENV": "AWS_Lambda_nodejs24.x"}
    status, body, records = run_one("probe", "index.callback", {}, env=env)
    assert status == 502
    assert body["errorType"] == "Runtime.CallbackHandlerDeprecated"
    assert body["errorMessage"] == CALLBACK_REMOVED
    assert any("\tERROR\tInit Error \t" in line for line in records)

    status, body, _ = run_one("probe", "index.handler", {"action": "echo"}, env=env)
    assert status == 200 and body["env"]["AWS_EXECUTION_ENV"] == "AWS_Lambda_nodejs24.x"


# ---------------------------------------------------------------------------
# Invocation errors
# ---------------------------------------------------------------------------


def test_thrown_error_shape_and_log():
    status, body, records = run_one("probe", "index.handler", {"action": "throw", "message": "kaput"})
    assert status == 200
    assert body["errorType"] == "Error" and body["errorMessage"] == "kaput"
    assert body["trace"][0] == "Error: kaput"
    assert any(frame.strip().startswith("at ") for frame in body["trace"][1:])
    errors = [line for line in parse_text(records) if line[2] == "ERROR"]
    assert errors and errors[0][3].startswith("Invoke Error \t{")
    logged = json.loads(errors[0][3].split("\t", 1)[1])
    assert logged["errorType"] == "Error" and logged["errorMessage"] == "kaput"


@pytest.mark.parametrize(
    "action, error_type, message, trace",
    [
        ("throwString", "string", "a thrown string", []),
        ("throwObject", "object", "[object Object]", []),
        ("rejectUndefined", "string", "handled", []),
        ("throwCustom", "CustomError", "custom boom", None),
        ("unserializable", "Error", "Unable to stringify response body", None),
    ],
)
def test_non_error_and_custom_throws(action, error_type, message, trace):
    status, body, _ = run_one("probe", "index.handler", {"action": action})
    assert status == 200
    assert body["errorType"] == error_type and body["errorMessage"] == message
    if trace is not None:
        assert body["trace"] == trace


def test_uncaught_exception_fails_the_invoke_and_restarts():
    results, records = run("probe", "index.handler", [{"action": "uncaught"}, {"action": "echo"}])
    (status, body), (next_status, _) = results
    assert status == 502
    assert body["errorType"] == "Error" and body["errorMessage"] == "escaped"
    assert any("\tERROR\tUncaught Exception \t" in line for line in records)
    assert next_status == 200  # RIE starts a fresh runtime


def test_unhandled_rejection():
    status, body, records = run_one("probe", "index.handler", {"action": "unhandledRejection"})
    assert status == 502
    assert body["errorType"] == "Runtime.UnhandledPromiseRejection"
    assert body["errorMessage"] == "Error: nobody listens"
    assert any("\tERROR\tUnhandled Promise Rejection \t" in line for line in records)


def test_async_handler_that_never_settles_is_node_js_exit():
    status, body, _ = run_one("probe", "index.handler", {"action": "neverSettles"})
    assert status == 200
    assert body["errorType"] == "Runtime.NodeJsExit"
    assert body["errorMessage"].startswith("The Lambda runtime client detected an unexpected Node.js exit code.")


# ---------------------------------------------------------------------------
# Init errors
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "function, handler, error_type, message",
    [
        ("probe", "index.missing", "Runtime.HandlerNotFound", "index.missing is undefined or not exported"),
        ("probe", "index.notAFunction.handler", "Runtime.HandlerNotFound",
         "index.notAFunction.handler is not a function"),
        ("probe", "index", "Runtime.MalformedHandlerName", "Bad handler"),
        ("probe", "../probe/index.handler", "Runtime.MalformedHandlerName",
         "'../probe/index.handler' is not a valid handler name. Use absolute paths when specifying root "
         "directories in handler names."),
        ("probe", "nothere.handler", "Runtime.ImportModuleError", None),
        ("import_error", "index.handler", "Runtime.ImportModuleError", None),
        ("syntax_error", "index.handler", "Runtime.UserCodeSyntaxError", None),
    ],
)
def test_init_errors(function, handler, error_type, message):
    status, body, records = run_one(function, handler, {})
    assert status == 502, body
    assert body["errorType"] == error_type
    if message is not None:
        assert body["errorMessage"] == message
    assert body["trace"][0].startswith(f"{error_type}: ")
    logged = [line for line in parse_text(records) if line[3].startswith("Uncaught Exception \t")]
    assert logged and logged[0][1] == "undefined"


def test_import_error_messages_name_the_module():
    _, body, _ = run_one("probe", "nothere.handler", {})
    assert body["errorMessage"].startswith("Error: Cannot find module 'nothere'\nRequire stack:\n- ")
    assert body["errorMessage"].endswith("/index.mjs")
    _, body, _ = run_one("import_error", "index.handler", {})
    assert body["errorMessage"].startswith("Error: Cannot find module 'a-package-that-is-not-there'")
    _, body, _ = run_one("syntax_error", "index.handler", {})
    assert body["errorMessage"].startswith("SyntaxError: ")


# ---------------------------------------------------------------------------
# Logs
# ---------------------------------------------------------------------------


def test_text_logs():
    status, body, records = run_one("probe", "index.handler", {"action": "log"})
    assert status == 200
    request_id = body["context"]["awsRequestId"]
    lines = [line for line in parse_text(records) if line[1] == request_id]
    assert [(level, message.split("\r")[0]) for _, _, level, message in lines[:7]] == [
        ("TRACE", "trace line"),
        ("DEBUG", "debug line"),
        ("INFO", "info line 42"),
        ("INFO", "log line formatted { nested: { a: 1 } }"),
        ("WARN", "warn line"),
        ("ERROR", "error line Error: logged error"),
        ("FATAL", "fatal line"),
    ]
    messages = [message for *_, message in lines]
    assert "{ structured: true, n: 1 }" in messages
    assert "multi\rline" in messages  # one record per call: newlines become CR


def test_json_logs_and_level_filter():
    status, body, records = run_one("probe", "index.handler", {"action": "log"},
                                    env={"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "WARN"})
    assert status == 200
    entries = [json.loads(line) for line in records if line.startswith("{")]
    assert [entry["level"] for entry in entries] == ["WARN", "ERROR", "FATAL"]
    for entry in entries:
        assert list(entry)[:4] == ["timestamp", "level", "requestId", "message"]
        assert entry["requestId"] == body["context"]["awsRequestId"]
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", entry["timestamp"])
    error = entries[1]
    assert error["message"].startswith("error line Error: logged error")
    assert error["errorType"] == "Error" and error["errorMessage"] == "logged error"
    assert error["stackTrace"][0] == "Error: logged error"


def test_json_logs_keep_objects_and_report_invoke_errors():
    results, records = run("probe", "index.handler", [{"action": "log"}, {"action": "throw"}],
                           env={"AWS_LAMBDA_LOG_FORMAT": "json"})
    entries = [json.loads(line) for line in records if line.startswith("{")]
    assert {"structured": True, "n": 1} in [entry["message"] for entry in entries]
    assert "TRACE" in {entry["level"] for entry in entries}  # no level set: everything
    invoke_error = entries[-1]
    assert invoke_error["level"] == "ERROR"
    assert UUID.match(invoke_error["requestId"])
    assert results[1][1]["errorType"] == "Error"
    assert invoke_error["message"]["errorType"] == "Error"
    assert invoke_error["message"]["errorMessage"] == "boom"


# ---------------------------------------------------------------------------
# Response streaming
# ---------------------------------------------------------------------------


def stream(handler: str, event=None):
    with node_rie(NODE_FUNCTIONS / "streaming", handler) as rie:
        status, headers, body = rie.invoke(event or {})
        time.sleep(0.2)
        return status, headers, body, rie.log_records()


def test_streamify_response_returns_the_whole_body():
    status, _, body, _ = stream("index.handler", {"chunks": 4})
    assert status == 200
    assert body == b"".join(f"chunk {i} of 36\n".encode() for i in range(4))


def test_http_response_stream_prelude():
    status, _, body, _ = stream("index.http")
    assert status == 200
    prelude, rest = body.split(b"\0" * 8, 1)
    assert json.loads(prelude) == {"statusCode": 201, "headers": {"x-probe": "yes"}}
    assert rest == b"hello world"


def test_streamed_objects_are_json():
    status, _, body, _ = stream("index.objects", {"k": "v"})
    assert status == 200 and json.loads(body) == {"event": {"k": "v"}}


def test_streaming_error_midway_is_logged():
    """RIE drops the error trailers from its answer; the partial body and the log remain."""
    status, _, body, records = stream("index.failing")
    assert status == 200 and body == b"partial "
    assert any("\tERROR\tInvoke Error \t" in line and "stream broke" in line for line in records)


def test_streaming_requires_an_async_handler():
    _, _, _, records = stream("index.notAsync")
    assert any("Streaming does not support non-async handlers." in line for line in records)
