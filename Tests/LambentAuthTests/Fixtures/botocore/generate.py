#!/usr/bin/env python3
"""Regenerates botocore.json: wire requests signed by real botocore (SigV4, service lambda).

Each case is captured at botocore's `before-send` hook, i.e. exactly what would go on the
wire (path and query still percent-encoded), with the clock frozen at FIXED_DATE.
Run: python3 generate.py > botocore.json   (botocore 1.43.x)
"""
import datetime
import json
import sys

import botocore
import botocore.auth
import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, AWSResponse
from botocore.credentials import Credentials
from urllib.parse import urlsplit

FIXED_DATE = datetime.datetime(2026, 1, 1, 0, 0, 0, tzinfo=datetime.timezone.utc)
botocore.auth.get_current_datetime = lambda *a, **k: FIXED_DATE
ENDPOINT = "http://localhost:9001"
KEY = ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
cases = []


def wire(name, method, url, headers, body, token=None):
    split = urlsplit(url)
    hdrs = [["Host", split.netloc]]
    for k, v in headers.items():
        hdrs.append([k, v.decode() if isinstance(v, bytes) else v])
    if body is None:
        body = b""
    elif isinstance(body, str):
        body = body.encode()
    elif hasattr(body, "read"):
        body = body.read()
    cases.append({
        "name": name, "method": method, "path": split.path or "/", "query": split.query,
        "headers": hdrs, "body": body.decode("utf-8"),
        "accessKeyID": KEY[0], "secretAccessKey": KEY[1], "region": "us-east-1",
    })


def client_case(name, op, token=None, **params):
    session = botocore.session.get_session()
    client = session.create_client(
        "lambda", region_name="us-east-1", endpoint_url=ENDPOINT,
        aws_access_key_id=KEY[0], aws_secret_access_key=KEY[1], aws_session_token=token)

    def capture(request, **_):
        wire(name, request.method, request.url, request.headers, request.body)
        raw = type("Raw", (), {"stream": lambda self, *a, **k: iter([b"{}"])})()
        return AWSResponse(request.url, 599, {}, raw)

    client.meta.events.register("before-send", capture)
    try:
        getattr(client, op)(**params)
    except Exception:
        pass  # the fake 599 response is an error; the request is already captured


client_case("invoke-json", "invoke", FunctionName="fn", Payload=b'{"hello": "world"}')
client_case("invoke-arn", "invoke",
            FunctionName="arn:aws:lambda:us-east-1:000000000000:function:hello",
            Payload=b"{}")
client_case("invoke-qualifier", "invoke", FunctionName="fn", Qualifier="$LATEST",
            InvocationType="Event", Payload=b"[1,2,3]")
client_case("list-functions-query", "list_functions", Marker="x", MaxItems=2)
client_case("list-functions-special-marker", "list_functions", Marker="a b/c+d=e&f~g", MaxItems=50)
client_case("get-function-space-colon", "get_function", FunctionName="my fn:prod")
client_case("get-account-settings-empty", "get_account_settings")
client_case("session-token", "get_function", token="FQoGZXIvYXdzEXAMPLETOKEN//+=", FunctionName="fn")

# Direct SigV4Auth + AWSRequest use, as the brief asks: a path already percent-encoded.
creds = Credentials(*KEY)
req = AWSRequest(method="POST",
                 url=ENDPOINT + "/2015-03-31/functions/my%20fn%3Aalias/invocations",
                 data=b'{"k": "v"}', headers={"Content-Type": "application/json"})
SigV4Auth(creds, "lambda", "us-east-1").add_auth(req)
wire("sigv4auth-direct-encoded-path", req.method, req.url, req.headers, req.body)

# Presigned query auth (SigV4QueryAuth): the signature travels in the query string.
from botocore.auth import SigV4QueryAuth
req = AWSRequest(method="GET", url=ENDPOINT + "/2015-03-31/functions?Marker=a%20b&MaxItems=5")
SigV4QueryAuth(creds, "lambda", "us-east-1", expires=3600).add_auth(req)
wire("presigned-list-functions", req.method, req.url, req.headers, req.body)

json.dump({"date": "20260101T000000Z", "service": "lambda", "cases": cases}, sys.stdout, indent=2)
print()
