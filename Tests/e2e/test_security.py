"""Security scenarios: hostile functions try to leave their sandbox; every attempt must fail,
and the server and other functions must stay healthy. See docs/threat-model.md."""

from __future__ import annotations

import pytest

from conftest import invoke


def attack(client, name, event):
    result = invoke(client, name, event)
    assert result.status == 200 and result.function_error is None, result.payload
    return result.payload


@pytest.fixture
def hostile(lambda_client, function):
    return function("hostile", Timeout=30)["FunctionName"]


def test_runs_as_an_unprivileged_user_without_capabilities(lambda_client, hostile):
    """uid/gid 993, no capabilities, no_new_privs, a seccomp filter; setuid(0) fails."""
    seen = attack(lambda_client, hostile, {"action": "identity"})
    assert (seen["uid"], seen["euid"], seen["gid"]) == (993, 993, 993)
    assert seen["cap_eff"] == seen["cap_prm"] == seen["cap_bnd"] == "0000000000000000"
    assert seen["no_new_privs"] == "1"
    assert seen["seccomp"] == "2"
    # uid 0 is not even mapped in the sandbox's user namespace.
    assert seen["setuid0"] in ("EPERM", "EINVAL")


def test_cannot_read_the_servers_database_credentials_or_other_code(lambda_client, hostile, server):
    """The data directory (database, credentials, blobs, other functions' code) is not in the sandbox."""
    data = server.data_dir
    paths = [f"{data}/lambent.sqlite", f"{data}/credentials.json", "/etc/shadow", "/root/.bash_history",
             "/proc/1/root/etc/shadow"]
    seen = attack(lambda_client, hostile, {"action": "host_files", "paths": paths})
    assert all(outcome != "ok" for outcome in seen.values()), seen
    directories = [str(data), f"{data}/code", f"{data}/blobs", "/root", "/home"]
    seen = attack(lambda_client, hostile, {"action": "host_directories", "paths": directories})
    assert all(outcome != "ok" for outcome in seen.values()), seen


def test_cannot_see_or_signal_host_processes(lambda_client, hostile, server):
    """Only the sandbox's own processes are visible; the server's pid does not exist inside."""
    seen = attack(lambda_client, hostile, {"action": "processes", "server_pid": server.process.pid})
    assert len(seen["pids"]) <= 6, seen["pids"]  # bwrap init, agent, runtime (and their threads' tasks are not listed)
    assert server.process.pid not in seen["pids"] or seen["kill_server"] != "ok"
    assert seen["kill_server"] in ("ESRCH", "EPERM"), seen


def test_cannot_reach_the_control_plane_or_the_network(lambda_client, hostile, server):
    """The server's port on the host's loopback is unreachable, and so are private ranges (test_network.py has the rest)."""
    seen = attack(lambda_client, hostile, {"action": "network", "port": server.port})
    assert seen["host_port"] == "ECONNREFUSED", seen
    assert seen["outside"] in ("EACCES", "ENETUNREACH", "EHOSTUNREACH", "timeout", "TimeoutError"), seen


def test_a_process_left_running_after_the_handler_returns_dies_with_its_environment(lambda_client, function):
    """A detached daemon lives on while the environment is warm (as on Lambda), and no longer."""
    import random
    import subprocess
    import time
    name = function("hostile")["FunctionName"]
    marker = "%d.%06d" % (random.randint(1000, 9999), random.randint(0, 999999))
    assert attack(lambda_client, name, {"action": "daemon", "marker": marker})["left_behind"]
    pgrep = lambda: subprocess.run(["pgrep", "-f", f"sleep {marker}"], capture_output=True, text=True).stdout  # noqa: E731
    # The handler returns as soon as it has forked; the grandchild's exec of `sleep` may come a
    # moment later on a loaded machine.
    for _ in range(50):
        if pgrep():
            break
        time.sleep(0.1)
    assert pgrep(), "the daemon should run while its environment is warm"
    lambda_client.update_function_configuration(FunctionName=name, Description="retire the environment")
    survivors = pgrep()
    for _ in range(50):
        if not survivors:
            break
        time.sleep(0.1)
        survivors = pgrep()
    assert survivors == "", f"a process outlived its environment: {survivors}"
    assert attack(lambda_client, name, {"action": "identity"})["uid"] == 993


def test_denied_system_calls_fail_with_the_filters_errno(lambda_client, hostile):
    """The seccomp probe: each denied call returns EPERM (clone3: ENOSYS); no namespaces, no TIOCSTI."""
    seen = attack(lambda_client, hostile, {"action": "syscalls"})
    expected = {name: "EPERM" for name in seen}
    expected["clone3"] = "ENOSYS"
    assert seen == expected


def test_cannot_write_its_code(lambda_client, hostile):
    """/var/task is read-only."""
    assert attack(lambda_client, hostile, {"action": "write_task"})["var_task"] in ("EROFS", "EACCES")


def test_filling_tmp_gives_enospc_and_the_function_recovers(lambda_client, function):
    """/tmp holds EphemeralStorage (512 MB) and no more: a 128 MB function writing 600 MB gets
    ENOSPC, not the OOM killer (/tmp is a disk, not memory), and the next invoke works."""
    name = function("hostile", Timeout=60, MemorySize=128)["FunctionName"]
    seen = attack(lambda_client, name, {"action": "fill_tmp", "limit_mb": 600})
    assert seen["fill"] == "ENOSPC", seen
    assert 500 <= seen["written_mb"] <= 530, seen  # about EphemeralStorage: ext4's own metadata is added to the image
    assert attack(lambda_client, name, {"action": "identity"})["uid"] == 993


def test_another_functions_tmp_is_invisible(lambda_client, function):
    """Each environment has a /tmp of its own."""
    first = function("hostile")["FunctionName"]
    second = function("hostile")["FunctionName"]
    attack(lambda_client, first, {"action": "tmp_marker", "write": True, "marker": "from-first"})
    seen = attack(lambda_client, second, {"action": "tmp_marker"})
    assert "marker-from-first" not in seen["seen"], seen


def test_allocating_past_memory_size_is_killed_and_the_next_invoke_recovers(lambda_client, function):
    """A handler allocating past MemorySize is killed (Runtime.ExitError, signal: killed); the next invoke works."""
    name = function("hostile", MemorySize=128)["FunctionName"]
    result = invoke(lambda_client, name, {"action": "allocate", "mb": 400}, tail=True)
    assert result.function_error == "Unhandled", result.payload
    assert result.payload["errorType"] == "Runtime.ExitError"
    assert result.payload["errorMessage"].endswith("Error: Runtime exited with error: signal: killed"), result.payload
    assert "REPORT RequestId" in result.log
    assert attack(lambda_client, name, {"action": "allocate", "mb": 16})["allocated_mb"] == 16


def test_max_memory_used_comes_from_the_environment(lambda_client, function):
    """REPORT's Max Memory Used counts what the function allocated."""
    name = function("hostile", MemorySize=512)["FunctionName"]
    result = invoke(lambda_client, name, {"action": "allocate", "mb": 200}, tail=True)
    assert result.function_error is None, result.payload
    used = int(result.log.split("Max Memory Used: ")[1].split(" MB")[0])
    assert 200 <= used <= 512, result.log


def test_fork_bomb_stops_at_the_process_limit(lambda_client, function):
    """Forking without end stops at Lambda's 1,024 processes/threads; the function and server stay healthy."""
    name = function("hostile", MemorySize=1024, Timeout=60)["FunctionName"]
    seen = attack(lambda_client, name, {"action": "fork_bomb", "max": 5000})
    assert seen["refused"] == "EAGAIN", seen
    assert seen["forked"] < 1024, seen
    assert attack(lambda_client, name, {"action": "identity"})["uid"] == 993
