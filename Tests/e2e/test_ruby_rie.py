"""Lambent's Ruby runtime interface client (runtime-clients/ruby) against AWS's side of the
Runtime API, with no Lambent server involved.

Two oracles:
- AWS's Runtime Interface Emulator (Tests/e2e/rie.py) runs `ruby bootstrap.rb` as a real
  Lambda runtime and shows what AWS's side makes of it: results, error documents, init
  failures, restarts after fatal errors, log lines.
- A scripted Runtime API (RuntimeApiScript below) checks what RIE does not show: the
  Lambda-Runtime-Function-Error-Type and X-Ray headers, Content-Type of results, the trace
  id, tenant id and Cognito identity, keep-alive, and the client's exit statuses.

The expected values are AWS's aws_lambda_ric 3.x behaviour (see runtime-clients/ruby/*.rb).
The functions live in Tests/e2e/functions/ruby/ and return what they saw, so the same
functions can be run on Lambent and compared.

Skipped as a whole when `ruby` is not installed (Debian: `apt-get install -y ruby`).
"""

from __future__ import annotations

import base64
import json
import os
import queue
import re
import shutil
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from rie import REPO, Rie, rie_binary

RUBY = shutil.which("ruby")
if RUBY is None:
    pytest.skip("ruby is not installed (apt-get install -y ruby)", allow_module_level=True)

BOOTSTRAP = REPO / "runtime-clients" / "ruby" / "bootstrap.rb"
FUNCTIONS = Path(__file__).resolve().parent / "functions" / "ruby"
RUNTIME_ID = "ruby3.3"
REQUEST_ID_PATTERN = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


@pytest.fixture(scope="module")
def rie_available():
    try:
        rie_binary()
    except Exception as error:  # noqa: BLE001 - any failure to obtain RIE means: cannot test here
        pytest.skip(f"AWS's Runtime Interface Emulator is unavailable: {error}")


def ruby_rie(function: str, handler: str, env: dict | None = None) -> Rie:
    return Rie([RUBY, str(BOOTSTRAP)], FUNCTIONS / function, handler,
               env={"AWS_EXECUTION_ENV": f"AWS_Lambda_{RUNTIME_ID}", **(env or {})})


def init_starts(rie: Rie) -> int:
    """How many times RIE started the runtime (a fatal error makes it start a new one)."""
    return rie.output().count("INIT START")


def records_after(rie: Rie, marker: str, timeout: float = 10) -> list[str]:
    rie.wait_for_output(marker, timeout)
    time.sleep(0.2)  # the lines after the marker are written in the same burst
    records = rie.log_records()
    return records[next(i for i, line in enumerate(records) if marker in line):]


# -- handlers, arguments, context (RIE) ---------------------------------------------------


def test_top_level_handler_gets_event_and_context_keywords(rie_available):
    client_context = {"custom": {"k": "v"}, "env": {"platform": "test"}}
    with ruby_rie("probe", "probe.handler") as rie:
        status, report = rie.invoke_json(
            {"text": "hello", "n": [1, 2]},
            headers={"X-Amz-Client-Context": base64.b64encode(json.dumps(client_context).encode()).decode()},
        )
    assert status == 200, report
    assert report["form"] == "top-level"
    assert report["event"] == {"text": "hello", "n": [1, 2]}
    assert report["event_class"] == "Hash"
    context = report["context"]
    assert context["class"] == "LambdaContext"
    assert context["function_name"] == "test_function"  # RIE's defaults
    assert context["function_version"] == "$LATEST"
    # AWS passes the environment variable through: a String, not an Integer.
    assert (context["memory_limit_in_mb"], context["memory_limit_in_mb_class"]) == ("3008", "String")
    assert context["log_group_name"] == "/aws/lambda/Functions"
    assert context["log_stream_name"] == "$LATEST"
    assert context["invoked_function_arn"].endswith(":function:test_function")
    assert re.fullmatch(REQUEST_ID_PATTERN, context["aws_request_id"])
    assert context["client_context"] == client_context
    assert context["identity"] is None
    assert context["deadline_ms_class"] == "Integer"
    assert context["deadline_ms"] > time.time() * 1000
    assert context["remaining_time_in_millis_class"] == "Integer"
    assert 0 < context["remaining_time_in_millis"] <= 30_000
    assert context["responds_to_tenant_id"] is True
    # Top-level handlers run on the runtime's LambdaHandler object, as on AWS.
    assert report["self_class"] == "LambdaHandler"
    assert report["global_request_id"] == context["aws_request_id"]
    assert report["stdout_sync"] is True
    assert report["pwd"] == str(FUNCTIONS / "probe")
    assert report["task_root_on_load_path"] is True
    assert report["env"]["AWS_EXECUTION_ENV"] == f"AWS_Lambda_{RUNTIME_ID}"
    assert report["env"]["_HANDLER"] == "probe.handler"


def test_class_method_handler_is_looked_up_through_its_namespace(rie_available):
    with ruby_rie("probe", "probe.Probe::Handler.process") as rie:
        status, report = rie.invoke_json({"k": 1})
    assert status == 200, report
    assert report["form"] == "class-method"
    assert report["event"] == {"k": 1}
    assert report["context"]["class"] == "LambdaContext"


def test_method_without_keywords_receives_them_as_one_hash(rie_available):
    with ruby_rie("probe", "probe.positional") as rie:
        status, result = rie.invoke_json({})
    assert status == 200, result
    assert result == {"argument_class": "Hash", "keys": ["context", "event"]}


def test_io_result_is_sent_unformatted(rie_available):
    with ruby_rie("probe", "probe.stream") as rie:
        status, _headers, body = rie.invoke({"text": "hi"})
    assert (status, body) == (200, b"raw:hi")


def test_state_on_self_survives_warm_invocations(rie_available):
    with ruby_rie("probe", "probe.remember") as rie:
        results = [rie.invoke_json({})[1]["invocations"] for _ in range(3)]
        assert init_starts(rie) == 1
    assert results == [1, 2, 3]


# -- errors (RIE) -------------------------------------------------------------------------


def test_standard_error_is_a_function_error_and_the_runtime_keeps_serving(rie_available):
    with ruby_rie("errors", "errors.custom") as rie:
        status, error = rie.invoke_json({})
        rie.invoke_json({})
        records = records_after(rie, "Error raised from handler method")
        assert init_starts(rie) == 1
    assert status == 200  # RIE reports function errors in the body only
    assert error["errorType"] == "Function<Errors::CustomError>"
    assert error["errorMessage"] == "custom failure"
    # The user's frames only: the trace is cut where the runtime's own frames begin.
    assert len(error["stackTrace"]) == 1
    assert re.fullmatch(r".*/errors\.rb:\d+:in `custom'", error["stackTrace"][0])
    # Logged as AWS logs it: a line, then the error document pretty-printed.
    assert records[:3] == ["Error raised from handler method", "{", '  "errorMessage": "custom failure",']


def test_missing_method_is_a_fatal_no_method_error_at_invocation(rie_available):
    with ruby_rie("probe", "probe.nope") as rie:
        status, error = rie.invoke_json({})
        records = records_after(rie, "Critical exception from handler")
        rie.invoke_json({})
        # The process exited after reporting; RIE had to start a new one.
        assert init_starts(rie) == 2
    assert status == 502
    assert error["errorType"] == "Function<NoMethodError>"
    # The receiver's description depends on the Ruby version, not the client.
    assert error["errorMessage"].startswith("undefined method `nope' for ")
    assert "LambdaHandler" in error["errorMessage"]
    # No error_highlight snippet of the runtime's source (Ruby 3.1 appends one to #message).
    assert "\n" not in error["errorMessage"]
    assert error["stackTrace"] == []
    assert records[1] == "{"


def test_missing_class_is_a_fatal_name_error(rie_available):
    with ruby_rie("probe", "probe.Nope::Handler.process") as rie:
        status, error = rie.invoke_json({})
    assert status == 502
    assert error["errorType"] == "Function<NameError>"
    assert error["errorMessage"].startswith("uninitialized constant ")
    assert error["errorMessage"].endswith("Nope")


def test_no_method_error_inside_the_handler_is_fatal_too(rie_available):
    with ruby_rie("errors", "errors.no_method") as rie:
        status, error = rie.invoke_json({})
        rie.invoke_json({})
        assert init_starts(rie) == 2
    assert status == 502
    assert error["errorType"] == "Function<NoMethodError>"
    assert error["errorMessage"].startswith("undefined method `frobnicate' for nil")
    assert re.fullmatch(r".*/errors\.rb:\d+:in `no_method'", error["stackTrace"][0])


@pytest.mark.parametrize(("handler", "error_type", "message"), [
    ("errors.not_standard", "Function<NotImplementedError>", "not implemented here"),
    ("errors.calls_exit", "Function<SystemExit>", "exit"),
])
def test_exceptions_outside_standard_error_are_fatal(rie_available, handler, error_type, message):
    with ruby_rie("errors", handler) as rie:
        status, error = rie.invoke_json({})
        rie.invoke_json({})
        assert init_starts(rie) == 2
    assert status == 502
    assert (error["errorType"], error["errorMessage"]) == (error_type, message)


def test_unserializable_result_is_a_function_error(rie_available):
    with ruby_rie("errors", "errors.unserializable") as rie:
        status, error = rie.invoke_json({})
    assert status == 200
    assert error["errorType"] == "Function<JSON::GeneratorError>"
    assert "NaN" in error["errorMessage"]


def test_missing_file_is_an_init_load_error(rie_available):
    with ruby_rie("probe", "nofile.handler") as rie:
        status, error = rie.invoke_json({})
        records = records_after(rie, "Init error when loading handler")
    assert status == 502
    assert error["errorType"] == "Init<LoadError>"
    assert error["errorMessage"] == "cannot load such file -- nofile"
    assert all("runtime-clients/ruby" not in frame for frame in error["stackTrace"])
    # AWS's message ends in a space (it interpolates a variable its runner never sets).
    assert records[0] == "Init error when loading handler "
    assert json.loads("\n".join(records[1:records.index("}") + 1])) == error


def test_syntax_error_is_an_init_syntax_error(rie_available):
    with ruby_rie("syntax_error", "broken.handler") as rie:
        status, error = rie.invoke_json({})
    assert status == 502
    assert error["errorType"] == "Init<SyntaxError>"
    assert re.match(r".*/syntax_error/broken\.rb:\d+: syntax error", error["errorMessage"])


def test_exception_in_top_level_code_is_an_init_error(rie_available):
    with ruby_rie("init_raise", "init_raise.handler") as rie:
        status, error = rie.invoke_json({})
    assert status == 502
    assert (error["errorType"], error["errorMessage"]) == ("Init<RuntimeError>", "configuration missing")
    assert re.fullmatch(r".*/init_raise\.rb:5:in `<top \(required\)>'", error["stackTrace"][0])


def test_malformed_handler_name_is_an_init_argument_error(rie_available):
    with ruby_rie("probe", "probe") as rie:
        status, error = rie.invoke_json({})
    assert status == 502
    assert error["errorType"] == "Init<ArgumentError>"
    assert error["errorMessage"] == (
        'Invalid handler ["probe"], must be of form FILENAME.METHOD or FILENAME.CLASS.METHOD where FILENAME '
        "corresponds with an existing Ruby source file FILENAME.rb, CLASS is an optional module/class namespace "
        "and METHOD is a callable method. If using CLASS, METHOD must be a class-level method."
    )
    assert error["stackTrace"] == []


# -- logging (RIE) ------------------------------------------------------------------------

TEXT_LOGGER_LINE = r"{sev}, \[\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{6}} #\d+\] {severity} {request_id} -- {progname}: {message}"


def text_logger_line(sev, severity, message, request_id=REQUEST_ID_PATTERN, progname=""):
    return re.compile(TEXT_LOGGER_LINE.format(sev=sev, severity=f"{severity:>5}", request_id=request_id,
                                              progname=progname, message=re.escape(message)))


def run_logging(env=None):
    with ruby_rie("logging", "logging.handler", env=env) as rie:
        status, result = rie.invoke_json({})
        rie.wait_for_output("END RequestId")
        time.sleep(0.2)
        return status, result, rie.log_records()


def test_text_logs_plain_writes_untouched_and_logger_lines_with_request_id(rie_available):
    status, result, records = run_logging()
    assert status == 200
    # Plain output is passed through as written.
    for line in ["puts-line", "multi-line-1", "multi-line-2", "print-line", "stderr-line",
                 "CUSTOM INFO custom-formatter-line"]:
        assert line in records, records
    expected = [
        text_logger_line("I", "INFO", "init-phase logger line", request_id=""),  # no request yet
        text_logger_line("D", "DEBUG", "logger-debug-line"),
        text_logger_line("I", "INFO", "logger-info-line"),
        text_logger_line("E", "ERROR", "logger-error-line"),
        text_logger_line("E", "ERROR", "logged-exception (ArgumentError)"),
        text_logger_line("W", "WARN", "logger-progname-line", progname="named"),
    ]
    for pattern in expected:
        assert any(pattern.fullmatch(line) for line in records), (pattern.pattern, records)
    # A Logger on anything but $stdout/$stderr keeps Ruby's own format.
    assert re.fullmatch(r"I, \[[^\]]+\]  INFO -- : stringio-line\n", result["stringio"])


def test_json_logs_logger_lines_as_json_filtered_by_level(rie_available):
    status, _result, records = run_logging({"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "INFO"})
    assert status == 200
    entries = [json.loads(line) for line in records if line.startswith("{\"timestamp\"")]
    by_message = {entry["message"]: entry for entry in entries}
    assert "logger-debug-line" not in by_message  # below AWS_LAMBDA_LOG_LEVEL
    assert set(by_message["init-phase logger line"]) == {"timestamp", "level", "message"}
    info = by_message["logger-info-line"]
    assert info["level"] == "INFO"
    assert re.fullmatch(REQUEST_ID_PATTERN, info["requestId"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", info["timestamp"])
    assert by_message["logger-error-line"]["level"] == "ERROR"
    assert by_message["logger-progname-line"]["logger"] == "named"
    exception = by_message["logged-exception"]
    assert (exception["errorType"], exception["errorMessage"], exception["stackTrace"]) == \
        ("ArgumentError", "logged-exception", [])
    # puts and friends are not the Logger path: they stay plain text.
    for line in ["puts-line", "print-line", "stderr-line", "CUSTOM INFO custom-formatter-line"]:
        assert line in records


def test_json_logs_at_debug_level_keep_debug_lines(rie_available):
    _status, _result, records = run_logging({"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "DEBUG"})
    levels = {json.loads(line)["message"]: json.loads(line)["level"]
              for line in records if line.startswith("{\"timestamp\"")}
    assert levels["logger-debug-line"] == "DEBUG"


def test_log_level_alone_filters_text_logger_lines(rie_available):
    _status, _result, records = run_logging({"AWS_LAMBDA_LOG_LEVEL": "WARN"})
    assert not any("logger-info-line" in line for line in records)
    assert any(text_logger_line("E", "ERROR", "logger-error-line").fullmatch(line) for line in records)
    # The level applies to a Logger with its own formatter too, unless it was given a level.
    assert "CUSTOM INFO custom-formatter-line" not in records


# -- the wire (scripted Runtime API) ------------------------------------------------------


class RuntimeApiScript:
    """A minimal Runtime API: serves queued events on /next, records every request.

    HTTP/1.1 with keep-alive, like Lambda's. Each recorded request carries the client's port,
    so tests can tell whether requests shared a connection.
    """

    def __init__(self):
        self.events: queue.Queue = queue.Queue()
        self.requests: list[dict] = []
        self.posted = threading.Condition()
        script = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args):
                pass

            def _record(self, body: bytes):
                with script.posted:
                    script.requests.append({"method": self.command, "path": self.path,
                                            "headers": {k.lower(): v for k, v in self.headers.items()},
                                            "body": body, "port": self.client_address[1]})
                    script.posted.notify_all()

            def do_GET(self):  # noqa: N802 - http.server's naming
                self._record(b"")
                event = script.events.get()
                if event is None:
                    self.close_connection = True
                    return
                body, headers = event
                self.send_response(200)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self._record(body)
                payload = b'{"status":"OK"}'
                self.send_response(202)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        self.process: subprocess.Popen | None = None

    def start(self, function: str, handler: str, env: dict | None = None,
              pass_fds: tuple[int, ...] = ()) -> "RuntimeApiScript":
        environment = {name: value for name, value in os.environ.items()
                       if not name.startswith(("AWS_", "LAMBDA_", "_HANDLER", "_X_AMZN"))}
        task = FUNCTIONS / function
        environment.update({
            "AWS_LAMBDA_RUNTIME_API": self.address, "_HANDLER": handler, "LAMBDA_TASK_ROOT": str(task),
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{RUNTIME_ID}", "AWS_LAMBDA_FUNCTION_NAME": "wire",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256", "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            **(env or {}),
        })
        self.process = subprocess.Popen([RUBY, str(BOOTSTRAP)], cwd=task, env=environment, pass_fds=pass_fds,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        return self

    def invoke(self, event, request_id="11111111-2222-3333-4444-555555555555", content_type="application/json",
               extra_headers: dict | None = None, timeout: float = 15) -> dict:
        """Queues one event and waits for the runtime's POST about it."""
        body = event if isinstance(event, bytes) else json.dumps(event).encode()
        headers = {"Content-Type": content_type, "Lambda-Runtime-Aws-Request-Id": request_id,
                   "Lambda-Runtime-Deadline-Ms": str(int(time.time() * 1000) + 30_000),
                   "Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:us-east-1:123456789012:function:wire",
                   **(extra_headers or {})}
        self.events.put((body, headers))
        return self.wait_for_post(f"/invocation/{request_id}/", timeout)

    def wait_for_post(self, fragment: str, timeout: float = 15) -> dict:
        deadline = time.monotonic() + timeout
        with self.posted:
            while True:
                for request in self.requests:
                    if request["method"] == "POST" and fragment in request["path"]:
                        return request
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"no POST to {fragment}; output:\n{self.output()}")
                self.posted.wait(remaining)

    def exit_status(self, timeout: float = 10) -> int:
        return self.process.wait(timeout=timeout)

    def output(self) -> str:
        if self.process and self.process.poll() is not None and self.process.stdout:
            return self.process.stdout.read().decode("utf-8", "replace")
        return "(runtime still running)"

    def close(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.events.put(None)
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def wire():
    script = RuntimeApiScript()
    yield script
    script.close()


def test_result_posted_as_aws_posts_it_over_one_kept_alive_connection(wire):
    wire.start("probe", "probe.handler")
    first = wire.invoke({"a": 1}, request_id="aaaaaaaa-0000-0000-0000-000000000001")
    second = wire.invoke({"a": 2}, request_id="aaaaaaaa-0000-0000-0000-000000000002")
    assert first["path"] == "/2018-06-01/runtime/invocation/aaaaaaaa-0000-0000-0000-000000000001/response"
    assert json.loads(first["body"])["event"] == {"a": 1}
    assert json.loads(second["body"])["event"] == {"a": 2}
    # AWS's client posts its JSON String without a Content-Type of its own, so Net::HTTP's
    # default goes over the wire.
    assert first["headers"]["content-type"] == "application/x-www-form-urlencoded"
    assert first["headers"]["user-agent"].startswith("aws-lambda-ruby/")
    gets = [r for r in wire.requests if r["method"] == "GET"]
    assert all(r["path"] == "/2018-06-01/runtime/invocation/next" for r in gets)
    assert len({r["port"] for r in wire.requests}) == 1, "each request opened a new connection"


def test_io_result_is_posted_as_application_unknown(wire):
    wire.start("probe", "probe.stream")
    posted = wire.invoke({"text": "x"})
    assert (posted["body"], posted["headers"]["content-type"]) == (b"raw:x", "application/unknown")


def test_context_headers_trace_id_and_non_json_events(wire):
    wire.start("probe", "probe.handler")
    identity = {"cognitoIdentityId": "id-1", "cognitoIdentityPoolId": "pool-1"}
    client_context = {"custom": {"k": "v"}}
    trace = "Root=1-5e34a614-10bdxmplf1fb44f07bc535a1;Parent=07f5xmpl2d1f6f85;Sampled=1"
    report = json.loads(wire.invoke(
        b"plain text", content_type="text/plain",
        extra_headers={"Lambda-Runtime-Cognito-Identity": json.dumps(identity),
                       "Lambda-Runtime-Client-Context": json.dumps(client_context),
                       "Lambda-Runtime-Trace-Id": trace})["body"])
    assert (report["event"], report["event_class"]) == ("plain text", "String")
    assert report["context"]["identity"] == identity
    assert report["context"]["client_context"] == client_context
    assert report["context"]["memory_limit_in_mb"] == "256"
    assert report["context"]["function_name"] == "wire"
    assert report["env"]["_X_AMZN_TRACE_ID"] == trace


@pytest.mark.parametrize(("handler", "body_type", "header_type"), [
    # Only AWS's allow-listed classes reach the header; every other class is UserException.
    ("errors.custom", "Function<Errors::CustomError>", "Function<UserException>"),
    ("errors.argument", "Function<ArgumentError>", "Function<ArgumentError>"),
])
def test_function_error_headers(wire, handler, body_type, header_type):
    wire.start("errors", handler)
    posted = wire.invoke({})
    assert posted["path"].endswith("/error")
    assert json.loads(posted["body"])["errorType"] == body_type
    assert posted["headers"]["lambda-runtime-function-error-type"] == header_type
    cause = json.loads(posted["headers"]["lambda-runtime-function-xray-error-cause"])
    assert cause["exceptions"][0]["type"] == body_type
    assert cause["working_directory"] == str(FUNCTIONS / "errors")
    # The runtime is still waiting for the next event.
    assert wire.process.poll() is None


def test_fatal_handler_error_exits_255_after_reporting(wire):
    wire.start("probe", "probe.nope")
    posted = wire.invoke({})
    assert posted["headers"]["lambda-runtime-function-error-type"] == "Function<NoMethodError>"
    assert wire.exit_status() == 255


@pytest.mark.parametrize(("function", "handler", "body_type", "header_type"), [
    ("probe", "nofile.handler", "Init<LoadError>", "Init<LoadError>"),
    # SyntaxError is not on AWS's allow-list, even for init errors.
    ("syntax_error", "broken.handler", "Init<SyntaxError>", "Function<UserException>"),
])
def test_init_errors_are_posted_to_init_error_and_exit_252(wire, function, handler, body_type, header_type):
    wire.start(function, handler)
    posted = wire.wait_for_post("/runtime/init/error")
    assert posted["path"] == "/2018-06-01/runtime/init/error"
    assert json.loads(posted["body"])["errorType"] == body_type
    assert posted["headers"]["lambda-runtime-function-error-type"] == header_type
    assert wire.exit_status() == 252


def run_without(*names: str) -> subprocess.CompletedProcess:
    environment = {name: value for name, value in os.environ.items()
                   if not name.startswith(("AWS_", "LAMBDA_", "_HANDLER"))}
    environment.update({"_HANDLER": "probe.handler", "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9"})
    for name in names:
        del environment[name]
    return subprocess.run([RUBY, str(BOOTSTRAP)], cwd=FUNCTIONS / "probe", env=environment,
                          capture_output=True, timeout=30)


def test_without_handler_the_client_exits_0():
    completed = run_without("_HANDLER")
    assert completed.returncode == 0
    assert completed.stdout == b"No handler specified, exiting Runtime Interface Client.\n"


def test_without_runtime_api_address_the_client_exits_254():
    completed = run_without("AWS_LAMBDA_RUNTIME_API")
    assert completed.returncode == 254
    assert completed.stdout == b"Failed to get runtime server address from AWS_LAMBDA_RUNTIME_API env variable\n"


def test_telemetry_descriptor_gets_one_frame_per_puts_and_logger_line(wire):
    read_end, write_end = os.pipe()
    wire.start("logging", "logging.handler", env={"_LAMBDA_TELEMETRY_LOG_FD": str(write_end)},
               pass_fds=(write_end,))
    os.close(write_end)  # the runtime has its own copy; reading ends when it exits
    posted = wire.invoke({})
    assert posted["path"].endswith("/response")
    wire.process.kill()
    wire.process.wait()
    data = b"".join(iter(lambda: os.read(read_end, 65536), b""))
    os.close(read_end)
    frames = []
    while data:
        frame_type, length = int.from_bytes(data[:4], "big"), int.from_bytes(data[4:8], "big")
        assert frame_type == 0xA55A0003
        timestamp_us = int.from_bytes(data[8:16], "big")
        assert abs(timestamp_us / 1e6 - time.time()) < 60
        frames.append(data[16:16 + length].decode())
        data = data[16 + length:]
    assert "puts-line\n" in frames
    # One puts call with two arguments stays one log event.
    assert "multi-line-1\nmulti-line-2\n" in frames
    assert any(re.fullmatch(r"I, \[.*\]  INFO \S+ -- : logger-info-line\n", frame) for frame in frames)
    # print and $stderr are not redirected, as on AWS.
    assert not any("print-line" in frame or "stderr-line" in frame for frame in frames)
