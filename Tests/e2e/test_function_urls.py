"""Function URLs: the control plane (`test_lambda_api`'s `TestLambdaUrl` recordings), and HTTP
calls through both the Host form and the path form, with payload format 2.0, AWS's response
mapping, both auth types, CORS and AWS's error answers (`test_lambda`'s `TestLambdaURL`)."""

from __future__ import annotations

import base64
import http.client
import json
import subprocess
import time
from urllib.parse import urlsplit

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, REGION, error_code, function_arn, lambent_binary, make_zip

ECHO = '''
import base64, json
def handler(event, context):
    print("URL-EVENT")
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(event)}
'''

ANSWERS = '''
import base64, json
def handler(event, context):
    kind = event["rawPath"].strip("/")
    if kind == "dict":
        return {"hello": "world", "n": [1, 2]}
    if kind == "string":
        return "hello"
    if kind == "number":
        return 3
    if kind == "teapot":
        return {"statusCode": "418", "body": "i'm a teapot"}
    if kind == "full":
        return {"statusCode": 201, "headers": {"My-Custom-Header": "Custom Value", "Access-Control-Allow-Origin": "https://evil"},
                "cookies": ["a=1; Path=/", "b=2"], "body": "made"}
    if kind == "binary":
        return {"statusCode": 200, "headers": {"content-type": "image/png"}, "isBase64Encoded": True,
                "body": base64.b64encode(bytes(range(256))).decode()}
    if kind == "crash":
        raise Exception("boom")
    return {"statusCode": 404, "body": "no such kind"}
'''

FORBIDDEN = ('{"Message":"Forbidden. For troubleshooting Function URL authorization issues, see: '
             'https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html"}')


def make_public(lambda_client, name: str, qualifier: str | None = None) -> None:
    extra = {"Qualifier": qualifier} if qualifier else {}
    lambda_client.add_permission(FunctionName=name, StatementId="url", Action="lambda:InvokeFunctionUrl", Principal="*",
                                 FunctionUrlAuthType="NONE", **extra)
    lambda_client.add_permission(FunctionName=name, StatementId="invoke", Action="lambda:InvokeFunction", Principal="*",
                                 InvokedViaFunctionUrl=True, **extra)


def call(server, url: str, method: str = "GET", path: str = "/", body: bytes | None = None, headers: dict | None = None,
         host_form: bool = True) -> tuple[int, dict, bytes]:
    """Calls a function URL on the server: by Host header (the URL's own host) or by the path form."""
    url_id = urlsplit(url).hostname.split(".")[0]
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    headers = dict(headers or {})
    if host_form:
        headers.setdefault("Host", urlsplit(url).netloc)
        target = path
    else:
        target = f"/lambda-url/{url_id}{path}"
    connection.request(method, target, body=body, headers=headers)
    response = connection.getresponse()
    data = response.read()
    answer = {}
    for name, value in response.getheaders():
        key = name.lower()
        answer[key] = f"{answer[key]}\n{value}" if key in answer else value
    connection.close()
    return response.status, answer, data


@pytest.fixture
def url_function(function, lambda_client):
    """`url_function(code, auth="NONE", public=True, **url_params)` -> (name, FunctionUrl)."""
    def make(code: str = ECHO, auth: str = "NONE", public: bool = True, **params):
        name = function(zip_bytes=make_zip({"app.py": code}))["FunctionName"]
        url = lambda_client.create_function_url_config(FunctionName=name, AuthType=auth, **params)["FunctionUrl"]
        if public and auth == "NONE":
            make_public(lambda_client, name)
        return name, url
    return make


def test_url_config_lifecycle_and_errors(function, lambda_client, server):
    name = function(zip_bytes=make_zip({"app.py": ECHO}))["FunctionName"]
    created = lambda_client.create_function_url_config(FunctionName=name, AuthType="NONE")
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert set(created) - {"ResponseMetadata"} == {"AuthType", "CreationTime", "FunctionArn", "FunctionUrl"}
    assert created["FunctionArn"] == function_arn(name)
    url = created["FunctionUrl"]
    host = urlsplit(url).hostname
    assert url == f"http://{host}:{server.port}/" and host.endswith(f".lambda-url.{REGION}.localhost")
    assert len(host.split(".")[0]) == 32

    with pytest.raises(ClientError) as caught:
        lambda_client.create_function_url_config(FunctionName=name, AuthType="NONE")
    assert error_code(caught.value) == "ResourceConflictException"
    assert caught.value.response["Error"]["Message"] == (
        f"Failed to create function url config for [functionArn = {function_arn(name)}]. Error message:  "
        "FunctionUrlConfig exists for this Lambda function")

    got = lambda_client.get_function_url_config(FunctionName=name)
    assert got["InvokeMode"] == "BUFFERED" and got["FunctionUrl"] == url and "LastModifiedTime" in got
    updated = lambda_client.update_function_url_config(
        FunctionName=name, AuthType="AWS_IAM", Cors={"AllowOrigins": ["https://example.com"], "MaxAge": 60})
    assert updated["AuthType"] == "AWS_IAM" and "InvokeMode" not in updated
    assert updated["Cors"] == {"AllowOrigins": ["https://example.com"], "MaxAge": 60}
    streamed = lambda_client.update_function_url_config(FunctionName=name, InvokeMode="RESPONSE_STREAM")
    assert streamed["InvokeMode"] == "RESPONSE_STREAM" and streamed["AuthType"] == "AWS_IAM"

    lambda_client.publish_version(FunctionName=name)
    lambda_client.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    aliased = lambda_client.create_function_url_config(FunctionName=name, Qualifier="live", AuthType="NONE")
    assert aliased["FunctionArn"] == function_arn(name) + ":live" and aliased["FunctionUrl"] != url
    listed = lambda_client.list_function_url_configs(FunctionName=name)["FunctionUrlConfigs"]
    assert sorted(c["FunctionArn"] for c in listed) == sorted([function_arn(name), function_arn(name) + ":live"])
    first = lambda_client.list_function_url_configs(FunctionName=name, MaxItems=1)
    assert len(first["FunctionUrlConfigs"]) == 1 and "NextMarker" in first

    deleted = lambda_client.delete_function_url_config(FunctionName=name)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as caught:
        lambda_client.get_function_url_config(FunctionName=name)
    assert caught.value.response["Error"]["Message"] == "The resource you requested does not exist."
    assert lambda_client.get_function_url_config(FunctionName=name, Qualifier="live")["FunctionUrl"] == aliased["FunctionUrl"]

    for qualifier in ("1", "$LATEST"):
        with pytest.raises(ClientError) as caught:
            lambda_client.create_function_url_config(FunctionName=name, Qualifier=qualifier, AuthType="NONE")
        assert caught.value.response["Error"]["Message"] == (
            f"1 validation error detected: Value '{qualifier}' at 'qualifier' failed to satisfy constraint: "
            r"Member must satisfy regular expression pattern: ((?!^\d+$)^[0-9a-zA-Z-_]+$)")
    for call_, expected in ((lambda_client.create_function_url_config, "Function does not exist"),
                            (lambda_client.get_function_url_config, "The resource you requested does not exist.")):
        with pytest.raises(ClientError) as caught:
            call_(FunctionName=name + "-missing", **({"AuthType": "NONE"} if call_ == lambda_client.create_function_url_config else {}))
        assert error_code(caught.value) == "ResourceNotFoundException" and caught.value.response["Error"]["Message"] == expected
    with pytest.raises(ClientError) as caught:
        lambda_client.create_function_url_config(FunctionName=name, Qualifier="nope", AuthType="NONE")
    assert caught.value.response["Error"]["Message"] == "Function does not exist"
    with pytest.raises(ClientError) as caught:
        lambda_client.create_function_url_config(FunctionName=name, AuthType="OPEN")
    assert error_code(caught.value) == "ValidationException"
    with pytest.raises(ClientError) as caught:
        lambda_client.update_function_url_config(FunctionName=name, Qualifier="live", Cors={"MaxAge": 86401})
    assert error_code(caught.value) == "ValidationException"

    # A URL goes with its alias and with its function.
    alias_url = aliased["FunctionUrl"]
    make_public(lambda_client, name, "live")
    assert call(server, alias_url)[0] == 200
    lambda_client.delete_alias(FunctionName=name, Name="live")
    status, headers, body = call(server, alias_url)
    assert (status, body, headers.get("x-amzn-errortype")) == (403, b'{"Message":null}', "AccessDeniedException")


def test_payload_format_2_event(url_function, server):
    name, url = url_function()
    status, headers, body = call(
        server, url, "POST", "/some/path?b=2&a=1&b=%2Fthree&flag",
        body=b'{"k": "v"}', headers={"Content-Type": "application/json", "X-Custom": "One", "User-Agent": "e2e/1",
                                     "Cookie": "c1=v1; c2=v2"})
    assert status == 200, body
    event = json.loads(body)
    assert event["version"] == "2.0" and event["routeKey"] == "$default"
    assert event["rawPath"] == "/some/path" and event["rawQueryString"] == "b=2&a=1&b=%2Fthree&flag"
    assert event["queryStringParameters"] == {"b": "2,/three", "a": "1", "flag": ""}
    assert event["cookies"] == ["c1=v1", "c2=v2"]
    assert event["headers"]["x-custom"] == "One" and event["headers"]["user-agent"] == "e2e/1"
    assert all(key == key.lower() for key in event["headers"])
    assert event["headers"]["host"] == urlsplit(url).hostname
    assert event["body"] == '{"k": "v"}' and event["isBase64Encoded"] is False
    context = event["requestContext"]
    url_id = urlsplit(url).hostname.split(".")[0]
    assert context["apiId"] == url_id and context["domainPrefix"] == url_id
    assert context["domainName"] == urlsplit(url).hostname and context["accountId"] == "anonymous"
    assert context["http"] == {"method": "POST", "path": "/some/path", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1",
                               "userAgent": "e2e/1"}
    assert context["routeKey"] == "$default" and context["stage"] == "$default"
    assert abs(context["timeEpoch"] / 1000 - time.time()) < 60 and context["time"].endswith(" +0000")
    assert headers["x-amzn-requestid"] == context["requestId"]
    assert "authorizer" not in context

    # The path form: the prefix is not part of the path the function sees; binary bodies are base64.
    status, _, body = call(server, url, "PUT", "/bin", body=bytes(range(256)), headers={"Content-Type": "application/octet-stream"},
                           host_form=False)
    event = json.loads(body)
    assert status == 200 and event["rawPath"] == "/bin" and event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == bytes(range(256))
    status, _, body = call(server, url, "GET", "", host_form=False)
    assert status == 200 and json.loads(body)["rawPath"] == "/" and "body" not in json.loads(body)


def test_response_mapping_and_function_errors(url_function, server):
    _, url = url_function(ANSWERS)
    assert call(server, url, path="/dict")[::2] == (200, b'{"hello":"world","n":[1,2]}')
    assert call(server, url, path="/string")[::2] == (200, b"hello")
    status, headers, body = call(server, url, path="/number")
    assert (status, body, headers["content-type"]) == (200, b"3", "application/json")
    assert call(server, url, path="/teapot")[::2] == (418, b"i'm a teapot")
    status, headers, body = call(server, url, path="/full")
    assert (status, body) == (201, b"made")
    assert headers["my-custom-header"] == "Custom Value" and headers["content-type"] == "application/json"
    assert headers["set-cookie"].split("\n") == ["a=1; Path=/", "b=2"]
    status, headers, body = call(server, url, path="/binary")
    assert (status, body, headers["content-type"]) == (200, bytes(range(256)), "image/png")
    assert call(server, url, path="/crash")[::2] == (502, b"Internal Server Error")
    # In RESPONSE_STREAM mode a handler that does not stream is passed through unmapped, as AWS does.
    _, url = url_function(ANSWERS, InvokeMode="RESPONSE_STREAM")
    assert call(server, url, path="/teapot")[::2] == (200, b'{"statusCode": "418", "body": "i\'m a teapot"}')


def test_auth_none_needs_both_permissions_and_aws_iam_needs_a_signature(url_function, lambda_client, server):
    name, url = url_function(public=False)
    assert call(server, url)[::2] == (403, FORBIDDEN.encode())
    lambda_client.add_permission(FunctionName=name, StatementId="url", Action="lambda:InvokeFunctionUrl", Principal="*",
                                 FunctionUrlAuthType="NONE")
    assert call(server, url)[0] == 403, "lambda:InvokeFunction via the URL is needed too"
    lambda_client.add_permission(FunctionName=name, StatementId="invoke", Action="lambda:InvokeFunction", Principal="*",
                                 InvokedViaFunctionUrl=True)
    policy = json.loads(lambda_client.get_policy(FunctionName=name)["Policy"])
    assert policy["Statement"][1]["Condition"] == {"Bool": {"lambda:InvokedViaFunctionUrl": "true"}}
    assert call(server, url)[0] == 200

    iam_name, iam_url = url_function(auth="AWS_IAM")
    status, headers, body = call(server, iam_url)
    assert (status, body, headers.get("x-amzn-errortype")) == (403, FORBIDDEN.encode(), "AccessDeniedException")
    target = iam_url + "signed?x=1"
    request = AWSRequest(method="GET", url=target, headers={"Host": urlsplit(iam_url).netloc})
    SigV4Auth(Credentials(server.access_key, server.secret_key), "lambda", REGION).add_auth(request)
    status, _, body = call(server, iam_url, path="/signed?x=1", headers=dict(request.headers))
    assert status == 200, body
    iam = json.loads(body)["requestContext"]["authorizer"]["iam"]
    assert iam["accessKey"] == server.access_key and iam["accountId"] == ACCOUNT_ID
    assert iam["userArn"] == f"arn:aws:iam::{ACCOUNT_ID}:root"
    # A signature for another service is not a Lambda signature.
    request = AWSRequest(method="GET", url=target, headers={"Host": urlsplit(iam_url).netloc})
    SigV4Auth(Credentials(server.access_key, server.secret_key), "sqs", REGION).add_auth(request)
    assert call(server, iam_url, path="/signed?x=1", headers=dict(request.headers))[0] == 403


def test_cors_preflight_and_response_headers(url_function, server):
    _, url = url_function(Cors={"AllowOrigins": ["https://app.example"], "AllowMethods": ["GET", "POST"],
                                "AllowHeaders": ["x-custom"], "ExposeHeaders": ["x-amzn-requestid"], "MaxAge": 300,
                                "AllowCredentials": True})
    status, headers, body = call(server, url, "OPTIONS", "/", headers={"Origin": "https://app.example",
                                                                        "Access-Control-Request-Method": "POST"})
    assert status == 200 and body == b""
    assert headers["access-control-allow-origin"] == "https://app.example"
    assert headers["access-control-allow-methods"] == "GET,POST" and headers["access-control-allow-headers"] == "x-custom"
    assert headers["access-control-max-age"] == "300" and headers["access-control-allow-credentials"] == "true"
    status, headers, _ = call(server, url, "OPTIONS", "/", headers={"Origin": "https://other.example",
                                                                     "Access-Control-Request-Method": "POST"})
    assert status == 200 and not any(key.startswith("access-control-") for key in headers)
    status, headers, _ = call(server, url, "GET", "/", headers={"Origin": "https://app.example"})
    assert status == 200 and headers["access-control-allow-origin"] == "https://app.example"
    assert headers["access-control-expose-headers"] == "x-amzn-requestid"
    # The configured header wins over the function's own.
    _, url = url_function(ANSWERS, Cors={"AllowOrigins": ["*"]})
    status, headers, _ = call(server, url, path="/full", headers={"Origin": "https://app.example"})
    assert status == 201 and headers["access-control-allow-origin"] == "https://app.example"


def test_unknown_ids_and_bad_requests(url_function, server):
    status, headers, body = call(server, "http://0123456789abcdefghijklmnopqrstuv.lambda-url.us-east-1.localhost/")
    assert (status, body, headers["x-amzn-errortype"]) == (403, b'{"Message":null}', "AccessDeniedException")
    status, _, body = call(server, "http://x.lambda-url.us-east-1.localhost/", host_form=False)
    assert (status, body) == (403, b'{"Message":null}')
    _, url = url_function()
    status, _, _ = call(server, url, "POST", "/", body=b"x" * (6 * 1024 * 1024 + 1), headers={"Content-Type": "text/plain"})
    assert status == 413
    # URL traffic never reaches the Lambda API, even on its paths.
    status, _, _ = call(server, url, "GET", "/2015-03-31/functions/")
    assert status == 200
    assert call(server, url)[0] == 200, "the server is healthy after all that"


def test_throttled_url_answers_429(url_function, lambda_client, server):
    """Reserved concurrency 0 turns a URL off: every request gets 429, as AWS documents."""
    name, url = url_function()
    lambda_client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    status, headers, _ = call(server, url)
    assert status == 429 and headers["x-amzn-errortype"] == "TooManyRequestsException"
    lambda_client.delete_function_concurrency(FunctionName=name)
    assert call(server, url)[0] == 200


def test_lambent_url_command(function, server):
    name = function(zip_bytes=make_zip({"app.py": ANSWERS}))["FunctionName"]
    env = dict(server.env(), LAMBENT_ENDPOINT=server.endpoint)
    result = subprocess.run([str(lambent_binary()), "url", name, "--endpoint-url", server.endpoint], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    url, path_url, auth = result.stdout.splitlines()
    assert auth == "auth: NONE" and path_url.startswith(f"{server.endpoint}/lambda-url/")
    curl = subprocess.run(["curl", "-s", path_url + "dict"], capture_output=True, text=True, timeout=60)
    assert curl.stdout == '{"hello":"world","n":[1,2]}'
    again = subprocess.run([str(lambent_binary()), "url", name, "--endpoint-url", server.endpoint], env=env,
                           capture_output=True, text=True, timeout=60)
    assert again.stdout.splitlines()[0] == url, "a second call shows the same URL"


def test_invoke_with_response_stream(function, lambda_client):
    """boto3's `invoke_with_response_stream` reads Lambent's event stream: `PayloadChunk`s, then
    `InvokeComplete` (with the error and the log tail when asked)."""
    name = function(zip_bytes=make_zip({"app.py": ANSWERS}))["FunctionName"]
    response = lambda_client.invoke_with_response_stream(FunctionName=name, Payload=b'{"rawPath": "/dict"}', LogType="Tail")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200 and response["ExecutedVersion"] == "$LATEST"
    events = list(response["EventStream"])
    chunks = b"".join(event["PayloadChunk"]["Payload"] for event in events if "PayloadChunk" in event)
    assert json.loads(chunks) == {"hello": "world", "n": [1, 2]}
    complete = events[-1]["InvokeComplete"]
    assert "ErrorCode" not in complete and "END RequestId" in base64.b64decode(complete["LogResult"]).decode()

    failed = list(lambda_client.invoke_with_response_stream(FunctionName=name, Payload=b'{"rawPath": "/crash"}')["EventStream"])
    assert [list(event) for event in failed] == [["InvokeComplete"]]
    assert failed[0]["InvokeComplete"]["ErrorCode"] == "Unhandled"
    assert json.loads(failed[0]["InvokeComplete"]["ErrorDetails"])["errorMessage"] == "boom"

    dry = lambda_client.invoke_with_response_stream(FunctionName=name, InvocationType="DryRun")
    assert dry["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as caught:
        lambda_client.invoke_with_response_stream(FunctionName=name, InvocationType="Event")
    assert error_code(caught.value) == "ValidationException"
