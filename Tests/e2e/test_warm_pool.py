"""Warm pools and scale to zero: idle reclaim, maximum lifetime, bursts, crash recovery."""

from __future__ import annotations

import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.config import Config

from test_lifecycle import _assert_no_leftover_processes, _create_active
from conftest import invoke, zip_function


def _environment_processes(server) -> list[str]:
    """Processes of this server's environments (their bwrap command lines name the data dir)."""
    return [line for line in server.processes_mentioning_data_dir() if " serve --host " not in line]


def test_idle_environment_is_reclaimed_after_the_idle_timeout(start_server):
    """With --idle-timeout 1s an unused environment is destroyed (scale to zero) and the next invoke is cold."""
    server = start_server(extra_args=["--idle-timeout", "1s"])
    try:
        client = server.client()
        _create_active(client, "idler", zip_function("counter"))
        first = invoke(client, "idler", {}, tail=True)
        assert "Init Duration" in first.log
        assert _environment_processes(server), "the warm environment should be running"
        deadline = time.monotonic() + 15
        while _environment_processes(server) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _environment_processes(server), "idle environment not reclaimed"
        second = invoke(client, "idler", {}, tail=True)
        assert second.payload["env_id"] != first.payload["env_id"]
        assert second.payload["count"] == 1
        assert "Init Duration" in second.log
    finally:
        assert server.terminate() == 0, server.log_tail()


def test_environment_is_reused_while_warm_within_the_idle_timeout(start_server):
    """Invokes closer together than the idle timeout keep one environment, counting up."""
    server = start_server(extra_args=["--idle-timeout", "30s"])
    try:
        client = server.client()
        _create_active(client, "warm", zip_function("counter"))
        results = []
        for _ in range(4):
            results.append(invoke(client, "warm", {}).payload)
            time.sleep(0.3)
        assert len({r["env_id"] for r in results}) == 1, results
        assert [r["count"] for r in results] == [1, 2, 3, 4]
    finally:
        assert server.terminate() == 0, server.log_tail()


def test_environment_is_replaced_after_its_maximum_lifetime(start_server):
    """With --max-lifetime 1s an environment is retired between invocations once it is older."""
    server = start_server(extra_args=["--max-lifetime", "1s"])
    try:
        client = server.client()
        _create_active(client, "aging", zip_function("counter"))
        first = invoke(client, "aging", {}).payload
        time.sleep(1.5)
        second = invoke(client, "aging", {}).payload
        assert second["env_id"] != first["env_id"]
        assert second["count"] == 1
    finally:
        assert server.terminate() == 0, server.log_tail()


def test_burst_of_200_cold_invokes_starts_200_environments(server, function):
    """200 concurrent invokes of a cold function all succeed, each in an environment of its own."""
    name = function("probe")["FunctionName"]
    client = server.client(max_pool_connections=200, read_timeout=180)
    count = 200

    def call(_):
        # Long enough that every invocation is still running when the last one starts.
        return invoke(client, name, {"action": "sleep", "seconds": 10})

    with ThreadPoolExecutor(max_workers=count) as pool:
        results = list(pool.map(call, range(count)))
    assert all(r.status == 200 and r.function_error is None for r in results), \
        [r.payload for r in results if r.function_error][:3]
    assert len({r.payload["env_id"] for r in results}) == count


def test_restart_after_kill_9_leaves_nothing_behind(start_server, tmp_path_factory):
    """kill -9 of the server: its environments die with it, and a restart on the same data works."""
    workdir = tmp_path_factory.mktemp("crash")
    first = start_server(workdir)
    client = first.client()
    _create_active(client, "crasher", zip_function("counter"))
    assert invoke(client, "crasher", {}).status == 200
    assert _environment_processes(first), "the warm environment should be running"
    first_pid = first.process.pid
    first.process.send_signal(signal.SIGKILL)
    first.process.wait(timeout=10)
    _assert_no_leftover_processes(first)

    second = start_server(workdir)
    import glob
    stale = glob.glob(f"/sys/fs/cgroup/*/lambent/s{first_pid}") + glob.glob(f"/sys/fs/cgroup/lambent/s{first_pid}")
    assert not stale, f"the crashed server's cgroups were not cleaned up: {stale}"
    try:
        result = invoke(second.client(), "crasher", {})
        assert result.status == 200 and result.payload["count"] == 1
    finally:
        assert second.terminate() == 0, second.log_tail()
    _assert_no_leftover_processes(second)
    # The crashed server's /tmp volumes were unmounted at the restart, the second's at its exit.
    assert _mounts_under(workdir) == [], _mounts_under(workdir)


def _mounts_under(directory) -> list[str]:
    """Mount points under `directory` (the /tmp volumes of a data directory)."""
    prefix = str(directory).rstrip("/") + "/"
    with open("/proc/self/mountinfo") as mountinfo:
        return [line.split()[4] for line in mountinfo if line.split()[4].startswith(prefix)]


def _lambent_cgroups(server) -> list[str]:
    """Cgroup directories of this server's environments (cgroup v1 or v2)."""
    import glob
    import os
    pid = server.process.pid
    patterns = [f"/sys/fs/cgroup/{c}/lambent/s{pid}/*" for c in ("memory", "cpu", "pids")]
    patterns.append(f"/sys/fs/cgroup/lambent/s{pid}/*")
    return [path for pattern in patterns for path in glob.glob(pattern) if os.path.isdir(path)]


def test_environments_get_cgroups_that_are_removed_with_them(start_server):
    """Each environment has its cgroup(s) while it lives; none is left after SIGTERM."""
    server = start_server()
    client = server.client()
    _create_active(client, "grouped", zip_function("counter"))
    assert invoke(client, "grouped", {}).status == 200
    groups = _lambent_cgroups(server)
    if not groups:
        pytest.skip("cgroups are not available on this machine (the server runs without resource limits)")
    pid = server.process.pid
    assert server.terminate() == 0, server.log_tail()
    import glob
    leftovers = glob.glob(f"/sys/fs/cgroup/*/lambent/s{pid}") + glob.glob(f"/sys/fs/cgroup/lambent/s{pid}")
    assert not leftovers, leftovers
