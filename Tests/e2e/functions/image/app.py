"""The image functions' handler: it reports what it saw in its execution environment.

{"raise": "message"} in the event makes it raise RuntimeError(message) instead.
"""

import os
import sys

ENV_NAMES = (
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_RUNTIME_API",
    "_HANDLER",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
    "IMAGE_VAR",
    "PATH",
    "LANG",
    "TZ",
)


def _writable(path):
    try:
        with open(path, "w") as f:
            f.write("x")
        os.unlink(path)
        return True
    except OSError:
        return False


def handler(event, context):
    if isinstance(event, dict) and "raise" in event:
        raise RuntimeError(event["raise"])
    return {
        "event": event,
        "cwd": os.getcwd(),
        "argv": sys.argv,
        "executable": sys.executable,
        "env": {name: os.environ.get(name) for name in ENV_NAMES},
        "root_writable": _writable("/x"),
        "tmp_writable": _writable("/tmp/x"),
        "uid": os.getuid(),
        "gid": os.getgid(),
        "request_id": getattr(context, "aws_request_id", None),
        "module_file": __file__,
    }
