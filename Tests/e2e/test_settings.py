"""The plain configuration records: runtime management and recursion configs."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from conftest import error_code, function_arn


def test_recursion_config(function, lambda_client, aws):
    name = function()["FunctionName"]
    assert lambda_client.get_function_recursion_config(FunctionName=name)["RecursiveLoop"] == "Terminate"
    assert lambda_client.put_function_recursion_config(FunctionName=name, RecursiveLoop="Allow")["RecursiveLoop"] == "Allow"
    assert aws("lambda", "get-function-recursion-config", "--function-name", name)["RecursiveLoop"] == "Allow"
    with pytest.raises(ClientError) as caught:
        lambda_client.put_function_recursion_config(FunctionName="doesnotexist", RecursiveLoop="Allow")
    assert error_code(caught.value) == "ResourceNotFoundException"


def test_invalid_recursion_value(function, server):
    name = function()["FunctionName"]
    client = server.client(parameter_validation=False)
    with pytest.raises(ClientError) as caught:
        client.put_function_recursion_config(FunctionName=name, RecursiveLoop="InvalidValue")
    assert caught.value.response["Error"]["Message"] == (
        "1 validation error detected: Value 'InvalidValue' at 'recursiveLoop' failed to satisfy constraint: "
        "Member must satisfy enum value set: [Terminate, Allow]")


def test_runtime_management_config(function, lambda_client):
    config = function(Publish=True)
    name = config["FunctionName"]
    default = lambda_client.get_runtime_management_config(FunctionName=name)
    assert default["UpdateRuntimeOn"] == "Auto" and default["FunctionArn"] == function_arn(name)
    assert "RuntimeVersionArn" not in default
    arn = config["RuntimeVersionConfig"]["RuntimeVersionArn"]
    put = lambda_client.put_runtime_management_config(FunctionName=name, Qualifier="1", UpdateRuntimeOn="Manual", RuntimeVersionArn=arn)
    assert put == {**put, "UpdateRuntimeOn": "Manual", "RuntimeVersionArn": arn, "FunctionArn": function_arn(name) + ":1"}
    assert lambda_client.get_runtime_management_config(FunctionName=name, Qualifier="1")["RuntimeVersionArn"] == arn
    assert lambda_client.get_runtime_management_config(FunctionName=name)["UpdateRuntimeOn"] == "Auto"
    lambda_client.put_runtime_management_config(FunctionName=name, UpdateRuntimeOn="FunctionUpdate")
    assert lambda_client.get_runtime_management_config(FunctionName=name)["UpdateRuntimeOn"] == "FunctionUpdate"
    with pytest.raises(ClientError) as caught:
        lambda_client.put_runtime_management_config(FunctionName=name, UpdateRuntimeOn="Manual")
    assert error_code(caught.value) == "InvalidParameterValueException"
    with pytest.raises(ClientError) as caught:
        lambda_client.get_runtime_management_config(FunctionName=name, Qualifier="9")
    assert caught.value.response["Error"]["Message"] == f"Function not found: {function_arn(name)}:9"
