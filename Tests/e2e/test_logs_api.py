"""The CloudWatch Logs API on Lambent's endpoint (botocore `logs`, JSON 1.1, service `logs`):
groups, streams, events, filter patterns, retention and tags, with the messages AWS records
(`test_logs_*` in shared/reference/aws-recorded), through boto3 and the aws CLI; and functions'
output in `/aws/lambda/<name>`, read back through the same API."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, REGION, error_code, invoke, make_zip


@pytest.fixture(scope="module")
def logs(server):
    return server.client(service="logs")


@pytest.fixture
def group(logs):
    name = f"/e2e/{uuid.uuid4().hex[:10]}"
    logs.create_log_group(logGroupName=name)
    yield name
    try:
        logs.delete_log_group(logGroupName=name)
    except ClientError:
        pass


def now_ms() -> int:
    return int(time.time() * 1000)


def error(call, **params) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    response = caught.value.response
    return error_code(caught.value), response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_log_groups(logs):
    prefix = f"/e2e-groups/{uuid.uuid4().hex[:8]}"
    names = [f"{prefix}/a", f"{prefix}/b", f"{prefix}/c"]
    logs.create_log_group(logGroupName=names[0], tags={"env": "testing"})
    logs.create_log_group(logGroupName=names[1], kmsKeyId=f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/k1")
    logs.create_log_group(logGroupName=names[2])
    assert error(logs.create_log_group, logGroupName=names[0]) == (
        "ResourceAlreadyExistsException", "The specified log group already exists", 400)
    assert error(logs.create_log_group, logGroupName="x" * 513) == (
        "InvalidParameterException", "Invalid LogGroup or LogStream, both must have length less than or equal to 512.", 400)

    described = logs.describe_log_groups(logGroupNamePrefix=prefix)["logGroups"]
    assert [g["logGroupName"] for g in described] == names
    first = described[0]
    assert first == {
        "logGroupName": names[0], "creationTime": first["creationTime"], "metricFilterCount": 0,
        "arn": f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:{names[0]}:*",
        "logGroupArn": f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:{names[0]}",
        "logGroupClass": "STANDARD", "storedBytes": 0, "deletionProtectionEnabled": False}
    assert abs(first["creationTime"] - now_ms()) < 60_000
    assert described[1]["kmsKeyId"] == f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/k1"

    page = logs.describe_log_groups(logGroupNamePrefix=prefix, limit=2)
    assert len(page["logGroups"]) == 2 and "nextToken" in page
    rest = logs.describe_log_groups(logGroupNamePrefix=prefix, limit=2, nextToken=page["nextToken"])
    assert [g["logGroupName"] for g in rest["logGroups"]] == names[2:] and "nextToken" not in rest
    assert [g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePattern=prefix.split("/")[-1].upper())["logGroups"]] == names
    assert error(logs.describe_log_groups, logGroupNamePrefix=prefix, logGroupNamePattern="x") == (
        "InvalidParameterException", "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.", 400)
    assert error(logs.describe_log_groups, nextToken="nonsense")[1] == "The specified nextToken is invalid."

    # Tags through both APIs (test_tag_resource_api's sequence).
    arn = f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:{names[0]}"
    assert logs.list_tags_log_group(logGroupName=names[0])["tags"] == {"env": "testing"}
    logs.tag_resource(resourceArn=arn, tags={"test1": "val1", "test2": "val2"})
    logs.tag_log_group(logGroupName=names[0], tags={"test3": "val3"})
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"env": "testing", "test1": "val1", "test2": "val2", "test3": "val3"}
    logs.untag_resource(resourceArn=arn, tagKeys=["env", "test1"])
    logs.untag_log_group(logGroupName=names[0], tags=["test3"])
    assert logs.list_tags_log_group(logGroupName=names[0])["tags"] == {"test2": "val2"}

    for name in names:
        logs.delete_log_group(logGroupName=name)
    assert logs.describe_log_groups(logGroupNamePrefix=prefix)["logGroups"] == []
    assert error(logs.delete_log_group, logGroupName=names[0]) == (
        "ResourceNotFoundException", "The specified log group does not exist.", 400)


def test_log_streams(logs, group):
    for name in ("b-stream", "a-stream", "c-other"):
        logs.create_log_stream(logGroupName=group, logStreamName=name)
    assert error(logs.create_log_stream, logGroupName=group, logStreamName="a-stream") == (
        "ResourceAlreadyExistsException", "The specified log stream already exists", 400)
    assert error(logs.create_log_stream, logGroupName=group + "-missing", logStreamName="x")[0] == "ResourceNotFoundException"
    streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
    assert [s["logStreamName"] for s in streams] == ["a-stream", "b-stream", "c-other"]
    assert streams[0] == {"logStreamName": "a-stream", "creationTime": streams[0]["creationTime"], "storedBytes": 0,
                          "arn": f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:{group}:log-stream:a-stream"}
    assert [s["logStreamName"] for s in logs.describe_log_streams(logGroupName=group, logStreamNamePrefix="a-")["logStreams"]] == ["a-stream"]
    arn = f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:{group}"
    assert len(logs.describe_log_streams(logGroupIdentifier=arn)["logStreams"]) == 3
    assert error(logs.describe_log_streams, logGroupName=group, logGroupIdentifier=arn) == (
        "ValidationException", "LogGroup name and LogGroup ARN are mutually exclusive parameters.", 400)

    logs.put_log_events(logGroupName=group, logStreamName="c-other", logEvents=[{"timestamp": now_ms() - 5000, "message": "old"}])
    logs.put_log_events(logGroupName=group, logStreamName="b-stream", logEvents=[{"timestamp": now_ms(), "message": "new"}])
    by_time = logs.describe_log_streams(logGroupName=group, orderBy="LastEventTime", descending=True)["logStreams"]
    assert [s["logStreamName"] for s in by_time] == ["b-stream", "c-other", "a-stream"]
    assert {"firstEventTimestamp", "lastEventTimestamp", "lastIngestionTime", "uploadSequenceToken"} <= set(by_time[0])
    page = logs.describe_log_streams(logGroupName=group, limit=2)
    assert len(page["logStreams"]) == 2
    assert [s["logStreamName"] for s in logs.describe_log_streams(logGroupName=group, nextToken=page["nextToken"])["logStreams"]] == ["c-other"]

    logs.delete_log_stream(logGroupName=group, logStreamName="a-stream")
    assert error(logs.delete_log_stream, logGroupName=group, logStreamName="a-stream") == (
        "ResourceNotFoundException", "The specified log stream does not exist.", 400)


def test_put_and_get_log_events(logs, group):
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    assert error(logs.put_log_events, logGroupName=group, logStreamName="nope", logEvents=[{"timestamp": now_ms(), "message": "x"}]) == (
        "ResourceNotFoundException", "The specified log stream does not exist.", 400)
    start = now_ms() - 60_000
    assert error(logs.put_log_events, logGroupName=group, logStreamName="s",
                 logEvents=[{"timestamp": start + 1, "message": "b"}, {"timestamp": start, "message": "a"}]) == (
        "InvalidParameterException", "Log events in a single PutLogEvents request must be in chronological order.", 400)
    assert error(logs.put_log_events, logGroupName=group, logStreamName="s", logEvents=[
        {"timestamp": now_ms() - 15 * 86_400_000, "message": "ancient"}, {"timestamp": start, "message": "kept"}]) == (
        "InvalidParameterException", "The batch of log events in a single PutLogEvents request cannot span more than 24 hours.", 400)
    too_old = logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[
        {"timestamp": now_ms() - 15 * 86_400_000, "message": "ancient"}])
    assert too_old["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 0}
    logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[{"timestamp": start, "message": "kept"}])
    too_new = logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[
        {"timestamp": start + 1, "message": "kept too"}, {"timestamp": now_ms() + 3 * 3_600_000, "message": "future"}])
    assert too_new["rejectedLogEventsInfo"] == {"tooNewLogEventStartIndex": 1}
    logs.put_log_events(logGroupName=group, logStreamName="s",
                        logEvents=[{"timestamp": start + 10 + i, "message": f"line {i}"} for i in range(10)])

    everything = logs.get_log_events(logGroupName=group, logStreamName="s", startFromHead=True)
    assert [e["message"] for e in everything["events"]] == ["kept", "kept too"] + [f"line {i}" for i in range(10)]
    assert set(everything["events"][0]) == {"timestamp", "message", "ingestionTime"}

    # Pages of 5 from the head, following the forward token until it stops changing.
    seen, token = [], None
    while True:
        params = {"nextToken": token} if token else {"startFromHead": True}
        page = logs.get_log_events(logGroupName=group, logStreamName="s", limit=5, **params)
        seen += [e["message"] for e in page["events"]]
        if page["nextForwardToken"] == token:
            break
        token = page["nextForwardToken"]
    assert seen == [e["message"] for e in everything["events"]]

    # Without a token: the newest events; the backward token reads what came before.
    newest = logs.get_log_events(logGroupName=group, logStreamName="s", limit=3)
    assert [e["message"] for e in newest["events"]] == ["line 7", "line 8", "line 9"]
    before = logs.get_log_events(logGroupName=group, logStreamName="s", limit=3, nextToken=newest["nextBackwardToken"])
    assert [e["message"] for e in before["events"]] == ["line 4", "line 5", "line 6"]
    window = logs.get_log_events(logGroupName=group, logStreamName="s", startTime=start + 12, endTime=start + 14, startFromHead=True)
    assert [e["message"] for e in window["events"]] == ["line 2", "line 3"]

    assert error(logs.get_log_events, logGroupName=group, logStreamName="s", nextToken="f/bogus") == (
        "InvalidParameterException", "The specified nextToken is invalid.", 400)
    assert error(logs.get_log_events, logGroupName=group, logStreamName="s", limit=10001) == (
        "InvalidParameterException",
        "1 validation error detected: Value '10001' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 10000",
        400)
    assert error(logs.get_log_events, logGroupName=group + "-missing", logStreamName="s")[1] == "The specified log group does not exist."


def test_an_empty_message_is_refused(server, group):
    """`InputLogEvent.message` has a minimum length of 1 in the service model; boto3 checks it
    itself, so this client does not, and the server answers as AWS's validation does."""
    unchecked = server.client(service="logs", parameter_validation=False)
    unchecked.create_log_stream(logGroupName=group, logStreamName="s")
    assert error(unchecked.put_log_events, logGroupName=group, logStreamName="s",
                 logEvents=[{"timestamp": now_ms(), "message": "fine"}, {"timestamp": now_ms(), "message": ""}]) == (
        "InvalidParameterException",
        "1 validation error detected: Value '' at 'logEvents.2.member.message' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1", 400)
    assert unchecked.get_log_events(logGroupName=group, logStreamName="s")["events"] == []


def test_filter_log_events(logs, group):
    logs.create_log_stream(logGroupName=group, logStreamName="app-1")
    logs.create_log_stream(logGroupName=group, logStreamName="web-1")
    base = now_ms() - 10_000
    messages = ["ERROR timeout talking to db", "INFO request done", "WARN slow request", "ERROR healthcheck failed",
                json.dumps({"level": "ERROR", "latency": 250, "path": "/api"}), json.dumps({"level": "INFO", "latency": 20, "path": "/health"}),
                "request failed: bad input"]
    logs.put_log_events(logGroupName=group, logStreamName="app-1",
                        logEvents=[{"timestamp": base + i, "message": m} for i, m in enumerate(messages)])
    logs.put_log_events(logGroupName=group, logStreamName="web-1", logEvents=[{"timestamp": base + 100, "message": "ERROR on web"}])

    def matching(pattern: str, **params) -> list[str]:
        return [e["message"] for e in logs.filter_log_events(logGroupName=group, filterPattern=pattern, **params)["events"]]

    assert matching("ERROR -healthcheck") == [messages[0], messages[4], "ERROR on web"]
    assert matching("?WARN ?timeout") == [messages[0], messages[2]]
    assert matching('"request failed"') == [messages[6]]
    assert matching("ERROR", logStreamNames=["web-1"]) == ["ERROR on web"]
    assert matching("ERROR", logStreamNamePrefix="app") == [messages[0], messages[3], messages[4]]
    assert matching('{ $.level = "ERROR" }') == [messages[4]]
    assert matching('{ $.latency > 100 && $.path != "/health" }') == [messages[4]]
    assert matching('{ $.path = "/he*" || $.latency >= 250 }') == [messages[4], messages[5]]
    assert matching("", startTime=base + 1, endTime=base + 3) == messages[1:3]
    event = logs.filter_log_events(logGroupName=group, filterPattern="WARN")["events"][0]
    assert set(event) == {"logStreamName", "timestamp", "message", "ingestionTime", "eventId"}

    page = logs.filter_log_events(logGroupName=group, limit=3)
    assert len(page["events"]) == 3 and "nextToken" in page
    rest = logs.filter_log_events(logGroupName=group, nextToken=page["nextToken"])
    assert len(page["events"]) + len(rest["events"]) == 8 and "nextToken" not in rest

    assert error(logs.filter_log_events, logGroupName=group, filterPattern="{ $.level = ")[0] == "InvalidParameterException"
    assert error(logs.filter_log_events, logGroupName=group, nextToken="unknown") == (
        "InvalidParameterException", "The specified nextToken is invalid.", 400)
    assert error(logs.filter_log_events, logGroupName=group, limit=10001)[1].endswith("Member must have value less than or equal to 10000")


def test_retention_is_enforced(logs, group):
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[{"timestamp": now_ms() - 3 * 86_400_000, "message": "three days old"}])
    logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[{"timestamp": now_ms() - 1000, "message": "fresh"}])
    assert error(logs.put_retention_policy, logGroupName=group, retentionInDays=2)[0] == "InvalidParameterException"
    logs.put_retention_policy(logGroupName=group, retentionInDays=1)
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["retentionInDays"] == 1
    assert [e["message"] for e in logs.filter_log_events(logGroupName=group)["events"]] == ["fresh"]
    expired = logs.put_log_events(logGroupName=group, logStreamName="s",
                                  logEvents=[{"timestamp": now_ms() - 2 * 86_400_000, "message": "too old for the group"}])
    assert expired["rejectedLogEventsInfo"] == {"expiredLogEventEndIndex": 0}
    logs.delete_retention_policy(logGroupName=group)
    assert "retentionInDays" not in logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]


def test_function_output_is_read_through_the_logs_api(function, lambda_client, logs, aws):
    code = "def handler(event, context):\n    print('marker', event['n'])\n    return event\n"
    name = function(zip_bytes=make_zip({"app.py": code}))["FunctionName"]
    group = f"/aws/lambda/{name}"
    for n in range(3):
        assert invoke(lambda_client, name, {"n": n}).function_error is None
    deadline = time.time() + 10
    while time.time() < deadline:
        found = aws("logs", "filter-log-events", "--log-group-name", group, "--filter-pattern", "marker")
        if len(found["events"]) == 3:
            break
        time.sleep(0.3)
    assert [e["message"].strip() for e in found["events"]] == ["marker 0", "marker 1", "marker 2"]
    streams = aws("logs", "describe-log-streams", "--log-group-name", group)["logStreams"]
    assert len(streams) == 1 and "[$LATEST]" in streams[0]["logStreamName"]
    events = aws("logs", "get-log-events", "--log-group-name", group, "--log-stream-name", streams[0]["logStreamName"],
                 "--start-from-head")["events"]
    assert events[0]["message"].startswith("START RequestId: ")
    assert sum(e["message"].startswith("REPORT RequestId: ") for e in events) == 3
    assert any(g["logGroupName"] == group for g in aws("logs", "describe-log-groups", "--log-group-name-prefix", group)["logGroups"])


LOGGING = '''
import logging
logger = logging.getLogger()
def handler(event, context):
    print("printed line")
    logger.debug("debug detail")
    logger.info("info line")
    logger.error("error line")
    return {"ok": True}
'''


def test_logging_config_as_aws_records_it(function, lambda_client):
    """LoggingConfig on create and update, merged as AWS merges it (test_lambda_api's
    advanced-logging recordings): JSON brings the two levels (INFO), Text drops them."""
    name = function(zip_bytes=make_zip({"app.py": LOGGING}), LoggingConfig={"LogFormat": "JSON"})["FunctionName"]
    config = lambda_client.get_function_configuration(FunctionName=name)["LoggingConfig"]
    assert config == {"ApplicationLogLevel": "INFO", "LogFormat": "JSON", "LogGroup": f"/aws/lambda/{name}", "SystemLogLevel": "INFO"}
    updated = lambda_client.update_function_configuration(FunctionName=name, LoggingConfig={"ApplicationLogLevel": "DEBUG"})
    assert updated["LoggingConfig"] == {"ApplicationLogLevel": "DEBUG", "LogFormat": "JSON", "LogGroup": f"/aws/lambda/{name}",
                                        "SystemLogLevel": "INFO"}
    lambda_client.get_waiter("function_updated_v2").wait(FunctionName=name)
    text = lambda_client.update_function_configuration(FunctionName=name, LoggingConfig={"LogFormat": "Text"})["LoggingConfig"]
    assert text == {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{name}"}
    lambda_client.get_waiter("function_updated_v2").wait(FunctionName=name)
    grouped = lambda_client.update_function_configuration(FunctionName=name, LoggingConfig={"LogGroup": "cool_lambda"})["LoggingConfig"]
    assert grouped == {"LogFormat": "Text", "LogGroup": "cool_lambda"}
    lambda_client.get_waiter("function_updated_v2").wait(FunctionName=name)
    for bad in ({"LogFormat": "XML"}, {"ApplicationLogLevel": "LOUD"}, {"SystemLogLevel": "ERROR"}, {"LogGroup": "bad group"}):
        with pytest.raises(ClientError) as caught:
            lambda_client.update_function_configuration(FunctionName=name, LoggingConfig=bad)
        assert error_code(caught.value) == "ValidationException", bad


def wait_for_events(logs, group: str, count: int, pattern: str = "") -> list[str]:
    deadline = time.time() + 10
    messages: list[str] = []
    while time.time() < deadline:
        try:
            messages = [e["message"] for e in logs.filter_log_events(logGroupName=group, filterPattern=pattern)["events"]]
        except ClientError:
            messages = []
        if len(messages) >= count:
            break
        time.sleep(0.3)
    return messages


def test_json_log_format_platform_records_and_levels(function, lambda_client, logs):
    """JSON: Lambda's records as platform.start / platform.report, the runtime's own logging as
    JSON at the application level, a custom group; SystemLogLevel WARN leaves the platform out."""
    group = f"/custom/{uuid.uuid4().hex[:8]}"
    name = function(zip_bytes=make_zip({"app.py": LOGGING}),
                    LoggingConfig={"LogFormat": "JSON", "LogGroup": group})["FunctionName"]
    result = invoke(lambda_client, name, {}, tail=True)
    assert result.function_error is None
    messages = wait_for_events(logs, group, 5)
    records = [json.loads(m) for m in messages if m.startswith("{")]
    start = next(r for r in records if r.get("type") == "platform.start")
    assert start["record"] == {"requestId": result.headers["x-amzn-requestid"], "version": "$LATEST"}
    assert start["time"].endswith("Z")
    report = next(r for r in records if r.get("type") == "platform.report")
    assert report["record"]["status"] == "success"
    assert set(report["record"]["metrics"]) == {"durationMs", "billedDurationMs", "memorySizeMB", "maxMemoryUsedMB", "initDurationMs"}
    application = [r for r in records if "level" in r]
    assert [r["level"] for r in application] == ["INFO", "ERROR"], "INFO level: the debug line is left out"
    assert application[0]["message"] == "info line" and application[0]["requestId"] == result.headers["x-amzn-requestid"]
    assert "printed line" in messages, "print() output is kept as it is"
    assert not any(m.startswith(("START RequestId", "END RequestId", "REPORT RequestId")) for m in messages)
    assert '"type":"platform.report"' in result.log, "the tail has the same records"

    lambda_client.update_function_configuration(FunctionName=name, LoggingConfig={"SystemLogLevel": "WARN", "ApplicationLogLevel": "ERROR"})
    lambda_client.get_waiter("function_updated_v2").wait(FunctionName=name)
    second = invoke(lambda_client, name, {}, tail=True)
    assert second.function_error is None
    assert "platform." not in second.log
    lines = [json.loads(line) for line in second.log.splitlines() if line.startswith("{")]
    assert [r["level"] for r in lines] == ["ERROR"]
