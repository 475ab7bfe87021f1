"""Security scenarios: every control-plane request must carry a valid SigV4 signature."""

from __future__ import annotations

import datetime
import json
from unittest import mock

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import get_current_datetime
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from conftest import REGION, error_code, http_status

LIST_PATH = "/2015-03-31/functions"


def error_type(response: requests.Response) -> str:
    # AWS may append ":<documentation url>" to the type; clients keep what precedes it.
    return response.headers.get("x-amzn-ErrorType", "").split(":")[0]


def signed_request(server, method: str, path: str, body: bytes = b"",
                   secret_key: str | None = None) -> AWSRequest:
    credentials = Credentials(server.access_key, secret_key or server.secret_key)
    request = AWSRequest(method=method, url=server.endpoint + path, data=body,
                         headers={"Content-Type": "application/json"})
    SigV4Auth(credentials, "lambda", REGION).add_auth(request)
    return request


def send(request: AWSRequest, body: bytes | None = None) -> requests.Response:
    return requests.request(
        request.method, request.url, headers=dict(request.headers.items()),
        data=request.body if body is None else body, timeout=30)


def test_health_needs_no_credentials(server):
    """GET /lambent/v1/health answers 200 without a signature."""
    assert requests.get(f"{server.endpoint}/lambent/v1/health", timeout=10).status_code == 200


@pytest.mark.parametrize("method,path", [
    ("GET", LIST_PATH),
    ("GET", "/2016-08-19/account-settings"),
    ("POST", "/2015-03-31/functions/nope/invocations"),
])
def test_unsigned_request_is_rejected(server, method, path):
    """A request without SigV4 gets 403 MissingAuthenticationToken and AWS's error shape."""
    response = requests.request(method, server.endpoint + path, data=b"{}", timeout=30)
    assert response.status_code == 403
    assert "MissingAuthenticationToken" in error_type(response), response.headers
    body = response.json()
    assert body.get("message") or body.get("Message")


def test_wrong_secret_is_invalid_signature(server):
    """A known access key signed with the wrong secret gets 403 InvalidSignatureException."""
    client = server.client(secret_key="not-the-secret-" + "x" * 25)
    for call in (client.list_functions,
                 lambda: client.invoke(FunctionName="nope", Payload=b"{}"),
                 lambda: client.get_function(FunctionName="nope")):
        with pytest.raises(ClientError) as caught:
            call()
        assert error_code(caught.value) == "InvalidSignatureException"
        assert http_status(caught.value) == 403


def test_unknown_access_key_is_unrecognized(server):
    """An access key the server does not know gets 403 UnrecognizedClientException."""
    client = server.client(access_key="AKIAUNKNOWNLAMBENT00", secret_key=server.secret_key)
    with pytest.raises(ClientError) as caught:
        client.list_functions()
    assert error_code(caught.value) == "UnrecognizedClientException"
    assert http_status(caught.value) == 403


def test_manually_signed_request_is_accepted(server):
    """A request signed by botocore's SigV4 signer outside boto3 is accepted (control for the next test)."""
    response = send(signed_request(server, "GET", LIST_PATH))
    assert response.status_code == 200, response.text
    assert "Functions" in response.json()


def test_tampered_body_is_invalid_signature(server):
    """Changing the body after signing breaks the signature: 403 InvalidSignatureException."""
    request = signed_request(server, "POST", "/2015-03-31/functions/nope/invocations",
                             body=json.dumps({"amount": 1}).encode())
    response = send(request, body=json.dumps({"amount": 9}).encode())
    assert response.status_code == 403
    assert error_type(response) == "InvalidSignatureException"


def test_stale_signature_is_rejected(server):
    """A signature dated 20 minutes ago is refused with 403 InvalidSignatureException."""
    past = get_current_datetime() - datetime.timedelta(minutes=20)
    with mock.patch("botocore.auth.get_current_datetime", lambda remove_tzinfo=True: past):
        request = signed_request(server, "GET", LIST_PATH)
    response = send(request)
    assert response.status_code == 403
    assert error_type(response) == "InvalidSignatureException"
