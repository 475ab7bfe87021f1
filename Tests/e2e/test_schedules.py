"""Schedules: EventBridge Scheduler (`aws scheduler`, boto3 `scheduler`) and scheduled
EventBridge rules (`events`), firing into Lambda functions (asynchronous invocations) and SQS
queues, with AWS's recorded answers for bad expressions (`test_scheduler`,
`test_events_schedule`)."""

from __future__ import annotations

import datetime
import json
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, REGION, ROLE, error_code, make_zip

PRINTER = "import json\n\ndef handler(event, context):\n    print('EVENT ' + json.dumps(event))\n    return event\n"


@pytest.fixture(scope="module")
def scheduler(server):
    return server.client(service="scheduler")


@pytest.fixture(scope="module")
def events(server):
    return server.client(service="events")


@pytest.fixture(scope="module")
def sqs(server):
    return server.client(service="sqs")


@pytest.fixture
def queue(sqs):
    name = f"sched-{uuid.uuid4().hex[:10]}"
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    yield url, f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{name}"
    sqs.delete_queue(QueueUrl=url)


def receive(sqs, url: str, count: int = 1, timeout: float = 75) -> list[dict]:
    messages, deadline = [], time.monotonic() + timeout
    while len(messages) < count and time.monotonic() < deadline:
        answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=5)
        for message in answer.get("Messages", []):
            messages.append(message)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return messages


def soon(seconds: int) -> str:
    """`at()`'s wall-clock form, `seconds` from now in UTC."""
    moment = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def window() -> dict:
    return {"Mode": "OFF"}


def test_one_time_schedule_invokes_a_function_with_the_placeholders_filled_in(scheduler, function, lambda_client, server):
    name = function(zip_bytes=make_zip({"app.py": PRINTER}))["FunctionName"]
    arn = lambda_client.get_function_configuration(FunctionName=name)["FunctionArn"]
    schedule = f"once-{uuid.uuid4().hex[:8]}"
    created = scheduler.create_schedule(
        Name=schedule, ScheduleExpression=f"at({soon(3)})", FlexibleTimeWindow=window(), ActionAfterCompletion="DELETE",
        Target={"Arn": arn, "RoleArn": ROLE,
                "Input": json.dumps({"arn": "<aws.scheduler.schedule-arn>", "time": "<aws.scheduler.scheduled-time>",
                                     "attempt": "<aws.scheduler.attempt-number>"})})
    assert created["ScheduleArn"] == f"arn:aws:scheduler:{REGION}:{ACCOUNT_ID}:schedule/default/{schedule}"
    logs = server.client(service="logs")
    deadline, found = time.monotonic() + 40, []
    while not found and time.monotonic() < deadline:
        time.sleep(1)
        try:
            found = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}", filterPattern="EVENT")["events"]
        except ClientError:
            pass
    assert found, "the schedule did not invoke the function"
    event = json.loads(found[0]["message"].split("EVENT ", 1)[1])
    assert event["arn"] == created["ScheduleArn"] and event["attempt"] == "1"
    assert event["time"].endswith("Z")
    # ActionAfterCompletion DELETE: the one-time schedule is gone once it fired.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            scheduler.get_schedule(Name=schedule)
        except ClientError as error:
            assert error_code(error) == "ResourceNotFoundException"
            break
        time.sleep(0.5)
    else:
        pytest.fail("the completed schedule was not deleted")


def test_rate_and_cron_schedules_fire_into_a_queue(scheduler, sqs, queue):
    url, arn = queue
    rate = f"rate-{uuid.uuid4().hex[:8]}"
    scheduler.create_schedule(Name=rate, ScheduleExpression="rate(1 minute)", FlexibleTimeWindow=window(),
                              Target={"Arn": arn, "RoleArn": ROLE, "Input": '{"from":"rate"}'})
    cron = f"cron-{uuid.uuid4().hex[:8]}"
    scheduler.create_schedule(Name=cron, ScheduleExpression="cron(* * * * ? *)", FlexibleTimeWindow=window(),
                              ScheduleExpressionTimezone="America/New_York",
                              Target={"Arn": arn, "RoleArn": ROLE, "Input": '{"from":"cron"}'})
    got = receive(sqs, url, count=2, timeout=75)
    bodies = sorted(json.loads(message["Body"])["from"] for message in got)
    assert bodies[:2] == ["cron", "rate"], bodies
    described = scheduler.get_schedule(Name=cron)
    assert described["ScheduleExpressionTimezone"] == "America/New_York"
    assert described["State"] == "ENABLED" and described["Target"]["Arn"] == arn
    assert described["Target"]["RetryPolicy"] == {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 185}
    # Disabled, it stops.
    scheduler.update_schedule(Name=rate, ScheduleExpression="rate(1 minute)", FlexibleTimeWindow=window(), State="DISABLED",
                              Target={"Arn": arn, "RoleArn": ROLE})
    scheduler.delete_schedule(Name=cron)
    assert scheduler.get_schedule(Name=rate)["State"] == "DISABLED"
    names = [entry["Name"] for entry in scheduler.list_schedules(NamePrefix="rate-")["Schedules"]]
    assert rate in names
    scheduler.delete_schedule(Name=rate)


@pytest.mark.parametrize("expression", [
    "cron(0 1 * * * *)", "cron(7 20 * * NOT *)", "cron(INVALID)", "cron(0 dummy ? * MON-FRI *)", "cron(71 8 1 * ? *)", "cron()",
    "rate(10 seconds)", "rate(10 years)", "rate()", "rate(10)", "rate(10 minutess)", "rate(foo minutes)", "rate(-10 minutes)",
    "rate( 10 minutes )", " rate(10 minutes)", "at(2021-12-31T23:59:59Z)", "at(2021-12-31)",
])
def test_invalid_schedule_expressions_get_aws_answer(scheduler, expression):
    with pytest.raises(ClientError) as raised:
        scheduler.create_schedule(Name=f"bad-{uuid.uuid4().hex[:8]}", ScheduleExpression=expression, FlexibleTimeWindow=window(),
                                  Target={"Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:q", "RoleArn": ROLE})
    assert error_code(raised.value) == "ValidationException"
    assert raised.value.response["Error"]["Message"] == f"Invalid Schedule Expression {expression}."


def test_scheduler_errors_groups_and_tags(scheduler):
    target = {"Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:q", "RoleArn": ROLE}
    with pytest.raises(ClientError) as raised:
        scheduler.get_schedule(Name="nope")
    assert error_code(raised.value) == "ResourceNotFoundException"
    assert raised.value.response["Error"]["Message"] == "Schedule nope does not exist."
    name = f"dup-{uuid.uuid4().hex[:8]}"
    scheduler.create_schedule(Name=name, ScheduleExpression="rate(1 hour)", FlexibleTimeWindow=window(), Target=target)
    with pytest.raises(ClientError) as raised:
        scheduler.create_schedule(Name=name, ScheduleExpression="rate(1 hour)", FlexibleTimeWindow=window(), Target=target)
    assert error_code(raised.value) == "ConflictException"
    with pytest.raises(ClientError) as raised:
        scheduler.create_schedule(Name=f"tz-{uuid.uuid4().hex[:8]}", ScheduleExpression="cron(0 1 * * ? *)",
                                  ScheduleExpressionTimezone="Mars/Olympus", FlexibleTimeWindow=window(), Target=target)
    assert error_code(raised.value) == "ValidationException"
    scheduler.delete_schedule(Name=name)

    group = f"group-{uuid.uuid4().hex[:8]}"
    group_arn = scheduler.create_schedule_group(Name=group, Tags=[{"Key": "team", "Value": "a"}])["ScheduleGroupArn"]
    assert scheduler.get_schedule_group(Name=group)["State"] == "ACTIVE"
    scheduler.create_schedule(Name="in-group", GroupName=group, ScheduleExpression="rate(5 minutes)",
                              FlexibleTimeWindow=window(), Target=target)
    assert scheduler.get_schedule(Name="in-group", GroupName=group)["GroupName"] == group
    scheduler.tag_resource(ResourceArn=group_arn, Tags=[{"Key": "TagKey", "Value": "TagValue"}])
    assert {"Key": "TagKey", "Value": "TagValue"} in scheduler.list_tags_for_resource(ResourceArn=group_arn)["Tags"]
    scheduler.untag_resource(ResourceArn=group_arn, TagKeys=["TagKey", "team"])
    assert scheduler.list_tags_for_resource(ResourceArn=group_arn)["Tags"] == []
    assert group in [entry["Name"] for entry in scheduler.list_schedule_groups()["ScheduleGroups"]]
    scheduler.delete_schedule_group(Name=group)
    with pytest.raises(ClientError):
        scheduler.get_schedule(Name="in-group", GroupName=group)


def test_scheduled_rules_deliver_the_scheduled_event_or_the_input(events, sqs, queue):
    url, arn = queue
    plain, custom = f"rule-{uuid.uuid4().hex[:8]}", f"rule-{uuid.uuid4().hex[:8]}"
    rule_arn = events.put_rule(Name=plain, ScheduleExpression="rate(1 minute)")["RuleArn"]
    assert rule_arn == f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/{plain}"
    listed = events.list_rules(NamePrefix=plain)["Rules"]
    assert listed == [{"Arn": rule_arn, "EventBusName": "default", "Name": plain, "ScheduleExpression": "rate(1 minute)",
                       "State": "ENABLED"}]
    assert events.put_targets(Rule=plain, Targets=[{"Id": "q", "Arn": arn}])["FailedEntryCount"] == 0
    events.put_rule(Name=custom, ScheduleExpression="cron(* * * * ? *)")
    events.put_targets(Rule=custom, Targets=[{"Id": "q", "Arn": arn, "Input": '{"custom-value": "somecustominput"}'}])
    assert events.list_targets_by_rule(Rule=custom)["Targets"] == [
        {"Id": "q", "Arn": arn, "Input": '{"custom-value": "somecustominput"}'}]
    got = [json.loads(message["Body"]) for message in receive(sqs, url, count=2, timeout=75)]
    scheduled = next(body for body in got if body.get("detail-type") == "Scheduled Event")
    assert scheduled["source"] == "aws.events" and scheduled["account"] == ACCOUNT_ID and scheduled["region"] == REGION
    assert scheduled["resources"] == [rule_arn] and scheduled["detail"] == {} and scheduled["version"] == "0"
    assert {"custom-value": "somecustominput"} in got
    events.disable_rule(Name=plain)
    assert events.describe_rule(Name=plain)["State"] == "DISABLED"
    with pytest.raises(ClientError) as raised:
        events.delete_rule(Name=plain)
    assert error_code(raised.value) == "ValidationException"
    events.remove_targets(Rule=plain, Ids=["q"])
    events.delete_rule(Name=plain)
    events.remove_targets(Rule=custom, Ids=["q"])
    events.delete_rule(Name=custom)
    with pytest.raises(ClientError) as raised:
        events.describe_rule(Name=plain)
    assert raised.value.response["Error"]["Message"] == f"Rule {plain} does not exist on EventBus default."


@pytest.mark.parametrize("expression", ["cron(INVALID)", "cron(0 dummy ? * MON-FRI *)", "cron(7 20 * * NOT *)",
                                        "cron(71 8 1 * ? *)", "cron(0 1 * * * *)"])
def test_invalid_rule_expressions_get_aws_answer(events, expression):
    with pytest.raises(ClientError) as raised:
        events.put_rule(Name=f"bad-{uuid.uuid4().hex[:8]}", ScheduleExpression=expression)
    assert error_code(raised.value) == "ValidationException"
    assert raised.value.response["Error"]["Message"] == "Parameter ScheduleExpression is not valid."


@pytest.mark.parametrize("pattern,reason", [
    ("{bad", "Invalid JSON"), ('"x"', "Filter is not an object"), ("[]", "Filter is not an object"),
    ('{"int": 42}', '"int" must be an object or an array'), ('{"resources": []}', "Empty arrays are not allowed"),
    ('{"detail": {"size": [{"bigger": 3}]}}', "Unrecognized match type bigger")])
def test_invalid_event_patterns_are_refused(events, pattern, reason):
    """EventBridge's `InvalidEventPatternException` (the reasons of empty arrays, leaves that are
    not arrays and unknown matchers are AWS's; the others Lambent's own); nothing is kept."""
    name = f"pattern-{uuid.uuid4().hex[:8]}"
    with pytest.raises(ClientError) as raised:
        events.put_rule(Name=name, EventPattern=pattern)
    assert error_code(raised.value) == "InvalidEventPatternException"
    assert raised.value.response["Error"]["Message"] == f"Event pattern is not valid. Reason: {reason}"
    assert events.list_rules(NamePrefix=name).get("Rules", []) == []


def test_target_ids_are_validated_as_aws_does(events, sqs, queue):
    """A target id of other characters than letters, digits, `.`, `-` and `_`, or over 64 of them,
    fails the whole PutTargets with AWS's validation message, and no target is kept."""
    _, arn = queue
    name = f"ids-{uuid.uuid4().hex[:8]}"
    events.put_rule(Name=name, ScheduleExpression="rate(1 hour)")
    for index, (target_id, constraint) in enumerate([
            ("!@#$@!#$", r"Member must satisfy regular expression pattern: [\.\-_A-Za-z0-9]+"),
            ("a" * 65, "Member must have length less than or equal to 64")]):
        targets = [{"Id": "fine", "Arn": arn}] * index + [{"Id": target_id, "Arn": arn}]
        with pytest.raises(ClientError) as raised:
            events.put_targets(Rule=name, Targets=targets)
        assert error_code(raised.value) == "ValidationException"
        assert raised.value.response["Error"]["Message"] == (
            f"1 validation error detected: Value '{target_id}' at 'targets.{index + 1}.member.id' failed to satisfy constraint: {constraint}")
    assert events.list_targets_by_rule(Rule=name)["Targets"] == []
    events.delete_rule(Name=name)


def test_schedules_survive_a_restart_and_a_missed_firing_fires_once(start_server, tmp_path):
    first = start_server(tmp_path)
    scheduler = first.client(service="scheduler")
    url = first.client(service="sqs").create_queue(QueueName="missed")["QueueUrl"]
    target = {"Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:missed", "RoleArn": ROLE}
    scheduler.create_schedule(Name="kept", ScheduleExpression="cron(0 12 * * ? *)", FlexibleTimeWindow=window(), Target=target)
    # Due while the server is down: fired once when it is back.
    scheduler.create_schedule(Name="missed", ScheduleExpression=f"at({soon(4)})", FlexibleTimeWindow=window(),
                              Target={**target, "Input": '{"missed": true}'})
    first.terminate()
    time.sleep(6)
    second = start_server(tmp_path)
    assert second.client(service="scheduler").get_schedule(Name="kept")["ScheduleExpression"] == "cron(0 12 * * ? *)"
    sqs = second.client(service="sqs")
    got = receive(sqs, url, count=2, timeout=12)
    assert [json.loads(message["Body"]) for message in got] == [{"missed": True}]
    second.terminate()
