"""Network modes (docs/SPECIFICATION.md, "Network"): what a function's sandbox can reach.

- no VpcConfig -> `--network` (default: `default`): outbound only, through slirp4netns; not the
  host's loopback, not the host's own addresses, not private, shared or link-local ranges;
- a VpcConfig -> `--vpc-network` (default: `host`): the host's network;
- `none`: loopback only.

"The outside" is a network namespace this test makes itself (`unshare --net`, a veth pair in
198.18.0.0/15, the benchmarking range, which is neither private nor the host's), with an HTTP
server in it. Nothing here leaves the machine.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import FunctionFactory, error_code, invoke

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("ip") or not shutil.which("slirp4netns"),
    reason="network modes need root, iproute2 and slirp4netns (scripts/test.sh installs them)")

MARKER = "hello from the outside"
VPC = {"SubnetIds": ["subnet-0a1b2c3d"], "SecurityGroupIds": ["sg-0123abcd"]}
BLOCKED = ["EACCES", "ENETUNREACH", "EHOSTUNREACH", "ECONNREFUSED", "timeout", "TimeoutError"]


@pytest.fixture(scope="module")
def outside(tmp_path_factory):
    """An 'internet' host: a namespace behind a veth pair, serving MARKER over HTTP on :8080."""
    name = f"lbt{uuid.uuid4().hex[:8]}"
    third = int(uuid.uuid4().hex[:2], 16)  # 198.18.<third>.0/30
    host_ip, peer_ip = f"198.18.{third}.1", f"198.18.{third}.2"
    root = tmp_path_factory.mktemp("outside")
    (root / "index.html").write_text(MARKER)
    # The namespace is held by a sleeping process and entered by its pid, not named under
    # /run/netns: `ip netns` bind-mounts /run/netns onto itself on first use, and when that
    # races with another first use (the server's own network helpers, other workers) a later
    # mount hides the earlier namespace files, so `ip netns exec` fails with EINVAL.
    holder = subprocess.Popen(["unshare", "--net", "sleep", "infinity"])
    pid = str(holder.pid)
    deadline = time.monotonic() + 5
    while os.readlink(f"/proc/{pid}/ns/net") == os.readlink("/proc/self/ns/net"):
        assert time.monotonic() < deadline, "unshare did not enter a new network namespace"
        time.sleep(0.05)

    def inside(*command):
        return ["nsenter", "-t", pid, "-n", *command]

    try:
        subprocess.run(["ip", "link", "add", f"{name}h", "type", "veth", "peer", "name", f"{name}p"], check=True)
        subprocess.run(["ip", "link", "set", f"{name}p", "netns", pid], check=True)
        subprocess.run(["ip", "addr", "add", f"{host_ip}/30", "dev", f"{name}h"], check=True)
        subprocess.run(["ip", "link", "set", f"{name}h", "up"], check=True)
        subprocess.run(inside("ip", "addr", "add", f"{peer_ip}/30", "dev", f"{name}p"), check=True)
        subprocess.run(inside("ip", "link", "set", f"{name}p", "up"), check=True)
        subprocess.run(inside("ip", "link", "set", "lo", "up"), check=True)
        server = subprocess.Popen(inside(sys.executable, "-m", "http.server", "8080", "--bind", peer_ip),
                                  cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection((peer_ip, 8080), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield {"host_ip": host_ip, "peer_ip": peer_ip}
        server.kill()
        server.wait()
    finally:
        subprocess.run(["ip", "link", "del", f"{name}h"], stderr=subprocess.DEVNULL)
        holder.kill()
        holder.wait()


@pytest.fixture
def host_listener():
    """A TCP listener of the test's on every host address (as a server on 0.0.0.0 would be)."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("0.0.0.0", 0))
    listener.listen(16)
    yield listener.getsockname()[1]
    listener.close()


def probe(client, name, targets, http=False):
    result = invoke(client, name, {"action": "connect", "targets": targets, "http": http, "timeout": 3})
    assert result.status == 200 and result.function_error is None, result.payload
    return result.payload


def test_default_mode_reaches_the_outside_but_not_the_host_or_private_ranges(
        lambda_client, function, server, outside, host_listener):
    name = function("hostile", Timeout=60)["FunctionName"]
    peer, host = outside["peer_ip"], outside["host_ip"]
    seen = probe(lambda_client, name, [[peer, 8080]], http=True)
    assert seen[f"{peer}:8080"] == f"body:{MARKER}", seen

    seen = probe(lambda_client, name, [
        ["127.0.0.1", server.port],   # the sandbox's own loopback: nothing listens there
        ["10.0.2.2", server.port],    # slirp4netns's gateway: the host's loopback is refused
        ["10.0.2.2", host_listener],
        [host, host_listener],         # the host's own address
        [host, server.port],
        ["10.0.0.1", 80], ["172.16.0.1", 80], ["192.168.1.1", 80], ["100.64.0.1", 80],
        ["169.254.169.254", 80],       # where clouds keep their metadata service
    ])
    assert seen[f"127.0.0.1:{server.port}"] == "ECONNREFUSED", seen
    for target, result in seen.items():
        assert result in BLOCKED, (target, seen)
    for target in [f"{host}:{host_listener}", "10.0.0.1:80", "192.168.1.1:80", "169.254.169.254:80"]:
        assert seen[target] == "EACCES", seen  # the prohibit routes answer at once

    config = invoke(lambda_client, name, {"action": "interfaces"}).payload
    assert config["interfaces"] == ["lo", "tap0"], config
    assert "nameserver 10.0.2.3" in config["resolv_conf"], config
    assert "localhost" in config["hosts"], config


def test_vpc_function_gets_the_host_network(lambda_client, function, server, outside, host_listener):
    created = function("hostile", Timeout=60, VpcConfig=VPC)
    assert created["VpcConfig"]["SubnetIds"] == VPC["SubnetIds"]
    assert created["VpcConfig"]["VpcId"] == "vpc-lambent"
    name = created["FunctionName"]
    peer = outside["peer_ip"]
    seen = probe(lambda_client, name, [["127.0.0.1", host_listener], [peer, 8080]])
    assert seen == {f"127.0.0.1:{host_listener}": "ok", f"{peer}:8080": "ok"}, seen
    # A second environment of the same function listens on a port of its own.
    assert invoke(lambda_client, name, {"action": "interfaces"}).status == 200


def test_removing_the_vpc_config_takes_the_function_off_the_host_network(lambda_client, function, host_listener):
    name = function("hostile", Timeout=60, VpcConfig=VPC)["FunctionName"]
    assert probe(lambda_client, name, [["127.0.0.1", host_listener]])[f"127.0.0.1:{host_listener}"] == "ok"
    updated = lambda_client.update_function_configuration(
        FunctionName=name, VpcConfig={"SubnetIds": [], "SecurityGroupIds": []})
    assert updated["VpcConfig"] == {"SubnetIds": [], "SecurityGroupIds": [], "VpcId": "",
                                    "Ipv6AllowedForDualStack": False}
    function.wait_updated(name)
    assert probe(lambda_client, name, [["127.0.0.1", host_listener]])[f"127.0.0.1:{host_listener}"] == "ECONNREFUSED"


def test_none_mode_has_loopback_only(start_server, tmp_path, outside):
    isolated = start_server(tmp_path, ["--network", "none", "--vpc-network", "none"])
    client = isolated.client()
    factory = FunctionFactory(client, _Request("none-mode"))
    try:
        for params in ({}, {"VpcConfig": VPC}):
            name = factory("hostile", Timeout=60, **params)["FunctionName"]
            seen = probe(client, name, [[outside["peer_ip"], 8080], ["10.0.2.3", 53]])
            assert all(result in BLOCKED for result in seen.values()), seen
            assert invoke(client, name, {"action": "interfaces"}).payload["interfaces"] == ["lo"]
    finally:
        factory.cleanup()


class _Request:
    """Enough of pytest's request for FunctionFactory's naming."""

    def __init__(self, label):
        self.node = type("Node", (), {"name": f"test_{label}"})()


def test_vpc_config_is_validated_as_aws_does(lambda_client, function):
    name = function.unique_name()
    with pytest.raises(ClientError) as raised:
        function("probe", FunctionName=name, VpcConfig={"SubnetIds": ["subnet_bad"], "SecurityGroupIds": ["sg-1"]})
    assert error_code(raised.value) == "ValidationException"
    assert raised.value.response["Error"]["Message"] == (
        "1 validation error detected: Value '[subnet_bad]' at 'vpcConfig.subnetIds' failed to satisfy constraint: "
        "Member must satisfy constraint: [Member must have length less than or equal to 1024, Member must have "
        "length greater than or equal to 0, Member must satisfy regular expression pattern: subnet-[0-9a-z]*]")
    with pytest.raises(ClientError) as raised:
        function("probe", FunctionName=name, VpcConfig={"SubnetIds": ["subnet-1"], "SecurityGroupIds": ["sg_bad"]})
    assert "at 'vpcConfig.securityGroupIds'" in raised.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as raised:
        function("probe", FunctionName=name, VpcConfig={"SubnetIds": ["subnet-1"], "SecurityGroupIds": []})
    assert error_code(raised.value) == "InvalidParameterValueException"

    plain = function("probe")
    assert "VpcConfig" not in plain
