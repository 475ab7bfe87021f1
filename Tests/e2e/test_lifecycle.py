"""Execution-environment lifecycle: warm reuse, concurrency, retirement and shutdown.

Environments are told apart by the `env_id` the sample functions draw once per
environment (a module-level uuid4: pids can repeat across pid namespaces).
"""

from __future__ import annotations

import json
import signal
import urllib.request
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError

from conftest import FUNCTIONS_DIR, ROLE, RUNTIME, error_code, invoke, make_zip, zip_function

COUNTER_V2 = zip_function("counter", {"app.py": (FUNCTIONS_DIR / "counter" / "app.py").read_text()
                                      .replace('CODE_VERSION = "v1"', 'CODE_VERSION = "v2"')})


def test_warm_environment_is_reused(lambda_client, function):
    """Sequential invokes run in one warm environment whose module state persists."""
    name = function("counter")["FunctionName"]
    results = [invoke(lambda_client, name, {}).payload for _ in range(3)]
    assert len({r["env_id"] for r in results}) == 1, results
    assert [r["count"] for r in results] == [1, 2, 3]


def test_concurrent_invokes_use_separate_environments(lambda_client, function):
    """Overlapping invokes of one function are served by more than one environment."""
    name = function("counter")["FunctionName"]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: invoke(lambda_client, name, {"sleep": 1}), range(4)))
    assert all(r.status == 200 and r.function_error is None for r in results), [r.payload for r in results]
    env_ids = {r.payload["env_id"] for r in results}
    assert len(env_ids) >= 2, f"4 overlapping invokes all ran in {env_ids}"
    # An environment serves one invocation at a time, so none saw another's count.
    assert all(r.payload["count"] == 1 for r in results), [r.payload for r in results]


def test_code_update_retires_old_environments(lambda_client, function):
    """After UpdateFunctionCode the next invoke runs the new code in a new environment."""
    name = function("counter")["FunctionName"]
    old = invoke(lambda_client, name, {}).payload
    assert old["code_version"] == "v1"

    lambda_client.update_function_code(FunctionName=name, ZipFile=COUNTER_V2)
    function.wait_updated(name)
    new = invoke(lambda_client, name, {}).payload
    assert new["code_version"] == "v2"
    assert new["env_id"] != old["env_id"]
    assert new["count"] == 1


def test_configuration_update_retires_old_environments(lambda_client, function):
    """After UpdateFunctionConfiguration the next invoke sees the new settings in a new environment."""
    name = function("probe", Environment={"Variables": {"STAGE": "one"}})["FunctionName"]
    old = invoke(lambda_client, name, {"action": "environment"}).payload
    assert old["environ"]["STAGE"] == "one"

    lambda_client.update_function_configuration(
        FunctionName=name, Environment={"Variables": {"STAGE": "two"}}, MemorySize=256)
    function.wait_updated(name)
    new = invoke(lambda_client, name, {"action": "environment"}).payload
    assert new["environ"]["STAGE"] == "two"
    assert new["environ"]["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert new["env_id"] != old["env_id"]


def test_deleted_function_cannot_be_invoked(lambda_client, function):
    """Once a warm function is deleted, invoking it is a 404."""
    name = function("counter")["FunctionName"]
    assert invoke(lambda_client, name, {}).status == 200
    lambda_client.delete_function(FunctionName=name)
    with pytest.raises(ClientError) as caught:
        invoke(lambda_client, name, {})
    assert error_code(caught.value) == "ResourceNotFoundException"


def _create_active(client, name: str, zip_bytes: bytes, **params) -> None:
    client.create_function(FunctionName=name, Runtime=RUNTIME, Role=ROLE, Handler="app.handler",
                           Code={"ZipFile": zip_bytes}, Timeout=30, **params)
    client.get_waiter("function_active_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120})


def _assert_no_leftover_processes(server) -> None:
    leftovers = server.processes_mentioning_data_dir()
    for _ in range(20):  # namespaces are torn down asynchronously by the kernel
        if not leftovers:
            break
        time.sleep(0.25)
        leftovers = server.processes_mentioning_data_dir()
    assert not leftovers, "processes outlived the server:\n" + "\n".join(leftovers)


def test_sigterm_lets_in_flight_invocation_finish(start_server):
    """SIGTERM during an invocation: the caller still gets its result, the server exits 0, nothing is left behind."""
    server = start_server()
    client = server.client()
    _create_active(client, "sleeper", zip_function("counter"))
    assert invoke(client, "sleeper", {}).status == 200  # warm, so the next call is surely in flight

    outcome: dict = {}

    def call() -> None:
        try:
            outcome["result"] = invoke(client, "sleeper", {"sleep": 2})
        except Exception as error:  # noqa: BLE001 - reported below
            outcome["error"] = error

    caller = threading.Thread(target=call)
    caller.start()
    time.sleep(0.5)
    server.process.send_signal(signal.SIGTERM)
    caller.join(timeout=60)
    status = server.wait_exit()

    assert "error" not in outcome, f"in-flight invoke failed: {outcome['error']!r}\n{server.log_tail()}"
    result = outcome["result"]
    assert result.status == 200 and result.function_error is None, result.payload
    assert result.payload["slept"] == 2
    assert status is not None, f"server still running 20 s after SIGTERM\n{server.log_tail()}"
    assert status == 0, f"exit status {status}\n{server.log_tail()}"
    _assert_no_leftover_processes(server)


def test_functions_survive_a_restart(start_server, tmp_path_factory):
    """A server restarted on the same data dir still has its functions and can run them."""
    workdir = tmp_path_factory.mktemp("restart")
    first = start_server(workdir)
    zip_bytes = make_zip({"app.py": "def handler(event, context):\n    return {'ok': event}\n"})
    client = first.client()
    layer = client.publish_layer_version(LayerName="kept-layer", Content={"ZipFile": make_zip({"python/kept.py": "WORD = 'layered'\n"})})
    _create_active(client, "survivor", zip_bytes, Description="kept")
    _create_active(client, "layered", make_zip({"app.py": "import kept\ndef handler(event, context):\n    return kept.WORD\n"}),
                   Layers=[layer["LayerVersionArn"]], Publish=True)
    client.create_alias(FunctionName="layered", Name="live", FunctionVersion="1")
    client.add_permission(FunctionName="layered", StatementId="s3", Action="lambda:InvokeFunction", Principal="s3.amazonaws.com")
    client.put_function_recursion_config(FunctionName="layered", RecursiveLoop="Allow")
    client.put_provisioned_concurrency_config(FunctionName="layered", Qualifier="live", ProvisionedConcurrentExecutions=1)
    url = client.create_function_url_config(FunctionName="survivor", AuthType="NONE")["FunctionUrl"]
    client.add_permission(FunctionName="survivor", StatementId="url", Action="lambda:InvokeFunctionUrl", Principal="*",
                          FunctionUrlAuthType="NONE")
    client.add_permission(FunctionName="survivor", StatementId="invoke", Action="lambda:InvokeFunction", Principal="*",
                          InvokedViaFunctionUrl=True)
    assert invoke(client, "survivor", {"n": 1}).payload == {"ok": {"n": 1}}
    assert first.terminate() == 0, first.log_tail()
    _assert_no_leftover_processes(first)

    second = start_server(workdir)
    try:
        client = second.client()
        configuration = client.get_function_configuration(FunctionName="survivor")
        assert configuration["Description"] == "kept"
        assert configuration["State"] == "Active"
        assert invoke(client, "survivor", {"n": 2}).payload == {"ok": {"n": 2}}
        # Layers, aliases, policies, settings and provisioned concurrency are kept too, and
        # the provisioned environments are started again.
        assert client.get_layer_version(LayerName="kept-layer", VersionNumber=1)["Version"] == 1
        assert client.get_alias(FunctionName="layered", Name="live")["FunctionVersion"] == "1"
        assert "s3.amazonaws.com" in client.get_policy(FunctionName="layered")["Policy"]
        assert client.get_function_recursion_config(FunctionName="layered")["RecursiveLoop"] == "Allow"
        deadline = time.monotonic() + 60
        while client.get_provisioned_concurrency_config(FunctionName="layered", Qualifier="live")["Status"] != "READY":
            assert time.monotonic() < deadline, second.log_tail()
            time.sleep(0.2)
        warm = invoke(client, "layered", Qualifier="live", tail=True)
        assert warm.payload == "layered" and "Init Duration" not in warm.log
        # The function URL keeps its id, answers on the new port, and still routes.
        url_id = url.split("//", 1)[1].split(".", 1)[0]
        assert client.get_function_url_config(FunctionName="survivor")["FunctionUrl"] == (
            f"http://{url_id}.lambda-url.us-east-1.localhost:{second.port}/")
        with urllib.request.urlopen(f"{second.endpoint}/lambda-url/{url_id}/", timeout=30) as response:
            assert json.loads(response.read())["ok"]["rawPath"] == "/"
    finally:
        assert second.terminate() == 0, second.log_tail()
