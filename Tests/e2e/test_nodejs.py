"""Node.js functions on Lambent: Lambent's own runtime client (runtime-clients/nodejs) on the
host's node or the official build from PyPI, in the same sandbox as Python; created and invoked
with the aws CLI and boto3, with layers, logs, errors and response streaming."""

from __future__ import annotations

import base64
import http.client
import json
import re
from urllib.parse import urlsplit

import pytest
from botocore.exceptions import ClientError

from conftest import invoke, make_zip
from test_function_urls import make_public
from test_response_streaming import stream_events
from test_layers import layers, unique_layer  # noqa: F401 - layers is a fixture

# An ES module handler that reports what it saw.
REPORTER = """
import fs from 'node:fs';

export const handler = async (event, context) => {
  console.log('handling', JSON.stringify(event));
  let runtimeWritable = true;
  try { fs.writeFileSync('/var/runtime/x', 'x'); } catch { runtimeWritable = false; }
  return {
    event,
    node: process.versions.node,
    cwd: process.cwd(),
    context: {
      functionName: context.functionName, functionVersion: context.functionVersion,
      memoryLimitInMB: context.memoryLimitInMB, logGroupName: context.logGroupName,
      logStreamName: context.logStreamName, invokedFunctionArn: context.invokedFunctionArn,
      awsRequestId: context.awsRequestId, remaining: context.getRemainingTimeInMillis(),
      callbackWaitsForEmptyEventLoop: context.callbackWaitsForEmptyEventLoop,
    },
    env: Object.fromEntries(['AWS_EXECUTION_ENV', 'NODE_PATH', 'LAMBDA_TASK_ROOT', '_HANDLER', 'TZ',
      'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', 'MY_VARIABLE'].map((k) => [k, process.env[k] ?? null])),
    argv: process.execArgv,
    runtimeWritable,
  };
};
"""

# CommonJS with a callback handler, and a module from a layer found through NODE_PATH.
CALLBACK = """
const greeting = require('greeting');
exports.handler = function (event, context, callback) {
  setTimeout(() => callback(null, { greeting: greeting.word, n: event.n }), 10);
};
"""

FAILING = """
exports.handler = async (event) => {
  if (event.kind === 'string') throw 'just a string';
  const error = new TypeError('wrong type: ' + event.kind);
  throw error;
};
"""

LOGGER = """
exports.handler = async () => {
  console.debug('a debug line');
  console.info('an info line');
  console.warn('a warning');
  console.error('an error', new Error('inner'));
  return 'logged';
};
"""

STREAMER = """
exports.handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
  if (event.body !== undefined) {  // through a Function URL
    event = JSON.parse(event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString() : event.body);
  }
  if (event.http) {
    responseStream = awslambda.HttpResponseStream.from(responseStream, {
      statusCode: 201, headers: { 'Content-Type': 'text/plain', 'X-Node': 'yes' }, cookies: ['a=1'],
    });
  }
  for (const part of event.parts) {
    responseStream.write(part);
    await new Promise((resolve) => setTimeout(resolve, event.delay ?? 0));
  }
  responseStream.end();
});
"""


def node_zip(source: str, name: str = "index.mjs") -> bytes:
    return make_zip({name: source})


def test_nodejs_function_with_the_aws_cli(aws, tmp_path, lambda_client, function):
    """The aws CLI flow: create a nodejs20.x function from a zip, invoke it, update its code."""
    name = function.unique_name("node-cli")
    function.track(name)
    package = tmp_path / "function.zip"
    package.write_bytes(node_zip(REPORTER))
    created = aws("lambda", "create-function", "--function-name", name, "--runtime", "nodejs20.x",
                  "--role", "arn:aws:iam::000000000000:role/lambda-role", "--handler", "index.handler",
                  "--zip-file", f"fileb://{package}", "--environment", "Variables={MY_VARIABLE=mine}")
    assert created["Runtime"] == "nodejs20.x"
    function.wait_active(name)
    out = tmp_path / "out.json"
    result = aws("lambda", "invoke", "--function-name", name, "--payload", '{"hello":"node"}', str(out))
    assert result["StatusCode"] == 200 and "FunctionError" not in result
    seen = json.loads(out.read_text())
    assert seen["event"] == {"hello": "node"}
    assert seen["node"].startswith("20.")
    assert seen["env"]["MY_VARIABLE"] == "mine"

    package.write_bytes(node_zip(REPORTER.replace("event,\n    node", "event, updated: true,\n    node")))
    aws("lambda", "update-function-code", "--function-name", name, "--zip-file", f"fileb://{package}")
    function.wait_updated(name)
    aws("lambda", "invoke", "--function-name", name, "--payload", "{}", str(out))
    assert json.loads(out.read_text())["updated"] is True


def test_nodejs_context_environment_and_sandbox(function, lambda_client):
    """What the handler sees is what AWS's Node.js runtime shows it."""
    config = function(zip_bytes=node_zip(REPORTER), Runtime="nodejs20.x", Handler="index.handler",
                      MemorySize=256, Timeout=7)
    name = config["FunctionName"]
    result = invoke(lambda_client, name, {"n": 1}, tail=True)
    assert result.status == 200 and result.function_error is None, result.payload
    seen = result.payload
    context = seen["context"]
    assert context["functionName"] == name
    assert context["functionVersion"] == "$LATEST"
    assert context["memoryLimitInMB"] == "256"
    assert context["logGroupName"] == f"/aws/lambda/{name}"
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}", context["logStreamName"])
    assert context["invokedFunctionArn"] == config["FunctionArn"]
    assert context["awsRequestId"] == result.request_id
    assert 0 < context["remaining"] <= 7000
    assert context["callbackWaitsForEmptyEventLoop"] is True
    assert seen["cwd"] == "/var/task"
    env = seen["env"]
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_nodejs20.x"
    assert env["NODE_PATH"] == ("/opt/nodejs/node20/node_modules:/opt/nodejs/node_modules:"
                                "/var/runtime/node_modules:/var/runtime:/var/task")
    assert env["LAMBDA_TASK_ROOT"] == "/var/task" and env["_HANDLER"] == "index.handler"
    assert env["TZ"] == ":UTC"
    # AWS's bootstrap's flags, the heap sized from 256 MB.
    assert seen["argv"] == ["--expose-gc", "--max-http-header-size", "81920",
                            "--max-semi-space-size=12", "--max-old-space-size=231", "--no-experimental-require-module"]
    assert seen["runtimeWritable"] is False
    # console.log in AWS's line format, inside the invocation's log.
    line = next(line for line in result.log.splitlines() if "handling" in line)
    timestamp, request_id, level, message = line.split("\t")
    assert timestamp.endswith("Z") and request_id == result.request_id and level == "INFO"
    assert message == 'handling {"n":1}'
    assert "Init Duration" in result.log
    assert "Init Duration" not in invoke(lambda_client, name, {}, tail=True).log


def test_nodejs_callback_handler_and_layer_modules(function, lambda_client, layers):
    """A CommonJS callback handler requiring a module from a layer's nodejs/node_modules."""
    arn = layers.publish(unique_layer("node-greeting"),
                         make_zip({"nodejs/node_modules/greeting/index.js": "exports.word = 'hi';"}))["LayerVersionArn"]
    name = function(zip_bytes=node_zip(CALLBACK, "index.js"), Runtime="nodejs20.x", Handler="index.handler",
                    Layers=[arn])["FunctionName"]
    result = invoke(lambda_client, name, {"n": 3})
    assert result.function_error is None, result.payload
    assert result.payload == {"greeting": "hi", "n": 3}


def test_nodejs_errors(function, lambda_client):
    """Errors reach the caller as AWS's client formats them, and the environment lives on."""
    name = function(zip_bytes=node_zip(FAILING, "index.js"), Runtime="nodejs20.x", Handler="index.handler")["FunctionName"]
    result = invoke(lambda_client, name, {"kind": "number"}, tail=True)
    assert result.function_error == "Unhandled"
    assert result.payload["errorType"] == "TypeError"
    assert result.payload["errorMessage"] == "wrong type: number"
    assert result.payload["trace"][0] == "TypeError: wrong type: number"
    assert "\tERROR\tInvoke Error" in result.log
    thrown = invoke(lambda_client, name, {"kind": "string"})
    assert thrown.function_error == "Unhandled"
    assert thrown.payload["errorMessage"] == "just a string"

    missing = function(zip_bytes=node_zip(FAILING, "index.js"), Runtime="nodejs20.x", Handler="index.nothere")
    result = invoke(lambda_client, missing["FunctionName"], {}, tail=True)
    assert result.function_error == "Unhandled"
    assert result.payload["errorType"] == "Runtime.HandlerNotFound"
    assert result.payload["errorMessage"] == "index.nothere is undefined or not exported"

    no_module = function(zip_bytes=node_zip(FAILING, "index.js"), Runtime="nodejs20.x", Handler="other.handler")
    result = invoke(lambda_client, no_module["FunctionName"], {})
    assert result.payload["errorType"] == "Runtime.ImportModuleError"
    assert result.payload["errorMessage"].startswith("Error: Cannot find module 'other'")


def test_nodejs_json_logging_and_levels(function, lambda_client, server):
    """LoggingConfig JSON: the client writes AWS's JSON records, filtered by the application level."""
    name = function(zip_bytes=node_zip(LOGGER, "index.js"), Runtime="nodejs20.x", Handler="index.handler",
                    LoggingConfig={"LogFormat": "JSON", "ApplicationLogLevel": "WARN"})["FunctionName"]
    result = invoke(lambda_client, name, {}, tail=True)
    assert result.payload == "logged"
    records = [json.loads(line) for line in result.log.splitlines() if line.startswith("{")]
    application = [record for record in records if "level" in record and "type" not in record]
    assert [record["level"] for record in application] == ["WARN", "ERROR"], records
    assert application[0]["message"] == "a warning"
    assert application[0]["requestId"] == result.request_id
    assert "an error" in application[1]["message"]

    text = function(zip_bytes=node_zip(LOGGER, "index.js"), Runtime="nodejs20.x", Handler="index.handler")
    log = invoke(lambda_client, text["FunctionName"], {}, tail=True).log
    levels = [line.split("\t")[2] for line in log.splitlines() if line.count("\t") >= 3 and line[:4].isdigit()]
    # Text format has no level filter: every line, with AWS's level names.
    assert levels[:4] == ["DEBUG", "INFO", "WARN", "ERROR"], log


def test_nodejs_response_streaming(function, lambda_client, server):
    """streamifyResponse: chunks reach InvokeWithResponseStream as written, and a RESPONSE_STREAM
    URL gets status, headers and cookies from HttpResponseStream.from's prelude."""
    name = function(zip_bytes=node_zip(STREAMER, "index.js"), Runtime="nodejs20.x", Handler="index.handler")["FunctionName"]
    chunks, complete, arrivals = stream_events(lambda_client, name, {"parts": ["one ", "two ", "three"], "delay": 800})
    assert b"".join(chunks) == b"one two three"
    assert arrivals[-1] - arrivals[0] >= 1.0, "the first chunk arrived before the function finished"
    assert "ErrorCode" not in complete

    lambda_client.create_function_url_config(FunctionName=name, AuthType="NONE", InvokeMode="RESPONSE_STREAM")
    make_public(lambda_client, name)
    url = lambda_client.get_function_url_config(FunctionName=name)["FunctionUrl"]
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.request("POST", "/", body=json.dumps({"http": True, "parts": ["a", "b"]}),
                       headers={"Host": urlsplit(url).netloc})
    answer = connection.getresponse()
    assert answer.status == 201
    assert answer.getheader("x-node") == "yes" and answer.getheader("content-type") == "text/plain"
    assert answer.msg.get_all("set-cookie") == ["a=1"]
    assert answer.read() == b"ab"
    connection.close()


@pytest.mark.parametrize("runtime,major", [("nodejs22.x", "22."), ("nodejs24.x", "24.")])
def test_nodejs_versions_from_pypi(function, lambda_client, runtime, major):
    """Majors the host has no node for run on the official builds PyPI carries (at /var/lang)."""
    name = function(zip_bytes=node_zip(REPORTER), Runtime=runtime, Handler="index.handler", Timeout=300)["FunctionName"]
    result = invoke(lambda_client, name, {})
    assert result.function_error is None, result.payload
    assert result.payload["node"].startswith(major)
    assert result.payload["env"]["AWS_EXECUTION_ENV"] == f"AWS_Lambda_{runtime}"


def test_deprecated_nodejs_runtime_is_refused(lambda_client, function):
    """nodejs18.x can no longer be used for new functions, as on AWS."""
    with pytest.raises(ClientError) as raised:
        function(zip_bytes=node_zip(REPORTER), Runtime="nodejs18.x", Handler="index.handler")
    assert raised.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert "nodejs18.x is no longer supported" in raised.value.response["Error"]["Message"]
