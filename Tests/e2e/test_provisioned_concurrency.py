"""Provisioned concurrency: environments initialized ahead of demand for a version or an
alias, warm on their first invocation, replaced when they die, and AWS's errors
(`TestProvisionedConcurrency` in shared/reference/aws-recorded)."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError

from conftest import error_code, function_arn, http_status, invoke


def wait_ready(lambda_client, name: str, qualifier: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        config = lambda_client.get_provisioned_concurrency_config(FunctionName=name, Qualifier=qualifier)
        if config["Status"] != "IN_PROGRESS" or time.monotonic() > deadline:
            return config
        time.sleep(0.2)


def metric(server, name: str, function: str, label: str = "") -> float:
    import urllib.request
    text = urllib.request.urlopen(f"{server.endpoint}/metrics", timeout=10).read().decode()
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and f'function="{function}"' in line and label in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_provisioned_version_is_warm_on_first_invoke(function, lambda_client, server):
    """Put on a version: IN_PROGRESS, then READY with every environment allocated; the first
    invocations report no Init Duration and see AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency;
    beyond the provisioned environments, invocations spill over to on-demand ones."""
    name = function(Publish=True)["FunctionName"]
    put = lambda_client.put_provisioned_concurrency_config(FunctionName=name, Qualifier="1", ProvisionedConcurrentExecutions=2)
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert put["RequestedProvisionedConcurrentExecutions"] == 2 and put["Status"] in ("IN_PROGRESS", "READY")
    assert "LastModified" in put
    ready = wait_ready(lambda_client, name, "1")
    assert ready["Status"] == "READY", ready
    assert ready["AllocatedProvisionedConcurrentExecutions"] == 2 and ready["AvailableProvisionedConcurrentExecutions"] == 2
    assert "StatusReason" not in ready

    first = invoke(lambda_client, name, {"action": "environment"}, tail=True, Qualifier="1")
    assert first.status == 200 and first.executed_version == "1"
    assert "Init Duration" not in first.log, first.log
    assert first.payload["environ"]["AWS_LAMBDA_INITIALIZATION_TYPE"] == "provisioned-concurrency"
    # $LATEST has no provisioned environments: a cold start, on demand.
    latest = invoke(lambda_client, name, {"action": "environment"}, tail=True)
    assert "Init Duration" in latest.log and latest.payload["environ"]["AWS_LAMBDA_INITIALIZATION_TYPE"] == "on-demand"

    listed = lambda_client.list_provisioned_concurrency_configs(FunctionName=name)["ProvisionedConcurrencyConfigs"]
    assert [c["FunctionArn"] for c in listed] == [function_arn(name) + ":1"]
    assert metric(server, "lambent_provisioned_environments", name, 'state="ready"') == 2

    lambda_client.delete_provisioned_concurrency_config(FunctionName=name, Qualifier="1")
    with pytest.raises(ClientError) as caught:
        lambda_client.get_provisioned_concurrency_config(FunctionName=name, Qualifier="1")
    assert error_code(caught.value) == "ProvisionedConcurrencyConfigNotFoundException" and http_status(caught.value) == 404
    assert caught.value.response["Error"]["Message"] == "No Provisioned Concurrency Config found for this function"
    assert lambda_client.list_provisioned_concurrency_configs(FunctionName=name)["ProvisionedConcurrencyConfigs"] == []


def test_provisioned_alias_moves_and_replaces_dead_environments(function, lambda_client, server):
    """Put on an alias; an environment whose runtime exits is replaced; the environments move
    when the alias does; deleting the alias deletes its configuration."""
    name = function(Publish=True)["FunctionName"]
    lambda_client.publish_version(FunctionName=name, Description="two")  # nothing changed: still version 1
    lambda_client.update_function_configuration(FunctionName=name, Description="second")
    function.wait_updated(name)
    assert lambda_client.publish_version(FunctionName=name)["Version"] == "2"
    lambda_client.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    lambda_client.put_provisioned_concurrency_config(FunctionName=name, Qualifier="live", ProvisionedConcurrentExecutions=1)
    assert wait_ready(lambda_client, name, "live")["Status"] == "READY"

    # The environment's runtime exits; a replacement is provisioned.
    died = invoke(lambda_client, name, {"action": "exit", "code": 3}, tail=True, Qualifier="live")
    assert died.function_error == "Unhandled" and "Init Duration" not in (died.log or "")
    deadline = time.monotonic() + 30
    while metric(server, "lambent_provisioned_environments", name, 'state="ready"') < 1 and time.monotonic() < deadline:
        time.sleep(0.2)
    again = invoke(lambda_client, name, {"action": "echo"}, tail=True, Qualifier="live")
    assert "Init Duration" not in again.log, again.log

    lambda_client.update_alias(FunctionName=name, Name="live", FunctionVersion="2")
    assert wait_ready(lambda_client, name, "live")["Status"] == "READY"
    moved = invoke(lambda_client, name, {"action": "echo"}, tail=True, Qualifier="live")
    assert moved.executed_version == "2" and "Init Duration" not in moved.log

    with pytest.raises(ClientError) as caught:
        lambda_client.put_provisioned_concurrency_config(FunctionName=name, Qualifier="2", ProvisionedConcurrentExecutions=1)
    assert error_code(caught.value) == "ResourceConflictException"
    assert caught.value.response["Error"]["Message"] == "Version is pointed by a Provisioned Concurrency alias"

    lambda_client.delete_alias(FunctionName=name, Name="live")
    assert lambda_client.list_provisioned_concurrency_configs(FunctionName=name)["ProvisionedConcurrencyConfigs"] == []


def test_provisioned_concurrency_errors(function, lambda_client, server):
    name = function(Publish=True)["FunctionName"]
    unchecked = server.client(parameter_validation=False)

    def refused(call, **params):
        with pytest.raises(ClientError) as caught:
            call(**params)
        return caught.value

    put = lambda_client.put_provisioned_concurrency_config
    error = refused(put, FunctionName=name, Qualifier="$LATEST", ProvisionedConcurrentExecutions=1)
    assert error.response["Error"]["Message"] == "Provisioned Concurrency Configs cannot be applied to unpublished function versions."
    error = refused(lambda_client.get_provisioned_concurrency_config, FunctionName=name, Qualifier="$LATEST")
    assert error.response["Error"]["Message"] == "The function resource provided must be an alias or a published version."
    error = refused(put, FunctionName=name, Qualifier="10", ProvisionedConcurrentExecutions=1)
    assert error.response["Error"]["Message"] == f"Function not found: {function_arn(name)}:10"
    error = refused(put, FunctionName=name, Qualifier="noalias", ProvisionedConcurrentExecutions=1)
    assert error.response["Error"]["Message"] == f"Cannot find alias arn: {function_arn(name)}:noalias"
    error = refused(unchecked.put_provisioned_concurrency_config, FunctionName=name, Qualifier="1", ProvisionedConcurrentExecutions=0)
    assert error_code(error) == "ValidationException"
    error = refused(put, FunctionName=name, Qualifier="1", ProvisionedConcurrentExecutions=100000)
    assert error.response["Error"]["Message"].startswith("Specified ConcurrentExecutions for function is greater than account's unreserved concurrency [")
    error = refused(lambda_client.list_provisioned_concurrency_configs, FunctionName="doesnotexist")
    assert error.response["Error"]["Message"] == f"Function not found: {function_arn('doesnotexist')}"
    assert lambda_client.delete_provisioned_concurrency_config(FunctionName=name, Qualifier="1")["ResponseMetadata"]["HTTPStatusCode"] == 204

    # Provisioned concurrency lives inside a reservation.
    lambda_client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=2)
    error = refused(put, FunctionName=name, Qualifier="1", ProvisionedConcurrentExecutions=3)
    assert error.response["Error"]["Message"] == "Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function"
    lambda_client.put_provisioned_concurrency_config(FunctionName=name, Qualifier="1", ProvisionedConcurrentExecutions=2)
    error = refused(lambda_client.put_function_concurrency, FunctionName=name, ReservedConcurrentExecutions=1)
    assert error.response["Error"]["Message"] == " ReservedConcurrentExecutions  1 should not be lower than function's total provisioned concurrency [2]."
    lambda_client.delete_provisioned_concurrency_config(FunctionName=name, Qualifier="1")
