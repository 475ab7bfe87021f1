"""The SQS API on Lambent's queue engine, with boto3 and the aws CLI (`test_sqs` in
shared/reference/aws-recorded is the ground truth for fields, codes and messages)."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, REGION


@pytest.fixture(scope="session")
def sqs(server):
    return server.client(service="sqs")


@pytest.fixture
def queue(sqs):
    """`queue(**attributes)` -> the URL of a new queue; deleted afterwards."""
    urls = []

    def make(suffix: str = "", **attributes) -> str:
        url = sqs.create_queue(QueueName=f"q-{uuid.uuid4().hex[:12]}{suffix}", Attributes=attributes)["QueueUrl"]
        urls.append(url)
        return url

    yield make
    for url in urls:
        try:
            sqs.delete_queue(QueueUrl=url)
        except ClientError:
            pass


def error(call, **params) -> dict:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return caught.value.response["Error"]


def test_queue_lifecycle_and_attributes(sqs, queue):
    url = queue(VisibilityTimeout="20")
    name = url.rsplit("/", 1)[1]
    assert url.endswith(f"/{ACCOUNT_ID}/{name}")
    assert sqs.get_queue_url(QueueName=name)["QueueUrl"] == url
    # Idempotent with equal attributes, refused with different ones.
    assert sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "20"})["QueueUrl"] == url
    assert error(sqs.create_queue, QueueName=name, Attributes={"VisibilityTimeout": "21"}) == {
        "Code": "QueueAlreadyExists", "QueryErrorCode": "QueueNameExists", "Type": "Sender",
        "Message": "A queue already exists with the same name and a different value for attribute VisibilityTimeout"}
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["QueueArn"] == f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{name}"
    assert {k: attributes[k] for k in ("VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds", "MaximumMessageSize",
                                       "ReceiveMessageWaitTimeSeconds", "SqsManagedSseEnabled")} == {
        "VisibilityTimeout": "20", "MessageRetentionPeriod": "345600", "DelaySeconds": "0", "MaximumMessageSize": "1048576",
        "ReceiveMessageWaitTimeSeconds": "0", "SqsManagedSseEnabled": "true"}
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"DelaySeconds": "1"})
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["DelaySeconds"])["Attributes"] == {"DelaySeconds": "1"}
    assert error(sqs.get_queue_attributes, QueueUrl=url, AttributeNames=["Foobar"])["Message"] == "Unknown Attribute Foobar."
    assert error(sqs.set_queue_attributes, QueueUrl=url, Attributes={"VisibilityTimeout": "50000"})["Code"] == "InvalidAttributeValue"
    assert error(sqs.create_queue, QueueName="bad/name")["Code"] == "InvalidParameterValue"

    sqs.tag_queue(QueueUrl=url, Tags={"team": "a", "tag3": ""})
    sqs.untag_queue(QueueUrl=url, TagKeys=["team", "missing"])
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"tag3": ""}
    assert name in [u.rsplit("/", 1)[1] for u in sqs.list_queues(QueueNamePrefix=name[:8])["QueueUrls"]]
    assert "QueueUrls" not in sqs.list_queues(QueueNamePrefix="no-such-prefix-")

    sqs.delete_queue(QueueUrl=url)
    with pytest.raises(sqs.exceptions.QueueDoesNotExist) as caught:
        sqs.get_queue_url(QueueName=name)
    assert caught.value.response["Error"] == {
        "Code": "AWS.SimpleQueueService.NonExistentQueue", "QueryErrorCode": "QueueDoesNotExist", "Type": "Sender",
        "Message": "The specified queue does not exist."}


def test_send_receive_delete_with_digests(sqs, queue):
    url = queue()
    sent = sqs.send_message(QueueUrl=url, MessageBody="test", MessageAttributes={"k": {"DataType": "String", "StringValue": "x"}})
    assert sent["MD5OfMessageBody"] == "098f6bcd4621d373cade4e832627b4f6"
    assert sent["MD5OfMessageAttributes"] == "a45daa70926828a2f0a1db3418e6feb4"
    assert "SequenceNumber" not in sent
    received = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"], MessageSystemAttributeNames=["All"])["Messages"]
    message = received[0]
    assert message["MessageId"] == sent["MessageId"] and message["Body"] == "test"
    assert message["MD5OfMessageAttributes"] == "a45daa70926828a2f0a1db3418e6feb4"
    assert message["MessageAttributes"] == {"k": {"DataType": "String", "StringValue": "x"}}
    assert set(message["Attributes"]) == {"SenderId", "SentTimestamp", "ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp"}
    assert message["Attributes"]["ApproximateReceiveCount"] == "1"
    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])
    assert counts["Attributes"] == {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "1"}
    # Visible again at once with a visibility timeout of 0; a new receipt handle on each receive.
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
    again = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["ApproximateReceiveCount"])["Messages"][0]
    assert again["ReceiptHandle"] != message["ReceiptHandle"] and again["Attributes"] == {"ApproximateReceiveCount": "2"}
    sqs.delete_message(QueueUrl=url, ReceiptHandle=again["ReceiptHandle"])
    sqs.delete_message(QueueUrl=url, ReceiptHandle=again["ReceiptHandle"])  # again: still 200
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    assert error(sqs.delete_message, QueueUrl=url, ReceiptHandle="garbage") == {
        "Code": "ReceiptHandleIsInvalid", "QueryErrorCode": "ReceiptHandleIsInvalid", "Type": "Sender",
        "Message": 'The input receipt handle "garbage" is not a valid receipt handle.'}
    assert error(sqs.receive_message, QueueUrl=url, MaxNumberOfMessages=11)["Message"] == (
        "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.")
    assert error(sqs.receive_message, QueueUrl=url, WaitTimeSeconds=21)["Message"] == (
        "Value 21 for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.")


def test_long_poll_returns_as_soon_as_a_message_arrives(sqs, queue):
    url = queue()
    threading.Timer(1.0, lambda: sqs.send_message(QueueUrl=url, MessageBody="late")).start()
    started = time.monotonic()
    messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=10)["Messages"]
    assert messages[0]["Body"] == "late" and time.monotonic() - started < 5
    started = time.monotonic()
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)
    assert time.monotonic() - started >= 0.9
    # A delayed message is delivered by a long poll once its delay is over.
    sqs.send_message(QueueUrl=url, MessageBody="delayed", DelaySeconds=1)
    assert sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"][0]["Body"] == "delayed"


def test_attribute_errors_as_recorded(sqs, queue):
    """`test_set_unsupported_attribute_standard`, `test_create_standard_queue_with_fifo_attribute_raises_error`,
    `test_non_existent_queue` in test_sqs: AWS's exact words; booleans in any case."""
    url = queue()
    for value in ("true", "false"):
        assert error(sqs.set_queue_attributes, QueueUrl=url, Attributes={"FifoQueue": value})["Message"] == "Unknown Attribute FifoQueue."
    name = f"q-{uuid.uuid4().hex[:12]}"
    for attribute, value, message in (
            ("FifoQueue", "false", "Unknown Attribute FifoQueue."),
            ("ContentBasedDeduplication", "false", "Unknown Attribute ContentBasedDeduplication."),
            ("DeduplicationScope", "queue", "You can specify the DeduplicationScope only when FifoQueue is set to true."),
            ("FifoThroughputLimit", "perQueue", "You can specify the FifoThroughputLimit only when FifoQueue is set to true.")):
        assert error(sqs.create_queue, QueueName=name, Attributes={attribute: value}) == {
            "Code": "InvalidAttributeName", "QueryErrorCode": "InvalidAttributeName", "Message": message, "Type": "Sender"}
    fifo = queue(".fifo", VisibilityTimeout="1", FifoQueue="True", ContentBasedDeduplication="True")
    attributes = sqs.get_queue_attributes(QueueUrl=fifo, AttributeNames=["All"])["Attributes"]
    assert (attributes["FifoQueue"], attributes["ContentBasedDeduplication"]) == ("true", "true")
    fifo_name = fifo.rsplit("/", 1)[1]
    assert sqs.create_queue(QueueName=fifo_name, Attributes={"VisibilityTimeout": "1", "FifoQueue": "True",
                                                             "ContentBasedDeduplication": "True"})["QueueUrl"] == fifo
    sqs.delete_queue(QueueUrl=url)
    assert error(sqs.get_queue_attributes, QueueUrl=url) == {
        "Code": "AWS.SimpleQueueService.NonExistentQueue", "QueryErrorCode": "QueueDoesNotExist", "Type": "Sender",
        "Message": "The specified queue does not exist."}


def test_fifo_receipts_expire_and_purges_are_a_minute_apart(sqs, queue):
    """`test_fifo_delete_after_visibility_timeout(_extended)`, `test_successive_purge_calls_fail`
    in test_sqs; and SQS's limit of 10 message attributes."""
    fifo = queue(".fifo", VisibilityTimeout="1", FifoQueue="true", ContentBasedDeduplication="true")
    sqs.send_message(QueueUrl=fifo, MessageBody="foobar", MessageGroupId="1")
    handle = sqs.receive_message(QueueUrl=fifo)["Messages"][0]["ReceiptHandle"]
    time.sleep(1.5)
    assert error(sqs.delete_message, QueueUrl=fifo, ReceiptHandle=handle) == {
        "Code": "InvalidParameterValue", "QueryErrorCode": "InvalidParameterValueException", "Type": "Sender",
        "Message": f"Value {handle} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired."}
    # Extended in time, the receipt still deletes.
    handle = sqs.receive_message(QueueUrl=fifo)["Messages"][0]["ReceiptHandle"]
    sqs.change_message_visibility(QueueUrl=fifo, ReceiptHandle=handle, VisibilityTimeout=10)
    time.sleep(1.5)
    sqs.delete_message(QueueUrl=fifo, ReceiptHandle=handle)
    assert "Messages" not in sqs.receive_message(QueueUrl=fifo)
    # A standard queue takes a late receipt.
    url = queue(VisibilityTimeout="1")
    sqs.send_message(QueueUrl=url, MessageBody="x")
    handle = sqs.receive_message(QueueUrl=url)["Messages"][0]["ReceiptHandle"]
    time.sleep(1.5)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)

    assert error(sqs.send_message, QueueUrl=url, MessageBody="x", MessageAttributes={
        f"a{i}": {"DataType": "String", "StringValue": "1"} for i in range(11)})["Message"] == (
        "Number of message attributes [11] exceeds the allowed maximum [10].")
    sqs.purge_queue(QueueUrl=url)
    with pytest.raises(ClientError) as caught:
        sqs.purge_queue(QueueUrl=url)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert caught.value.response["Error"] == {
        "Code": "AWS.SimpleQueueService.PurgeQueueInProgress", "QueryErrorCode": "PurgeQueueInProgress", "Type": "Sender",
        "Message": f"Only one PurgeQueue operation on {url.rsplit('/', 1)[1]} is allowed every 60 seconds."}


def test_batches_and_limits(sqs, queue):
    url = queue(MaximumMessageSize="1024")
    answer = sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": "ok", "MessageBody": "fine"}, {"Id": "big", "MessageBody": "x" * 1025}])
    assert [e["Id"] for e in answer["Successful"]] == ["ok"]
    assert answer["Failed"] == [{"Id": "big", "SenderFault": True, "Code": "InvalidParameterValue",
                                 "Message": "One or more parameters cannot be validated. Reason: Message must be shorter than 1024 bytes."}]
    assert error(sqs.send_message, QueueUrl=url, MessageBody="x" * 1025)["Message"] == (
        "One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes.")
    assert error(sqs.send_message, QueueUrl=url, MessageBody="")["Message"] == "The request must contain the parameter MessageBody."
    assert error(sqs.send_message, QueueUrl=url, MessageBody="a\x01b")["Code"] == "InvalidMessageContents"
    assert error(sqs.send_message_batch, QueueUrl=url,
                 Entries=[{"Id": f"m{i}", "MessageBody": "x"} for i in range(20)])["Message"] == (
        "Maximum number of entries per request are 10. You have sent 20.")
    assert error(sqs.send_message_batch, QueueUrl=url, Entries=[{"Id": "message:xyz", "MessageBody": "x"}])["Code"] == (
        "AWS.SimpleQueueService.InvalidBatchEntryId")
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    deleted = sqs.delete_message_batch(QueueUrl=url, Entries=[
        {"Id": "a", "ReceiptHandle": messages[0]["ReceiptHandle"]}, {"Id": "b", "ReceiptHandle": "garbage"}])
    assert deleted["Successful"] == [{"Id": "a"}] and deleted["Failed"][0]["Code"] == "ReceiptHandleIsInvalid"
    sqs.purge_queue(QueueUrl=url)
    # At most 50 tags a queue; a refused TagQueue changes none.
    sqs.tag_queue(QueueUrl=url, Tags={f"k{i}": "v" for i in range(45)})
    assert error(sqs.tag_queue, QueueUrl=url, Tags={f"n{i}": "v" for i in range(6)})["Message"] == (
        f"Too many tags added for queue {url.rsplit('/', 1)[1]}.")
    assert len(sqs.list_queue_tags(QueueUrl=url)["Tags"]) == 45


def test_dead_letter_queue(sqs, queue):
    dlq = queue()
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    source = queue(RedrivePolicy=f'{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":1}}', VisibilityTimeout="0")
    sent = sqs.send_message(QueueUrl=source, MessageBody="poison")
    assert sqs.receive_message(QueueUrl=source)["Messages"][0]["MessageId"] == sent["MessageId"]
    assert "Messages" not in sqs.receive_message(QueueUrl=source)  # moved on this attempt
    moved = sqs.receive_message(QueueUrl=dlq, MessageSystemAttributeNames=["All"])["Messages"][0]
    assert moved["MessageId"] == sent["MessageId"] and moved["Attributes"]["DeadLetterQueueSourceArn"].endswith(source.rsplit("/", 1)[1])
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == [source]


def test_fifo_order_groups_and_deduplication(sqs, queue):
    url = queue(".fifo", FifoQueue="true")
    assert error(sqs.send_message, QueueUrl=url, MessageBody="x", MessageGroupId="g")["Message"] == (
        "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
    assert error(sqs.send_message, QueueUrl=url, MessageBody="x", MessageDeduplicationId="d")["Message"] == (
        "The request must contain the parameter MessageGroupId.")
    first = sqs.send_message(QueueUrl=url, MessageBody="a1", MessageGroupId="a", MessageDeduplicationId="1")
    sqs.send_message(QueueUrl=url, MessageBody="b1", MessageGroupId="b", MessageDeduplicationId="2")
    sqs.send_message(QueueUrl=url, MessageBody="a2", MessageGroupId="a", MessageDeduplicationId="3")
    duplicate = sqs.send_message(QueueUrl=url, MessageBody="dup", MessageGroupId="a", MessageDeduplicationId="1")
    assert duplicate["MessageId"] == first["MessageId"] and first["SequenceNumber"]
    head = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["All"])["Messages"][0]
    assert head["Body"] == "a1" and head["Attributes"]["MessageGroupId"] == "a" and head["Attributes"]["MessageDeduplicationId"] == "1"
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]] == ["b1"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=head["ReceiptHandle"])
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]] == ["a2"]


def test_sqs_with_the_aws_cli(aws):
    name = f"cli-{uuid.uuid4().hex[:10]}"
    url = aws("sqs", "create-queue", "--queue-name", name)["QueueUrl"]
    aws("sqs", "send-message", "--queue-url", url, "--message-body", "hello")
    received = aws("sqs", "receive-message", "--queue-url", url, "--wait-time-seconds", "1")
    assert received["Messages"][0]["Body"] == "hello"
    aws("sqs", "delete-message", "--queue-url", url, "--receipt-handle", received["Messages"][0]["ReceiptHandle"])
    aws("sqs", "delete-queue", "--queue-url", url)


def test_queue_depth_in_metrics_and_lambent_queues(sqs, queue, server, tmp_path):
    import subprocess
    import urllib.request

    from conftest import lambent_binary

    url = queue()
    name = url.rsplit("/", 1)[1]
    sqs.send_message(QueueUrl=url, MessageBody="one")
    sqs.send_message(QueueUrl=url, MessageBody="two", DelaySeconds=60)
    text = urllib.request.urlopen(f"{server.endpoint}/metrics", timeout=10).read().decode()
    assert f'lambent_queue_messages{{queue="{name}",state="visible"}} 1' in text
    assert f'lambent_queue_messages{{queue="{name}",state="delayed"}} 1' in text
    listing = subprocess.run([str(lambent_binary()), "queues", "--endpoint-url", server.endpoint], env=server.env(),
                             capture_output=True, text=True, timeout=60)
    assert listing.returncode == 0, listing.stderr
    row = next(line for line in listing.stdout.splitlines() if line.startswith(name))
    assert row.split()[1:4] == ["1", "0", "1"]


def test_message_move_task_redrives_a_dead_letter_queue(sqs, queue):
    dlq = queue()
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    source = queue(RedrivePolicy=f'{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":1}}', VisibilityTimeout="0")
    for n in range(3):
        sqs.send_message(QueueUrl=source, MessageBody=f"m{n}")
    while sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=10).get("Messages"):
        pass  # each message is received once, then moved on the next attempt
    assert sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"] == {
        "ApproximateNumberOfMessages": "3"}
    with pytest.raises(ClientError) as caught:
        sqs.start_message_move_task(SourceArn=sqs.get_queue_attributes(QueueUrl=source, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])
    assert caught.value.response["Error"]["Message"] == "Source queue must be configured as a Dead Letter Queue."
    sqs.set_queue_attributes(QueueUrl=source, Attributes={"RedrivePolicy": f'{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":5}}'})
    handle = sqs.start_message_move_task(SourceArn=dlq_arn, MaxNumberOfMessagesPerSecond=100)["TaskHandle"]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        task = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"][0]
        if task["Status"] == "COMPLETED":
            break
        time.sleep(0.2)
    assert task["Status"] == "COMPLETED" and task["ApproximateNumberOfMessagesMoved"] == 3 and task["ApproximateNumberOfMessagesToMove"] == 3
    bodies = sorted(m["Body"] for m in sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=10)["Messages"])
    assert bodies == ["m0", "m1", "m2"]
    with pytest.raises(ClientError) as caught:
        sqs.cancel_message_move_task(TaskHandle=handle)
    assert error(sqs.cancel_message_move_task, TaskHandle="no-such-task")["Code"] == "ResourceNotFoundException"


def test_permission_lifecycle(sqs, queue):
    """`test_sqs_permission_lifecycle`: one statement per label in the `Policy` attribute."""
    import json

    url = queue()
    name = url.rsplit("/", 1)[1]
    arn = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{name}"

    def policy():
        values = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"]).get("Attributes", {})
        return json.loads(values["Policy"]) if "Policy" in values else None

    def statement(sid, principal):
        return {"Sid": sid, "Effect": "Allow", "Principal": {"AWS": principal}, "Action": "SQS:ReceiveMessage", "Resource": arn}

    sqs.add_permission(QueueUrl=url, Label="crossaccountpermission", AWSAccountIds=["668614515564", ACCOUNT_ID],
                       Actions=["ReceiveMessage"])
    raw = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"]
    assert raw.index('"Sid"') < raw.index('"Effect"') < raw.index('"Principal"') < raw.index('"Action"') < raw.index('"Resource"')
    assert policy() == {"Version": "2008-10-17", "Id": f"{arn}/SQSDefaultPolicy", "Statement": [
        statement("crossaccountpermission", ["arn:aws:iam::668614515564:root", f"arn:aws:iam::{ACCOUNT_ID}:root"])]}
    sqs.remove_permission(QueueUrl=url, Label="crossaccountpermission")
    assert policy() is None

    sqs.add_permission(QueueUrl=url, Label="crossaccountpermission", AWSAccountIds=[ACCOUNT_ID], Actions=["ReceiveMessage"])
    assert error(sqs.add_permission, QueueUrl=url, Label="crossaccountpermission", AWSAccountIds=["668614515564"],
                 Actions=["ReceiveMessage"]) == {
        "Code": "InvalidParameterValue", "QueryErrorCode": "InvalidParameterValueException", "Type": "Sender",
        "Message": "Value crossaccountpermission for parameter Label is invalid. Reason: Already exists."}
    sqs.add_permission(QueueUrl=url, Label="crossaccountpermission2", AWSAccountIds=[ACCOUNT_ID], Actions=["ReceiveMessage"])
    own = f"arn:aws:iam::{ACCOUNT_ID}:root"
    assert policy()["Statement"] == [statement("crossaccountpermission", own), statement("crossaccountpermission2", own)]
    sqs.remove_permission(QueueUrl=url, Label="crossaccountpermission")
    assert policy()["Statement"] == [statement("crossaccountpermission2", own)]
    sqs.remove_permission(QueueUrl=url, Label="crossaccountpermission2")
    assert policy() is None
    assert error(sqs.remove_permission, QueueUrl=url, Label="crossaccountpermission2")["Message"] == (
        "Value crossaccountpermission2 for parameter Label is invalid. Reason: can't find label.")
    assert error(sqs.add_permission, QueueUrl=url, Label="x", AWSAccountIds=[ACCOUNT_ID], Actions=["Dance"])["Code"] == (
        "InvalidParameterValue")
