"""A minimal AWS Lambda Runtime API client for the test images (standard library only).

Installed as /var/runtime/bootstrap in the "AWS conventions" image (run by
/lambda-entrypoint.sh) and as /app/main.py in the plain image (the ENTRYPOINT itself).

Handler: the first argument if given, else $_HANDLER, else "app.handler"; a
"module.function" name, the module imported from $LAMBDA_TASK_ROOT (default /var/task)
or from this script's directory. Loop: GET .../invocation/next, call the handler with
(event, context), POST .../response with its JSON result, or .../error with
{"errorMessage", "errorType", "stackTrace"}; an import failure is posted to
/runtime/init/error and the process exits 1.
"""

import importlib
import json
import os
import sys
import time
import traceback
import urllib.request

API = os.environ["AWS_LAMBDA_RUNTIME_API"]
BASE = f"http://{API}/2018-06-01/runtime"
ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"


def _request(method, path, body=None, headers=None):
    req = urllib.request.Request(BASE + path, data=body, method=method, headers=headers or {})
    with urllib.request.urlopen(req, timeout=None) as resp:
        return resp.status, dict(resp.headers), resp.read()


def _error_document(exc):
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "stackTrace": traceback.format_tb(exc.__traceback__),
    }


def _post_error(path, exc):
    doc = _error_document(exc)
    body = json.dumps(doc).encode()
    headers = {"Content-Type": "application/json", ERROR_TYPE_HEADER: "Runtime." + doc["errorType"]}
    _request("POST", path, body, headers)


class Context:
    """The parts of AWS's LambdaContext the test handlers use."""

    def __init__(self, headers):
        lower = {k.lower(): v for k, v in headers.items()}
        self.aws_request_id = lower.get("lambda-runtime-aws-request-id", "")
        self.invoked_function_arn = lower.get("lambda-runtime-invoked-function-arn", "")
        self._deadline_ms = int(lower.get("lambda-runtime-deadline-ms", "0") or 0)
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")

    def get_remaining_time_in_millis(self):
        return max(0, self._deadline_ms - int(time.time() * 1000))


def _load_handler():
    name = sys.argv[1] if len(sys.argv) > 1 else (os.environ.get("_HANDLER") or "app.handler")
    module_name, _, function_name = name.rpartition(".")
    if not module_name:
        raise ValueError(f"Bad handler '{name}': expected module.function")
    task_root = os.environ.get("LAMBDA_TASK_ROOT") or "/var/task"
    for path in (os.path.dirname(os.path.abspath(__file__)), task_root):
        if path not in sys.path:
            sys.path.insert(0, path)
    module = importlib.import_module(module_name.replace("/", "."))
    return getattr(module, function_name)


def main():
    try:
        handler = _load_handler()
    except Exception as exc:  # noqa: BLE001 - every import failure is an init error
        _post_error("/init/error", exc)
        print(f"bootstrap: init failed: {exc!r}", file=sys.stderr, flush=True)
        sys.exit(1)
    while True:
        _, headers, body = _request("GET", "/invocation/next")
        context = Context(headers)
        request_id = context.aws_request_id
        try:
            event = json.loads(body) if body else None
            result = handler(event, context)
            payload = json.dumps(result).encode()
        except Exception as exc:  # noqa: BLE001 - reported to the Runtime API
            traceback.print_exc()
            sys.stderr.flush()
            _post_error(f"/invocation/{request_id}/error", exc)
            continue
        _request("POST", f"/invocation/{request_id}/response", payload, {"Content-Type": "application/json"})


if __name__ == "__main__":
    main()
