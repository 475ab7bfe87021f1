"""Traces: a server started with `--otlp-endpoint` exports the platform's spans of traced
invocations to an OpenTelemetry collector (OTLP/HTTP, JSON encoding), and the runtime gets the
trace in `_X_AMZN_TRACE_ID`, its parent the platform's invocation span.

The collector is a small HTTP server in this test that keeps what it is sent.
"""

from __future__ import annotations

import http.server
import json
import threading
import time

import pytest

from conftest import invoke, make_zip

TRACE_PROBE = """
import os
def handler(event, context):
    if event.get("fail"):
        raise Exception("fail on purpose")
    return {"trace": os.environ.get("_X_AMZN_TRACE_ID")}
"""


class Collector:
    """Accepts `POST /v1/traces` and keeps the decoded documents."""

    def __init__(self):
        self.documents: list[dict] = []
        self.paths: list[str] = []
        self.content_types: list[str] = []
        collector = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                collector.paths.append(self.path)
                collector.content_types.append(self.headers.get("content-type", ""))
                collector.documents.append(json.loads(body))
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.http = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http.server_address[1]}"

    def spans(self) -> list[dict]:
        found = []
        for document in list(self.documents):
            for resource in document["resourceSpans"]:
                attributes = {a["key"]: a["value"] for a in resource["resource"]["attributes"]}
                for scope in resource["scopeSpans"]:
                    for span in scope["spans"]:
                        found.append({**span, "service": attributes["service.name"]["stringValue"]})
        return found

    def wait_for(self, predicate, timeout: float = 10) -> list[dict]:
        deadline = time.monotonic() + timeout
        while True:
            spans = [s for s in self.spans() if predicate(s)]
            if spans or time.monotonic() > deadline:
                return spans
            time.sleep(0.2)


@pytest.fixture(scope="module")
def collector():
    collector = Collector()
    yield collector
    collector.http.shutdown()


@pytest.fixture(scope="module")
def traced_server(start_server, collector):
    return start_server(extra_args=["--otlp-endpoint", collector.url])


def create(client, name: str, **params) -> None:
    client.create_function(FunctionName=name, Runtime="python3.12", Role="arn:aws:iam::000000000000:role/lambent-e2e",
                           Handler="app.handler", Code={"ZipFile": make_zip({"app.py": TRACE_PROBE})}, **params)
    client.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120})


def fields(header: str) -> dict:
    return dict(part.split("=", 1) for part in header.split(";"))


def test_an_active_function_exports_platform_spans_the_functions_trace_joins(traced_server, collector):
    client = traced_server.client()
    create(client, "traced-active", TracingConfig={"Mode": "Active"})
    first = invoke(client, "traced-active", {})
    assert first.function_error is None, first.payload
    header = fields(first.payload["trace"])
    assert header["Sampled"] == "1" and header["Root"].startswith("1-")
    trace_id = header["Root"][2:].replace("-", "")
    spans = collector.wait_for(lambda s: s["traceId"] == trace_id and s["name"] == "traced-active")
    assert len(spans) == 1
    root = spans[0]
    # The function's spans join the platform's invocation span: the runtime's Parent is it.
    assert root["spanId"] == header["Parent"] and "parentSpanId" not in root
    assert root["kind"] == 2 and root["status"]["code"] == 1 and root["service"] == "traced-active"
    attributes = {a["key"]: next(iter(a["value"].values())) for a in root["attributes"]}
    assert attributes["faas.invocation_id"] == first.request_id
    assert attributes["faas.coldstart"] is True
    children = collector.wait_for(lambda s: s.get("parentSpanId") == root["spanId"])
    assert {s["name"] for s in children} == {"Init", "Invocation", "Overhead"}
    for span in children + [root]:
        assert int(span["startTimeUnixNano"]) <= int(span["endTimeUnixNano"])
    by_name = {s["name"]: s for s in children}
    assert int(by_name["Init"]["endTimeUnixNano"]) <= int(by_name["Invocation"]["startTimeUnixNano"])
    assert collector.paths[0] == "/v1/traces" and collector.content_types[0].startswith("application/json")

    # Warm: no Init; an error marks the root span.
    failed = invoke(client, "traced-active", {"fail": True})
    assert failed.function_error == "Unhandled"
    errored = collector.wait_for(lambda s: s["name"] == "traced-active" and s["status"]["code"] == 2)
    assert len(errored) == 1
    warm = collector.wait_for(lambda s: s.get("parentSpanId") == errored[0]["spanId"])
    assert {s["name"] for s in warm} == {"Invocation", "Overhead"}


def test_a_callers_sampled_trace_header_is_continued_in_pass_through(traced_server, collector):
    client = traced_server.client()
    create(client, "traced-passthrough")
    root = "1-67890abc-0123456789abcdef01234567"
    parent = "53995c3f42cd8ad8"

    def with_header(value: str):
        def add(request, **kwargs):
            request.headers["X-Amzn-Trace-Id"] = value
        client.meta.events.register_first("before-sign.lambda.Invoke", add)
        try:
            return invoke(client, "traced-passthrough", {})
        finally:
            client.meta.events.unregister("before-sign.lambda.Invoke", add)

    sampled = with_header(f"Root={root};Parent={parent};Sampled=1")
    header = fields(sampled.payload["trace"])
    assert header["Root"] == root and header["Sampled"] == "1" and header["Parent"] != parent
    spans = collector.wait_for(lambda s: s["traceId"] == "67890abc0123456789abcdef01234567" and s["name"] == "traced-passthrough")
    assert len(spans) == 1 and spans[0]["parentSpanId"] == parent and spans[0]["spanId"] == header["Parent"]

    # Not sampled upstream, PassThrough: the header still reaches the function; nothing is exported.
    other = "1-67890abc-fedcba9876543210fedcba98"
    unsampled = with_header(f"Root={other};Parent={parent};Sampled=0")
    assert fields(unsampled.payload["trace"])["Root"] == other
    assert fields(unsampled.payload["trace"])["Sampled"] == "0"
    # No header at all: a fresh, unsampled trace id.
    plain = invoke(client, "traced-passthrough", {})
    assert fields(plain.payload["trace"])["Sampled"] == "0"
    time.sleep(2.5)
    assert not [s for s in collector.spans() if s["traceId"] == "67890abcfedcba9876543210fedcba98"]


def test_an_async_event_has_a_queued_span(traced_server, collector):
    client = traced_server.client()
    create(client, "traced-async", TracingConfig={"Mode": "Active"})
    assert client.invoke(FunctionName="traced-async", InvocationType="Event", Payload=b"{}")["StatusCode"] == 202
    roots = collector.wait_for(lambda s: s["name"] == "traced-async", timeout=30)
    assert len(roots) == 1
    children = collector.wait_for(lambda s: s.get("parentSpanId") == roots[0]["spanId"])
    names = {s["name"] for s in children}
    assert {"Queued", "Invocation", "Overhead"} <= names
    queued = next(s for s in children if s["name"] == "Queued")
    assert queued["startTimeUnixNano"] == roots[0]["startTimeUnixNano"]


def test_an_unreachable_collector_does_not_hold_invocations(start_server):
    """Spans for a collector nobody listens on are dropped; invocations answer as usual."""
    server = start_server(extra_args=["--otlp-endpoint", "http://127.0.0.1:9"])
    client = server.client()
    create(client, "traced-nowhere", TracingConfig={"Mode": "Active"})
    for _ in range(3):
        assert invoke(client, "traced-nowhere", {}).function_error is None


def test_tracing_config_on_create_and_update(function, lambda_client):
    from botocore.exceptions import ClientError
    from conftest import error_code
    name = function(zip_bytes=make_zip({"app.py": TRACE_PROBE}), TracingConfig={"Mode": "Active"})["FunctionName"]
    assert lambda_client.get_function_configuration(FunctionName=name)["TracingConfig"] == {"Mode": "Active"}
    updated = lambda_client.update_function_configuration(FunctionName=name, TracingConfig={"Mode": "PassThrough"})
    assert updated["TracingConfig"] == {"Mode": "PassThrough"}
    function.wait_updated(name)
    with pytest.raises(ClientError) as raised:
        lambda_client.update_function_configuration(FunctionName=name, TracingConfig={"Mode": "Sometimes"})
    assert error_code(raised.value) == "ValidationException"
    assert "Value 'Sometimes' at 'tracingConfig.mode' failed to satisfy constraint" in str(raised.value)
