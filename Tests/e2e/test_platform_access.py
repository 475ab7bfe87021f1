"""Functions that call the platform: every environment gets `AWS_ENDPOINT_URL` (Lambent, as
reachable from its sandbox, through the agent in every network mode) and short-lived
credentials of its own, so unmodified boto3 in a function reaches SQS, Lambda and CloudWatch
Logs here — the data plane only."""

from __future__ import annotations

import json
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, REGION, ROLE, error_code, invoke, make_zip

CALLER = '''
import json, os, time
import boto3
from botocore.exceptions import ClientError

def handler(event, context):
    answer = {"endpoint": os.environ.get("AWS_ENDPOINT_URL"),
              "credentials": {name: os.environ.get(name) for name in
                              ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")}}
    if "queue" in event:
        sqs = boto3.client("sqs")
        answer["sent"] = sqs.send_message(QueueUrl=event["queue"], MessageBody=json.dumps({"from": context.function_name}))["MessageId"]
    if "invoke" in event:
        reply = boto3.client("lambda").invoke(FunctionName=event["invoke"], Payload=json.dumps({"ping": 1}))
        answer["invoked"] = json.load(reply["Payload"])
    if "log" in event:
        logs = boto3.client("logs")
        logs.create_log_stream(logGroupName=event["log"], logStreamName="from-function")
        logs.put_log_events(logGroupName=event["log"], logStreamName="from-function",
                            logEvents=[{"timestamp": int(time.time() * 1000), "message": "written by a function"}])
        answer["logged"] = True
    if event.get("forbidden"):
        denied = {}
        for label, call in (("create_queue", lambda: boto3.client("sqs").create_queue(QueueName="not-allowed")),
                            ("list_functions", lambda: boto3.client("lambda").list_functions()),
                            ("delete_function", lambda: boto3.client("lambda").delete_function(FunctionName=context.function_name))):
            try:
                call()
                denied[label] = None
            except ClientError as error:
                denied[label] = [error.response["Error"]["Code"], error.response["Error"]["Message"]]
        answer["denied"] = denied
    return answer
'''

ECHO = "def handler(event, context):\n    return {'pong': event}\n"


def caller(function) -> str:
    return function(zip_bytes=make_zip({"app.py": CALLER}), Timeout=60)["FunctionName"]


def test_a_function_calls_sqs_lambda_and_logs_with_its_own_credentials(function, lambda_client, server):
    sqs, logs = server.client(service="sqs"), server.client(service="logs")
    queue = sqs.create_queue(QueueName=f"from-fn-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    group = f"/custom/{uuid.uuid4().hex[:8]}"
    logs.create_log_group(logGroupName=group)
    target = function(zip_bytes=make_zip({"app.py": ECHO}))["FunctionName"]
    name = caller(function)
    result = invoke(lambda_client, name, {"queue": queue, "invoke": target, "log": group})
    assert result.function_error is None, result.payload
    answer = result.payload
    assert answer["endpoint"] == "http://127.0.0.1:9002"
    assert answer["credentials"]["AWS_ACCESS_KEY_ID"].startswith("ASIA")
    assert answer["credentials"]["AWS_SESSION_TOKEN"]
    assert answer["invoked"] == {"pong": {"ping": 1}}
    received = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=2)["Messages"]
    assert json.loads(received[0]["Body"]) == {"from": name}
    events = logs.get_log_events(logGroupName=group, logStreamName="from-function")["events"]
    assert [event["message"] for event in events] == ["written by a function"]
    sqs.delete_queue(QueueUrl=queue)


def test_function_credentials_reach_the_data_plane_only(function, lambda_client, server):
    name = caller(function)
    answer = invoke(lambda_client, name, {"forbidden": True}).payload
    for label, denied in answer["denied"].items():
        assert denied is not None, f"{label} was allowed"
        assert denied[0] in ("AccessDeniedException", "AccessDenied"), denied
        assert f"assumed-role/lambent-e2e/{name} is not authorized to perform" in denied[1], denied
    # The same credentials from outside the sandbox: the data plane works, the control plane does not.
    creds = answer["credentials"]
    session = boto3.session.Session(aws_access_key_id=creds["AWS_ACCESS_KEY_ID"], aws_secret_access_key=creds["AWS_SECRET_ACCESS_KEY"],
                                    aws_session_token=creds["AWS_SESSION_TOKEN"], region_name=REGION)
    config = Config(retries={"max_attempts": 0})
    stolen_lambda = session.client("lambda", endpoint_url=server.endpoint, config=config)
    with pytest.raises(ClientError) as raised:
        stolen_lambda.get_function(FunctionName=name)
    assert error_code(raised.value) == "AccessDeniedException"
    assert json.load(stolen_lambda.invoke(FunctionName=name, Payload=b"{}")["Payload"])["endpoint"]
    # Without the session token, or with another one, the key is worth nothing.
    forged = boto3.session.Session(aws_access_key_id=creds["AWS_ACCESS_KEY_ID"], aws_secret_access_key=creds["AWS_SECRET_ACCESS_KEY"],
                                   aws_session_token="forged", region_name=REGION).client("lambda", endpoint_url=server.endpoint, config=config)
    with pytest.raises(ClientError) as raised:
        forged.invoke(FunctionName=name, Payload=b"{}")
    assert error_code(raised.value) == "UnrecognizedClientException"


def test_functions_reach_the_platform_in_network_mode_none(start_server, tmp_path):
    isolated = start_server(tmp_path, extra_args=["--network", "none"])
    client = isolated.client()
    sqs = isolated.client(service="sqs")
    queue = sqs.create_queue(QueueName="isolated")["QueueUrl"]
    client.create_function(FunctionName="caller", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                           Code={"ZipFile": make_zip({"app.py": CALLER})}, Timeout=60)
    client.get_waiter("function_active_v2").wait(FunctionName="caller", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    result = invoke(client, "caller", {"queue": queue})
    assert result.function_error is None, result.payload
    assert sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=2)["Messages"]
    isolated.terminate()


def test_expired_function_credentials_are_refused_everywhere(start_server, tmp_path):
    """AWS refuses a session's key once its session expires: `ExpiredTokenException` from
    Lambda and SQS (SQS's JSON protocol names it `ExpiredToken`), S3's 400 `ExpiredToken`.
    A server whose functions' credentials last 3 s shows it without waiting for hours."""
    short = start_server(tmp_path, extra_args=["--credentials-lifetime", "3s"])
    client, sqs = short.client(), short.client(service="sqs")
    queue = sqs.create_queue(QueueName="expiry")["QueueUrl"]
    client.create_function(FunctionName="caller", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                           Code={"ZipFile": make_zip({"app.py": CALLER})}, Timeout=60)
    client.get_waiter("function_active_v2").wait(FunctionName="caller", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    creds = invoke(client, "caller", {}).payload["credentials"]
    session = boto3.session.Session(aws_access_key_id=creds["AWS_ACCESS_KEY_ID"], aws_secret_access_key=creds["AWS_SECRET_ACCESS_KEY"],
                                    aws_session_token=creds["AWS_SESSION_TOKEN"], region_name=REGION)
    config = Config(retries={"max_attempts": 0})
    import time
    time.sleep(4)
    with pytest.raises(ClientError) as raised:
        session.client("lambda", endpoint_url=short.endpoint, config=config).invoke(FunctionName="caller", Payload=b"{}")
    assert error_code(raised.value) == "ExpiredTokenException"
    with pytest.raises(ClientError) as raised:
        session.client("sqs", endpoint_url=short.endpoint, config=config).send_message(QueueUrl=queue, MessageBody="late")
    assert error_code(raised.value) in ("ExpiredTokenException", "ExpiredToken")
    with pytest.raises(ClientError) as raised:
        session.client("s3", endpoint_url=short.endpoint, config=config).list_objects_v2(Bucket="anything")
    assert error_code(raised.value) == "ExpiredToken"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=0).get("Messages") is None
    short.terminate()
