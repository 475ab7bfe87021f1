"""Lambent's Java runtime client (runtime-clients/java) under AWS's Runtime Interface Emulator.

RIE plays AWS's side of the Runtime API, so these tests show that the client speaks it as AWS's
aws-lambda-java-runtime-interface-client does: handler resolution, JSON (de)serialization, the
Context, error documents and log lines, with AWS's exact strings. No Lambent server is involved;
the functions answer with what they saw so that the same ones can run on Lambent and be compared.
"""

from __future__ import annotations

import json
import re

import pytest

import java_functions
from rie import Rie, rie_binary

_reason = java_functions.unavailable_reason()
pytestmark = pytest.mark.skipif(_reason is not None, reason=_reason or "")


@pytest.fixture(scope="module")
def client():
    try:
        rie_binary()
    except Exception as error:  # noqa: BLE001 - any failure to obtain RIE means no oracle
        pytest.skip(f"AWS's RIE is unavailable: {error}")
    return java_functions.client_build()


def java_rie(client, handler: str, function: str = "handlers", layout: str = "classes",
             env: dict | None = None) -> Rie:
    task = java_functions.function_task(function, layout)
    return Rie(java_functions.java_command(client), task, handler, env=env)


def error_of(rie: Rie, payload=None, *, status: int = 200, **kwargs) -> dict:
    """The error document of an invoke; RIE answers 200 for a function error, 502 for an init error."""
    got, body = rie.invoke_json(payload, **kwargs)
    assert got == status, body
    return body


# -- handler kinds -----------------------------------------------------------------------


def test_request_handler_with_a_map_in_and_a_string_out(client):
    with java_rie(client, "example.MapHandler") as rie:
        status, body = rie.invoke_json({"name": "Ada", "n": 1})
        assert status == 200
        assert body == "Hello, Ada! {n=1, name=Ada}"
        rie.wait_for_output("MapHandler saw {n=1, name=Ada}\n")


def test_request_handler_with_pojos_in_and_out(client):
    order = {"id": "o-1", "quantity": 2, "express": True, "unknown": "ignored",
             "items": [{"sku": "a", "price": 1.5}, {"sku": "b", "price": 2}]}
    with java_rie(client, "example.PojoHandler") as rie:
        status, body = rie.invoke_json(order)
        assert status == 200
        # Nulls are left out (no "note"); is-getters keep their property name.
        assert body == {"orderId": "o-1", "total": 7.0, "skus": ["a", "b"], "express": True}
        # AWS's mapper reads lenient JSON: single quotes, unquoted names.
        status, body = rie.invoke_json(raw=b"{'id': 'o-2', quantity: 1, items: []}")
        assert status == 200 and body == {"orderId": "o-2", "total": 0.0, "skus": [], "express": False}


def test_request_stream_handler_gets_and_writes_raw_bytes(client):
    with java_rie(client, "example.StreamHandler") as rie:
        status, _headers, body = rie.invoke(raw=b'{"a": "b"}')
        assert status == 200
        assert body == b'STREAM:{"A": "B"}'


def test_pojo_methods_named_class_colon_colon_method(client):
    with java_rie(client, "example.Pojo::greet") as rie:
        assert rie.invoke_json("Ada") == (200, "greetings, Ada from test_function")
    with java_rie(client, "example.Pojo::twice") as rie:
        assert rie.invoke_json(21) == (200, 42)
    with java_rie(client, "example.Pojo::pick") as rie:
        assert rie.invoke_json({}) == (200, "with context")
    with java_rie(client, "example.Pojo::nothing") as rie:
        status, _headers, body = rie.invoke({})
        assert (status, body) == (200, b"null")
    with java_rie(client, "example.Pojo::echo") as rie:
        status, _headers, body = rie.invoke(raw=b"[1,2]")
        assert (status, body) == (200, b"echo:[1,2]")


def test_function_packed_as_a_jar_under_lib(client):
    with java_rie(client, "example.MapHandler", layout="jar") as rie:
        assert rie.invoke_json({"name": "Jar"}) == (200, "Hello, Jar! {name=Jar}")


# -- context -----------------------------------------------------------------------------


def test_context_fields(client):
    with java_rie(client, "example.ContextHandler") as rie:
        status, seen = rie.invoke_json({"k": "v"})
        assert status == 200
        # RIE's fixed function identity.
        assert seen["functionName"] == "test_function"
        assert seen["functionVersion"] == "$LATEST"
        assert seen["invokedFunctionArn"] == "arn:aws:lambda:us-east-1:012345678912:function:test_function"
        assert seen["logGroupName"] == "/aws/lambda/Functions"
        assert seen["logStreamName"] == "$LATEST"
        assert seen["memoryLimitInMB"] == 3008
        assert re.fullmatch(r"[0-9a-f-]{36}", seen["awsRequestId"])
        assert 0 < seen["remainingTimeInMillis"] <= 30_000
        # AWS's mapper leaves null members out, map entries included.
        assert "identity" not in seen and "clientContext" not in seen
        assert seen["sameLogger"] is True
        assert seen["classLoaderParentIsSystem"] is True and seen["contextClassLoaderIsOwn"] is True
        assert seen["userDir"] == str(java_functions.function_task("handlers"))
        assert seen["event"] == {"k": "v"}
        # getLogger().log() writes the message as is, one record per call.
        output = rie.wait_for_output("runtime logger\n")
        assert f"context logger: {seen['awsRequestId']}\n" in output


# -- errors ------------------------------------------------------------------------------


def test_thrown_exception_error_document(client):
    with java_rie(client, "example.Failing") as rie:
        error = error_of(rie, {"kind": "state"})
        assert list(error) == ["errorMessage", "errorType", "stackTrace"]
        assert error["errorMessage"] == "boom: state"
        assert error["errorType"] == "java.lang.IllegalStateException"
        # The function's frames only (the runtime's are cut), the bridge method included; the
        # cause is not part of the document.
        assert error["stackTrace"] == [
            "example.Failing.handleRequest(Failing.java:18)",
            "example.Failing.handleRequest(Failing.java:8)",
        ]
        # The log carries "message: type", then the printed trace with its cause.
        output = rie.wait_for_output("Caused by: java.lang.IllegalArgumentException: the cause")
        assert "boom: state: java.lang.IllegalStateException\njava.lang.IllegalStateException: boom: state\n" in output

        error = error_of(rie, {"kind": "custom"})
        assert (error["errorMessage"], error["errorType"]) == ("custom failure", "example.Failing$FunctionError")
        error = error_of(rie, {"kind": "nomessage"})
        assert error["errorMessage"] == error["errorType"] == "java.lang.UnsupportedOperationException"


def test_checked_exception_from_a_pojo_method(client):
    with java_rie(client, "example.Pojo::fail") as rie:
        error = error_of(rie, {})
        assert (error["errorMessage"], error["errorType"]) == ("checked failure", "java.io.IOException")
        assert error["stackTrace"][0] == "example.Pojo.fail(Pojo.java:43)"
        # Called through reflection, as AWS calls it: the same frames follow.
        assert any(frame.startswith("java.base/java.lang.reflect.Method.invoke(") for frame in error["stackTrace"])
        assert not any("lambent" in frame for frame in error["stackTrace"])


def test_event_that_does_not_decode(client):
    with java_rie(client, "example.MapHandler") as rie:
        error = error_of(rie, raw=b"not json")
        assert error == {"errorMessage": "An error occurred during JSON parsing",
                         "errorType": "java.lang.RuntimeException", "stackTrace": []}


def test_class_not_found(client):
    with java_rie(client, "example.Missing") as rie:
        # Not an init error on AWS's Java runtime: each invoke fails, without a stack trace.
        error = error_of(rie, {})
        assert error == {"errorMessage": "Class not found: example.Missing",
                         "errorType": "java.lang.ClassNotFoundException"}
        output = rie.wait_for_output("Class not found: example.Missing: java.lang.ClassNotFoundException\n")
        assert "java.lang.ClassNotFoundException: example.Missing\n" in output
        assert error_of(rie, {}) == error  # and the environment keeps serving


def test_method_not_found(client):
    with java_rie(client, "example.Pojo::missing") as rie:
        assert error_of(rie, {}) == {
            "errorMessage": "No public method named missing with appropriate method signature found on class example.Pojo"}


def test_class_that_is_not_a_handler(client):
    with java_rie(client, "example.Misconfigured$NotAHandler") as rie:
        assert error_of(rie, {}) == {
            "errorMessage": "Class does not implement an appropriate handler interface: example.Misconfigured$NotAHandler"}


def test_handler_without_a_public_zero_argument_constructor(client):
    with java_rie(client, "example.Misconfigured$NoDefaultConstructor") as rie:
        assert error_of(rie, "x") == {
            "errorMessage": "Class example.Misconfigured$NoDefaultConstructor has no public zero-argument constructor",
            "errorType": "java.lang.Exception"}


def test_invalid_handler_string(client):
    with java_rie(client, "example.Pojo::") as rie:
        assert error_of(rie, {}) == {"errorMessage": "Invalid handler: `example.Pojo::'"}


def test_constructor_that_throws_fails_the_init(client):
    with java_rie(client, "example.ThrowingConstructor", function="broken_init") as rie:
        # Reported on /runtime/init/error, without a stack trace; the runtime exits.
        error = error_of(rie, {}, status=502)
        assert error == {"errorMessage": "constructor refused", "errorType": "java.lang.IllegalStateException"}
        output = rie.wait_for_output("constructor refused: java.lang.IllegalStateException\n")
        assert "java.lang.IllegalStateException: constructor refused\n\tat example.ThrowingConstructor.<init>" in output


def test_static_initializer_that_throws_fails_the_init(client):
    with java_rie(client, "example.ThrowingStaticInit", function="broken_init") as rie:
        error = error_of(rie, {}, status=502)
        assert error == {"errorMessage": "Error loading class example.ThrowingStaticInit",
                         "errorType": "java.lang.ExceptionInInitializerError"}


# -- logs --------------------------------------------------------------------------------


def test_text_log_lines(client):
    with java_rie(client, "example.Logging") as rie:
        assert rie.invoke_json({}) == (200, "logged")
        output = rie.wait_for_output("unicode: h\u00e9llo \u2713\n")
        records = rie.log_records()
        for line in ("stdout line", "stderr line", "logger line", "first of two", "second of two",
                     "[WARN] warn line", "bytes line"):
            assert line in records, (line, records)
        # No level configured: DEBUG records pass, with their level prefix.
        assert "[DEBUG] debug line" in records
        assert "logger line\nfirst of two\nsecond of two\n" in output


def test_json_log_format_and_level(client):
    env = {"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "INFO"}
    with java_rie(client, "example.Logging", env=env) as rie:
        assert rie.invoke_json({}) == (200, "logged")
        rie.wait_for_output("unicode: h\u00e9llo \u2713\n")
        records = rie.log_records()
        structured = [json.loads(line) for line in records if line.startswith("{")]
        by_message = {record["message"]: record for record in structured}
        # LambdaLogger records become one JSON line each, the message keeping its newline.
        warn = by_message["warn line\n"]
        assert warn["level"] == "WARN"
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", warn["timestamp"])
        assert re.fullmatch(r"[0-9a-f-]{36}", warn["AWSRequestId"])
        assert list(warn) == ["timestamp", "message", "level", "AWSRequestId"]
        assert by_message["logger line\n"]["level"] == "UNDEFINED"
        assert by_message["first of two\nsecond of two\n"]["level"] == "UNDEFINED"
        # Below the configured level: dropped.
        assert "debug line\n" not in by_message
        # System.out and byte records are not formatted (as AWS's client leaves them).
        assert "stdout line" in records and "bytes line" in records
