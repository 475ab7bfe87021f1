"""Ruby functions on Lambent (ruby3.2–ruby3.4 on the host's Ruby): Lambent's own runtime
client (runtime-clients/ruby) deployed with boto3 and the aws CLI; the same functions run under
AWS's Runtime Interface Emulator give the same answers."""

from __future__ import annotations

import json
import shutil

import pytest

from conftest import invoke, zip_function
from test_ruby_rie import ruby_rie

pytestmark = pytest.mark.skipif(shutil.which("ruby") is None, reason="ruby is not installed (apt-get install ruby)")

VOLATILE = {"function_name", "log_group_name", "log_stream_name", "invoked_function_arn", "aws_request_id",
            "deadline_ms", "remaining_time_in_millis", "memory_limit_in_mb"}


def normalized(report):
    """A probe report with what differs between the two sides by construction set aside."""
    if not isinstance(report, dict):
        return report
    report = json.loads(json.dumps(report))
    for key in VOLATILE & set(report.get("context") or {}):
        report["context"][key] = "(differs)"
    report.pop("env", None)
    report.pop("pid", None)
    for key in ("cwd", "pwd", "global_request_id", "ruby_version", "task_root"):
        report.pop(key, None)
    if isinstance(report.get("stackTrace"), list):
        report["stackTrace"] = [line.rsplit("/", 1)[-1] for line in report["stackTrace"]]
    return report


@pytest.mark.parametrize("runtime", ["ruby3.2", "ruby3.3", "ruby3.4"])
def test_ruby_probe_matches_the_emulator(function, lambda_client, runtime):
    name = function(zip_bytes=zip_function("ruby/probe"), Runtime=runtime, Handler="probe.handler")["FunctionName"]
    result = invoke(lambda_client, name, {"n": 1}, tail=True)
    assert result.function_error is None, result.payload
    with ruby_rie("probe", "probe.handler") as rie:
        _, expected = rie.invoke_json({"n": 1})
    assert normalized(result.payload) == normalized(expected)
    env = result.payload["env"]
    assert env["AWS_EXECUTION_ENV"] == f"AWS_Lambda_{runtime}"
    version = runtime.removeprefix("ruby") + ".0"
    assert env["GEM_PATH"] == f"/var/task/vendor/bundle/ruby/{version}:/opt/ruby/gems/{version}"
    assert env["RUBYLIB"] == "/var/task:/var/runtime/lib:/opt/ruby/lib"
    assert result.payload["context"]["aws_request_id"] == result.request_id
    assert result.payload["context"]["function_name"] == name


@pytest.mark.parametrize("handler", ["probe.Probe::Handler.process", "probe.positional"])
def test_ruby_handler_forms(function, lambda_client, handler):
    name = function(zip_bytes=zip_function("ruby/probe"), Runtime="ruby3.3", Handler=handler)["FunctionName"]
    result = invoke(lambda_client, name, {"form": handler})
    assert result.function_error is None, result.payload
    with ruby_rie("probe", handler) as rie:
        _, expected = rie.invoke_json({"form": handler})
    assert normalized(result.payload) == normalized(expected)


@pytest.mark.parametrize("handler", ["errors.custom", "errors.argument", "errors.no_method"])
def test_ruby_errors_match_the_emulator(function, lambda_client, handler):
    name = function(zip_bytes=zip_function("ruby/errors"), Runtime="ruby3.3", Handler=handler)["FunctionName"]
    result = invoke(lambda_client, name, {})
    assert result.function_error == "Unhandled"
    with ruby_rie("errors", handler) as rie:
        _, expected = rie.invoke_json({})
    assert normalized(result.payload) == normalized(expected)
    # The environment serves on (or, after a fatal error, a fresh one does).
    assert invoke(lambda_client, name, {}).function_error == "Unhandled"


def test_ruby_init_error(function, lambda_client):
    name = function(zip_bytes=zip_function("ruby/syntax_error"), Runtime="ruby3.3", Handler="broken.handler")["FunctionName"]
    result = invoke(lambda_client, name, {})
    assert result.function_error == "Unhandled"
    assert result.payload["errorType"] == "Init<SyntaxError>"
