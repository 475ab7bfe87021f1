#!/usr/bin/env python3
"""Issue 13's schedule benchmark: how late schedules fire, against a baseline measured in the
same run.

- `fire`: `--schedules` EventBridge Scheduler schedules `cron(* * * * ? *)` (every minute, all
  due at the same instants) deliver into one SQS queue for `--minutes` minutes; each message
  carries its `<aws.scheduler.scheduled-time>`. Lateness = the message's `SentTimestamp` minus
  its scheduled time: p50, p99, max. Baseline: a Python thread on the same machine sleeping
  until targets every 2 s, meanwhile (`time.sleep` to an absolute time): the timer floor a
  scheduler can reach here.

    bench/run.sh --suite schedules [--schedules 50 --minutes 2]

Results: bench/results/<stamp>-schedules.{json,md}.
"""

from __future__ import annotations

import datetime
import json
import threading
import time

import boto3
from botocore.config import Config

from lambent_bench import ACCESS_KEY, REGION, ROLE, SECRET_KEY, Bench, log, percentile, run_suite, suite_parser


def client(bench: Bench, service: str):
    return boto3.client(service, endpoint_url=bench.endpoint, region_name=REGION, aws_access_key_id=ACCESS_KEY,
                        aws_secret_access_key=SECRET_KEY, config=Config(retries={"max_attempts": 0}, read_timeout=60))


def floor_samples(stop: threading.Event, out: list[float]) -> None:
    """Sleeps to absolute targets 2 s apart; records how late each wake-up was (ms)."""
    target = time.time() + 2
    while not stop.is_set():
        time.sleep(max(0.0, target - time.time()))
        out.append((time.time() - target) * 1000)
        target += 2


def fire(bench: Bench, options) -> dict:
    sqs, scheduler = client(bench, "sqs"), client(bench, "scheduler")
    url = sqs.create_queue(QueueName="bench-schedules")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    for i in range(options.schedules):
        scheduler.create_schedule(Name=f"bench-{i}", ScheduleExpression="cron(* * * * ? *)", FlexibleTimeWindow={"Mode": "OFF"},
                                  Target={"Arn": arn, "RoleArn": ROLE, "Input": '{"t":"<aws.scheduler.scheduled-time>"}'})
    stop, floors = threading.Event(), []
    timer = threading.Thread(target=floor_samples, args=(stop, floors))
    timer.start()
    # From the next whole minute on, for `minutes` minutes, and a few seconds for the last deliveries.
    now = time.time()
    start = (int(now) // 60 + 1) * 60
    end = start + 60 * options.minutes
    log(f"schedules: {options.schedules} due every minute from {datetime.datetime.fromtimestamp(start, datetime.timezone.utc):%H:%M:%S}")
    lateness = []
    while time.time() < end + 5:
        answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=2, AttributeNames=["SentTimestamp"])
        for message in answer.get("Messages", []):
            scheduled = datetime.datetime.strptime(json.loads(message["Body"])["t"], "%Y-%m-%dT%H:%M:%SZ")
            scheduled_ms = scheduled.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000
            if start * 1000 <= scheduled_ms < end * 1000:
                lateness.append(int(message["Attributes"]["SentTimestamp"]) - scheduled_ms)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    stop.set()
    timer.join()
    for i in range(options.schedules):
        scheduler.delete_schedule(Name=f"bench-{i}")
    expected = options.schedules * options.minutes
    log(f"schedules: {len(lateness)} of {expected} firings; lateness p50 {percentile(lateness, 50):.0f} ms, "
        f"p99 {percentile(lateness, 99):.0f} ms; timer floor p99 {percentile(floors, 99):.1f} ms")
    return {"schedules": options.schedules, "minutes": options.minutes, "firings": len(lateness), "expected": expected,
            "lateness_p50_ms": percentile(lateness, 50), "lateness_p99_ms": percentile(lateness, 99), "lateness_max_ms": max(lateness),
            "floor_p50_ms": percentile(floors, 50), "floor_p99_ms": percentile(floors, 99), "floor_samples": len(floors),
            "lateness_ms": lateness}


def markdown(results: dict) -> str:
    lines = [f"# Lambent schedule benchmark ({results['date']})", "", f"Machine: {json.dumps(results['machine'])}", ""]
    if "fire" in results:
        r = results["fire"]
        lines += [f"{r['schedules']} schedules every minute for {r['minutes']} minutes: {r['firings']} of {r['expected']} firings; "
                  f"lateness (SentTimestamp − scheduled time) p50 **{r['lateness_p50_ms']:.0f} ms**, p99 **{r['lateness_p99_ms']:.0f} ms**, "
                  f"max {r['lateness_max_ms']:.0f} ms. Timer floor (a Python thread sleeping to absolute times, same run): "
                  f"p50 {r['floor_p50_ms']:.1f} ms, p99 {r['floor_p99_ms']:.1f} ms ({r['floor_samples']} wake-ups).", ""]
    return "\n".join(lines)


def main() -> None:
    parser = suite_parser(__doc__, "fire")
    parser.add_argument("--schedules", type=int, default=50)
    parser.add_argument("--minutes", type=int, default=2)
    options = parser.parse_args()
    run_suite(options, "schedules", {"fire": fire}, markdown)


if __name__ == "__main__":
    main()
