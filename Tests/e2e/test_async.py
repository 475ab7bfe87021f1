"""Asynchronous invocation: 202 once queued, retries with AWS's delays (shortened here with
`--async-retry-base 1s`), maximum event age, destinations (SQS and Lambda), event invoke
configs (`test_lambda_destinations` in shared/reference/aws-recorded)."""

from __future__ import annotations

import json
import time
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import REGION, ROLE, RUNTIME, error_code, function_arn, make_zip

HANDLER = '''
import json, os, time
def handler(event, context):
    if event.get("fail"):
        raise Exception("intentional failure")
    if event.get("sleep"):
        time.sleep(event["sleep"])
    return {"event": event, "request_id": context.aws_request_id, "arn": context.invoked_function_arn}
'''


@pytest.fixture(scope="module")
def fast_server(start_server):
    """A server whose failed events are retried after 1 s and 2 s instead of 1 and 2 minutes."""
    server = start_server(extra_args=["--async-retry-base", "1s"])
    yield server
    server.terminate()


@pytest.fixture(scope="module")
def clients(fast_server):
    options = dict(endpoint_url=fast_server.endpoint, region_name=REGION, aws_access_key_id=fast_server.access_key,
                   aws_secret_access_key=fast_server.secret_key, config=Config(retries={"max_attempts": 0}))
    return boto3.client("lambda", **options), boto3.client("sqs", **options)


def make_function(lambda_client, source: str = HANDLER) -> str:
    name = f"async-{uuid.uuid4().hex[:10]}"
    lambda_client.create_function(FunctionName=name, Runtime=RUNTIME, Role=ROLE, Handler="app.handler",
                                  Code={"ZipFile": make_zip({"app.py": source})}, Timeout=30)
    lambda_client.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    return name


def make_queue(sqs) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=f"dest-{uuid.uuid4().hex[:10]}")["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def next_record(sqs, url: str, timeout: float = 20) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=2).get("Messages", [])
        if messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=messages[0]["ReceiptHandle"])
            return json.loads(messages[0]["Body"])
    raise AssertionError(f"no record in {url} after {timeout} s")


def test_event_invoke_runs_and_reports_success(clients):
    lam, sqs = clients
    name = make_function(lam)
    url, arn = make_queue(sqs)
    config = lam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=0,
                                                  DestinationConfig={"OnSuccess": {"Destination": arn}})
    assert config["FunctionArn"] == function_arn(name) + ":$LATEST" and config["MaximumRetryAttempts"] == 0
    answer = lam.invoke(FunctionName=name, InvocationType="Event", Payload=b'{"n": 1}')
    assert answer["StatusCode"] == 202 and answer["Payload"].read() == b""
    request_id = answer["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    record = next_record(sqs, url)
    assert record["version"] == "1.0" and record["timestamp"].endswith("Z")
    assert record["requestContext"] == {"requestId": request_id, "functionArn": function_arn(name) + ":$LATEST",
                                        "condition": "Success", "approximateInvokeCount": 1}
    assert record["requestPayload"] == {"n": 1}
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    assert record["responsePayload"]["request_id"] == request_id and record["responsePayload"]["arn"] == function_arn(name)


def test_failed_event_is_retried_then_reported(clients):
    lam, sqs = clients
    name = make_function(lam)
    url, arn = make_queue(sqs)
    lam.put_function_event_invoke_config(FunctionName=name, DestinationConfig={"OnFailure": {"Destination": arn}})
    started = time.monotonic()
    lam.invoke(FunctionName=name, InvocationType="Event", Payload=b'{"fail": true}')
    record = next_record(sqs, url, timeout=30)
    elapsed = time.monotonic() - started
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
    assert record["responsePayload"]["errorMessage"] == "intentional failure"
    assert elapsed >= 2.5, "the retries waited 1 s and then 2 s"


def test_lambda_destination_and_qualified_invoke(clients):
    """OnSuccess to another function: it receives the record as its event (asynchronously)."""
    lam, sqs = clients
    url, arn = make_queue(sqs)
    relay = make_function(lam)
    lam.put_function_event_invoke_config(FunctionName=relay, DestinationConfig={"OnSuccess": {"Destination": arn}})
    source = make_function(lam)
    lam.publish_version(FunctionName=source)
    lam.put_function_event_invoke_config(FunctionName=source, Qualifier="1",
                                         DestinationConfig={"OnSuccess": {"Destination": function_arn(relay)}})
    lam.invoke(FunctionName=source, Qualifier="1", InvocationType="Event", Payload=b'{"hop": 1}')
    record = next_record(sqs, url)
    inner = record["requestPayload"]
    assert inner["requestContext"]["functionArn"] == function_arn(source) + ":1"
    assert inner["responseContext"]["executedVersion"] == "1" and inner["requestPayload"] == {"hop": 1}


def test_event_invoke_config_api(clients):
    lam, _ = clients
    name = make_function(lam)
    with pytest.raises(ClientError) as caught:
        lam.get_function_event_invoke_config(FunctionName=name)
    assert caught.value.response["Error"]["Message"] == f"The function {function_arn(name)}:$LATEST doesn't have an EventInvokeConfig"
    lam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=1, MaximumEventAgeInSeconds=120)
    updated = lam.update_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=2)
    assert updated["MaximumRetryAttempts"] == 2 and updated["MaximumEventAgeInSeconds"] == 120
    assert [c["FunctionArn"] for c in lam.list_function_event_invoke_configs(FunctionName=name)["FunctionEventInvokeConfigs"]] == [
        function_arn(name) + ":$LATEST"]
    with pytest.raises(ClientError) as caught:
        lam.put_function_event_invoke_config(FunctionName=name, DestinationConfig={
            "OnFailure": {"Destination": f"arn:aws:sns:{REGION}:000000000000:topic"}})
    assert error_code(caught.value) == "InvalidParameterValueException"
    lam.delete_function_event_invoke_config(FunctionName=name)
    with pytest.raises(ClientError):
        lam.get_function_event_invoke_config(FunctionName=name)


def test_event_invoke_config_errors_as_recorded(clients):
    """`test_lambda_eventinvokeconfig_exceptions` in test_lambda_api: the order of the checks and
    AWS's words for functions, qualifiers and destinations that are not there or not allowed."""
    lam, _ = clients
    name = make_function(lam)
    other = make_function(lam)

    def refused(call, **params) -> tuple[int, str, str]:
        with pytest.raises(ClientError) as caught:
            call(**params)
        return (caught.value.response["ResponseMetadata"]["HTTPStatusCode"], error_code(caught.value),
                caught.value.response["Error"]["Message"])

    gone = (404, "ResourceNotFoundException", "The function doesn't exist.")
    put = lam.put_function_event_invoke_config
    assert refused(put, FunctionName="doesnotexist", MaximumRetryAttempts=1) == gone
    assert refused(put, FunctionName=function_arn("doesnotexist"), MaximumRetryAttempts=1) == gone
    assert refused(put, FunctionName=name, Qualifier="eventinvokealiasdoesnotexist", MaximumRetryAttempts=1) == gone
    assert refused(put, FunctionName="doesnotexist") == (
        400, "InvalidParameterValueException", "You must specify at least one of error handling or destination setting.")
    assert refused(lam.update_function_event_invoke_config, FunctionName="doesnotexist", MaximumRetryAttempts=1) == gone
    assert refused(lam.list_function_event_invoke_configs, FunctionName="doesnotexist") == gone
    for call in (lam.get_function_event_invoke_config, lam.delete_function_event_invoke_config):
        assert refused(call, FunctionName="doesnotexist") == (
            404, "ResourceNotFoundException", f"The function {function_arn('doesnotexist')}:$LATEST doesn't have an EventInvokeConfig")
    assert refused(lam.get_function_event_invoke_config, FunctionName=name, Qualifier="doesnotexist")[2] == (
        f"The function {function_arn(name)}:doesnotexist doesn't have an EventInvokeConfig")
    assert refused(lam.get_function_event_invoke_config, FunctionName=name, Qualifier="1221")[2] == (
        f"The function {function_arn(name)}:1221 doesn't have an EventInvokeConfig")

    missing = function_arn("doesnotexist")
    assert refused(put, FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": missing}}) == (
        400, "InvalidParameterValueException", f"The destination ARN {missing} is invalid.")
    for side in ("OnSuccess", "OnFailure"):
        for target in (function_arn(name), function_arn(name) + ":$LATEST"):
            assert refused(put, FunctionName=name, DestinationConfig={side: {"Destination": target}}) == (
                400, "InvalidParameterValueException", "You can't specify the function as a destination for itself.")
    iam = function_arn(name).replace(":lambda:", ":iam:")
    assert refused(put, FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": iam}}) == (
        400, "InvalidParameterValueException",
        f"The provided destination config DestinationConfig(onSuccess=OnSuccess(destination={iam}), onFailure=null) is invalid.")
    malformed = function_arn(name).replace(":lambda:", ":_-/!lambda:")
    status, code, message = refused(put, FunctionName=name, DestinationConfig={"OnFailure": {"Destination": malformed}})
    assert (status, code) == (400, "ValidationException")
    assert message.startswith(f"1 validation error detected: Value '{malformed}' at 'destinationConfig.onFailure.destination' "
                              "failed to satisfy constraint: Member must satisfy regular expression pattern: $|kafka://")
    # Nothing was kept by the refused calls; another function of this account is a fine destination.
    assert lam.list_function_event_invoke_configs(FunctionName=name)["FunctionEventInvokeConfigs"] == []
    put(FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": function_arn(other)}})
    assert lam.get_function_event_invoke_config(FunctionName=name)["DestinationConfig"]["OnSuccess"] == {
        "Destination": function_arn(other)}


def test_event_payload_limit_and_unknown_function(clients):
    lam, _ = clients
    name = make_function(lam)
    with pytest.raises(ClientError) as caught:
        lam.invoke(FunctionName=name, InvocationType="Event", Payload=b'"' + b"x" * 1_048_576 + b'"')
    assert error_code(caught.value) == "RequestEntityTooLargeException"
    with pytest.raises(ClientError) as caught:
        lam.invoke(FunctionName="does-not-exist", InvocationType="Event", Payload=b"{}")
    assert error_code(caught.value) == "ResourceNotFoundException"


def test_events_wait_for_concurrency(clients):
    """A function at reserved concurrency 0 keeps its events queued; they run once it may run."""
    lam, sqs = clients
    name = make_function(lam)
    url, arn = make_queue(sqs)
    lam.put_function_event_invoke_config(FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": arn}})
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    lam.invoke(FunctionName=name, InvocationType="Event", Payload=b'{"held": true}')
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=2)
    lam.delete_function_concurrency(FunctionName=name)
    assert next_record(sqs, url, timeout=30)["requestPayload"] == {"held": True}


def test_function_dead_letter_queue_gets_the_failed_event(clients):
    lam, sqs = clients
    url, arn = make_queue(sqs)
    name = f"async-{uuid.uuid4().hex[:10]}"
    created = lam.create_function(FunctionName=name, Runtime=RUNTIME, Role=ROLE, Handler="app.handler",
                                  Code={"ZipFile": make_zip({"app.py": HANDLER})}, DeadLetterConfig={"TargetArn": arn})
    assert created["DeadLetterConfig"] == {"TargetArn": arn}
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    lam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=0)
    request_id = lam.invoke(FunctionName=name, InvocationType="Event", Payload=b'{"fail": 1}')["ResponseMetadata"]["HTTPHeaders"][
        "x-amzn-requestid"]
    deadline = time.monotonic() + 20
    messages = []
    while not messages and time.monotonic() < deadline:
        messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=2, MessageAttributeNames=["All"]).get("Messages", [])
    assert json.loads(messages[0]["Body"]) == {"fail": 1}
    assert messages[0]["MessageAttributes"] == {
        "ErrorCode": {"DataType": "Number", "StringValue": "200"},
        "ErrorMessage": {"DataType": "String", "StringValue": "intentional failure"},
        "RequestID": {"DataType": "String", "StringValue": request_id}}
    with pytest.raises(ClientError) as caught:
        lam.update_function_configuration(FunctionName=name, DeadLetterConfig={"TargetArn": f"arn:aws:sns:{REGION}:000000000000:t"})
    assert error_code(caught.value) == "InvalidParameterValueException"
    lam.get_waiter("function_updated_v2").wait(FunctionName=name)
    lam.update_function_configuration(FunctionName=name, DeadLetterConfig={"TargetArn": ""})
    lam.get_waiter("function_updated_v2").wait(FunctionName=name)
    assert "DeadLetterConfig" not in lam.get_function_configuration(FunctionName=name)


def test_invoke_async_and_async_metrics(clients, fast_server):
    import urllib.request

    lam, sqs = clients
    name = make_function(lam)
    url, arn = make_queue(sqs)
    lam.put_function_event_invoke_config(FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": arn}})
    answer = lam.invoke_async(FunctionName=name, InvokeArgs=b'{"legacy": true}')
    assert answer["Status"] == 202
    assert next_record(sqs, url)["requestPayload"] == {"legacy": True}
    text = urllib.request.urlopen(f"{fast_server.endpoint}/metrics", timeout=10).read().decode()
    assert f'lambent_async_events_total{{function="{name}",outcome="queued"}} 1' in text
    assert f'lambent_async_events_total{{function="{name}",outcome="succeeded"}} 1' in text
    assert f'lambent_async_event_age_seconds_count{{function="{name}"}} 1' in text


def test_lambent_top_shows_async_events_and_queues(clients, fast_server):
    import subprocess

    from conftest import lambent_binary

    lam, sqs = clients
    name = make_function(lam)
    url, arn = make_queue(sqs)
    lam.put_function_event_invoke_config(FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": arn}})
    lam.invoke(FunctionName=name, InvocationType="Event", Payload=b'{"n": 1}')
    next_record(sqs, url)
    sqs.send_message(QueueUrl=url, MessageBody="waiting")
    top = subprocess.run([str(lambent_binary()), "top", "--once", "--endpoint-url", fast_server.endpoint], env=fast_server.env(),
                         capture_output=True, text=True, timeout=60)
    assert top.returncode == 0, top.stderr
    header = top.stdout.splitlines()[0].split()
    row = next(line.split() for line in top.stdout.splitlines() if line.startswith(name))
    assert row[header.index("ASYNC")] == "1" and row[header.index("DROPPED")] == "0"
    queue_row = next(line.split() for line in top.stdout.splitlines() if line.startswith(url.rsplit("/", 1)[1]))
    assert queue_row[1:4] == ["1", "0", "0"]
