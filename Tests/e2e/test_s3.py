"""S3 on Lambent: requests whose SigV4 scope names `s3` (or whose host is `<bucket>.s3.<domain>`)
are verified with Lambent's credentials and streamed to the object store Lambent runs itself
(SeaweedFS, installed on the first S3 request). Round trips with the aws CLI and boto3
(ranges, copies, listings, multipart uploads, awkward keys, virtual-hosted addressing,
presigned URLs), S3's answers to bad credentials and bad input (bucket names, key length,
payload hashes, sizes), `aws-chunked` uploads signed chunk by chunk by hand, browser-based
uploads (POST Object with a POST policy, as boto3's `generate_presigned_post` makes them),
and a function's own credentials, which reach objects but not bucket configuration."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import os
import socket
import time
import urllib.parse
import uuid
import xml.etree.ElementTree as ElementTree

import boto3
import pytest
import requests
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, REGION, error_code, http_status, invoke, make_zip

MIB = 1024 * 1024
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
STREAMING = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"


@pytest.fixture(scope="module")
def s3(server):
    return server.client(service="s3")


def new_bucket_name(label: str = "b") -> str:
    return f"e2e-{label}-{uuid.uuid4().hex[:12]}"


def empty_and_delete(s3, bucket: str) -> None:
    """Removes every object and unfinished upload of `bucket`, then the bucket (again if an
    upload still landing made it BucketNotEmpty)."""
    for attempt in range(3):
        try:
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
                keys = [{"Key": entry["Key"]} for entry in page.get("Contents", [])]
                if keys:
                    s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
            for upload in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
                s3.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
            s3.delete_bucket(Bucket=bucket)
            return
        except ClientError as error:
            if error_code(error) == "NoSuchBucket":
                return
            if error_code(error) != "BucketNotEmpty" or attempt == 2:
                raise
            time.sleep(0.5)


@pytest.fixture
def bucket(s3):
    """A new, empty bucket; emptied and deleted afterwards."""
    name = new_bucket_name()
    s3.create_bucket(Bucket=name)
    yield name
    empty_and_delete(s3, name)


def assert_absent(s3, bucket: str, key: str) -> None:
    with pytest.raises(ClientError) as raised:
        s3.head_object(Bucket=bucket, Key=key)
    assert http_status(raised.value) == 404, f"{key!r} was stored"


def s3_error(body: bytes) -> dict:
    """S3's `<Error>` document as {element: text}."""
    root = ElementTree.fromstring(body)
    assert root.tag == "Error", body
    return {child.tag: child.text or "" for child in root}


# ---------------------------------------------------------------------------
# Requests signed here (botocore's signer, or by hand for aws-chunked bodies)
# ---------------------------------------------------------------------------


def signed_headers(server, method: str, path: str, body: bytes | None = None, *, unsigned_payload: bool = False,
                   host: str | None = None) -> dict:
    """Headers of `method path` signed with botocore's S3SigV4Auth; the payload hash is the body's
    (`UNSIGNED-PAYLOAD` when asked). Content-Length is not signed, so the caller may send any."""
    url = f"http://{host or f'127.0.0.1:{server.port}'}{path}"
    request = AWSRequest(method=method, url=url, data=body)
    if unsigned_payload:
        request.context["client_config"] = Config(s3={"payload_signing_enabled": False})
    credentials = Credentials(server.access_key, server.secret_key)
    S3SigV4Auth(credentials, "s3", REGION).add_auth(request)
    signed = dict(request.headers.items())
    if host:
        signed["Host"] = host
    return signed


def send(server, method: str, path: str, headers: dict, body: bytes | None = None) -> tuple[int, bytes]:
    """One request over a fresh connection; returns (status, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        connection.putrequest(method, path, skip_host="Host" in headers, skip_accept_encoding=True)
        for name, value in headers.items():
            connection.putheader(name, value)
        if body is not None and "content-length" not in {name.lower() for name in headers}:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def signing_key(secret: str, date: str) -> bytes:
    key = _hmac(("AWS4" + secret).encode(), date)
    for part in (REGION, "s3", "aws4_request"):
        key = _hmac(key, part)
    return key


def hand_signed(server, method: str, path: str, stamp: str, payload_hash: str | None = "UNSIGNED-PAYLOAD") -> dict:
    """Headers of a body-less request signed by hand with X-Amz-Date `stamp` (any time, unlike
    botocore's signer); `payload_hash=None` leaves x-amz-content-sha256 out (and unsigned)."""
    headers = {"host": f"127.0.0.1:{server.port}", "x-amz-date": stamp}
    if payload_hash is not None:
        headers["x-amz-content-sha256"] = payload_hash
    names = sorted(headers)
    scope = f"{stamp[:8]}/{REGION}/s3/aws4_request"
    canonical = "\n".join([method, path, "", *(f"{name}:{headers[name]}" for name in names), "", ";".join(names),
                           payload_hash or "UNSIGNED-PAYLOAD"])
    string_to_sign = "\n".join(["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    signature = hmac.new(signing_key(server.secret_key, stamp[:8]), string_to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (f"AWS4-HMAC-SHA256 Credential={server.access_key}/{scope}, "
                                f"SignedHeaders={';'.join(names)}, Signature={signature}")
    del headers["host"]
    return headers


def amz_date(offset_seconds: float = 0) -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() + offset_seconds))


def chunked_put(server, bucket: str, key: str, chunks: list[bytes], *, alter=None, bad_signature_at: int | None = None):
    """PUT `chunks` as an `aws-chunked` body with STREAMING-AWS4-HMAC-SHA256-PAYLOAD, written
    as AWS documents it ("Transferring Payload in Multiple Chunks"): the seed signature signs
    the headers with that payload hash; chunk n signs "AWS4-HMAC-SHA256-PAYLOAD", the date,
    the scope, chunk n-1's signature (the seed for the first), sha256('') and sha256(chunk n);
    a final empty chunk closes the chain. `alter(index, data)` changes a chunk's bytes after
    it was signed; `bad_signature_at` replaces one chunk's signature. Returns (status, body)."""
    stamp = amz_date()
    scope = f"{stamp[:8]}/{REGION}/s3/aws4_request"
    key_bytes = signing_key(server.secret_key, stamp[:8])
    path = f"/{bucket}/" + urllib.parse.quote(key, safe="/~")
    frames = list(chunks) + [b""]
    signature_part = len(";chunk-signature=") + 64 + 2
    wire_length = sum(len(f"{len(frame):x}") + signature_part + len(frame) + 2 for frame in frames)
    headers = {
        "content-encoding": "aws-chunked",
        "content-length": str(wire_length),
        "host": f"127.0.0.1:{server.port}",
        "x-amz-content-sha256": STREAMING,
        "x-amz-date": stamp,
        "x-amz-decoded-content-length": str(sum(len(chunk) for chunk in chunks)),
    }
    names = sorted(headers)
    canonical = "\n".join(["PUT", path, "", *(f"{name}:{headers[name]}" for name in names), "", ";".join(names), STREAMING])
    string_to_sign = "\n".join(["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    seed = hmac.new(key_bytes, string_to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (f"AWS4-HMAC-SHA256 Credential={server.access_key}/{scope}, "
                                f"SignedHeaders={';'.join(names)}, Signature={seed}")
    body, previous = bytearray(), seed
    for index, frame in enumerate(frames):
        chunk_string = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", stamp, scope, previous, EMPTY_SHA256,
                                  hashlib.sha256(frame).hexdigest()])
        previous = hmac.new(key_bytes, chunk_string.encode(), hashlib.sha256).hexdigest()
        signature = "0" * 64 if index == bad_signature_at else previous
        data = alter(index, frame) if alter else frame
        body += f"{len(data):x};chunk-signature={signature}\r\n".encode() + data + b"\r\n"
    headers["Host"] = headers.pop("host")
    return send(server, "PUT", path, headers, bytes(body))


# ---------------------------------------------------------------------------
# The aws CLI
# ---------------------------------------------------------------------------


def test_aws_cli_mb_cp_ls_rm_rb_round_trip(aws, s3, tmp_path):
    """`aws s3 mb/cp/ls/rm/rb`: the high-level commands make a bucket, upload and download a
    file, list it, remove it and the bucket, printing what S3's answers say."""
    name = new_bucket_name("cli")
    source = tmp_path / "hello.txt"
    source.write_bytes(b"hello from the aws CLI\n")

    def run(*args):
        result = aws.run("s3", *args)
        assert result.returncode == 0, f"aws s3 {' '.join(args)}: {result.stdout} {result.stderr}"
        return result.stdout

    try:
        assert run("mb", f"s3://{name}").strip() == f"make_bucket: {name}"
        assert f"upload: ./hello.txt to s3://{name}/dir/hello.txt" in run("cp", "hello.txt", f"s3://{name}/dir/hello.txt")
        listing = run("ls", f"s3://{name}/dir/")
        assert listing.split()[-2:] == ["23", "hello.txt"], listing
        assert run("ls", f"s3://{name}").split() == ["PRE", "dir/"]
        run("cp", f"s3://{name}/dir/hello.txt", "back.txt")
        assert (tmp_path / "back.txt").read_bytes() == source.read_bytes()
        assert f"delete: s3://{name}/dir/hello.txt" in run("rm", f"s3://{name}/dir/hello.txt")
        assert run("ls", "--recursive", f"s3://{name}").strip() == ""
        assert run("rb", f"s3://{name}").strip() == f"remove_bucket: {name}"
        assert name not in [entry["Name"] for entry in s3.list_buckets()["Buckets"]]
    finally:
        empty_and_delete(s3, name)


def test_aws_cli_copies_a_20_mb_file_in_parts_byte_for_byte(aws, s3, bucket, tmp_path):
    """`aws s3 cp` of a file above the CLI's 8 MiB threshold is a multipart upload (the ETag is
    `<md5 of the parts' md5s>-<parts>`); downloading it gives the same bytes."""
    data = os.urandom(20 * 1000 * 1000)
    (tmp_path / "big.bin").write_bytes(data)
    result = aws.run("s3", "cp", "big.bin", f"s3://{bucket}/big.bin")
    assert result.returncode == 0, result.stderr
    head = s3.head_object(Bucket=bucket, Key="big.bin")
    assert head["ContentLength"] == len(data)
    parts = [data[offset:offset + 8 * MIB] for offset in range(0, len(data), 8 * MIB)]
    expected = hashlib.md5(b"".join(hashlib.md5(part).digest() for part in parts)).hexdigest()
    assert head["ETag"] == f'"{expected}-{len(parts)}"'
    result = aws.run("s3", "cp", f"s3://{bucket}/big.bin", "back.bin")
    assert result.returncode == 0, result.stderr
    assert hashlib.sha256((tmp_path / "back.bin").read_bytes()).digest() == hashlib.sha256(data).digest()


# ---------------------------------------------------------------------------
# boto3 round trips
# ---------------------------------------------------------------------------


def test_put_get_head_delete(s3, bucket):
    """PutObject answers the ETag (the body's MD5, quoted); GetObject and HeadObject give back
    the body, type and user metadata; DeleteObject answers 204 and the key is gone
    (NoSuchKey); the bucket is listed by ListBuckets and unknown buckets are NoSuchBucket."""
    body = b"the quick brown fox"
    put = s3.put_object(Bucket=bucket, Key="fox.txt", Body=body, ContentType="text/plain",
                        Metadata={"colour": "brown"})
    assert put["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    got = s3.get_object(Bucket=bucket, Key="fox.txt")
    assert got["Body"].read() == body
    assert got["ContentType"] == "text/plain" and got["Metadata"] == {"colour": "brown"}
    assert got["ETag"] == put["ETag"] and got["ContentLength"] == len(body)
    head = s3.head_object(Bucket=bucket, Key="fox.txt")
    assert head["ContentLength"] == len(body) and head["ETag"] == put["ETag"] and head["Metadata"] == {"colour": "brown"}
    assert bucket in [entry["Name"] for entry in s3.list_buckets()["Buckets"]]
    deleted = s3.delete_object(Bucket=bucket, Key="fox.txt")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as raised:
        s3.get_object(Bucket=bucket, Key="fox.txt")
    assert error_code(raised.value) == "NoSuchKey" and http_status(raised.value) == 404
    assert raised.value.response["Error"]["Message"] == "The specified key does not exist."
    with pytest.raises(ClientError) as raised:
        s3.list_objects_v2(Bucket=new_bucket_name("missing"))
    assert error_code(raised.value) == "NoSuchBucket" and http_status(raised.value) == 404
    assert raised.value.response["Error"]["Message"] == "The specified bucket does not exist"


def test_bucket_lifecycle_answers(s3):
    """HeadBucket is 200 for a bucket and 404 for none; re-creating a bucket one owns in
    us-east-1 is 200 (S3's legacy behaviour there; BucketAlreadyOwnedByYou elsewhere);
    deleting a bucket with objects is 409 BucketNotEmpty; deleting an unknown one NoSuchBucket."""
    name = new_bucket_name("life")
    s3.create_bucket(Bucket=name)
    try:
        assert s3.head_bucket(Bucket=name)["ResponseMetadata"]["HTTPStatusCode"] == 200
        s3.put_object(Bucket=name, Key="keep", Body=b"x")
        with pytest.raises(ClientError) as raised:
            s3.delete_bucket(Bucket=name)
        assert (http_status(raised.value), error_code(raised.value)) == (409, "BucketNotEmpty")
        assert raised.value.response["Error"]["Message"] == "The bucket you tried to delete is not empty"
        try:
            recreated = s3.create_bucket(Bucket=name)["ResponseMetadata"]["HTTPStatusCode"]
        except ClientError as error:
            recreated = (http_status(error), error_code(error))
        assert s3.get_object(Bucket=name, Key="keep")["Body"].read() == b"x"
    finally:
        empty_and_delete(s3, name)
    with pytest.raises(ClientError) as raised:
        s3.head_bucket(Bucket=name)
    assert http_status(raised.value) == 404
    with pytest.raises(ClientError) as raised:
        s3.delete_bucket(Bucket=name)
    assert (http_status(raised.value), error_code(raised.value)) == (404, "NoSuchBucket")
    assert REGION == "us-east-1"
    assert recreated == 200, f"re-creating an owned bucket in us-east-1 answered {recreated}"


def test_writes_to_a_missing_bucket_are_no_such_bucket(s3, bucket):
    """Only CreateBucket makes buckets: PutObject, CreateMultipartUpload and CopyObject into a
    bucket that does not exist are 404 NoSuchBucket, and no bucket appears."""
    s3.put_object(Bucket=bucket, Key="source", Body=b"x")
    answers, missing = {}, []
    for call, params in ((s3.put_object, {"Key": "k", "Body": b"x"}),
                         (s3.create_multipart_upload, {"Key": "k"}),
                         (s3.copy_object, {"Key": "k", "CopySource": {"Bucket": bucket, "Key": "source"}})):
        missing.append(new_bucket_name("missing"))
        try:
            call(Bucket=missing[-1], **params)
            answers[call.__name__] = 200
        except ClientError as error:
            answers[call.__name__] = (http_status(error), error_code(error))
    appeared = [name for name in missing if name in [entry["Name"] for entry in s3.list_buckets()["Buckets"]]]
    for name in appeared:
        empty_and_delete(s3, name)
    assert answers == {name: (404, "NoSuchBucket") for name in ("put_object", "create_multipart_upload", "copy_object")}
    assert appeared == []


def test_get_with_range_and_conditions(s3, bucket):
    """A `Range: bytes=a-b` GET answers 206 with those bytes and `Content-Range: bytes a-b/size`;
    a suffix range (`bytes=-n`) gives the last n bytes; a range past the end is 416
    InvalidRange. If-None-Match with the ETag is 304, If-Match with another is 412."""
    body = bytes(range(256)) * 4
    etag = s3.put_object(Bucket=bucket, Key="bytes", Body=body)["ETag"]
    ranged = s3.get_object(Bucket=bucket, Key="bytes", Range="bytes=100-199")
    assert ranged["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert ranged["ContentRange"] == f"bytes 100-199/{len(body)}"
    assert ranged["Body"].read() == body[100:200]
    assert s3.get_object(Bucket=bucket, Key="bytes", Range="bytes=-10")["Body"].read() == body[-10:]
    with pytest.raises(ClientError) as raised:
        s3.get_object(Bucket=bucket, Key="bytes", Range=f"bytes={len(body) + 10}-{len(body) + 20}")
    assert (http_status(raised.value), error_code(raised.value)) == (416, "InvalidRange")
    with pytest.raises(ClientError) as raised:
        s3.get_object(Bucket=bucket, Key="bytes", IfNoneMatch=etag)
    assert http_status(raised.value) == 304
    with pytest.raises(ClientError) as raised:
        s3.get_object(Bucket=bucket, Key="bytes", IfMatch='"0123456789abcdef0123456789abcdef"')
    assert (http_status(raised.value), error_code(raised.value)) == (412, "PreconditionFailed")


def test_copy_object(s3, bucket):
    """CopyObject copies bytes and metadata (same ETag), within a bucket and across buckets,
    with a source key that needs URL-encoding; `MetadataDirective=REPLACE` replaces metadata."""
    body = b"copy me " * 100
    s3.put_object(Bucket=bucket, Key="src dir/original+1.txt", Body=body, Metadata={"origin": "src"})
    copied = s3.copy_object(Bucket=bucket, Key="copy.txt", CopySource={"Bucket": bucket, "Key": "src dir/original+1.txt"})
    assert copied["CopyObjectResult"]["ETag"].strip('"') == hashlib.md5(body).hexdigest()
    got = s3.get_object(Bucket=bucket, Key="copy.txt")
    assert got["Body"].read() == body and got["Metadata"] == {"origin": "src"}
    replaced = s3.copy_object(Bucket=bucket, Key="replaced.txt", CopySource=f"{bucket}/src dir/original+1.txt",
                              MetadataDirective="REPLACE", Metadata={"origin": "replaced"})
    assert replaced["CopyObjectResult"]["ETag"] == copied["CopyObjectResult"]["ETag"]
    assert s3.head_object(Bucket=bucket, Key="replaced.txt")["Metadata"] == {"origin": "replaced"}
    other = new_bucket_name("other")
    s3.create_bucket(Bucket=other)
    try:
        s3.copy_object(Bucket=other, Key="across", CopySource={"Bucket": bucket, "Key": "copy.txt"})
        assert s3.get_object(Bucket=other, Key="across")["Body"].read() == body
    finally:
        empty_and_delete(s3, other)


def test_copy_object_result_etag_is_quoted(s3, bucket):
    """CopyObject's `<CopyObjectResult><ETag>` is quoted like every other ETag S3 writes
    (`"<md5>"`), so it compares equal to PutObject's and HeadObject's."""
    put = s3.put_object(Bucket=bucket, Key="source", Body=b"quoted")
    copied = s3.copy_object(Bucket=bucket, Key="target", CopySource={"Bucket": bucket, "Key": "source"})
    assert copied["CopyObjectResult"]["ETag"] == put["ETag"] == f'"{hashlib.md5(b"quoted").hexdigest()}"'


def test_list_objects_v1_and_v2_with_prefix_delimiter_and_pagination(s3, bucket):
    """ListObjects (v1: Marker/NextMarker) and ListObjectsV2 (ContinuationToken, StartAfter):
    keys in UTF-8 order, `Prefix` narrows, `Delimiter` rolls keys up into CommonPrefixes, and
    MaxKeys pages through everything exactly once."""
    keys = sorted([f"logs/2024/{day:02d}.txt" for day in range(1, 6)]
                  + ["logs/2025/01.txt", "logs/readme", "photos/a.jpg", "photos/b.jpg", "top.txt"])
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())

    listed = s3.list_objects_v2(Bucket=bucket)
    assert [entry["Key"] for entry in listed["Contents"]] == keys and listed["KeyCount"] == len(keys)
    assert all(entry["Size"] == len(entry["Key"]) for entry in listed["Contents"])

    rolled = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [entry["Key"] for entry in rolled["Contents"]] == ["top.txt"]
    assert [entry["Prefix"] for entry in rolled["CommonPrefixes"]] == ["logs/", "photos/"]
    nested = s3.list_objects_v2(Bucket=bucket, Prefix="logs/", Delimiter="/")
    assert [entry["Key"] for entry in nested["Contents"]] == ["logs/readme"]
    assert [entry["Prefix"] for entry in nested["CommonPrefixes"]] == ["logs/2024/", "logs/2025/"]
    assert [entry["Key"] for entry in s3.list_objects_v2(Bucket=bucket, Prefix="photos/")["Contents"]] == ["photos/a.jpg", "photos/b.jpg"]
    after = s3.list_objects_v2(Bucket=bucket, StartAfter="logs/readme")
    assert [entry["Key"] for entry in after["Contents"]] == keys[keys.index("logs/readme") + 1:]

    seen, token, pages = [], None, 0
    while True:
        params = {"ContinuationToken": token} if token else {}
        page = s3.list_objects_v2(Bucket=bucket, MaxKeys=3, **params)
        pages += 1
        seen += [entry["Key"] for entry in page.get("Contents", [])]
        if not page["IsTruncated"]:
            break
        token = page["NextContinuationToken"]
    assert seen == keys and pages == 4

    v1 = s3.list_objects(Bucket=bucket, Prefix="logs/", Delimiter="/")
    assert [entry["Key"] for entry in v1["Contents"]] == ["logs/readme"]
    assert [entry["Prefix"] for entry in v1["CommonPrefixes"]] == ["logs/2024/", "logs/2025/"]
    seen, marker = [], ""
    while True:
        page = s3.list_objects(Bucket=bucket, MaxKeys=4, Marker=marker)
        seen += [entry["Key"] for entry in page.get("Contents", [])]
        if not page["IsTruncated"]:
            break
        marker = page.get("NextMarker") or seen[-1]
    assert seen == keys
    paged = [entry["Key"] for page in s3.get_paginator("list_objects").paginate(Bucket=bucket, PaginationConfig={"PageSize": 4})
             for entry in page.get("Contents", [])]
    assert paged == keys


def test_deleting_the_last_key_under_a_prefix_leaves_no_common_prefix(s3, bucket):
    """S3 has no directories: once the only key under `dir/` is deleted, a delimited listing
    shows neither the key nor a `dir/` CommonPrefix (and `aws s3 ls` prints nothing)."""
    s3.put_object(Bucket=bucket, Key="dir/only.txt", Body=b"x")
    s3.put_object(Bucket=bucket, Key="top.txt", Body=b"x")
    assert [entry["Prefix"] for entry in s3.list_objects_v2(Bucket=bucket, Delimiter="/")["CommonPrefixes"]] == ["dir/"]
    s3.delete_object(Bucket=bucket, Key="dir/only.txt")
    listed = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert listed.get("CommonPrefixes", []) == [], listed.get("CommonPrefixes")
    assert [entry["Key"] for entry in listed["Contents"]] == ["top.txt"] and listed["KeyCount"] == 1
    assert "CommonPrefixes" not in s3.list_objects(Bucket=bucket, Delimiter="/")
    inside = s3.list_objects_v2(Bucket=bucket, Prefix="dir/", Delimiter="/")
    assert inside["KeyCount"] == 0 and "Contents" not in inside, inside.get("Contents")


def test_delete_objects(s3, bucket):
    """DeleteObjects removes many keys in one request and lists each under Deleted (a key that
    does not exist counts as deleted too); Quiet mode lists only errors."""
    for key in ("one", "two", "dir/three"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    answer = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "one"}, {"Key": "dir/three"}, {"Key": "never-was"}]})
    assert sorted(entry["Key"] for entry in answer["Deleted"]) == ["dir/three", "never-was", "one"]
    assert not answer.get("Errors")
    assert [entry["Key"] for entry in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["two"]
    quiet = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "two"}], "Quiet": True})
    assert not quiet.get("Deleted") and not quiet.get("Errors")
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_multipart_upload_with_boto3(s3, bucket):
    """CreateMultipartUpload / UploadPart x2 (5 MiB, S3's minimum for all but the last part) /
    CompleteMultipartUpload: the object is the parts in order and its ETag is the MD5 of the
    parts' MD5s followed by `-2`; ListParts shows the parts while the upload is open."""
    parts = [os.urandom(5 * MIB), os.urandom(5 * MIB)]
    upload = s3.create_multipart_upload(Bucket=bucket, Key="multi/part.bin", ContentType="application/x-test")
    upload_id = upload["UploadId"]
    etags = []
    for number, data in enumerate(parts, start=1):
        answer = s3.upload_part(Bucket=bucket, Key="multi/part.bin", UploadId=upload_id, PartNumber=number, Body=data)
        assert answer["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
        etags.append(answer["ETag"])
    listed = s3.list_parts(Bucket=bucket, Key="multi/part.bin", UploadId=upload_id)
    assert [(part["PartNumber"], part["Size"]) for part in listed["Parts"]] == [(1, 5 * MIB), (2, 5 * MIB)]
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="multi/part.bin", UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": n, "ETag": etag} for n, etag in enumerate(etags, start=1)]})
    expected = hashlib.md5(b"".join(hashlib.md5(data).digest() for data in parts)).hexdigest()
    assert done["ETag"] == f'"{expected}-2"' and done["Key"] == "multi/part.bin" and done["Bucket"] == bucket
    got = s3.get_object(Bucket=bucket, Key="multi/part.bin")
    assert got["ContentLength"] == 10 * MIB and got["ContentType"] == "application/x-test"
    assert hashlib.sha256(got["Body"].read()).digest() == hashlib.sha256(b"".join(parts)).digest()
    assert not s3.list_multipart_uploads(Bucket=bucket).get("Uploads")


def test_abort_multipart_upload(s3, bucket):
    """AbortMultipartUpload drops an open upload: no object, and the upload is NoSuchUpload."""
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="aborted")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="aborted", UploadId=upload_id, PartNumber=1, Body=b"part")
    assert s3.abort_multipart_upload(Bucket=bucket, Key="aborted", UploadId=upload_id)["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert_absent(s3, bucket, "aborted")
    with pytest.raises(ClientError) as raised:
        s3.list_parts(Bucket=bucket, Key="aborted", UploadId=upload_id)
    assert error_code(raised.value) == "NoSuchUpload"


AWKWARD_KEYS = ["with space.txt", "dir with space/a b  c", "ünïcødé/日本語.txt", "plus+sign+", "at@sign", "mixed +@ ü=&?#%.txt",
                "emoji-🚀", "tilde~and'quote"]


def test_keys_with_spaces_unicode_plus_and_at(s3, bucket):
    """Keys are any UTF-8: spaces, `+` (not a space in a path), `@`, `=&?#%`, non-Latin and
    astral characters round-trip through put, head, get, list, copy and delete unchanged."""
    for key in AWKWARD_KEYS:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    listed = [entry["Key"] for entry in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert listed == sorted(AWKWARD_KEYS, key=lambda key: key.encode())
    for key in AWKWARD_KEYS:
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == key.encode(), key
        assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] == len(key.encode())
    s3.copy_object(Bucket=bucket, Key="copied +@ ü", CopySource={"Bucket": bucket, "Key": "mixed +@ ü=&?#%.txt"})
    assert s3.get_object(Bucket=bucket, Key="copied +@ ü")["Body"].read() == "mixed +@ ü=&?#%.txt".encode()
    assert [entry["Key"] for entry in s3.list_objects_v2(Bucket=bucket, Prefix="ünïcødé/")["Contents"]] == ["ünïcødé/日本語.txt"]
    # "plus+sign+" and "plus sign " are different keys.
    assert_absent(s3, bucket, "plus sign ")
    for key in AWKWARD_KEYS:
        s3.delete_object(Bucket=bucket, Key=key)
        assert_absent(s3, bucket, key)


def test_a_key_ending_in_a_slash_keeps_no_bytes_and_says_so(s3, bucket):
    """On AWS `folder/` is just a key and keeps the bytes put under it. SeaweedFS, Lambent's
    default store, makes it a folder and would drop them: Lambent refuses such a PUT (501
    `NotImplemented`, nothing stored) rather than lose data. An empty marker works, as consoles
    write them, and a key below it is a separate object."""
    with pytest.raises(ClientError) as raised:
        s3.put_object(Bucket=bucket, Key="folder/", Body=b"not empty")
    assert (http_status(raised.value), error_code(raised.value)) == (501, "NotImplemented")
    assert "ending in '/'" in raised.value.response["Error"]["Message"]
    s3.put_object(Bucket=bucket, Key="folder/", Body=b"")
    s3.put_object(Bucket=bucket, Key="folder/inside", Body=b"inside")
    assert s3.get_object(Bucket=bucket, Key="folder/")["Body"].read() == b""
    listed = s3.list_objects_v2(Bucket=bucket)
    assert [(entry["Key"], entry["Size"]) for entry in listed["Contents"]] == [("folder/", 0), ("folder/inside", 6)]
    # Deleting the key below leaves the marker a client wrote.
    s3.delete_object(Bucket=bucket, Key="folder/inside")
    assert [entry["Key"] for entry in s3.list_objects_v2(Bucket=bucket).get("Contents", [])] == ["folder/"]


def localhost_subdomains_resolve() -> bool:
    try:
        socket.getaddrinfo("bucket.s3.localhost", 80)
        return True
    except OSError:
        return False


def virtual_client(server):
    """boto3 with `addressing_style: virtual` against http://s3.localhost:PORT. Where
    `*.localhost` does not resolve (this machine's resolver does not map it), each request is
    sent to 127.0.0.1 with the Host header boto3 built and signed (`<bucket>.s3.localhost:PORT`)."""
    client = boto3.client("s3", endpoint_url=f"http://s3.localhost:{server.port}", region_name=REGION,
                          aws_access_key_id=server.access_key, aws_secret_access_key=server.secret_key,
                          config=Config(retries={"max_attempts": 0}, s3={"addressing_style": "virtual"}))
    hosts = []

    def record_and_redirect(request, **_):
        parts = urllib.parse.urlsplit(request.url)
        hosts.append(parts.netloc)
        if not localhost_subdomains_resolve():
            request.headers["Host"] = parts.netloc
            request.url = urllib.parse.urlunsplit(parts._replace(netloc=f"127.0.0.1:{server.port}"))

    client.meta.events.register("before-send.s3", record_and_redirect)
    return client, hosts


def test_virtual_hosted_addressing(server, s3, bucket):
    """Virtual-hosted requests (`<bucket>.s3.<domain>` in the Host, the key alone in the path)
    reach the same bucket as path-style ones: put, get, list and delete through boto3's
    virtual addressing, and a hand-signed GET with the Host header set by hand."""
    client, hosts = virtual_client(server)
    client.put_object(Bucket=bucket, Key="virtual/hello world.txt", Body=b"virtually")
    assert hosts[-1] == f"{bucket}.s3.localhost:{server.port}"
    assert s3.get_object(Bucket=bucket, Key="virtual/hello world.txt")["Body"].read() == b"virtually"
    s3.put_object(Bucket=bucket, Key="virtual/path-style", Body=b"path")
    assert client.get_object(Bucket=bucket, Key="virtual/path-style")["Body"].read() == b"path"
    listed = client.list_objects_v2(Bucket=bucket, Prefix="virtual/")
    assert [entry["Key"] for entry in listed["Contents"]] == ["virtual/hello world.txt", "virtual/path-style"]
    host = f"{bucket}.s3.localhost:{server.port}"
    status, body = send(server, "GET", "/virtual/path-style", signed_headers(server, "GET", "/virtual/path-style", host=host))
    assert (status, body) == (200, b"path")
    client.delete_object(Bucket=bucket, Key="virtual/hello world.txt")
    assert_absent(s3, bucket, "virtual/hello world.txt")
    assert all(seen == host for seen in hosts), hosts


# ---------------------------------------------------------------------------
# Presigned URLs
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def presigner(server):
    """A client presigning with SigV4 (boto3 presigns S3 URLs with SigV2 unless told)."""
    return server.client(service="s3", signature_version="s3v4")


def test_presigned_get_and_put_urls(presigner, s3, bucket):
    """A presigned PUT URL uploads with no credentials of the caller's own, a presigned GET URL
    downloads; the signature covers the method, so a GET URL does not allow a PUT."""
    put_url = presigner.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "shared/up load.txt"},
                                               ExpiresIn=300)
    assert "X-Amz-Signature=" in put_url and "X-Amz-Credential=" in put_url
    response = requests.put(put_url, data=b"uploaded through a presigned URL", timeout=30)
    assert response.status_code == 200, response.text
    assert s3.get_object(Bucket=bucket, Key="shared/up load.txt")["Body"].read() == b"uploaded through a presigned URL"
    get_url = presigner.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "shared/up load.txt"},
                                               ExpiresIn=300)
    response = requests.get(get_url, timeout=30)
    assert response.status_code == 200 and response.content == b"uploaded through a presigned URL"
    response = requests.put(get_url, data=b"overwrite", timeout=30)
    assert response.status_code == 403
    assert s3_error(response.content)["Code"] == "SignatureDoesNotMatch"
    assert s3.get_object(Bucket=bucket, Key="shared/up load.txt")["Body"].read() == b"uploaded through a presigned URL"


def test_expired_presigned_url(presigner, s3, bucket):
    """Once X-Amz-Expires has passed, S3 answers 403 AccessDenied "Request has expired"."""
    s3.put_object(Bucket=bucket, Key="short-lived", Body=b"x")
    url = presigner.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "short-lived"}, ExpiresIn=1)
    time.sleep(2)
    response = requests.get(url, timeout=30)
    assert response.status_code == 403
    error = s3_error(response.content)
    assert (error["Code"], error["Message"]) == ("AccessDenied", "Request has expired")


# ---------------------------------------------------------------------------
# Authentication
# ---------------------------------------------------------------------------


def test_bad_secret_is_signature_does_not_match(server, bucket):
    """A request signed with the wrong secret: 403 SignatureDoesNotMatch with S3's message, for
    reads and writes; nothing is written."""
    forged = server.client(service="s3", secret_key="not-the-secret-" + "x" * 25)
    for call, params in ((forged.list_objects_v2, {"Bucket": bucket}),
                         (forged.put_object, {"Bucket": bucket, "Key": "forged", "Body": b"x"}),
                         (forged.get_object, {"Bucket": bucket, "Key": "forged"})):
        with pytest.raises(ClientError) as raised:
            call(**params)
        assert http_status(raised.value) == 403
        assert error_code(raised.value) == "SignatureDoesNotMatch"
        assert raised.value.response["Error"]["Message"] == (
            "The request signature we calculated does not match the signature you provided. Check your key and signing method.")
    assert server.client(service="s3").list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_unknown_access_key_is_invalid_access_key_id(server, bucket):
    """A key S3 has never issued: 403 InvalidAccessKeyId, naming the key (AWSAccessKeyId)."""
    stranger = server.client(service="s3", access_key="AKIAEXAMPLEUNKNOWN00", secret_key="whatever")
    with pytest.raises(ClientError) as raised:
        stranger.get_object(Bucket=bucket, Key="anything")
    error = raised.value.response["Error"]
    assert http_status(raised.value) == 403
    assert error["Code"] == "InvalidAccessKeyId"
    assert error["Message"] == "The AWS Access Key Id you provided does not exist in our records."
    assert error["AWSAccessKeyId"] == "AKIAEXAMPLEUNKNOWN00"


def test_unsigned_request_is_access_denied(server, bucket):
    """A request without any signature is anonymous; a private bucket answers 403 AccessDenied."""
    host = f"{bucket}.s3.localhost:{server.port}"
    status, body = send(server, "GET", "/", {"Host": host})
    assert status == 403
    assert s3_error(body)["Code"] == "AccessDenied"


@pytest.mark.parametrize("offset", [-16 * 60, 16 * 60], ids=["16-minutes-late", "16-minutes-early"])
def test_request_time_too_skewed(server, bucket, offset):
    """A correctly signed request whose X-Amz-Date is more than 15 minutes from S3's clock:
    403 RequestTimeTooSkewed."""
    status, body = send(server, "GET", f"/{bucket}", hand_signed(server, "GET", f"/{bucket}", amz_date(offset)))
    assert status == 403
    error = s3_error(body)
    assert (error["Code"], error["Message"]) == (
        "RequestTimeTooSkewed", "The difference between the request time and the current time is too large.")
    # The same request signed now is fine.
    assert send(server, "GET", f"/{bucket}", hand_signed(server, "GET", f"/{bucket}", amz_date()))[0] == 200


def test_missing_or_malformed_content_sha256(server, bucket):
    """SigV4 requests to S3 must carry x-amz-content-sha256: without it, 400 InvalidRequest
    "Missing required header for this request: x-amz-content-sha256"; with a value that is
    neither a SHA-256 nor one of the streaming keywords, 400 InvalidArgument."""
    status, body = send(server, "GET", f"/{bucket}", hand_signed(server, "GET", f"/{bucket}", amz_date(), payload_hash=None))
    assert status == 400
    error = s3_error(body)
    assert (error["Code"], error["Message"]) == ("InvalidRequest", "Missing required header for this request: x-amz-content-sha256")
    status, body = send(server, "GET", f"/{bucket}", hand_signed(server, "GET", f"/{bucket}", amz_date(), payload_hash="abc"))
    assert status == 400
    error = s3_error(body)
    assert error["Code"] == "InvalidArgument"
    assert error["Message"].startswith("x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, ")


# ---------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------


def test_put_with_transfer_encoding_chunked_is_not_implemented(presigner, s3, bucket):
    """S3 does not take HTTP chunked bodies: a PUT with `Transfer-Encoding: chunked` (here a
    generator sent to a presigned URL) is 501 NotImplemented "A header you provided implies
    functionality that is not implemented", naming the header, and nothing is stored."""
    url = presigner.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "no-length"}, ExpiresIn=60)

    def body():
        yield b"part one, "
        yield b"part two"

    response = requests.put(url, data=body(), timeout=30)
    assert response.request.headers.get("Transfer-Encoding") == "chunked"
    assert response.status_code == 501, response.text
    error = s3_error(response.content)
    assert (error["Code"], error["Message"], error.get("Header")) == (
        "NotImplemented", "A header you provided implies functionality that is not implemented", "Transfer-Encoding")
    assert_absent(s3, bucket, "no-length")


@pytest.mark.parametrize("name", ["A_B", "ab", "UPPER-case", "-leading-dash", "trailing-dash-", "dots..twice", "192.168.5.4",
                                  "x" * 64, "xn--punycode", "under_score"])
def test_invalid_bucket_names(s3, name):
    """CreateBucket refuses names outside S3's rules (3-63 characters of a-z, 0-9, `.` and `-`,
    starting and ending with a letter or digit, no `..`, not an IP address, no reserved
    prefix): 400 InvalidBucketName, naming the bucket."""
    with pytest.raises(ClientError) as raised:
        s3.create_bucket(Bucket=name)
    error = raised.value.response["Error"]
    assert http_status(raised.value) == 400
    assert (error["Code"], error["Message"], error["BucketName"]) == ("InvalidBucketName", "The specified bucket is not valid.", name)


def test_key_longer_than_1024_bytes(s3, bucket):
    """Keys are at most 1,024 bytes of UTF-8: 1,024 ASCII bytes are fine, 1,025 bytes (or 513
    two-byte characters) are 400 KeyTooLongError."""
    longest = "/".join(["k" * 254] * 4) + "/kkkk"
    assert len(longest.encode()) == 1024
    s3.put_object(Bucket=bucket, Key=longest, Body=b"ok")
    assert s3.get_object(Bucket=bucket, Key=longest)["Body"].read() == b"ok"
    for key in (longest + "k", "ü" * 513):
        with pytest.raises(ClientError) as raised:
            s3.put_object(Bucket=bucket, Key=key, Body=b"too long")
        assert http_status(raised.value) == 400
        assert (error_code(raised.value), raised.value.response["Error"]["Message"]) == ("KeyTooLongError", "Your key is too long")


@pytest.mark.parametrize("size", [13, 3 * MIB], ids=["one-buffer", "3MiB"])
def test_content_sha256_mismatch_is_refused_and_not_stored(server, s3, bucket, size):
    """A body whose SHA-256 is not the signed `x-amz-content-sha256`: 400
    XAmzContentSHA256Mismatch, and no object (not even an empty one) is created."""
    body = os.urandom(size)
    headers = signed_headers(server, "PUT", f"/{bucket}/mismatch", b"\0" + body[1:])
    status, answer = send(server, "PUT", f"/{bucket}/mismatch", headers, body)
    assert status == 400, answer
    error = s3_error(answer)
    assert error["Code"] == "XAmzContentSHA256Mismatch"
    assert error["Message"] == "The provided 'x-amz-content-sha256' header does not match what was computed."
    assert_absent(s3, bucket, "mismatch")


def test_content_sha256_mismatch_leaves_the_existing_object_alone(server, s3, bucket):
    """A refused overwrite changes nothing: the object keeps its previous contents."""
    s3.put_object(Bucket=bucket, Key="precious", Body=b"original contents")
    headers = signed_headers(server, "PUT", f"/{bucket}/precious", b"what was signed")
    status, answer = send(server, "PUT", f"/{bucket}/precious", headers, b"what was sent!!")
    assert status == 400 and s3_error(answer)["Code"] == "XAmzContentSHA256Mismatch"
    assert s3.get_object(Bucket=bucket, Key="precious")["Body"].read() == b"original contents"


def test_declared_content_length_above_5_gib_is_entity_too_large(server, s3, bucket):
    """A single PUT may carry at most 5 GiB: a declared Content-Length above it is refused at
    once (400 EntityTooLarge, with ProposedSize and MaxSizeAllowed) without sending the body."""
    proposed = 5 * 1024 ** 3 + 1
    headers = signed_headers(server, "PUT", f"/{bucket}/huge", unsigned_payload=True)
    assert headers["X-Amz-Content-SHA256"] == "UNSIGNED-PAYLOAD"
    headers["Content-Length"] = str(proposed)
    status, answer = send(server, "PUT", f"/{bucket}/huge", headers)
    assert status == 400
    error = s3_error(answer)
    assert error["Code"] == "EntityTooLarge"
    assert error["Message"] == "Your proposed upload exceeds the maximum allowed size"
    assert (error["ProposedSize"], error["MaxSizeAllowed"]) == (str(proposed), str(5 * 1024 ** 3))
    assert_absent(s3, bucket, "huge")


# ---------------------------------------------------------------------------
# aws-chunked (SigV4 streaming) uploads
# ---------------------------------------------------------------------------


def streaming_chunks() -> list[bytes]:
    return [os.urandom(64 * 1024) for _ in range(3)] + [os.urandom(1000)]


def test_aws_chunked_upload(server, s3, bucket):
    """STREAMING-AWS4-HMAC-SHA256-PAYLOAD: three 64 KiB chunks and a short last one, each signed
    along the chain; S3 stores the decoded bytes (x-amz-decoded-content-length of them), with
    no trace of the framing or of `aws-chunked` in Content-Encoding."""
    chunks = streaming_chunks()
    status, answer = chunked_put(server, bucket, "streamed/ü n.bin", chunks)
    assert status == 200, answer
    got = s3.get_object(Bucket=bucket, Key="streamed/ü n.bin")
    assert got["ContentLength"] == sum(map(len, chunks))
    assert got["Body"].read() == b"".join(chunks)
    assert got["ETag"] == f'"{hashlib.md5(b"".join(chunks)).hexdigest()}"'
    assert "aws-chunked" not in got.get("ContentEncoding", "")


def _flip_first_byte(target: int):
    def alter(index: int, data: bytes) -> bytes:
        return bytes([data[0] ^ 0xFF]) + data[1:] if index == target else data
    return alter


@pytest.mark.parametrize("case", ["first-chunk-altered", "middle-chunk-altered", "last-chunk-altered", "final-signature-wrong"])
def test_aws_chunked_upload_with_a_bad_chunk_is_refused_and_not_stored(server, s3, bucket, case):
    """A chunk whose bytes changed after signing (or a wrong signature on the closing empty
    chunk) breaks the chain: 403 SignatureDoesNotMatch, and no object is stored — neither a
    partial nor an empty one, nor the whole body when only the closing signature is wrong."""
    chunks = streaming_chunks()
    options = {
        "first-chunk-altered": {"alter": _flip_first_byte(0)},
        "middle-chunk-altered": {"alter": _flip_first_byte(1)},
        "last-chunk-altered": {"alter": _flip_first_byte(3)},
        "final-signature-wrong": {"bad_signature_at": 4},
    }[case]
    # The closing chunk is checked after every data byte went through: a few attempts, so a
    # race between the store completing the upload and the refusal cannot hide.
    for attempt in range(5 if case == "final-signature-wrong" else 1):
        status, answer = chunked_put(server, bucket, f"streamed/bad-{attempt}", chunks, **options)
        assert status == 403, answer
        assert s3_error(answer)["Code"] == "SignatureDoesNotMatch"
    for attempt in range(5 if case == "final-signature-wrong" else 1):
        assert_absent(s3, bucket, f"streamed/bad-{attempt}")


# ---------------------------------------------------------------------------
# A function's own credentials
# ---------------------------------------------------------------------------

OBJECT_CALLER = '''
import os
import boto3
from botocore.exceptions import ClientError

def handler(event, context):
    s3 = boto3.client("s3")
    urls = []
    s3.meta.events.register("before-send.s3", lambda request, **_: urls.append(request.url))
    s3.put_object(Bucket=event["bucket"], Key="from-function.txt", Body=b"written by " + context.function_name.encode())
    answer = {"endpoint": os.environ.get("AWS_ENDPOINT_URL"),
              "read": s3.get_object(Bucket=event["bucket"], Key=event["key"])["Body"].read().decode(),
              "listed": [entry["Key"] for entry in s3.list_objects_v2(Bucket=event["bucket"])["Contents"]]}
    refused = {}
    for label, call in (("create_bucket", lambda: s3.create_bucket(Bucket=event["bucket"] + "-fn")),
                        ("delete_bucket", lambda: s3.delete_bucket(Bucket=event["bucket"])),
                        ("put_bucket_notification_configuration", lambda: s3.put_bucket_notification_configuration(
                            Bucket=event["bucket"], NotificationConfiguration={})),
                        ("put_object_in_missing_bucket", lambda: s3.put_object(Bucket=event["bucket"] + "-fn", Key="k", Body=b"x"))):
        try:
            call()
            refused[label] = None
        except ClientError as error:
            refused[label] = [error.response["ResponseMetadata"]["HTTPStatusCode"], error.response["Error"]["Code"],
                              error.response["Error"]["Message"]]
    answer["refused"] = refused
    answer["urls"] = urls
    return answer
'''


def test_a_function_reads_and_writes_objects_with_its_own_credentials(function, lambda_client, s3, bucket):
    """boto3 in a function, with no endpoint configuration of its own (Lambent sets
    AWS_ENDPOINT_URL), puts, gets and lists objects of a bucket the test made; its role may not
    create, delete or configure buckets (403 AccessDenied naming the assumed role and the
    action), nor make one by writing into it (NoSuchBucket). Addressing: boto3 uses
    path-style by itself, the endpoint being an IP address."""
    s3.put_object(Bucket=bucket, Key="for-the-function.txt", Body=b"left by the test")
    name = function(zip_bytes=make_zip({"app.py": OBJECT_CALLER}), Timeout=60)["FunctionName"]
    result = invoke(lambda_client, name, {"bucket": bucket, "key": "for-the-function.txt"})
    assert result.function_error is None, result.payload
    answer = result.payload
    assert answer["read"] == "left by the test"
    assert answer["listed"] == ["for-the-function.txt", "from-function.txt"]
    assert s3.get_object(Bucket=bucket, Key="from-function.txt")["Body"].read() == f"written by {name}".encode()
    endpoint = answer["endpoint"]
    assert answer["urls"][0] == f"{endpoint}/{bucket}/from-function.txt", answer["urls"]
    refused = answer["refused"]
    for label, action, resource in (("create_bucket", "s3:CreateBucket", f"{bucket}-fn"),
                                    ("delete_bucket", "s3:DeleteBucket", bucket),
                                    ("put_bucket_notification_configuration", "s3:PutBucketNotification", bucket)):
        assert refused[label] == [403, "AccessDenied",
                                  f"User: arn:aws:sts::{ACCOUNT_ID}:assumed-role/lambent-e2e/{name} is not authorized to perform: "
                                  f"{action} on resource: \"arn:aws:s3:::{resource}\" because no identity-based policy allows "
                                  f"the {action} action"], label
    names = [entry["Name"] for entry in s3.list_buckets()["Buckets"]]
    if f"{bucket}-fn" in names:
        empty_and_delete(s3, f"{bucket}-fn")
    assert f"{bucket}-fn" not in names, "the function made a bucket by writing into it"
    assert refused["put_object_in_missing_bucket"][:2] == [404, "NoSuchBucket"], refused["put_object_in_missing_bucket"]


def test_sigv2_presigned_urls_of_the_cli_and_boto3(aws, s3, bucket):
    """`aws s3 presign` and boto3's `generate_presigned_url` (without `signature_version`) still
    make Signature Version 2 URLs (`AWSAccessKeyId`, `Expires`, `Signature`): they work, a
    tampered or expired one is refused in S3's words."""
    s3.put_object(Bucket=bucket, Key="shared/photo one.txt", Body=b"presigned v2")
    result = aws.run("s3", "presign", f"s3://{bucket}/shared/photo one.txt")
    assert result.returncode == 0, result.stderr
    url = result.stdout.strip()
    assert "AWSAccessKeyId=" in url and "Signature=" in url, url
    assert requests.get(url, timeout=30).content == b"presigned v2"
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "shared/photo one.txt",
                                                          "ResponseContentType": "text/plain"}, ExpiresIn=60)
    assert "AWSAccessKeyId=" in url, url
    answer = requests.get(url, timeout=30)
    assert (answer.status_code, answer.content, answer.headers["content-type"]) == (200, b"presigned v2", "text/plain")
    tampered = requests.get(url.replace("response-content-type=text%2Fplain", "response-content-type=text%2Fhtml"), timeout=30)
    assert (tampered.status_code, s3_error(tampered.content)["Code"]) == (403, "SignatureDoesNotMatch")
    expired = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "shared/photo one.txt"}, ExpiresIn=1)
    time.sleep(2)
    answer = requests.get(expired, timeout=30)
    assert (answer.status_code, s3_error(answer.content)["Code"], s3_error(answer.content)["Message"]) == (
        403, "AccessDenied", "Request has expired")


# ---------------------------------------------------------------------------
# Browser-based uploads (POST Object)
# ---------------------------------------------------------------------------


def post_form(post: dict, content: bytes = b"posted through a form", filename: str = "upload.txt", *,
              fields: dict | None = None, drop: tuple = (), after_file: dict | None = None, **options) -> requests.Response:
    """Posts a form as a browser would, with `requests`: the fields of `generate_presigned_post`
    (changed by `fields`, without those in `drop`), then the file, then `after_file` (which S3
    ignores)."""
    data = {name: value for name, value in {**post["fields"], **(fields or {})}.items() if name not in drop}
    parts = [(name, (None, value)) for name, value in data.items()]
    parts.append(("file", (filename, content)))
    parts += [(name, (None, value)) for name, value in (after_file or {}).items()]
    return requests.post(post["url"], files=parts, timeout=30, **options)


def test_presigned_post_stores_the_object_and_answers_204(server, presigner, s3, bucket):
    """boto3's `generate_presigned_post` (SigV4) and `requests`: 204 with an empty body, the
    object's quoted ETag and its URL (the key encoded, `/` too); the object reads back with the
    form's Content-Type and `x-amz-meta-*`, which the policy names."""
    post = presigner.generate_presigned_post(
        bucket, "uploads/hello.txt", Fields={"Content-Type": "text/plain", "x-amz-meta-note": "from a form"},
        Conditions=[{"Content-Type": "text/plain"}, ["starts-with", "$x-amz-meta-note", "from"]], ExpiresIn=300)
    assert post["url"] == f"{server.endpoint}/{bucket}"
    assert {"x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature", "policy"} <= set(post["fields"])
    answer = post_form(post, b"posted bytes")
    assert answer.status_code == 204, answer.text
    assert answer.content == b""
    assert answer.headers["ETag"] == f'"{hashlib.md5(b"posted bytes").hexdigest()}"'
    assert answer.headers["Location"] == f"{server.endpoint}/{bucket}/uploads%2Fhello.txt"
    stored = s3.get_object(Bucket=bucket, Key="uploads/hello.txt")
    assert stored["Body"].read() == b"posted bytes"
    assert stored["ContentType"] == "text/plain"
    assert stored["Metadata"] == {"note": "from a form"}
    assert stored["ETag"] == answer.headers["ETag"]


def test_presigned_post_201_answers_a_post_response_and_expands_the_filename(presigner, s3, bucket):
    """`success_action_status` 201 answers S3's `PostResponse` (Location, Bucket, Key, quoted
    ETag); `${filename}` in the key becomes the uploaded file's name, which the policy's
    `starts-with` (made by boto3 for such keys) checks after expansion."""
    post = presigner.generate_presigned_post(bucket, "in/${filename}", Fields={"success_action_status": "201"},
                                             Conditions=[{"success_action_status": "201"}], ExpiresIn=300)
    answer = post_form(post, b"a photo", filename="photo one.jpg")
    assert answer.status_code == 201, answer.text
    assert answer.headers["Content-Type"] == "application/xml"
    root = ElementTree.fromstring(answer.content)
    assert root.tag == "PostResponse"
    document = {child.tag: child.text for child in root}
    etag = f'"{hashlib.md5(b"a photo").hexdigest()}"'
    assert document == {"Location": answer.headers["Location"], "Bucket": bucket, "Key": "in/photo one.jpg", "ETag": etag}
    assert document["Location"].endswith(f"/{bucket}/in%2Fphoto%20one.jpg")
    assert s3.get_object(Bucket=bucket, Key="in/photo one.jpg")["Body"].read() == b"a photo"
    # Without a file name (a file part with no `filename`), S3 keeps the variable as it is.
    plain = presigner.generate_presigned_post(bucket, "plain/${filename}", ExpiresIn=300)
    answer = requests.post(plain["url"], files=[*[(name, (None, value)) for name, value in plain["fields"].items()],
                                                ("file", (None, b"no name"))], timeout=30)
    assert answer.status_code == 204, answer.text
    assert s3.get_object(Bucket=bucket, Key="plain/${filename}")["Body"].read() == b"no name"


def test_presigned_post_redirects_to_success_action_redirect(presigner, s3, bucket):
    """`success_action_redirect` answers 303 to it, `bucket`, `key` and `etag` added to its query
    form-encoded (`/` as `%2F`, the ETag's quotes as `%22`); fields after the file are ignored."""
    target = "http://example.invalid/done?from=form"
    post = presigner.generate_presigned_post(bucket, "r/done.txt", Fields={"success_action_redirect": target},
                                             Conditions=[["starts-with", "$success_action_redirect", "http://example.invalid/"]],
                                             ExpiresIn=300)
    answer = post_form(post, b"redirected", after_file={"submit": "Upload", "x-amz-meta-late": "ignored"}, allow_redirects=False)
    assert answer.status_code == 303, answer.text
    etag = hashlib.md5(b"redirected").hexdigest()
    assert answer.headers["Location"] == f"{target}&bucket={bucket}&key=r%2Fdone.txt&etag=%22{etag}%22"
    stored = s3.get_object(Bucket=bucket, Key="r/done.txt")
    assert stored["Body"].read() == b"redirected" and stored["Metadata"] == {}


def test_a_large_browser_upload_is_read_as_it_arrives(server, presigner, s3, bucket):
    """A file larger than what Lambent keeps in memory (8 MiB; here 72 MiB, past the 64 MiB a
    form was once read whole up to) is spooled to disk as it arrives and stored whole, with its
    MD5 as ETag; one outside the policy's `content-length-range` is refused after it is read
    and stored nowhere. No spool file is left behind either way."""
    content = os.urandom(72 << 20)
    post = presigner.generate_presigned_post(bucket, "big/${filename}", Conditions=[["content-length-range", 1, 80 << 20]],
                                             ExpiresIn=300)
    answer = requests.post(post["url"], files=[*[(name, (None, value)) for name, value in post["fields"].items()],
                                               ("file", ("large.bin", content))], timeout=300)
    assert answer.status_code == 204, answer.text
    digest = hashlib.md5(content).hexdigest()
    assert answer.headers["ETag"] == f'"{digest}"'
    stored = s3.get_object(Bucket=bucket, Key="big/large.bin")
    assert stored["ContentLength"] == len(content) and stored["ETag"] == f'"{digest}"'
    assert hashlib.md5(stored["Body"].read()).hexdigest() == digest
    small = presigner.generate_presigned_post(bucket, "big/${filename}", Conditions=[["content-length-range", 1, 10 << 20]],
                                              ExpiresIn=300)
    answer = requests.post(small["url"], files=[*[(name, (None, value)) for name, value in small["fields"].items()],
                                                ("file", ("refused.bin", content[:(12 << 20)]))], timeout=300)
    error = s3_error(answer.content)
    assert (answer.status_code, error["Code"], error["ProposedSize"]) == (400, "EntityTooLarge", str(12 << 20)), answer.text
    assert_absent(s3, bucket, "big/refused.bin")
    spool = server.data_dir / "s3-uploads"
    assert not spool.exists() or list(spool.iterdir()) == []


def test_signature_version_2_presigned_post(s3, bucket):
    """boto3's `generate_presigned_post` without `signature_version` still signs with Signature
    Version 2 (`AWSAccessKeyId`, `signature`): accepted; a wrong signature is refused."""
    post = s3.generate_presigned_post(bucket, "v2/${filename}", ExpiresIn=300)
    assert {"AWSAccessKeyId", "signature", "policy"} <= set(post["fields"])
    answer = post_form(post, b"version 2", filename="two.txt")
    assert answer.status_code == 204, answer.text
    assert s3.get_object(Bucket=bucket, Key="v2/two.txt")["Body"].read() == b"version 2"
    answer = post_form(post, b"forged", filename="forged.txt", fields={"signature": "AAAAAAAAAAAAAAAAAAAAAAAAAAA="})
    assert (answer.status_code, s3_error(answer.content)["Code"]) == (403, "SignatureDoesNotMatch")
    assert_absent(s3, bucket, "v2/forged.txt")


def invalid_argument_missing(name: str) -> tuple:
    return (400, "InvalidArgument",
            f"Bucket POST must contain a field named '{name}'.  If it is specified, please check the order of the fields.")


POST_REFUSALS = {
    # case: (form changes, expected status, code, message)
    "extra-field": (dict(fields={"x-amz-meta-extra": "not in the policy"}),
                    (403, "AccessDenied", "Invalid according to Policy: Extra input fields: x-amz-meta-extra")),
    "key-outside-starts-with": (dict(fields={"key": "elsewhere/refused.txt"}),
                                (403, "AccessDenied", 'Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "uploads/"]')),
    "content-length-range-exceeded": (dict(content=b"x" * 101),
                                      (400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")),
    "content-length-range-too-small": (dict(content=b""),
                                       (400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size")),
    "bad-signature": (dict(fields={"x-amz-signature": "0" * 64}),
                      (403, "SignatureDoesNotMatch",
                       "The request signature we calculated does not match the signature you provided. Check your key and signing method.")),
    "tampered-policy": (dict(fields={"policy": "e30="}),
                        (403, "SignatureDoesNotMatch",
                         "The request signature we calculated does not match the signature you provided. Check your key and signing method.")),
    "unknown-key": (dict(fields={"x-amz-credential": "AKIAEXAMPLEUNKNOWN00/20250101/us-east-1/s3/aws4_request"}),
                    (403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")),
    "signature-missing": (dict(drop=("x-amz-signature",)), invalid_argument_missing("X-Amz-Signature")),
    "key-after-the-file": (dict(drop=("key",), after_file={"key": "uploads/refused.txt"}), invalid_argument_missing("key")),
    "anonymous": (dict(drop=("x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature", "policy")),
                  (403, "AccessDenied", "Access Denied")),
}


@pytest.mark.parametrize("case", sorted(POST_REFUSALS))
def test_presigned_post_refusals_are_s3s_and_store_nothing(presigner, s3, bucket, case):
    """Forms S3 refuses, with its codes and messages: a field no condition names, a key outside
    the policy's prefix, a file outside `content-length-range` (with ProposedSize and the bound),
    a wrong or tampered signature, an unknown key, a missing signature field or a key sent after
    the file, no signature at all. Nothing is stored."""
    post = presigner.generate_presigned_post(bucket, "uploads/${filename}", Conditions=[["content-length-range", 1, 100]],
                                             ExpiresIn=300)
    changes, expected = POST_REFUSALS[case]
    answer = post_form(post, filename="refused.txt", **changes)
    error = s3_error(answer.content)
    assert (answer.status_code, error["Code"], error["Message"]) == expected, answer.text
    if case == "content-length-range-exceeded":
        assert (error["ProposedSize"], error["MaxSizeAllowed"]) == ("101", "100")
    if case == "signature-missing":
        assert (error["ArgumentName"], error["ArgumentValue"]) == ("X-Amz-Signature", "")
    if case == "bad-signature":
        assert (error["SignatureProvided"], error["StringToSign"]) == ("0" * 64, post["fields"]["policy"])
    assert_absent(s3, bucket, "uploads/refused.txt")
    assert_absent(s3, bucket, "elsewhere/refused.txt")


def test_presigned_post_expired_policy_and_wrong_content_type(presigner, s3, bucket):
    """Past the policy's expiration: 403 AccessDenied "Invalid according to Policy: Policy
    expired."; a POST to a bucket that is not multipart/form-data: 412 PreconditionFailed with
    its Condition. Nothing is stored."""
    post = presigner.generate_presigned_post(bucket, "late.txt", ExpiresIn=1)
    time.sleep(2)
    answer = post_form(post)
    error = s3_error(answer.content)
    assert (answer.status_code, error["Code"], error["Message"]) == (
        403, "AccessDenied", "Invalid according to Policy: Policy expired.")
    fresh = presigner.generate_presigned_post(bucket, "late.txt", ExpiresIn=300)
    answer = requests.post(fresh["url"], data={**fresh["fields"], "file": "not a form upload"}, timeout=30)
    error = s3_error(answer.content)
    assert (answer.status_code, error["Code"], error["Message"], error["Condition"]) == (
        412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold",
        "Bucket POST must be of the enclosure-type multipart/form-data")
    assert_absent(s3, bucket, "late.txt")


FORM_POSTER = '''
import uuid
import urllib.error
import urllib.request

import boto3
from botocore.config import Config

def handler(event, context):
    s3 = boto3.client("s3", config=Config(signature_version="s3v4"))
    post = s3.generate_presigned_post(event["bucket"], event["key"], ExpiresIn=60)
    boundary = uuid.uuid4().hex
    body = b""
    for name, value in post["fields"].items():
        body += f'--{boundary}\\r\\nContent-Disposition: form-data; name="{name}"\\r\\n\\r\\n{value}\\r\\n'.encode()
    body += f'--{boundary}\\r\\nContent-Disposition: form-data; name="file"; filename="f.txt"\\r\\n\\r\\n'.encode()
    body += b"posted by " + context.function_name.encode() + f"\\r\\n--{boundary}--\\r\\n".encode()
    request = urllib.request.Request(post["url"], data=body, method="POST",
                                     headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return {"status": answer.status, "fields": sorted(post["fields"])}
    except urllib.error.HTTPError as error:
        return {"status": error.code, "body": error.read().decode(), "fields": sorted(post["fields"])}
'''


def test_a_function_uploads_a_form_with_its_own_credentials(function, lambda_client, s3, bucket):
    """A function's session credentials sign a POST policy too: boto3 in the function adds the
    `x-amz-security-token` field (and its condition), which Lambent checks like the header."""
    name = function(zip_bytes=make_zip({"app.py": FORM_POSTER}), Timeout=60)["FunctionName"]
    result = invoke(lambda_client, name, {"bucket": bucket, "key": "from-a-function-form.txt"})
    assert result.function_error is None, result.payload
    assert result.payload["status"] == 204, result.payload
    assert "x-amz-security-token" in result.payload["fields"]
    assert s3.get_object(Bucket=bucket, Key="from-a-function-form.txt")["Body"].read() == f"posted by {name}".encode()
