"""Java functions on Lambent (java17, java21, java25 on the host's JDKs): Lambent's own
runtime (runtime-clients/java) compiled by the server on first use, functions compiled against
its lambent-lambda-java-core.jar and deployed with boto3 and the aws CLI; the same functions
run under AWS's Runtime Interface Emulator give the same answers."""

from __future__ import annotations

import json
import re

import pytest

import java_functions
from conftest import invoke
from rie import Rie

_reason = java_functions.unavailable_reason()
pytestmark = pytest.mark.skipif(_reason is not None, reason=_reason or "")


def create(function, handler: str, runtime: str = "java17", layout: str = "classes", **params) -> dict:
    return function(zip_bytes=java_functions.function_zip("handlers", layout), Runtime=runtime, Handler=handler,
                    MemorySize=512, Timeout=60, **params)


def test_java_function_with_context(function, lambda_client):
    config = create(function, "example.ContextHandler")
    result = invoke(lambda_client, config["FunctionName"], {"n": 1}, tail=True)
    assert result.function_error is None, result.payload
    seen = result.payload
    assert seen["functionName"] == config["FunctionName"]
    assert seen["functionVersion"] == "$LATEST"
    assert seen["awsRequestId"] == result.request_id
    assert seen["invokedFunctionArn"] == config["FunctionArn"]
    assert seen["logGroupName"] == f"/aws/lambda/{config['FunctionName']}"
    assert seen["memoryLimitInMB"] == 512
    assert 0 < seen["remainingTimeInMillis"] <= 60_000
    assert seen["userDir"] == "/var/task"
    assert seen["event"] == {"n": 1}
    assert f"context logger: {result.request_id}" in result.log
    assert "Init Duration" in result.log
    assert "Init Duration" not in invoke(lambda_client, config["FunctionName"], {}, tail=True).log


@pytest.mark.parametrize("runtime", ["java17", "java21", "java25"])
def test_java_runtimes_run_pojo_handlers(function, lambda_client, runtime):
    name = create(function, "example.PojoHandler", runtime=runtime, layout="jar")["FunctionName"]
    event = {"item": "book", "quantity": 2, "price": 12.5}
    result = invoke(lambda_client, name, event)
    assert result.function_error is None, result.payload
    expected, _ = under_rie("example.PojoHandler", [event])
    assert result.payload == expected[0]


def test_java_errors(function, lambda_client):
    name = create(function, "example.Failing")["FunctionName"]
    result = invoke(lambda_client, name, {})
    assert result.function_error == "Unhandled"
    expected, _ = under_rie("example.Failing", [{}])
    assert result.payload == expected[0]
    missing = create(function, "example.Missing")["FunctionName"]
    result = invoke(lambda_client, missing, {})
    assert result.function_error == "Unhandled"
    assert result.payload == {"errorMessage": "Class not found: example.Missing", "errorType": "java.lang.ClassNotFoundException"}


def test_java_with_the_aws_cli(aws, tmp_path, function):
    name = function.unique_name("java-cli")
    function.track(name)
    package = tmp_path / "function.zip"
    package.write_bytes(java_functions.function_zip("handlers"))
    aws("lambda", "create-function", "--function-name", name, "--runtime", "java21", "--handler", "example.Pojo::greet",
        "--role", "arn:aws:iam::000000000000:role/lambda-role", "--zip-file", f"fileb://{package}", "--memory-size", "512")
    function.wait_active(name)
    out = tmp_path / "out.json"
    aws("lambda", "invoke", "--function-name", name, "--payload", '"Ada"', str(out))
    expected, _ = under_rie("example.Pojo::greet", ["Ada"])
    assert json.loads(out.read_text()) == expected[0].replace("test_function", name)


def under_rie(handler: str, events: list) -> tuple[list, str]:
    client = java_functions.client_build()
    task = java_functions.function_task("handlers")
    with Rie(java_functions.java_command(client), task, handler) as rie:
        answers = [rie.invoke_json(event)[1] for event in events]
        return answers, rie.output()


def test_java_log_lines_match_the_emulator(function, lambda_client):
    name = create(function, "example.Logging")["FunctionName"]
    result = invoke(lambda_client, name, {}, tail=True)
    _, output = under_rie("example.Logging", [{}])
    # The function's own lines (those between START and END on Lambent), in the same order.
    body = result.log.split("\n")
    own = [line for line in body[body.index(next(l for l in body if l.startswith("START"))) + 1:]
           if line and not line.startswith(("END RequestId", "REPORT RequestId"))]
    request_id = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
    emulated = [request_id.sub("ID", line) for line in output.split("\n")]
    for line in own:
        assert request_id.sub("ID", line) in emulated, (line, output)
