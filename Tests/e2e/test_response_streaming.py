"""Response streaming end to end: a provided.al2023 bootstrap posts its response in the Runtime
API's streaming mode, and the caller reads it as it is written, through `InvokeWithResponseStream`
(boto3's event stream) and through a RESPONSE_STREAM Function URL (http.client); with errors
midway, a runtime that breaks its stream, a slow client and one that goes away."""

from __future__ import annotations

import base64
import http.client
import json
import time
from urllib.parse import urlsplit

import pytest

from conftest import FUNCTIONS_DIR, invoke, make_zip
from test_function_urls import make_public

BOOTSTRAP = (FUNCTIONS_DIR / "streaming_runtime" / "bootstrap").read_text()


@pytest.fixture
def streaming_function(function, lambda_client):
    def make(**params) -> str:
        zip_bytes = make_zip({"bootstrap": BOOTSTRAP}, modes={"bootstrap": 0o755})
        return function(zip_bytes=zip_bytes, Runtime="provided.al2023", Handler="stream", **params)["FunctionName"]
    return make


def stream_events(lambda_client, name: str, event: dict, **params) -> tuple[list, dict, list[float]]:
    """Invokes with response streaming: the chunks, the InvokeComplete event, and when each chunk arrived."""
    response = lambda_client.invoke_with_response_stream(FunctionName=name, Payload=json.dumps(event), **params)
    chunks, arrivals, complete = [], [], None
    for message in response["EventStream"]:
        if "PayloadChunk" in message:
            chunks.append(message["PayloadChunk"]["Payload"])
            arrivals.append(time.monotonic())
        if "InvokeComplete" in message:
            complete = message["InvokeComplete"]
            arrivals.append(time.monotonic())
    return chunks, complete, arrivals


def test_invoke_with_response_stream_delivers_chunks_as_written(streaming_function, lambda_client):
    name = streaming_function()
    started = time.monotonic()
    chunks, complete, arrivals = stream_events(
        lambda_client, name, {"chunks": ["first ", "second ", "third"], "delay": 1.0}, LogType="Tail")
    assert b"".join(chunks) == b"first second third"
    assert len(chunks) == 3
    # The first chunk arrived while the function was still writing (two 1 s pauses follow it).
    assert arrivals[-1] - arrivals[0] >= 1.5, arrivals
    assert arrivals[0] - started < arrivals[-1] - started - 1.5
    assert "ErrorCode" not in complete
    log = base64.b64decode(complete["LogResult"]).decode()
    assert "REPORT RequestId" in log and "Init Duration" in log
    # The Runtime API accepted the stream as RIE does.
    chunks, _, _ = stream_events(lambda_client, name, {"chunks": ["<last>"]})
    assert chunks == [b'202 {"status":"OK"}']

    # A buffered Invoke of the same function gets the whole stream as one payload.
    result = lambda_client.invoke(FunctionName=name, Payload=json.dumps({"chunks": ["a", "b", "c"]}))
    assert result["Payload"].read() == b"abc"
    assert "FunctionError" not in result
    # ... up to the buffered limit, as RIE holds a streaming runtime's answer to a buffered invoke.
    oversized = invoke(lambda_client, name, {"flood": {"size": 7 << 20}})
    assert oversized.function_error == "Unhandled"
    assert oversized.payload == {
        "errorMessage": "Response payload size exceeded maximum allowed payload size (6291556 bytes).",
        "errorType": "Function.ResponseSizeTooLarge"}


def test_stream_error_midway(streaming_function, lambda_client):
    """Error trailers: the chunks already written arrive, then InvokeComplete carries the error."""
    name = streaming_function()
    error = {"errorMessage": "midway", "errorType": "MyError"}
    chunks, complete, _ = stream_events(lambda_client, name, {"chunks": ["partial"], "error": error})
    assert b"".join(chunks) == b"partial"
    assert complete["ErrorCode"] == "Unhandled"
    assert json.loads(complete["ErrorDetails"]) == error

    result = invoke(lambda_client, name, {"chunks": ["partial"], "error": error})
    assert result.function_error == "Unhandled"
    assert result.payload == error
    # The environment survives: the next stream is whole.
    chunks, complete, _ = stream_events(lambda_client, name, {"chunks": ["ok"]})
    assert chunks == [b"ok"] and "ErrorCode" not in complete


def test_invalid_response_mode_and_broken_stream(streaming_function, lambda_client):
    name = streaming_function()
    result = lambda_client.invoke(FunctionName=name, Payload=json.dumps({"chunks": ["x"], "mode": "bogus"}))
    assert result["FunctionError"] == "Unhandled"
    assert result["Payload"].read() == b""
    # The runtime is refused as RIE refuses it.
    chunks, _, _ = stream_events(lambda_client, name, {"chunks": ["<last>"]})
    assert chunks == [b'400 {"errorMessage":"Invalid function response mode","errorType":"InvalidFunctionResponseMode"}']

    chunks, complete, _ = stream_events(lambda_client, name, {"chunks": ["before "], "break": True})
    assert b"".join(chunks) == b"before "
    assert complete["ErrorCode"] == "Unhandled"
    assert json.loads(complete["ErrorDetails"])["errorType"] == "Runtime.TruncatedResponse"
    chunks, _, _ = stream_events(lambda_client, name, {"chunks": ["<last>"]})
    assert chunks[0].startswith(b"broken stream"), chunks


def streaming_url(lambda_client, name: str) -> str:
    lambda_client.create_function_url_config(FunctionName=name, AuthType="NONE", InvokeMode="RESPONSE_STREAM")
    make_public(lambda_client, name)
    return lambda_client.get_function_url_config(FunctionName=name)["FunctionUrl"]


def open_stream(server, url: str, instructions: dict) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    connection.request("POST", "/", body=json.dumps(instructions), headers={"Host": urlsplit(url).netloc})
    return connection, connection.getresponse()


def test_slow_reader_holds_the_function_back(streaming_function, lambda_client, server):
    """Backpressure: while the client does not read, the function's writes block (30 MB cannot
    be buffered anywhere on the way), so it finishes writing only after the client resumes."""
    name = streaming_function()
    url = streaming_url(lambda_client, name)
    connection, response = open_stream(server, url, {"chunks": ["start=<now>|"], "flood": {"size": 30 << 20}})
    assert response.status == 200
    first = response.read1(65536)
    start = float(first.decode(errors="replace").split("=")[1].split("|")[0])
    time.sleep(3)
    rest = response.read()
    connection.close()
    tail = rest[-200:].decode()
    assert "|end=" in tail, tail
    assert len(first) + len(rest) > 30 << 20
    end = float(tail.split("|end=")[1].split("|")[0])
    assert end - start >= 2.0, f"the function wrote 30 MB in {end - start:.2f} s while nothing was read"


def test_disconnected_client_does_not_block_the_function(streaming_function, lambda_client, server):
    """A client that goes away mid-stream: the rest of the output is dropped rather than held,
    so the function runs to its end (not into its timeout), and its environment serves the next call."""
    name = streaming_function()
    url = streaming_url(lambda_client, name)
    connection, response = open_stream(server, url, {"flood": {"size": 100 << 20, "seconds": 2}})
    assert response.status == 200
    response.read1(65536)
    connection.sock.close()
    connection.close()
    # The flood ends by itself after 2 s; had it been left blocked, its environment would be
    # busy until the 30 s timeout and the next call would need a new one.
    time.sleep(4)
    result = invoke(lambda_client, name, {"chunks": ["after"]}, tail=True)
    assert result.function_error is None, result.payload
    assert result.raw == b"after"
    assert "Init Duration" not in result.log, "the same warm environment served the next call"


def test_streaming_function_url(streaming_function, lambda_client, server):
    """A RESPONSE_STREAM URL: status, headers and cookies from the prelude, the body as written."""
    name = streaming_function()
    url = streaming_url(lambda_client, name)
    instructions = {
        "content_type": "application/vnd.awslambda.http-integration-response",
        "prelude": {"statusCode": 201, "headers": {"Content-Type": "text/plain", "X-Custom": "yes"}, "cookies": ["a=1", "b=2"]},
        "chunks": ["hello ", "streamed ", "world"], "delay": 1.0,
    }
    connection, response = open_stream(server, url, instructions)
    assert response.status == 201
    assert response.getheader("content-type") == "text/plain"
    assert response.getheader("x-custom") == "yes"
    assert response.msg.get_all("set-cookie") == ["a=1", "b=2"]
    assert response.getheader("transfer-encoding") == "chunked"
    first = response.read1(100)
    first_at = time.monotonic()
    rest = response.read()
    done_at = time.monotonic()
    assert first + rest == b"hello streamed world"
    assert first == b"hello "
    assert done_at - first_at >= 1.5

    # Without the prelude content type the stream is the body, 200, with the runtime's type.
    status, headers, body = plain_call(server, url, {"content_type": "text/csv", "chunks": ["a,b\n", "1,2\n"]})
    assert (status, headers["content-type"], body) == (200, "text/csv", b"a,b\n1,2\n")

    # A function that fails before its prelude is complete: 502.
    status, _, body = plain_call(server, url, {"content_type": "application/vnd.awslambda.http-integration-response",
                                               "error": {"errorMessage": "early", "errorType": "E"}})
    assert (status, body) == (502, b"Internal Server Error")


def plain_call(server, url: str, instructions: dict) -> tuple[int, dict, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.request("POST", "/path", body=json.dumps(instructions), headers={"Host": urlsplit(url).netloc})
    response = connection.getresponse()
    body = response.read()
    headers = {name.lower(): value for name, value in response.getheaders()}
    connection.close()
    return response.status, headers, body
