"""Differential: the same Node.js functions (functions/nodejs/) run under AWS's Runtime
Interface Emulator and on Lambent, and what the function saw and what the caller got are
compared. Only what legitimately differs is set aside: names, ids, clocks, and how each side
reports a failure on the wire (RIE answers function errors 200 without
X-Amz-Function-Error and init errors 502; Lambda and Lambent answer both 200 with
`FunctionError: Unhandled`)."""

from __future__ import annotations

import json
import re
import shutil
import time

import pytest

from conftest import FUNCTIONS_DIR, invoke, zip_function
from rie import node_rie

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")

RUNTIME = "nodejs20.x"
TEXT_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\t([^\t]+)\t([A-Z]+)\t(.*)$")

# (function folder, handler, events): one environment per scenario on each side.
SCENARIOS = {
    "echo": ("probe", "index.handler", [{"action": "echo", "n": [1, "two"]}, {"action": "echo"}]),
    "promise": ("probe", "index.promise", [{"p": 1}]),
    "sync-no-callback": ("probe", "index.sync", [{}]),
    "callback-wait": ("probe", "index.callback", [{"mode": "wait"}]),
    "callback-no-wait": ("probe", "index.callback", [{"mode": "noWait"}]),
    "callback-error": ("probe", "index.callback", [{"mode": "error"}, {"mode": "errorString"}]),
    "context-succeed-fail": ("probe", "index.callback", [{"mode": "succeed"}, {"mode": "fail"}, {"mode": "done"}]),
    "errors": ("probe", "index.handler", [{"action": "throw", "message": "kaput"}, {"action": "throwCustom"},
                                          {"action": "throwString"}, {"action": "throwObject"},
                                          {"action": "rejectUndefined"}, {"action": "unserializable"}]),
    "esm-package": ("esm_package", "index.handler", [{"form": "esm"}]),
    "mjs": ("mjs", "index.handler", [{"form": "mjs"}]),
    "cjs": ("cjs", "index.handler", [{"form": "cjs"}]),
    "extensionless": ("extensionless", "app.handler", [{"form": "extensionless"}]),
    "nested": ("nested", "lib/handlers/app.api.v1.handler", [{"form": "nested"}]),
    "handler-not-found": ("probe", "index.missing", [{}]),
    "not-a-function": ("probe", "index.notAFunction.handler", [{}]),
    "malformed-handler": ("probe", "index", [{}]),
    "import-error": ("import_error", "index.handler", [{}]),
    "syntax-error": ("syntax_error", "index.handler", [{}]),
    "logs": ("probe", "index.handler", [{"action": "log"}]),
}

# What differs by construction between the two sides.
VOLATILE_CONTEXT = {"functionName", "logGroupName", "logStreamName", "invokedFunctionArn", "awsRequestId",
                    "remainingTimeInMillis", "functionVersion", "memoryLimitInMB"}
VOLATILE_ENV = {"AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION", "LAMBDA_TASK_ROOT",
                "AWS_REGION", "AWS_DEFAULT_REGION", "NODE_PATH", "TZ", "LANG", "_X_AMZN_TRACE_ID"}


def normalized(body):
    """The body with the values that differ by construction replaced by their type."""
    if not isinstance(body, dict):
        return body
    body = json.loads(json.dumps(body))
    if isinstance(body.get("context"), dict):
        context = body["context"]
        for key in VOLATILE_CONTEXT:
            if key in context:
                context[key] = type(context[key]).__name__
        for key in VOLATILE_CONTEXT & set(context.get("json") or {}):
            context["json"][key] = type(context["json"][key]).__name__
    if isinstance(body.get("env"), dict):
        for key in VOLATILE_ENV & set(body["env"]):
            body["env"][key] = "(differs)"
    for key in ("envId", "cwd", "functionName", "awsRequestId"):
        body.pop(key, None)
    for key in ("file", "url"):
        if isinstance(body.get(key), str):
            body[key] = body[key].split("/")[-1]
    if isinstance(body.get("trace"), list):
        # Stack frames name the task root, which is /var/task on one side and a test folder on the other.
        body["trace"] = [paths_set_aside(line) for line in body["trace"]]
    if isinstance(body.get("errorMessage"), str):
        body["errorMessage"] = paths_set_aside(body["errorMessage"])
    return body


def under_rie(folder: str, handler: str, events: list) -> tuple[list, list]:
    env = {"AWS_EXECUTION_ENV": f"AWS_Lambda_{RUNTIME}", "AWS_LAMBDA_NODEJS_DISABLE_CALLBACK_WARNING": None}
    with node_rie(FUNCTIONS_DIR / "nodejs" / folder, handler, env=env) as rie:
        answers = []
        for event in events:
            status, _headers, body = rie.invoke(event)
            answers.append(json.loads(body) if body else None)
        time.sleep(0.3)  # the last lines may trail the response
        return answers, rie.log_records()


def on_lambent(function, lambda_client, folder: str, handler: str, events: list) -> tuple[list, str]:
    name = function(zip_bytes=zip_function(f"nodejs/{folder}"), Runtime=RUNTIME, Handler=handler)["FunctionName"]
    answers, logs = [], []
    for event in events:
        result = invoke(lambda_client, name, event, tail=True)
        answers.append(result.payload)
        logs.append(result.log or "")
    return answers, "\n".join(logs)


def paths_set_aside(text: str) -> str:
    """`text` with the task root and the client's folder, which differ between the sides, named alike."""
    text = re.sub(r"(file://)?(/[^\s()'\"]*/functions/nodejs/[a-z_]+|/var/task)/", "TASK/", text)
    return re.sub(r"(file://)?(/[^\s()'\"]*/runtime-clients/nodejs|/var/runtime)/", "RUNTIME/", text)


def application_lines(lines) -> list[tuple[str, str]]:
    """(level, message) of the Text-format lines written during invocations (a log tail holds
    no init lines, on Lambda as here), request ids set aside."""
    found = []
    for line in lines:
        match = TEXT_LINE.match(line)
        if match and match.group(1) != "undefined":
            found.append((match.group(2), paths_set_aside(match.group(3))))
    return found


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_same_answers_as_under_the_emulator(scenario, function, lambda_client):
    folder, handler, events = SCENARIOS[scenario]
    expected, rie_lines = under_rie(folder, handler, events)
    got, lambent_log = on_lambent(function, lambda_client, folder, handler, events)
    assert [normalized(answer) for answer in got] == [normalized(answer) for answer in expected]
    # The function's own log lines: same levels and messages, in the same order.
    # Split on newlines only: the client writes a multi-line message as one line with CRs.
    assert application_lines(lambent_log.split("\n")) == application_lines(rie_lines), lambent_log
