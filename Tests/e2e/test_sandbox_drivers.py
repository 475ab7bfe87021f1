"""The `process` sandbox driver (development only): same API, no isolation."""

from __future__ import annotations

from test_lifecycle import _assert_no_leftover_processes, _create_active
from conftest import assert_timeout_kills_spawned_processes, invoke, zip_function


def test_process_driver_runs_functions_and_cleans_up(start_server):
    """--sandbox process: invokes work, a timeout kills the function's processes, SIGTERM leaves nothing."""
    server = start_server(extra_args=["--sandbox", "process"])
    try:
        assert "SANDBOX DISABLED" in server.log_tail(200)
        client = server.client()
        _create_active(client, "plain", zip_function("probe"))
        client.update_function_configuration(FunctionName="plain", Timeout=1)
        client.get_waiter("function_updated_v2").wait(FunctionName="plain", WaiterConfig={"Delay": 1})
        echoed = invoke(client, "plain", {"action": "echo", "n": 1})
        assert echoed.status == 200 and echoed.payload["event"] == {"action": "echo", "n": 1}
        context = invoke(client, "plain", {"action": "context"}).payload
        assert context["function_name"] == "plain"

        assert_timeout_kills_spawned_processes(client, "plain")
        assert invoke(client, "plain", {"action": "echo"}).status == 200
    finally:
        assert server.terminate() == 0, server.log_tail()
    _assert_no_leftover_processes(server)
