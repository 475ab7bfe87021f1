"""Client scenarios: the unmodified AWS CLI (v1) and Lambent's own CLI against the server."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import FUNCTIONS_DIR, ROLE, RUNTIME, AwsCliError, invoke, lambent_binary, make_zip, zip_function


def test_aws_cli_create_wait_invoke_and_download_code(aws, function, tmp_path):
    """create-function (fileb://), wait function-active-v2, invoke --log-type Tail, get-function + download."""
    name = function.unique_name()
    package = tmp_path / "function.zip"
    package.write_bytes(zip_function("probe"))

    created = aws("lambda", "create-function", "--function-name", name,
                  "--runtime", RUNTIME, "--handler", "app.handler", "--role", ROLE,
                  "--zip-file", f"fileb://{package}")
    assert created["FunctionName"] == name
    assert created["State"] == "Pending"

    aws("lambda", "wait", "function-active-v2", "--function-name", name)

    out = tmp_path / "out.json"
    invoked = aws("lambda", "invoke", "--function-name", name, "--payload", '{"a":1}',
                  "--log-type", "Tail", str(out))
    assert invoked["StatusCode"] == 200
    assert invoked["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in invoked
    assert json.loads(out.read_text())["event"] == {"a": 1}
    log = base64.b64decode(invoked["LogResult"]).decode()
    assert "START RequestId: " in log and "END RequestId: " in log and "REPORT RequestId: " in log

    fetched = aws("lambda", "get-function", "--function-name", name)
    assert fetched["Configuration"]["State"] == "Active"
    with urllib.request.urlopen(fetched["Code"]["Location"], timeout=30) as response:
        downloaded = response.read()
    digest = base64.b64encode(hashlib.sha256(downloaded).digest()).decode()
    assert digest == fetched["Configuration"]["CodeSha256"]
    assert downloaded == package.read_bytes()


def test_aws_cli_reports_errors(aws):
    """The AWS CLI shows the server's error code and exits non-zero for an unknown function."""
    with pytest.raises(AwsCliError) as caught:
        aws("lambda", "get-function", "--function-name", "nope")
    result = caught.value.result
    assert result.returncode != 0
    assert "ResourceNotFoundException" in result.stderr
    assert "Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope" in result.stderr


def test_aws_cli_update_and_delete(aws, function, tmp_path):
    """update-function-configuration, wait function-updated-v2 and delete-function via the CLI."""
    name = function("probe")["FunctionName"]
    aws("lambda", "update-function-configuration", "--function-name", name,
        "--environment", "Variables={STAGE=cli}", "--timeout", "9")
    aws("lambda", "wait", "function-updated-v2", "--function-name", name)
    configuration = aws("lambda", "get-function-configuration", "--function-name", name)
    assert configuration["Environment"]["Variables"] == {"STAGE": "cli"}
    assert configuration["Timeout"] == 9
    # DeleteFunctionResponse carries only the HTTP status (204), which the CLI prints.
    assert aws("lambda", "delete-function", "--function-name", name) in (None, {"StatusCode": 204})
    assert aws.run("lambda", "get-function", "--function-name", name).returncode != 0


class LambentCli:
    def __init__(self, server, cwd: Path):
        self.binary = lambent_binary()
        self.server = server
        self.cwd = cwd

    def __call__(self, *args: str, timeout: float = 180) -> str:
        result = subprocess.run([str(self.binary), *args, "--endpoint-url", self.server.endpoint],
                                cwd=self.cwd, env=self.server.env(), capture_output=True,
                                text=True, timeout=timeout)
        assert result.returncode == 0, (
            f"lambent {' '.join(args)} exited {result.returncode}\n"
            f"stdout: {result.stdout}\nstderr: {result.stderr}")
        return result.stdout


def test_lambent_cli_deploy_invoke_functions_logs(server, function, tmp_path):
    """`lambent deploy`, `invoke`, `functions` and `logs` work end to end, and redeploy updates."""
    cli = LambentCli(server, tmp_path)
    name = function.unique_name()
    source = tmp_path / "hello"
    shutil.copytree(FUNCTIONS_DIR / "hello", source)

    cli("deploy", str(source), "--name", name, "--runtime", RUNTIME, "--handler", "app.handler")
    assert "hello, lambent" in cli("invoke", name, "--payload", '{"name": "lambent"}')

    payload_file = tmp_path / "event.json"
    payload_file.write_text('{"name": "file"}')
    assert "hello, file" in cli("invoke", name, "--payload", f"@{payload_file}")

    assert name in cli("functions")

    logs = ""
    for _ in range(30):  # logs may be flushed in batches; wait for them, don't time them
        logs = cli("logs", name)
        if "lambent-e2e-log-line: greeting lambent" in logs and "REPORT RequestId:" in logs:
            break
        time.sleep(0.5)
    assert "lambent-e2e-log-line: greeting lambent" in logs, logs
    assert "REPORT RequestId:" in logs, logs

    (source / "app.py").write_text(
        (source / "app.py").read_text().replace('GREETING = "hello"', 'GREETING = "welcome back"'))
    cli("deploy", str(source), "--name", name, "--runtime", RUNTIME, "--handler", "app.handler")
    assert "welcome back, lambent" in cli("invoke", name, "--payload", '{"name": "lambent"}')


def test_lambent_cli_logs_follow_streams_new_lines(server, function, tmp_path):
    """`lambent logs --follow` prints the lines of invocations made while it runs, as they come
    even into a pipe (not held in a buffer until it exits)."""
    cli = LambentCli(server, tmp_path)
    name = function.unique_name()
    cli("deploy", str(FUNCTIONS_DIR / "hello"), "--name", name, "--runtime", RUNTIME,
        "--handler", "app.handler")
    follower = subprocess.Popen(
        [str(cli.binary), "logs", name, "--follow", "--endpoint-url", server.endpoint],
        env=server.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(follower.stdout), daemon=True)
    reader.start()
    marker = f"lambent-e2e-log-line: greeting followed-{name[-8:]}"
    seen_while_running = False
    try:
        # One invocation (a few hundred bytes of log, far less than a pipe's stdio buffer), then
        # wait for its line while the follower runs.
        cli("invoke", name, "--payload", json.dumps({"name": marker.split()[-1]}))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and follower.poll() is None:
            seen_while_running = any(marker in line for line in list(lines))
            if seen_while_running:
                break
            time.sleep(0.5)
    finally:
        follower.terminate()
        try:
            follower.wait(timeout=20)
        except subprocess.TimeoutExpired:
            follower.kill()
        reader.join(timeout=10)
    assert any(marker in line for line in lines), (
        f"stdout: {''.join(lines)}\nstderr: {follower.stderr.read()}")
    assert seen_while_running, "the line reached the pipe only when the follower stopped"


def test_lambent_cli_finds_endpoint_and_credentials_as_the_aws_cli_does(server, tmp_path):
    """No AWS_* credentials in the environment: a profile of ~/.aws/credentials, then the key a
    local server keeps in its data directory; AWS_ENDPOINT_URL for the endpoint; an unreachable
    server gets one sentence."""
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    base = {key: value for key, value in server.env().items()
            if not key.startswith("AWS_") and key not in ("LAMBENT_ENDPOINT", "XDG_DATA_HOME", "LAMBENT_DATA_DIR")}
    base["HOME"] = str(home)

    def run(env: dict, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(lambent_binary()), *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)

    (home / ".aws" / "credentials").write_text(
        f"[default]\naws_access_key_id = WRONG\naws_secret_access_key = wrong\n\n"
        f"[lambent]\naws_access_key_id = {server.access_key}\naws_secret_access_key = {server.secret_key}\n")
    (home / ".aws" / "config").write_text("[profile lambent]\nregion = us-east-1\n")
    by_profile = run({**base, "AWS_PROFILE": "lambent", "AWS_ENDPOINT_URL": server.endpoint}, "functions")
    assert by_profile.returncode == 0, by_profile.stderr
    wrong = run({**base, "AWS_ENDPOINT_URL": server.endpoint}, "functions")
    assert wrong.returncode != 0 and "UnrecognizedClientException" in wrong.stderr + wrong.stdout

    # The server's own key, from its data directory (XDG_DATA_HOME/lambent/credentials.json).
    (home / ".aws" / "credentials").unlink()
    data = tmp_path / "xdg" / "lambent"
    data.mkdir(parents=True)
    (data / "credentials.json").write_text(json.dumps({"accessKeyID": server.access_key, "secretAccessKey": server.secret_key}))
    by_server = run({**base, "XDG_DATA_HOME": str(tmp_path / "xdg"), "AWS_ENDPOINT_URL_LAMBDA": server.endpoint}, "functions")
    assert by_server.returncode == 0, by_server.stderr

    unreachable = run({**base, "XDG_DATA_HOME": str(tmp_path / "xdg")}, "functions", "--endpoint-url", "http://127.0.0.1:9")
    assert unreachable.returncode != 0
    message = (unreachable.stderr + unreachable.stdout).strip()
    assert "cannot reach Lambent at http://127.0.0.1:9" in message and len(message.splitlines()) == 1, message


def test_lambent_usage_reports_requests_gb_seconds_and_the_aws_bill(server, function, lambda_client, tmp_path):
    """`lambent usage --function f`: the day's requests and billed GB-seconds (memory as configured,
    REPORT's billed milliseconds) and their price, with the month's free tier apart."""
    code = "import time\ndef handler(event, context):\n    time.sleep(0.05)\n    return 1\n"
    name = function(zip_bytes=make_zip({"app.py": code}), MemorySize=1024)["FunctionName"]
    billed = 0
    for _ in range(3):
        log = invoke(lambda_client, name, {}, tail=True).log
        billed += int(re.search(r"Billed Duration: (\d+) ms", log).group(1))
    out = LambentCli(server, tmp_path)("usage", "--function", name, "--since", "1d")
    rows = [line.split() for line in out.splitlines() if name in line]
    assert len(rows) == 1, out
    day, function_name, arch, requests, gb_seconds = rows[0][:5]
    assert (function_name, arch, requests) == (name, "x86_64", "3")
    assert abs(float(gb_seconds) - billed / 1000) < 0.002, (gb_seconds, billed)
    total = float(rows[0][7])
    expected = 3 * 0.20 / 1e6 + billed / 1000 * 0.0000166667
    assert abs(total - expected) < 1e-7, (total, expected)
    assert "free tier" in out and "MONTH" in out
    assert "No invocations" in LambentCli(server, tmp_path)("usage", "--function", "no-such-function")
