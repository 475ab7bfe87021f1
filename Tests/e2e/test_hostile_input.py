"""Input meant to break the server, found by a fuzzing sweep: every case once crashed the
process, leaked a file, answered 500 or left state behind. Each must now get a 4xx (or a closed
connection) and change nothing, with the server still serving afterwards."""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import socket
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import requests
from botocore.auth import S3SigV4QueryAuth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, REGION


def send(server, method: str, path: str, body: bytes = b"", headers: dict | None = None, service: str = "lambda",
         query: str = "") -> requests.Response:
    """A request signed with the server's root key."""
    url = f"{server.endpoint}{path}" + (f"?{query}" if query else "")
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    if service == "s3":
        request.headers["x-amz-content-sha256"] = hashlib.sha256(body).hexdigest()
    SigV4Auth(Credentials(server.access_key, server.secret_key), service, REGION).add_auth(request)
    return requests.request(method, request.url, data=body, headers=dict(request.headers), timeout=30)


def still_serving(server, pid: int) -> None:
    assert server.process.pid == pid and server.process.poll() is None, "the server process died"
    assert server.client().list_functions()["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_structures_given_as_plain_values_and_bad_page_sizes_are_refused(server):
    """A Scheduler `FlexibleTimeWindow` or `Target` that is a string or a number crashed the
    process (JSONSerialization traps on them); a negative, zero or huge `Limit`/`MaxResults` on
    ListRules and ListScheduleGroups did too (a negative prefix, an overflow)."""
    pid = server.process.pid
    target = {"Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:nowhere", "RoleArn": f"arn:aws:iam::{ACCOUNT_ID}:role/r"}
    for body in ({"ScheduleExpression": "rate(1 minute)", "FlexibleTimeWindow": "OFF", "Target": target},
                 {"ScheduleExpression": "rate(1 minute)", "FlexibleTimeWindow": {"Mode": "OFF"}, "Target": 5},
                 {"ScheduleExpression": "rate(1 minute)", "FlexibleTimeWindow": None, "Target": target},
                 {"ScheduleExpression": "rate(1 minute)", "FlexibleTimeWindow": {"Mode": "OFF"}, "Target": True}):
        answer = send(server, "POST", "/schedules/hostile", json.dumps(body).encode(), {"Content-Type": "application/json"},
                      service="scheduler")
        assert answer.status_code == 400, answer.text
        assert answer.json()["Message"].startswith("The member ") or "validation" in answer.text.lower(), answer.text
    events = {"X-Amz-Target": "AWSEvents.ListRules", "Content-Type": "application/x-amz-json-1.1"}
    for limit, constraint in ((-1, "greater than or equal to 1"), (0, "greater than or equal to 1"),
                              (9223372036854775807, "less than or equal to 100")):
        answer = send(server, "POST", "/", json.dumps({"Limit": limit}).encode(), events, service="events")
        assert answer.status_code == 400 and constraint in answer.json()["message"], answer.text
        answer = send(server, "GET", "/schedule-groups", service="scheduler", query=f"MaxResults={limit}")
        assert answer.status_code == 400 and constraint in answer.text, answer.text
    still_serving(server, pid)


class _Recorder(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        _Recorder.hits.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"FETCHED-BY-THE-SERVER")

    def log_message(self, *args):
        pass


def test_xml_with_a_document_type_reads_no_file_and_fetches_no_url(server, tmp_path):
    """An external entity in a notification configuration was expanded: a client read files the
    server can read (its root credentials among them) back from GetBucketNotificationConfiguration,
    and made the server fetch URLs. A document type is now refused (`MalformedXML`), in every XML
    body Lambent reads; nothing is stored and no URL is fetched."""
    s3 = server.client(service="s3")
    s3.create_bucket(Bucket="xxe")
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    listener = HTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=listener.serve_forever, daemon=True).start()
    namespace = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'
    queue = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:nowhere"
    try:
        for entity in (f'SYSTEM "file://{secret}"', f'SYSTEM "http://127.0.0.1:{listener.server_port}/ssrf"'):
            body = (f'<?xml version="1.0"?><!DOCTYPE N [<!ENTITY x {entity}>]><NotificationConfiguration {namespace}>'
                    f"<QueueConfiguration><Id>&x;</Id><Queue>{queue}</Queue><Event>s3:ObjectCreated:*</Event>"
                    "</QueueConfiguration></NotificationConfiguration>").encode()
            answer = send(server, "PUT", "/xxe", body, {"Content-Type": "application/xml"}, service="s3", query="notification")
            assert answer.status_code == 400 and "<Code>MalformedXML</Code>" in answer.text, answer.text
            deleted = send(server, "POST", "/xxe", (f'<?xml version="1.0"?><!DOCTYPE D [<!ENTITY x {entity}>]>'
                                                   f"<Delete {namespace}><Object><Key>&x;</Key></Object></Delete>").encode(),
                           {"Content-Type": "application/xml", "Content-MD5": ""}, service="s3", query="delete")
            assert deleted.status_code >= 400 or "TOP-SECRET" not in deleted.text
        assert "TOP-SECRET" not in json.dumps(s3.get_bucket_notification_configuration(Bucket="xxe"))
        assert _Recorder.hits == []
    finally:
        listener.shutdown()
    # Too large to read whole: S3's 400, not a 500.
    pad = b"x" * 1_100_000
    body = (f"<NotificationConfiguration {namespace}><QueueConfiguration><Id>".encode() + pad
            + f"</Id><Queue>{queue}</Queue><Event>s3:ObjectCreated:*</Event></QueueConfiguration></NotificationConfiguration>".encode())
    answer = send(server, "PUT", "/xxe", body, {"Content-Type": "application/xml"}, service="s3", query="notification")
    assert answer.status_code == 400 and "<Code>MaxMessageLengthExceeded</Code>" in answer.text, answer.text


def test_a_broken_chunked_body_is_a_client_error(server):
    """A chunk size that is not hex answered 500 with the HTTP parser's own words."""
    url = urllib.parse.urlsplit(server.endpoint)
    path = "/2015-03-31/functions/nobody/invocations"
    request = AWSRequest(method="POST", url=server.endpoint + path, data=b"", headers={})
    SigV4Auth(Credentials(server.access_key, server.secret_key), "lambda", REGION).add_auth(request)
    headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
    headers.update({"Host": url.netloc, "Transfer-Encoding": "chunked", "Connection": "close"})
    raw = (f"POST {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n").encode()
    with socket.create_connection((url.hostname, url.port), timeout=10) as connection:
        connection.sendall(raw + b"zz\r\n{}\r\n0\r\n\r\n")
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    status = answer.split(b"\r\n", 1)[0]
    assert status.startswith(b"HTTP/1.1 4"), answer[:300]
    assert b"chunk size" not in answer


def test_a_send_racing_delete_queue_leaves_nothing_for_the_next_queue_of_the_name(server):
    """Sends committed after DeleteQueue used to leave rows that a queue created again under the
    name handed out."""
    sqs = server.client(service="sqs")
    for _ in range(6):
        url = sqs.create_queue(QueueName="race-again")["QueueUrl"]

        def send_one(index: int) -> None:
            try:
                sqs.send_message(QueueUrl=url, MessageBody=f"m{index}")
            except ClientError as error:
                assert error.response["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue", error.response

        def delete() -> None:
            try:
                sqs.delete_queue(QueueUrl=url)
            except ClientError:
                pass

        jobs = [lambda i=i: send_one(i) for i in range(30)]
        jobs.insert(8, delete)
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            list(pool.map(lambda job: job(), jobs))
        delete()
        again = sqs.create_queue(QueueName="race-again")["QueueUrl"]
        counts = sqs.get_queue_attributes(QueueUrl=again, AttributeNames=["ApproximateNumberOfMessages",
                                                                           "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        assert counts == {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"}
        sqs.delete_queue(QueueUrl=again)


def test_presigned_urls_with_a_bad_lifetime_are_refused(server):
    """`X-Amz-Expires` negative, past a week or not a number: S3's 400
    `AuthorizationQueryParametersError` (they were taken, some for 400 days)."""
    s3 = server.client(service="s3")
    s3.create_bucket(Bucket="presign-bad")
    s3.put_object(Bucket="presign-bad", Key="k", Body=b"v")
    credentials = Credentials(server.access_key, server.secret_key)
    for expires, message in ((-1, "X-Amz-Expires must be non-negative"),
                             (604801, "X-Amz-Expires must be less than a week (in seconds); that is, the given "
                                      "X-Amz-Expires must be less than 604800 seconds"),
                             ("abc", "X-Amz-Expires should be a number")):
        request = AWSRequest(method="GET", url=f"{server.endpoint}/presign-bad/k")
        S3SigV4QueryAuth(credentials, "s3", REGION, expires=604800).add_auth(request)
        url = request.url.replace("X-Amz-Expires=604800", f"X-Amz-Expires={expires}")
        answer = requests.get(url, timeout=10)
        assert answer.status_code == 400, answer.text
        assert "<Code>AuthorizationQueryParametersError</Code>" in answer.text and message in answer.text, answer.text


def test_idle_and_half_sent_requests_are_closed(start_server, tmp_path):
    """A request head that stops coming (slowloris), a body shorter than its Content-Length, or
    two Content-Length headers that disagree held a connection open forever; with
    `--client-idle-timeout 2s` (the default is 120 s) each is closed, and the server serves on."""
    server = start_server(tmp_path, extra_args=["--client-idle-timeout", "2s"])
    url = urllib.parse.urlsplit(server.endpoint)
    partial = (b"GET /lambent/v1/health HTTP/1.1\r\nHost: x\r\n",
               b"POST /2015-03-31/functions/x/invocations HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{}",
               b"POST /2015-03-31/functions/x/invocations HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\n{}")
    for sent in partial:
        with socket.create_connection((url.hostname, url.port), timeout=15) as connection:
            connection.sendall(sent)
            started = time.monotonic()
            try:
                while connection.recv(65536):
                    pass
            except ConnectionResetError:
                pass
            assert time.monotonic() - started < 12, f"still open after {time.monotonic() - started:.0f} s: {sent!r}"
    assert server.client().list_functions()["ResponseMetadata"]["HTTPStatusCode"] == 200
    server.terminate()
