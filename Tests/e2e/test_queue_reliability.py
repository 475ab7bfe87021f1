"""Nothing acknowledged is lost: 10,000 asynchronous events and 10,000 SQS messages consumed
by a mapping, the server killed with SIGKILL in the middle and restarted on the same data;
every event and message is processed at least once and nothing is left stuck."""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from botocore.config import Config

from conftest import REGION, ROLE, RUNTIME, make_zip

COUNT = int(os.environ.get("LAMBENT_RELIABILITY_COUNT", "10000"))

ECHO = "def handler(event, context):\n    return event\n"
# The consumer reports what it consumed to a collector in this test process, which outlives
# the killed server (logs are written behind, so a SIGKILL may lose their last lines).
CONSUMER = '''
import os, urllib.request
def handler(event, context):
    ids = ",".join(record["body"] for record in event["Records"])
    urllib.request.urlopen(urllib.request.Request(os.environ["COLLECTOR"], data=ids.encode(), method="POST"), timeout=10).read()
    return {}
'''


class Collector:
    """An HTTP endpoint the consumer posts its ids to (functions reach it over `--network host`)."""

    def __init__(self):
        import http.server
        import threading

        self.ids: set[str] = set()
        self.lock = threading.Lock()
        collector = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0))).decode()
                with collector.lock:
                    collector.ids.update(part for part in body.split(",") if part)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"

    def count(self) -> int:
        with self.lock:
            return len(self.ids)


def clients(server):
    options = dict(endpoint_url=server.endpoint, region_name=REGION, aws_access_key_id=server.access_key,
                   aws_secret_access_key=server.secret_key,
                   config=Config(retries={"max_attempts": 5, "mode": "standard"}, max_pool_connections=32))
    return boto3.client("lambda", **options), boto3.client("sqs", **options)


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(1)
    raise AssertionError(f"{what} after {timeout} s")


def test_nothing_acknowledged_is_lost_across_sigkill(start_server, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("reliability")
    collector = Collector()
    arguments = ["--network", "host"]
    server = start_server(workdir, arguments)
    lam, sqs = clients(server)
    suffix = uuid.uuid4().hex[:8]
    echo, consumer = f"echo-{suffix}", f"consumer-{suffix}"
    for name, source in ((echo, ECHO), (consumer, CONSUMER)):
        lam.create_function(FunctionName=name, Runtime=RUNTIME, Role=ROLE, Handler="app.handler",
                            Code={"ZipFile": make_zip({"app.py": source})}, Timeout=30,
                            Environment={"Variables": {"COLLECTOR": collector.url}})
        lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    results = sqs.create_queue(QueueName=f"results-{suffix}")["QueueUrl"]
    results_arn = sqs.get_queue_attributes(QueueUrl=results, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    lam.put_function_event_invoke_config(FunctionName=echo, DestinationConfig={"OnSuccess": {"Destination": results_arn}})
    source = sqs.create_queue(QueueName=f"source-{suffix}", Attributes={"VisibilityTimeout": "5"})["QueueUrl"]
    source_arn = sqs.get_queue_attributes(QueueUrl=source, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    lam.create_event_source_mapping(EventSourceArn=source_arn, FunctionName=consumer, BatchSize=10)

    def send_events(start: int) -> None:
        for n in range(start, min(start + 250, COUNT)):
            assert lam.invoke(FunctionName=echo, InvocationType="Event", Payload=json.dumps({"n": n}).encode())["StatusCode"] == 202

    def send_messages(start: int) -> None:
        for batch in range(start, min(start + 250, COUNT), 10):
            answer = sqs.send_message_batch(QueueUrl=source, Entries=[
                {"Id": str(n), "MessageBody": str(n)} for n in range(batch, min(batch + 10, COUNT))])
            assert "Failed" not in answer

    with ThreadPoolExecutor(max_workers=8) as pool:
        for future in [pool.submit(send_events, start) for start in range(0, COUNT, 250)] + \
                      [pool.submit(send_messages, start) for start in range(0, COUNT, 250)]:
            future.result()

    # Kill the server while it is working through both backlogs.
    time.sleep(3)
    os.kill(server.process.pid, signal.SIGKILL)
    server.process.wait(timeout=30)

    second = start_server(workdir, arguments)
    try:
        lam, sqs = clients(second)
        wait_for(lambda: collector.count() >= COUNT, 600, f"only {collector.count()} of {COUNT} SQS messages consumed")
        assert collector.ids == {str(n) for n in range(COUNT)}

        seen: set[int] = set()

        def events_done() -> bool:
            while True:
                got = sqs.receive_message(QueueUrl=results, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
                if not got:
                    break
                for message in got:
                    seen.add(json.loads(message["Body"])["requestPayload"]["n"])
                sqs.delete_message_batch(QueueUrl=results, Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)])
            return len(seen) >= COUNT

        wait_for(events_done, 600, f"only {len(seen)} of {COUNT} async events reached their destination")
        assert seen == set(range(COUNT))
        # Nothing stuck: the source queue drains and Lambent's event queue is empty.
        wait_for(lambda: sqs.get_queue_attributes(QueueUrl=source, AttributeNames=["All"])["Attributes"]["ApproximateNumberOfMessages"] == "0"
                 and sqs.get_queue_attributes(QueueUrl=source, AttributeNames=["All"])["Attributes"]["ApproximateNumberOfMessagesNotVisible"] == "0",
                 60, "the source queue still holds messages")
        metrics = urllib.request.urlopen(f"{second.endpoint}/metrics", timeout=10).read().decode()
        assert 'lambent_queue_messages{queue="lambent:async",state="visible"} 0' in metrics
        assert 'lambent_queue_messages{queue="lambent:async",state="in_flight"} 0' in metrics
    finally:
        second.terminate()
