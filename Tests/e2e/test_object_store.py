"""The object store behind S3: run by Lambent, out of functions' reach, restarted when it dies
or stops answering, and never taking Lambda down with it."""

from __future__ import annotations

import os
import signal
import socket
import time
import urllib.parse
from pathlib import Path

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import ROLE, invoke, make_zip


def store_processes(data_dir: Path) -> list[int]:
    """Pids of the SeaweedFS processes serving `data_dir`'s objects."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(arg.endswith(b"/weed") for arg in argv) and any(str(data_dir / "objects").encode() in arg for arg in argv):
            if Path(argv[0].decode(errors="replace")).name == "weed" or argv[0].endswith(b"/weed"):
                found.append(int(entry.name))
    return found


def test_a_killed_store_is_restarted_with_its_objects_and_lambda_keeps_working(start_server, tmp_path):
    server = start_server(tmp_path)
    s3 = server.client(service="s3")
    s3.create_bucket(Bucket="kept")
    s3.put_object(Bucket="kept", Key="a.txt", Body=b"still here")
    pids = store_processes(server.data_dir)
    assert pids, "no SeaweedFS process found"
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    # Lambda does not depend on the store.
    client = server.client()
    client.create_function(FunctionName="echo", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                           Code={"ZipFile": make_zip({"app.py": "def handler(event, context):\n    return event\n"})})
    client.get_waiter("function_active_v2").wait(FunctionName="echo", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    assert invoke(client, "echo", {"n": 1}).payload == {"n": 1}
    # The next S3 request starts the store again; the object survived.
    deadline = time.time() + 60
    while True:
        try:
            body = s3.get_object(Bucket="kept", Key="a.txt")["Body"].read()
            break
        except ClientError as error:
            assert error.response["Error"]["Code"] == "ServiceUnavailable", error.response
            assert time.time() < deadline, "the store did not come back"
            time.sleep(0.5)
    assert body == b"still here"
    assert store_processes(server.data_dir) and set(store_processes(server.data_dir)).isdisjoint(pids)
    assert "the object store exited" in server.log_tail(200)
    server.terminate()


def test_a_store_that_stops_answering_gets_503_and_lambda_keeps_working(start_server, tmp_path):
    """The store slow rather than down: SeaweedFS stopped (SIGSTOP) still accepts connections
    and never answers. With `--object-store-timeout 2s` (the default is 30 s), an S3 GET answers
    503 in S3's XML shape within seconds, Lambda's control plane and a synchronous invoke work
    meanwhile, and the store is checked and restarted: S3 works again within a bounded wait,
    the object intact."""
    server = start_server(tmp_path, extra_args=["--object-store-timeout", "2s"])
    s3 = server.client(service="s3")
    s3.create_bucket(Bucket="slow")
    s3.put_object(Bucket="slow", Key="a.txt", Body=b"still here")
    client = server.client()
    client.create_function(FunctionName="echo", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                           Code={"ZipFile": make_zip({"app.py": "def handler(event, context):\n    return event\n"})})
    client.get_waiter("function_active_v2").wait(FunctionName="echo", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    pids = store_processes(server.data_dir)
    assert pids, "no SeaweedFS process found"
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        with pytest.raises(ClientError) as raised:
            s3.get_object(Bucket="slow", Key="a.txt")
        waited = time.monotonic() - started
        error = raised.value.response
        assert error["ResponseMetadata"]["HTTPStatusCode"] == 503, error
        assert (error["Error"]["Code"], error["Error"]["Message"]) in {
            ("ServiceUnavailable", "Service is unable to handle request."), ("SlowDown", "Please reduce your request rate.")}, error
        assert error["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "application/xml"
        assert error["ResponseMetadata"]["RequestId"], error
        assert waited < 20, f"503 after {waited:.1f} s: the store's timeout was not applied"
        # Lambda does not depend on the store.
        assert client.get_function(FunctionName="echo")["Configuration"]["State"] == "Active"
        assert "echo" in [entry["FunctionName"] for entry in client.list_functions()["Functions"]]
        assert invoke(client, "echo", {"n": 2}).payload == {"n": 2}
    finally:
        for pid in pids:
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + 60
    while True:
        try:
            body = s3.get_object(Bucket="slow", Key="a.txt")["Body"].read()
            break
        except ClientError as error:
            assert error.response["Error"]["Code"] in ("ServiceUnavailable", "SlowDown"), error.response
            assert time.monotonic() < deadline, "S3 did not come back"
            time.sleep(0.5)
    assert body == b"still here"
    # The store that stopped answering was replaced, not waited for.
    assert store_processes(server.data_dir) and set(store_processes(server.data_dir)).isdisjoint(pids)
    server.terminate()


def test_the_store_listens_on_no_port_of_the_host(start_server, tmp_path):
    """SeaweedFS runs in a network namespace of its own: its master, volume, filer and S3 ports
    (9333, 8080/9340, 8888, 8333 and their gRPC twins) exist nowhere a function could reach,
    even one sharing the host's network."""
    server = start_server(tmp_path)
    server.client(service="s3").list_buckets()
    listening = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A":
                listening.add(int(fields[1].split(":")[1], 16))
    assert not listening & {9333, 19333, 9340, 19340, 8888, 18888, 8333, 18333}, sorted(listening)
    socket = server.data_dir / "objects" / "s3.sock"
    assert socket.is_socket()
    assert oct((server.data_dir / "objects" / "identities.json").stat().st_mode & 0o777) == "0o600"
    server.terminate()


def test_expect_100_continue_is_answered_before_the_body(server):
    """botocore sends `Expect: 100-continue` with uploads and waits up to a second for `100
    Continue` before sending the body: the server answers it as soon as the head arrives."""
    import http.client
    import socket as sockets

    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    s3 = server.client(service="s3")
    s3.create_bucket(Bucket="continue")
    body = b"x" * 2048
    url = f"{server.endpoint}/continue/key"
    request = AWSRequest(method="PUT", url=url, data=body, headers={"Expect": "100-continue",
                                                                    "Content-Length": str(len(body))})
    S3SigV4Auth(Credentials(server.access_key, server.secret_key), "s3", "us-east-1").add_auth(request)
    connection = sockets.create_connection(("127.0.0.1", server.port), timeout=5)
    head = f"PUT /continue/key HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in request.headers.items() if name.lower() != "host") + "\r\n"
    connection.sendall(head.encode())
    started = time.monotonic()
    interim = connection.recv(1024)
    assert interim.startswith(b"HTTP/1.1 100 Continue"), interim
    assert time.monotonic() - started < 0.5
    connection.sendall(body)
    reply = http.client.HTTPResponse(connection)
    reply.begin()
    assert reply.status == 200, reply.read()
    connection.close()
    assert s3.get_object(Bucket="continue", Key="key")["Body"].read() == body


def _stalled_get(url: str) -> socket.socket:
    """Starts a GET of `url` and reads only the first bytes of the answer, then nothing."""
    parts = urllib.parse.urlsplit(url)
    connection = socket.create_connection((parts.hostname, parts.port), timeout=30)
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    connection.sendall(f"GET {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode())
    assert connection.recv(16).startswith(b"HTTP/1.1 200")
    return connection


def test_a_client_that_stops_reading_is_cut_off_and_shutdown_still_ends(start_server, tmp_path):
    """A client that stops reading a large GET in the middle would hold its request, the
    store's connection and the buffers read ahead for it, and keep SIGTERM's graceful shutdown
    waiting, forever. With `--stalled-client-timeout 2s` (the default is 60 s) the connection is
    closed once the answer has gone unread that long: reading on afterwards ends early, at
    the end of what the sockets already held. A GET stalled when SIGTERM comes does not keep
    the server from exiting cleanly."""
    size = 64 << 20
    server = start_server(tmp_path, extra_args=["--stalled-client-timeout", "2s"])
    s3 = server.client(service="s3")
    s3.create_bucket(Bucket="big")
    s3.put_object(Bucket="big", Key="blob", Body=os.urandom(1 << 20) * 64)
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "big", "Key": "blob"}, ExpiresIn=300)

    stalled = _stalled_get(url)
    time.sleep(6)
    received = 16
    while chunk := stalled.recv(1 << 20):
        received += len(chunk)
    stalled.close()
    assert received < size, "the whole object arrived: the stalled connection was not closed"
    # The server is still serving, the object whole.
    assert len(s3.get_object(Bucket="big", Key="blob")["Body"].read()) == size

    stalled = _stalled_get(url)
    started = time.monotonic()
    status = server.terminate()
    assert status == 0, f"exit status {status} after SIGTERM with a stalled GET:\n{server.log_tail()}"
    assert time.monotonic() - started < 15
    stalled.close()
