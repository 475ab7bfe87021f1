"""A multi-purpose probe: the event's "action" picks what the handler does.

Used by the invoke scenarios (errors, exits, timeouts, context, environment,
filesystem). Every response carries "env_id", a uuid drawn once per execution
environment, so tests can tell a warm environment from a fresh one.
"""

import json
import os
import time
import uuid

ENV_ID = str(uuid.uuid4())


def handler(event, context):
    action = event.get("action", "echo") if isinstance(event, dict) else "echo"
    result = ACTIONS[action](event, context)
    if isinstance(result, dict):
        result.setdefault("env_id", ENV_ID)
    return result


def echo(event, context):
    return {"event": event}


def fail(event, context):
    raise ValueError(event.get("message", "boom"))


def exit_runtime(event, context):
    os._exit(int(event.get("code", 1)))


def sleep(event, context):
    time.sleep(float(event.get("seconds", 1)))
    return {"slept": event.get("seconds", 1)}


def size(event, context):
    return {"size": len(json.dumps(event, separators=(",", ":")))}


def log(event, context):
    print(event.get("line", "probe log line"), flush=True)
    return {"logged": True}


def describe_context(event, context):
    return {
        "function_name": context.function_name,
        "function_version": context.function_version,
        "invoked_function_arn": context.invoked_function_arn,
        "memory_limit_in_mb": str(context.memory_limit_in_mb),
        "aws_request_id": context.aws_request_id,
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "remaining_ms": context.get_remaining_time_in_millis(),
    }


def environment(event, context):
    return {"environ": dict(os.environ), "cwd": os.getcwd()}


def filesystem(event, context):
    outcome = {}
    try:
        with open("/var/task/written-by-handler.txt", "w") as f:
            f.write("should not be possible")
        outcome["var_task_write"] = "succeeded"
    except OSError as error:
        outcome["var_task_write"] = type(error).__name__
    path = "/tmp/written-by-handler-%s.txt" % uuid.uuid4()
    with open(path, "w") as f:
        f.write("scratch")
    with open(path) as f:
        outcome["tmp_roundtrip"] = f.read()
    os.remove(path)
    outcome["var_task_listing"] = sorted(os.listdir("/var/task"))
    return outcome


def big_response(event, context):
    return "x" * int(event.get("bytes", 7 * 1024 * 1024))


def spawn_and_hang(event, context):
    # A child that would outlive the handler if the environment were not destroyed whole.
    import subprocess
    subprocess.Popen(["sleep", event.get("marker", "987.654")])
    time.sleep(float(event.get("seconds", 5)))
    return {"spawned": True}


ACTIONS = {
    "big_response": big_response,
    "spawn_and_hang": spawn_and_hang,
    "echo": echo,
    "raise": fail,
    "exit": exit_runtime,
    "sleep": sleep,
    "size": size,
    "log": log,
    "context": describe_context,
    "environment": environment,
    "filesystem": filesystem,
}
