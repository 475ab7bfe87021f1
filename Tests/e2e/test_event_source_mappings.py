"""SQS event source mappings: pollers that feed queue messages to functions, partial batch
failures, filters, dead-letter queues, and AWS's errors (`test_lambda_integration_sqs` in
shared/reference/aws-recorded)."""

from __future__ import annotations

import json
import time
import urllib.request
import uuid

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from conftest import REGION, ROLE, RUNTIME, error_code, function_arn, make_zip

HANDLER = '''
import json
def handler(event, context):
    print("EVENT " + json.dumps(event))
    failures = [{"itemIdentifier": r["messageId"]} for r in event["Records"] if r["body"] == "fail"]
    if any(r["body"] == "crash" for r in event["Records"]):
        raise Exception("crash")
    return {"batchItemFailures": failures}
'''


@pytest.fixture(scope="module")
def sqs(server):
    return boto3.client("sqs", endpoint_url=server.endpoint, region_name=REGION, aws_access_key_id=server.access_key,
                        aws_secret_access_key=server.secret_key, config=Config(retries={"max_attempts": 0}))


def logged_events(server, name: str) -> list[dict]:
    url = f"{server.endpoint}/lambent/v1/logs/{name}"
    request = AWSRequest(method="GET", url=url)
    SigV4Auth(Credentials(server.access_key, server.secret_key), "lambda", REGION).add_auth(request)
    with urllib.request.urlopen(urllib.request.Request(url, headers=dict(request.headers)), timeout=10) as response:
        lines = [json.loads(line)["message"] for line in response.read().decode().splitlines() if line]
    return [json.loads(line.split("EVENT ", 1)[1]) for line in lines if "EVENT " in line]


def wait_for(condition, timeout: float = 30, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"{message} not met after {timeout} s")


def make_queue(sqs, suffix: str = "", **attributes) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=f"esm-{uuid.uuid4().hex[:10]}{suffix}", Attributes=attributes)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def depth(sqs, url: str) -> tuple[int, int]:
    values = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])
    return int(values["Attributes"]["ApproximateNumberOfMessages"]), int(values["Attributes"]["ApproximateNumberOfMessagesNotVisible"])


@pytest.fixture
def mapped(function, lambda_client, sqs):
    """`mapped(**mapping_params)` -> (function name, queue url, mapping); mappings deleted afterwards."""
    created = []

    def make(queue_attributes: dict | None = None, queue_suffix: str = "", **params):
        name = function(zip_bytes=make_zip({"app.py": HANDLER}))["FunctionName"]
        url, arn = make_queue(sqs, suffix=queue_suffix, **(queue_attributes or {}))
        mapping = lambda_client.create_event_source_mapping(EventSourceArn=arn, FunctionName=name, **params)
        created.append(mapping["UUID"])
        return name, url, mapping

    yield make
    for uuid_ in created:
        try:
            lambda_client.delete_event_source_mapping(UUID=uuid_)
        except ClientError:
            pass


def test_mapping_feeds_messages_to_the_function(mapped, lambda_client, sqs, server):
    name, url, mapping = mapped(BatchSize=10)
    assert mapping["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert mapping["State"] == "Creating" and mapping["StateTransitionReason"] == "USER_INITIATED"
    assert mapping["FunctionArn"] == function_arn(name) and mapping["BatchSize"] == 10 and mapping["FunctionResponseTypes"] == []
    assert mapping["EventSourceMappingArn"].endswith(f":event-source-mapping:{mapping['UUID']}")
    assert lambda_client.get_event_source_mapping(UUID=mapping["UUID"])["State"] == "Enabled"
    sqs.send_message(QueueUrl=url, MessageBody='{"foo": "bar"}', MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}})
    events = wait_for(lambda: logged_events(server, name), message="an invocation")
    record = events[0]["Records"][0]
    assert record["body"] == '{"foo": "bar"}' and record["eventSource"] == "aws:sqs" and record["awsRegion"] == REGION
    assert record["eventSourceARN"] == mapping["EventSourceArn"]
    assert set(record["attributes"]) == {"ApproximateReceiveCount", "SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp"}
    assert record["messageAttributes"] == {"k": {"stringValue": "v", "stringListValues": [], "binaryListValues": [], "dataType": "String"}}
    wait_for(lambda: depth(sqs, url) == (0, 0), message="the queue drained")
    listed = lambda_client.list_event_source_mappings(FunctionName=name)["EventSourceMappings"]
    assert [m["UUID"] for m in listed] == [mapping["UUID"]]

    disabled = lambda_client.update_event_source_mapping(UUID=mapping["UUID"], Enabled=False)
    assert disabled["State"] == "Disabling"
    assert lambda_client.get_event_source_mapping(UUID=mapping["UUID"])["State"] == "Disabled"
    sqs.send_message(QueueUrl=url, MessageBody="held")
    time.sleep(2)
    assert depth(sqs, url) == (1, 0), "a disabled mapping does not poll"
    deleted = lambda_client.delete_event_source_mapping(UUID=mapping["UUID"])
    assert deleted["State"] == "Deleting"
    with pytest.raises(ClientError) as caught:
        lambda_client.get_event_source_mapping(UUID=mapping["UUID"])
    assert error_code(caught.value) == "ResourceNotFoundException"


def test_partial_batch_failures_and_dead_letter_queue(mapped, sqs, server):
    dlq, dlq_arn = make_queue(sqs)
    name, url, _ = mapped(
        queue_attributes={"VisibilityTimeout": "3", "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})},
        BatchSize=10, FunctionResponseTypes=["ReportBatchItemFailures"])
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "ok-1"}, {"Id": "b", "MessageBody": "fail"},
                                                  {"Id": "c", "MessageBody": "ok-2"}])
    moved = wait_for(lambda: sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=1).get("Messages"), timeout=40,
                     message="the failed message in the dead-letter queue")
    assert [m["Body"] for m in moved] == ["fail"]
    wait_for(lambda: depth(sqs, url) == (0, 0), message="the queue drained")
    bodies = [r["body"] for event in logged_events(server, name) for r in event["Records"]]
    assert bodies.count("ok-1") == 1 and bodies.count("ok-2") == 1 and bodies.count("fail") == 2


def test_filters_keep_matching_messages_and_delete_the_rest(mapped, sqs, server):
    name, url, mapping = mapped(FilterCriteria={"Filters": [{"Pattern": json.dumps({"body": {"keep": [True]}})}]})
    assert json.loads(mapping["FilterCriteria"]["Filters"][0]["Pattern"]) == {"body": {"keep": [True]}}
    sqs.send_message(QueueUrl=url, MessageBody='{"keep": false, "n": 1}')
    sqs.send_message(QueueUrl=url, MessageBody='{"keep": true, "n": 2}')
    sqs.send_message(QueueUrl=url, MessageBody="not json")
    wait_for(lambda: depth(sqs, url) == (0, 0), message="the queue drained")
    bodies = [json.loads(r["body"])["n"] for event in logged_events(server, name) for r in event["Records"]]
    assert bodies == [2]


def test_fifo_queue_keeps_group_order(mapped, sqs, server):
    name, url, _ = mapped(queue_attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"}, BatchSize=10,
                          queue_suffix=".fifo")
    for start in range(0, 30, 10):
        sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "MessageBody": f"{'abc'[i % 3]}-{i}", "MessageGroupId": "abc"[i % 3]} for i in range(start, start + 10)])
    wait_for(lambda: depth(sqs, url) == (0, 0), message="the queue drained")
    records = [r for event in logged_events(server, name) for r in event["Records"]]
    assert sorted(r["body"] for r in records) == sorted(f"{'abc'[i % 3]}-{i}" for i in range(30))
    for group in "abc":
        numbers = [int(r["body"].split("-")[1]) for r in records if r["attributes"]["MessageGroupId"] == group]
        assert numbers == sorted(numbers), f"group {group} out of order: {numbers}"
    assert list(records[0]["attributes"]) == ["ApproximateReceiveCount", "SentTimestamp", "SequenceNumber", "MessageGroupId",
                                              "SenderId", "MessageDeduplicationId", "ApproximateFirstReceiveTimestamp"]


def test_mapping_outlives_its_function(mapped, lambda_client, sqs, server):
    """As on AWS, deleting a function leaves its mappings; their messages wait (unreceived)
    until a function of that name exists again."""
    name, url, mapping = mapped()
    lambda_client.delete_function(FunctionName=name)
    time.sleep(1.5)
    sqs.send_message(QueueUrl=url, MessageBody="waits")
    time.sleep(2.5)
    assert depth(sqs, url) == (1, 0), "no poller takes messages for a missing function"
    assert lambda_client.get_event_source_mapping(UUID=mapping["UUID"])["State"] == "Enabled"
    lambda_client.create_function(FunctionName=name, Runtime=RUNTIME, Role=ROLE, Handler="app.handler",
                                  Code={"ZipFile": make_zip({"app.py": HANDLER})})
    lambda_client.get_waiter("function_active_v2").wait(FunctionName=name)
    wait_for(lambda: depth(sqs, url) == (0, 0), message="the queue drained by the new function")
    records = [r for event in logged_events(server, name) for r in event["Records"]]
    assert [r["body"] for r in records] == ["waits"] and records[0]["attributes"]["ApproximateReceiveCount"] == "1"


def test_mapping_errors(function, lambda_client, sqs):
    name = function()["FunctionName"]
    _, arn = make_queue(sqs)
    mapping = lambda_client.create_event_source_mapping(EventSourceArn=arn, FunctionName=name)
    try:
        with pytest.raises(ClientError) as caught:
            lambda_client.create_event_source_mapping(EventSourceArn=arn, FunctionName=name)
        assert error_code(caught.value) == "ResourceConflictException"
        assert caught.value.response["Error"]["Message"] == (
            f'An event source mapping with SQS arn (" {arn} ") and function (" {name} ") already exists. '
            f'Please update or delete the existing mapping with UUID {mapping["UUID"]}')
        with pytest.raises(ClientError) as caught:
            lambda_client.update_event_source_mapping(UUID=mapping["UUID"], BatchSize=20)
        assert caught.value.response["Error"]["Message"] == (
            "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10")
    finally:
        lambda_client.delete_event_source_mapping(UUID=mapping["UUID"])
    missing = f"arn:aws:sqs:{REGION}:000000000000:does-not-exist"
    with pytest.raises(ClientError) as caught:
        lambda_client.create_event_source_mapping(EventSourceArn=missing, FunctionName=name)
    assert caught.value.response["Error"]["Message"] == (
        "Error occurred while ReceiveMessage. SQS Error Code: AWS.SimpleQueueService.NonExistentQueue. "
        "SQS Error Message: The specified queue does not exist.")
    with pytest.raises(ClientError) as caught:
        lambda_client.create_event_source_mapping(EventSourceArn=arn, FunctionName=name,
                                                  FilterCriteria={"Filters": [{"Pattern": "simple string"}]})
    assert caught.value.response["Error"]["Message"] == "Invalid filter pattern definition."
    with pytest.raises(ClientError) as caught:
        lambda_client.create_event_source_mapping(EventSourceArn=f"arn:aws:kinesis:{REGION}:000000000000:stream/s",
                                                  FunctionName=name, StartingPosition="LATEST")
    assert error_code(caught.value) == "InvalidParameterValueException"
    assert lambda_client.list_event_source_mappings(FunctionName=name)["EventSourceMappings"] == []


def test_mapping_errors_as_recorded(function, lambda_client, sqs):
    """`test_event_source_mapping_exceptions` in test_lambda_api: no source, a function that does
    not exist (checked before the queue), a destination (which SQS mappings cannot have, checked
    before the function); and a batching window on a FIFO queue's mapping."""
    def refused(**params) -> tuple[str, str]:
        with pytest.raises(ClientError) as caught:
            lambda_client.create_event_source_mapping(**params)
        return error_code(caught.value), caught.value.response["Error"]["Message"]

    missing_queue = f"arn:aws:sqs:{REGION}:000000000000:somequeue"
    assert refused(FunctionName="doesnotexist") == ("InvalidParameterValueException", "Unrecognized event source.")
    assert refused(FunctionName="doesnotexist", EventSourceArn=missing_queue) == (
        "InvalidParameterValueException", "Function does not exist")
    assert refused(FunctionName="doesnotexist", EventSourceArn=missing_queue, DestinationConfig={
        "OnSuccess": {"Destination": f"arn:aws:sqs:{REGION}:000000000000:someotherqueue"}}) == (
        "InvalidParameterValueException", "Unsupported DestinationConfig parameter for given event source mapping type.")
    name = function()["FunctionName"]
    _, fifo = make_queue(sqs, ".fifo", FifoQueue="true")
    assert refused(FunctionName=name, EventSourceArn=fifo, BatchSize=11, MaximumBatchingWindowInSeconds=1) == (
        "InvalidParameterValueException", "Batching window is not supported for FIFO queues")
    mapping = lambda_client.create_event_source_mapping(FunctionName=name, EventSourceArn=fifo, BatchSize=10)
    try:
        with pytest.raises(ClientError) as caught:
            lambda_client.update_event_source_mapping(UUID=mapping["UUID"], MaximumBatchingWindowInSeconds=5)
        assert caught.value.response["Error"]["Message"] == "Batching window is not supported for FIFO queues"
    finally:
        lambda_client.delete_event_source_mapping(UUID=mapping["UUID"])
    assert lambda_client.list_event_source_mappings(FunctionName=name)["EventSourceMappings"] == []


def test_mappings_take_tags(function, lambda_client, sqs):
    """Tags on event source mappings (`TestLambdaTag::test_tag_exceptions[event_source_mapping]`):
    given on create, listed, added and removed by the mapping's ARN, gone with the mapping;
    unknown mappings and capacity providers are not found, in AWS's words."""
    name = function()["FunctionName"]
    _, arn = make_queue(sqs)
    mapping = lambda_client.create_event_source_mapping(EventSourceArn=arn, FunctionName=name, Tags={"team": "a"})
    resource = mapping["EventSourceMappingArn"]
    try:
        assert "Tags" not in lambda_client.get_event_source_mapping(UUID=mapping["UUID"])
        assert lambda_client.list_tags(Resource=resource)["Tags"] == {"team": "a"}
        lambda_client.tag_resource(Resource=resource, Tags={"stage": "prod", "team": "b"})
        lambda_client.untag_resource(Resource=resource, TagKeys=["stage"])
        assert lambda_client.list_tags(Resource=resource)["Tags"] == {"team": "b"}
        with pytest.raises(ClientError) as caught:
            lambda_client.tag_resource(Resource=resource, Tags={f"k{i}": "v" for i in range(50)})
        assert caught.value.response["Error"]["Message"] == "Number of tags exceeds resource tag limit."
        with pytest.raises(ClientError) as caught:
            lambda_client.list_tags(Resource=resource + ":alias")
        assert error_code(caught.value) == "ValidationException"
    finally:
        lambda_client.delete_event_source_mapping(UUID=mapping["UUID"])
    for missing, message in ((resource, f"Event source mapping not found: {resource}"),
                             (resource.replace("event-source-mapping:" + mapping["UUID"], "capacity-provider:cp"),
                              "Capacity provider not found: " + resource.replace("event-source-mapping:" + mapping["UUID"], "capacity-provider:cp"))):
        for call in (lambda: lambda_client.list_tags(Resource=missing),
                     lambda: lambda_client.tag_resource(Resource=missing, Tags={"a": "b"}),
                     lambda: lambda_client.untag_resource(Resource=missing, TagKeys=["a"])):
            with pytest.raises(ClientError) as caught:
                call()
            assert (caught.value.response["ResponseMetadata"]["HTTPStatusCode"], error_code(caught.value),
                    caught.value.response["Error"]["Message"]) == (404, "ResourceNotFoundException", message)
