"""S3 bucket notifications on Lambent: PutBucketNotificationConfiguration with SQS queues and
Lambda functions served by Lambent itself, validated as S3 validates them, and the event
records S3 delivers (`{"Records": [...]}`, one object per message) for puts, browser-based
uploads (POST), copies, multipart uploads and deletes. The records' fields, the validation errors and the
configuration S3 gives back are those recorded from AWS (`test_s3_notifications_sqs` in
shared/reference/aws-recorded)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
import uuid

import pytest
import requests
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, REGION, error_code, http_status, make_zip

SOMETHING = b"something"
SOMETHING_ETAG = "437b930db84b8079c2dd804a71936b5f"  # as recorded: md5 of b"something", unquoted
ALL_EVENTS = ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]


@pytest.fixture(scope="module")
def s3(server):
    return server.client(service="s3")


@pytest.fixture(scope="module")
def sqs(server):
    return server.client(service="sqs")


def empty_and_delete(s3, bucket: str) -> None:
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            keys = [{"Key": entry["Key"]} for entry in page.get("Contents", [])]
            if keys:
                s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
        s3.delete_bucket(Bucket=bucket)
    except ClientError as error:
        if error_code(error) != "NoSuchBucket":
            raise


@pytest.fixture
def bucket(s3):
    """A new bucket; emptied and deleted afterwards (which drops its configuration)."""
    name = f"e2e-notify-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    yield name
    empty_and_delete(s3, name)


@pytest.fixture
def queue(sqs):
    """`queue()` -> (url, arn) of a new queue; deleted afterwards."""
    urls = []

    def make() -> tuple[str, str]:
        name = f"s3-events-{uuid.uuid4().hex[:10]}"
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        urls.append(url)
        return url, f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{name}"

    yield make
    for url in urls:
        try:
            sqs.delete_queue(QueueUrl=url)
        except ClientError:
            pass


def queue_configuration(arn: str, events: list[str], prefix: str | None = None, suffix: str | None = None,
                        config_id: str | None = None, rule_names: tuple[str, str] = ("Prefix", "Suffix")) -> dict:
    configuration = {"QueueArn": arn, "Events": events}
    if config_id:
        configuration["Id"] = config_id
    rules = [{"Name": name, "Value": value} for name, value in zip(rule_names, (prefix, suffix)) if value is not None]
    if rules:
        configuration["Filter"] = {"Key": {"FilterRules": rules}}
    return configuration


def receive(sqs, url: str, count: int, timeout: float = 5) -> list[dict]:
    """The bodies of `count` messages (parsed), then a short poll that must find no more."""
    bodies, deadline = [], time.monotonic() + timeout
    while len(bodies) < count and time.monotonic() < deadline:
        answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for message in answer.get("Messages", []):
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert len(bodies) >= count, f"expected {count} messages, got {bodies}"
    # S3's events are queued before its answer: anything else would be there by now.
    time.sleep(0.2)
    extra = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
    assert not extra, f"unexpected messages: {[message['Body'] for message in extra]}"
    return bodies


def drain_test_event(sqs, url: str, bucket: str) -> dict:
    """The s3:TestEvent S3 sends to a queue when a configuration naming it is stored."""
    (event,) = receive(sqs, url, 1)
    assert event.get("Event") == "s3:TestEvent", event
    return event


def configure_queue(s3, sqs, bucket: str, url: str, arn: str, events: list[str], **filters) -> str:
    """Stores a one-queue configuration, takes its s3:TestEvent off the queue; returns its Id."""
    config_id = filters.pop("config_id", f"cfg-{uuid.uuid4().hex[:6]}")
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={"QueueConfigurations": [queue_configuration(arn, events, config_id=config_id, **filters)]})
    drain_test_event(sqs, url, bucket)
    return config_id


def records(bodies: list[dict]) -> list[dict]:
    """Every record of S3 event messages; S3 sends one record per message."""
    found = []
    for body in bodies:
        assert set(body) == {"Records"} and len(body["Records"]) == 1, body
        found += body["Records"]
    return found


def request_id(answer: dict) -> str:
    return answer["ResponseMetadata"]["HTTPHeaders"]["x-amz-request-id"]


EVENT_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def assert_record(record: dict, *, event_name: str, bucket: str, key: str, config_id: str, size: int | None = None,
                  etag: str | None = None, request: str | None = None) -> None:
    """One record, field by field as AWS recorded it: object events of ObjectCreated carry size
    and an unquoted eTag, ObjectRemoved:Delete only the key and sequencer."""
    assert set(record) == {"eventVersion", "eventSource", "awsRegion", "eventTime", "eventName", "userIdentity",
                           "requestParameters", "responseElements", "s3"}, record
    assert (record["eventVersion"], record["eventSource"], record["awsRegion"]) == ("2.1", "aws:s3", REGION)
    assert record["eventName"] == event_name
    assert EVENT_TIME.match(record["eventTime"]), record["eventTime"]
    assert set(record["userIdentity"]) == {"principalId"} and record["userIdentity"]["principalId"]
    assert set(record["requestParameters"]) == {"sourceIPAddress"} and record["requestParameters"]["sourceIPAddress"]
    assert set(record["responseElements"]) == {"x-amz-request-id", "x-amz-id-2"}
    if request:
        assert record["responseElements"]["x-amz-request-id"] == request
    s3_part = record["s3"]
    assert set(s3_part) == {"s3SchemaVersion", "configurationId", "bucket", "object"}
    assert (s3_part["s3SchemaVersion"], s3_part["configurationId"]) == ("1.0", config_id)
    assert s3_part["bucket"] == {"name": bucket, "ownerIdentity": {"principalId": s3_part["bucket"]["ownerIdentity"]["principalId"]},
                                 "arn": f"arn:aws:s3:::{bucket}"}
    assert s3_part["bucket"]["ownerIdentity"]["principalId"]
    obj = s3_part["object"]
    expected_fields = {"key", "sequencer"} if event_name.startswith("ObjectRemoved") else {"key", "size", "eTag", "sequencer"}
    assert set(obj) == expected_fields, obj
    assert obj["key"] == key
    assert re.fullmatch(r"[0-9A-F]+", obj["sequencer"]), obj["sequencer"]
    if size is not None:
        assert obj["size"] == size
    if etag is not None:
        assert obj["eTag"] == etag


# ---------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------


def test_configuring_a_queue_sends_it_a_test_event(s3, sqs, bucket, queue):
    """Storing a configuration makes S3 send each queue an `s3:TestEvent` message (not a
    record): Service, Event, Time, Bucket, RequestId, HostId."""
    url, arn = queue()
    s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration={"QueueConfigurations": [queue_configuration(arn, ALL_EVENTS)]})
    event = drain_test_event(sqs, url, bucket)
    assert set(event) == {"Service", "Event", "Time", "Bucket", "RequestId", "HostId"}
    assert (event["Service"], event["Event"], event["Bucket"]) == ("Amazon S3", "s3:TestEvent", bucket)
    assert EVENT_TIME.match(event["Time"]), event["Time"]


def test_configuration_round_trip(s3, sqs, bucket, queue):
    """GetBucketNotificationConfiguration gives back what was stored: Ids (generated when
    missing), queue ARNs, events in order, and filter rules named `Prefix`/`Suffix` however
    they were spelled; a bucket without one answers an empty configuration."""
    assert set(s3.get_bucket_notification_configuration(Bucket=bucket)) == {"ResponseMetadata"}
    first_url, first = queue()
    second_url, second = queue()
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={"QueueConfigurations": [
        queue_configuration(first, ["s3:ObjectCreated:*", "s3:ObjectRemoved:Delete"], prefix="testupload/",
                            suffix="testfile.txt", config_id="id0001", rule_names=("prefix", "SUFFIX")),
        queue_configuration(second, ["s3:ObjectTagging:*"], prefix="other/"),
    ]})
    drain_test_event(sqs, first_url, bucket)
    drain_test_event(sqs, second_url, bucket)
    stored = s3.get_bucket_notification_configuration(Bucket=bucket)
    assert set(stored) == {"ResponseMetadata", "QueueConfigurations"}
    one, two = stored["QueueConfigurations"]
    assert one == {"Id": "id0001", "QueueArn": first, "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:Delete"],
                   "Filter": {"Key": {"FilterRules": [{"Name": "Prefix", "Value": "testupload/"},
                                                      {"Name": "Suffix", "Value": "testfile.txt"}]}}}
    assert two["Id"], "S3 gives a configuration without an Id one of its own"
    assert {k: v for k, v in two.items() if k != "Id"} == {
        "QueueArn": second, "Events": ["s3:ObjectTagging:*"], "Filter": {"Key": {"FilterRules": [{"Name": "Prefix", "Value": "other/"}]}}}
    # An empty rule value is kept (recorded: test_filter_rules_empty_value).
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={"QueueConfigurations": [
        queue_configuration(first, ["s3:ObjectCreated:*"], suffix="", config_id="empty-suffix")]})
    drain_test_event(sqs, first_url, bucket)
    assert s3.get_bucket_notification_configuration(Bucket=bucket)["QueueConfigurations"] == [
        {"Id": "empty-suffix", "QueueArn": first, "Events": ["s3:ObjectCreated:*"],
         "Filter": {"Key": {"FilterRules": [{"Name": "Suffix", "Value": ""}]}}}]


def test_configuration_round_trip_with_the_aws_cli(aws, s3, bucket):
    """`aws s3api put-bucket-notification-configuration --skip-destination-validation` stores a
    configuration naming a queue that does not exist (as recorded: Events, Id, QueueArn),
    and `get-bucket-notification-configuration` prints it."""
    missing = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:my-queue-{uuid.uuid4().hex[:6]}"
    document = {"QueueConfigurations": [{"Id": "id123", "QueueArn": missing, "Events": ["s3:ObjectCreated:*"]}]}
    aws("s3api", "put-bucket-notification-configuration", "--bucket", bucket,
        "--notification-configuration", json.dumps(document), "--skip-destination-validation")
    assert aws("s3api", "get-bucket-notification-configuration", "--bucket", bucket) == document


def test_destination_validation_errors(s3, bucket, queue):
    """As recorded: an ARN that does not parse is 400 InvalidArgument "The ARN could not be
    parsed" (ArgumentName Queue, ArgumentValue the ARN), with or without skipping
    destination validation; queues that do not exist are listed one by one under "Unable to
    validate the following destination configurations"; a parse error wins over them."""
    _, existing = queue()
    missing = [f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:my-queue-{uuid.uuid4().hex[:6]}" for _ in range(2)]

    def refused(configurations: list[dict], **params) -> dict:
        with pytest.raises(ClientError) as raised:
            s3.put_bucket_notification_configuration(
                Bucket=bucket, NotificationConfiguration={"QueueConfigurations": configurations}, **params)
        assert http_status(raised.value) == 400
        return raised.value.response["Error"]

    invalid = queue_configuration("invalid-queue", ["s3:ObjectCreated:*"])
    for params in ({}, {"SkipDestinationValidation": True}):
        assert refused([invalid], **params) == {"Code": "InvalidArgument", "Message": "The ARN could not be parsed",
                                                "ArgumentName": "Queue", "ArgumentValue": "invalid-queue"}
    assert refused([queue_configuration(missing[0], ["s3:ObjectCreated:*"])]) == {
        "Code": "InvalidArgument", "Message": "Unable to validate the following destination configurations",
        "ArgumentName1": missing[0], "ArgumentValue1": "The destination queue does not exist"}
    assert refused([queue_configuration(missing[0], ["s3:ObjectCreated:*"]), queue_configuration(existing, ["s3:ObjectRemoved:*"]),
                    queue_configuration(missing[1], ["s3:ObjectTagging:*"])]) == {
        "Code": "InvalidArgument", "Message": "Unable to validate the following destination configurations",
        "ArgumentName1": missing[0], "ArgumentValue1": "The destination queue does not exist",
        "ArgumentName2": missing[1], "ArgumentValue2": "The destination queue does not exist"}
    assert refused([queue_configuration(missing[0], ["s3:ObjectCreated:*"]),
                    queue_configuration("invalid_arn_2", ["s3:ObjectRemoved:*"])]) == {
        "Code": "InvalidArgument", "Message": "The ARN could not be parsed", "ArgumentName": "Queue", "ArgumentValue": "invalid_arn_2"}
    unknown = refused([queue_configuration(existing, ["s3:ObjectCreated:Everything"])])
    assert (unknown["Code"], unknown["Message"]) == ("InvalidArgument", "The event is not supported for notifications")
    # Nothing was stored by the refused requests.
    assert "QueueConfigurations" not in s3.get_bucket_notification_configuration(Bucket=bucket)
    # Skipping destination validation (the x-amz-skip-destination-validation header) stores it.
    s3.put_bucket_notification_configuration(
        Bucket=bucket, SkipDestinationValidation=True,
        NotificationConfiguration={"QueueConfigurations": [queue_configuration(missing[0], ["s3:ObjectCreated:*"], config_id="id123")]})
    assert s3.get_bucket_notification_configuration(Bucket=bucket)["QueueConfigurations"] == [
        {"Id": "id123", "QueueArn": missing[0], "Events": ["s3:ObjectCreated:*"]}]


def test_unknown_bucket_is_no_such_bucket(s3):
    """Notification configurations belong to buckets: an unknown one is 404 NoSuchBucket."""
    missing = f"e2e-missing-{uuid.uuid4().hex[:10]}"
    with pytest.raises(ClientError) as raised:
        s3.get_bucket_notification_configuration(Bucket=missing)
    assert (http_status(raised.value), error_code(raised.value)) == (404, "NoSuchBucket")


def test_overlapping_prefixes_for_the_same_event_are_ambiguous(s3, sqs, bucket, queue):
    """Two configurations whose prefixes overlap (one starts with the other) and whose suffixes
    overlap, for a common event type, are 400 InvalidArgument "Configuration is ambiguously
    defined..."; the same prefixes for different events, or disjoint suffixes, are fine."""
    url, arn = queue()
    other_url, other = queue()
    ambiguous = [queue_configuration(arn, ["s3:ObjectCreated:*"], prefix="in/"),
                 queue_configuration(other, ["s3:ObjectCreated:Put"], prefix="in/sub/")]
    with pytest.raises(ClientError) as raised:
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={"QueueConfigurations": ambiguous})
    assert http_status(raised.value) == 400
    assert raised.value.response["Error"]["Code"] == "InvalidArgument"
    assert raised.value.response["Error"]["Message"] == (
        "Configuration is ambiguously defined. Cannot have overlapping suffixes in two rules if the prefixes are "
        "overlapping for the same event type.")
    for fine in ([queue_configuration(arn, ["s3:ObjectCreated:*"], prefix="in/"),
                  queue_configuration(other, ["s3:ObjectRemoved:*"], prefix="in/sub/")],
                 [queue_configuration(arn, ["s3:ObjectCreated:*"], prefix="in/", suffix=".jpg"),
                  queue_configuration(other, ["s3:ObjectCreated:*"], prefix="in/", suffix=".png")]):
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={"QueueConfigurations": fine})
        assert len(s3.get_bucket_notification_configuration(Bucket=bucket)["QueueConfigurations"]) == 2
        drain_test_event(sqs, url, bucket)
        drain_test_event(sqs, other_url, bucket)


def test_an_empty_configuration_clears_it(s3, sqs, bucket, queue):
    """PutBucketNotificationConfiguration with an empty document removes every target: the
    configuration reads back empty and objects raise nothing."""
    url, arn = queue()
    configure_queue(s3, sqs, bucket, url, arn, ALL_EVENTS)
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={})
    assert set(s3.get_bucket_notification_configuration(Bucket=bucket)) == {"ResponseMetadata"}
    s3.put_object(Bucket=bucket, Key="quiet.txt", Body=SOMETHING)
    s3.delete_object(Bucket=bucket, Key="quiet.txt")
    assert receive(sqs, url, 0) == []


def test_deleting_a_bucket_forgets_its_configuration(s3, sqs, queue):
    """A configuration belongs to the bucket: a new bucket of the same name starts without one."""
    url, arn = queue()
    name = f"e2e-notify-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    configure_queue(s3, sqs, name, url, arn, ALL_EVENTS)
    s3.delete_bucket(Bucket=name)
    s3.create_bucket(Bucket=name)
    try:
        assert "QueueConfigurations" not in s3.get_bucket_notification_configuration(Bucket=name)
        s3.put_object(Bucket=name, Key="after.txt", Body=SOMETHING)
        assert receive(sqs, url, 0) == []
    finally:
        empty_and_delete(s3, name)


# ---------------------------------------------------------------------------
# Records delivered to queues
# ---------------------------------------------------------------------------


def test_put_raises_object_created_put_with_recorded_fields(s3, sqs, bucket, queue):
    """ObjectCreated:Put, as recorded: eventVersion 2.1, eventSource aws:s3, the bucket's name
    and ARN, the configuration's Id, the object's URL-encoded key (`a@b` is `a%40b`), size,
    unquoted eTag and a sequencer; x-amz-request-id is the PutObject's. Keys outside the
    prefix/suffix filter raise nothing."""
    url, arn = queue()
    config_id = configure_queue(s3, sqs, bucket, url, arn, ALL_EVENTS, prefix="in/", suffix=".txt")
    for key in ("out/a@b.txt", "in/a@b.json", "in.txt", "IN/a.txt"):
        s3.put_object(Bucket=bucket, Key=key, Body=SOMETHING)
    put = s3.put_object(Bucket=bucket, Key="in/a@b.txt", Body=SOMETHING)
    (record,) = records(receive(sqs, url, 1))
    assert_record(record, event_name="ObjectCreated:Put", bucket=bucket, key="in/a%40b.txt", config_id=config_id,
                  size=9, etag=SOMETHING_ETAG, request=request_id(put))
    assert put["ETag"] == f'"{SOMETHING_ETAG}"'


def test_presigned_put_raises_object_created_put(server, s3, sqs, bucket, queue):
    """An upload through a presigned URL is a PutObject like any other (recorded:
    test_object_created_put_with_presigned_url_upload): ObjectCreated:Put with size and eTag."""
    url, arn = queue()
    config_id = configure_queue(s3, sqs, bucket, url, arn, ["s3:ObjectCreated:*"])
    presigned = server.client(service="s3", signature_version="s3v4").generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": "key-by-hostname"}, ExpiresIn=60)
    answer = requests.put(presigned, data=SOMETHING, timeout=30)
    assert answer.status_code == 200, answer.text
    (record,) = records(receive(sqs, url, 1))
    assert_record(record, event_name="ObjectCreated:Put", bucket=bucket, key="key-by-hostname", config_id=config_id,
                  size=9, etag=SOMETHING_ETAG, request=answer.headers["x-amz-request-id"])


def test_browser_upload_raises_object_created_post(server, s3, sqs, bucket, queue):
    """A browser-based upload (POST Object, here boto3's `generate_presigned_post` sent with
    `requests`) raises ObjectCreated:Post, not Put, with the same fields as a Put (size, unquoted
    eTag, the answer's x-amz-request-id); a target that wants only Post gets nothing for a Put."""
    url, arn = queue()
    config_id = configure_queue(s3, sqs, bucket, url, arn, ["s3:ObjectCreated:Post"])
    s3.put_object(Bucket=bucket, Key="forms/put.txt", Body=SOMETHING)
    post = server.client(service="s3", signature_version="s3v4").generate_presigned_post(bucket, "forms/${filename}", ExpiresIn=60)
    answer = requests.post(post["url"], files=[*[(name, (None, value)) for name, value in post["fields"].items()],
                                               ("file", ("a b@c.txt", SOMETHING))], timeout=30)
    assert answer.status_code == 204, answer.text
    (record,) = records(receive(sqs, url, 1))
    assert_record(record, event_name="ObjectCreated:Post", bucket=bucket, key="forms/a+b%40c.txt", config_id=config_id,
                  size=9, etag=SOMETHING_ETAG, request=answer.headers["x-amz-request-id"])
    assert answer.headers["ETag"] == f'"{SOMETHING_ETAG}"'
    # A refused upload raises nothing.
    refused = requests.post(post["url"], files=[*[(name, (None, value)) for name, value in post["fields"].items()],
                                                ("x-amz-meta-extra", (None, "uncovered")), ("file", ("b.txt", SOMETHING))],
                            timeout=30)
    assert refused.status_code == 403, refused.text
    assert not sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages")


def test_keys_in_records_are_url_encoded(s3, sqs, bucket, queue):
    """Keys in records are form-encoded as S3 writes them: `@` is `%40` (recorded), a space is
    `+`, `+` itself `%2B`, non-ASCII characters their UTF-8 bytes; `/` stays."""
    url, arn = queue()
    config_id = configure_queue(s3, sqs, bucket, url, arn, ["s3:ObjectCreated:Put"])
    expected = {"a@b": "a%40b", "dir/red flower.jpg": "dir/red+flower.jpg", "one+two=3": "one%2Btwo%3D3",
                "ünï/日本.txt": "%C3%BCn%C3%AF/%E6%97%A5%E6%9C%AC.txt"}
    for key in expected:
        s3.put_object(Bucket=bucket, Key=key, Body=SOMETHING)
    got = records(receive(sqs, url, len(expected)))
    assert sorted(record["s3"]["object"]["key"] for record in got) == sorted(expected.values())
    for record in got:
        assert_record(record, event_name="ObjectCreated:Put", bucket=bucket, key=record["s3"]["object"]["key"],
                      config_id=config_id, size=9, etag=SOMETHING_ETAG)


def test_copy_multipart_and_delete_records(s3, sqs, bucket, queue):
    """ObjectCreated:Copy (size and eTag of the copy), ObjectCreated:CompleteMultipartUpload
    (eTag `<md5 of md5s>-<parts>`, the whole size), ObjectRemoved:Delete from DeleteObject and
    one per deleted key from DeleteObjects (key and sequencer only) — all as recorded. A
    later event of the same key has a greater sequencer."""
    url, arn = queue()
    config_id = configure_queue(s3, sqs, bucket, url, arn, ALL_EVENTS, prefix="in/")
    put = s3.put_object(Bucket=bucket, Key="in/source", Body=SOMETHING)
    (created,) = records(receive(sqs, url, 1))
    assert_record(created, event_name="ObjectCreated:Put", bucket=bucket, key="in/source", config_id=config_id,
                  size=9, etag=SOMETHING_ETAG, request=request_id(put))

    copy = s3.copy_object(Bucket=bucket, Key="in/copy", CopySource={"Bucket": bucket, "Key": "in/source"})
    s3.copy_object(Bucket=bucket, Key="out/copy", CopySource={"Bucket": bucket, "Key": "in/source"})
    (copied,) = records(receive(sqs, url, 1))
    assert_record(copied, event_name="ObjectCreated:Copy", bucket=bucket, key="in/copy", config_id=config_id,
                  size=9, etag=SOMETHING_ETAG, request=request_id(copy))

    part = os.urandom(6144)
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="in/multi")["UploadId"]
    etag = s3.upload_part(Bucket=bucket, Key="in/multi", UploadId=upload_id, PartNumber=1, Body=part)["ETag"]
    done = s3.complete_multipart_upload(Bucket=bucket, Key="in/multi", UploadId=upload_id,
                                        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
    (multipart,) = records(receive(sqs, url, 1))
    assert_record(multipart, event_name="ObjectCreated:CompleteMultipartUpload", bucket=bucket, key="in/multi",
                  config_id=config_id, size=6144, etag=hashlib.md5(hashlib.md5(part).digest()).hexdigest() + "-1",
                  request=request_id(done))

    deleted = s3.delete_object(Bucket=bucket, Key="in/source")
    (removed,) = records(receive(sqs, url, 1))
    assert_record(removed, event_name="ObjectRemoved:Delete", bucket=bucket, key="in/source", config_id=config_id,
                  request=request_id(deleted))
    assert removed["s3"]["object"]["sequencer"] > created["s3"]["object"]["sequencer"]

    batch = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "in/copy"}, {"Key": "in/multi"}, {"Key": "out/copy"}]})
    assert sorted(entry["Key"] for entry in batch["Deleted"]) == ["in/copy", "in/multi", "out/copy"]
    removed = records(receive(sqs, url, 2))
    assert sorted(record["s3"]["object"]["key"] for record in removed) == ["in/copy", "in/multi"]
    for record in removed:
        assert_record(record, event_name="ObjectRemoved:Delete", bucket=bucket, key=record["s3"]["object"]["key"],
                      config_id=config_id, request=request_id(batch))


def test_quiet_delete_objects_still_raises_records(s3, sqs, bucket, queue):
    """DeleteObjects in Quiet mode only shortens the answer (no <Deleted> entries): S3 still
    raises ObjectRemoved:Delete for every key it deleted, keys needing XML escaping included."""
    url, arn = queue()
    config_id = configure_queue(s3, sqs, bucket, url, arn, ["s3:ObjectRemoved:*"])
    keys = ["quiet-1", "quiet & <2>"]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=SOMETHING)
    answer = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": key} for key in keys], "Quiet": True})
    assert not answer.get("Deleted") and not answer.get("Errors")
    got = records(receive(sqs, url, 2))
    assert sorted(record["s3"]["object"]["key"] for record in got) == ["quiet+%26+%3C2%3E", "quiet-1"]
    for record in got:
        assert_record(record, event_name="ObjectRemoved:Delete", bucket=bucket, key=record["s3"]["object"]["key"],
                      config_id=config_id, request=request_id(answer))


def test_each_target_gets_only_its_events(s3, sqs, bucket, queue):
    """Event names select: a queue for `s3:ObjectCreated:Put` hears neither copies nor deletes,
    one for `s3:ObjectRemoved:*` hears only deletes, each record naming its configuration."""
    puts_url, puts = queue()
    removals_url, removals = queue()
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={"QueueConfigurations": [
        queue_configuration(puts, ["s3:ObjectCreated:Put"], config_id="puts"),
        queue_configuration(removals, ["s3:ObjectRemoved:*"], config_id="removals"),
    ]})
    drain_test_event(sqs, puts_url, bucket)
    drain_test_event(sqs, removals_url, bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=SOMETHING)
    s3.copy_object(Bucket=bucket, Key="k-copy", CopySource={"Bucket": bucket, "Key": "k"})
    s3.delete_object(Bucket=bucket, Key="k")
    (put,) = records(receive(sqs, puts_url, 1))
    assert (put["eventName"], put["s3"]["configurationId"], put["s3"]["object"]["key"]) == ("ObjectCreated:Put", "puts", "k")
    (removed,) = records(receive(sqs, removals_url, 1))
    assert (removed["eventName"], removed["s3"]["configurationId"], removed["s3"]["object"]["key"]) == (
        "ObjectRemoved:Delete", "removals", "k")


# ---------------------------------------------------------------------------
# Lambda function targets
# ---------------------------------------------------------------------------

FORWARDER = '''
import json, os
import boto3

def handler(event, context):
    boto3.client("sqs").send_message(QueueUrl=os.environ["QUEUE_URL"], MessageBody=json.dumps(event))
'''


def test_function_target_needs_s3_permission_and_receives_records(s3, sqs, bucket, queue, function, lambda_client):
    """A LambdaFunctionConfiguration is refused ("Unable to validate the following destination
    configurations": "Not authorized to invoke function [<arn>]") until the function's policy
    lets s3.amazonaws.com invoke it for this bucket (SourceArn arn:aws:s3:::<bucket>; a
    permission for another bucket does not count); then S3 invokes it asynchronously with the
    `{"Records": [...]}` event. Functions get no s3:TestEvent."""
    url, _ = queue()
    configuration = function(zip_bytes=make_zip({"app.py": FORWARDER}), Timeout=30,
                             Environment={"Variables": {"QUEUE_URL": url}})
    name, arn = configuration["FunctionName"], configuration["FunctionArn"]
    document = {"LambdaFunctionConfigurations": [
        {"Id": "to-function", "LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"],
         "Filter": {"Key": {"FilterRules": [{"Name": "suffix", "Value": ".csv"}]}}}]}

    def refusal() -> dict:
        with pytest.raises(ClientError) as raised:
            s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=document)
        assert http_status(raised.value) == 400
        return raised.value.response["Error"]

    expected = {"Code": "InvalidArgument", "Message": "Unable to validate the following destination configurations",
                "ArgumentName1": arn, "ArgumentValue1": f"Not authorized to invoke function [{arn}]"}
    assert refusal() == expected
    lambda_client.add_permission(FunctionName=name, StatementId="other-bucket", Action="lambda:InvokeFunction",
                                 Principal="s3.amazonaws.com", SourceArn=f"arn:aws:s3:::{bucket}-other")
    assert refusal() == expected
    lambda_client.add_permission(FunctionName=name, StatementId="this-bucket", Action="lambda:InvokeFunction",
                                 Principal="s3.amazonaws.com", SourceArn=f"arn:aws:s3:::{bucket}", SourceAccount=ACCOUNT_ID)
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=document)
    stored = s3.get_bucket_notification_configuration(Bucket=bucket)
    assert stored["LambdaFunctionConfigurations"] == [
        {"Id": "to-function", "LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"],
         "Filter": {"Key": {"FilterRules": [{"Name": "Suffix", "Value": ".csv"}]}}}]
    assert "QueueConfigurations" not in stored

    s3.put_object(Bucket=bucket, Key="ignored.txt", Body=SOMETHING)
    put = s3.put_object(Bucket=bucket, Key="reports/q 1.csv", Body=SOMETHING)
    (event,) = receive(sqs, url, 1, timeout=45)
    (record,) = records([event])
    assert_record(record, event_name="ObjectCreated:Put", bucket=bucket, key="reports/q+1.csv", config_id="to-function",
                  size=9, etag=SOMETHING_ETAG, request=request_id(put))
