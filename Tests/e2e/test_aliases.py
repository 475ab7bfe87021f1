"""Aliases: CRUD, weighted routing, invoking through an alias, and AWS's errors
(`TestLambdaAlias` in shared/reference/aws-recorded)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from conftest import FUNCTIONS_DIR, error_code, function_arn, http_status, invoke, zip_function


def counter_zip(code_version: str) -> bytes:
    text = (FUNCTIONS_DIR / "counter" / "app.py").read_text().replace('CODE_VERSION = "v1"', f'CODE_VERSION = "{code_version}"')
    return zip_function("counter", {"app.py": text})


@pytest.fixture
def two_versions(function, lambda_client):
    """A counter function with version 1 (code "one") and version 2 (code "two")."""
    name = function("counter", zip_bytes=counter_zip("one"))["FunctionName"]
    lambda_client.publish_version(FunctionName=name)
    lambda_client.update_function_code(FunctionName=name, ZipFile=counter_zip("two"))
    function.wait_updated(name)
    lambda_client.publish_version(FunctionName=name)
    return name


def test_alias_lifecycle(two_versions, lambda_client):
    """Create, get, list (with a version filter), update with RevisionId, delete."""
    name = two_versions
    created = lambda_client.create_alias(FunctionName=name, Name="live", FunctionVersion="1", Description="custom-alias",
                                         RoutingConfig={"AdditionalVersionWeights": {"2": 0.2}})
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert created["AliasArn"] == function_arn(name) + ":live"
    assert created["FunctionVersion"] == "1" and created["Name"] == "live" and created["Description"] == "custom-alias"
    assert created["RoutingConfig"] == {"AdditionalVersionWeights": {"2": 0.2}}
    plain = lambda_client.create_alias(FunctionName=name, Name="beta", FunctionVersion="2")
    assert plain["Description"] == "" and "RoutingConfig" not in plain

    got = lambda_client.get_alias(FunctionName=name, Name="live")
    assert {k: got[k] for k in ("AliasArn", "RevisionId", "FunctionVersion")} == {
        k: created[k] for k in ("AliasArn", "RevisionId", "FunctionVersion")}
    # GetFunction through the alias: the alias's version under the alias's ARN.
    through = lambda_client.get_function(FunctionName=name, Qualifier="live")["Configuration"]
    assert through["Version"] == "1" and through["FunctionArn"] == function_arn(name) + ":live"

    assert [a["Name"] for a in lambda_client.list_aliases(FunctionName=name)["Aliases"]] == ["beta", "live"]
    assert [a["Name"] for a in lambda_client.list_aliases(FunctionName=name, FunctionVersion="2")["Aliases"]] == ["beta"]

    with pytest.raises(ClientError) as stale:
        lambda_client.update_alias(FunctionName=name, Name="live", FunctionVersion="2", RevisionId="stale")
    assert error_code(stale.value) == "PreconditionFailedException" and http_status(stale.value) == 412
    updated = lambda_client.update_alias(FunctionName=name, Name="live", FunctionVersion="2",
                                         RoutingConfig={"AdditionalVersionWeights": {}}, RevisionId=created["RevisionId"])
    assert updated["FunctionVersion"] == "2" and "RoutingConfig" not in updated
    assert updated["RevisionId"] != created["RevisionId"]

    assert lambda_client.delete_alias(FunctionName=name, Name="live")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert lambda_client.delete_alias(FunctionName=name, Name="live")["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as gone:
        lambda_client.get_alias(FunctionName=name, Name="live")
    assert gone.value.response["Error"]["Message"] == f"Cannot find alias arn: {function_arn(name)}:live"


def test_invoking_through_an_alias(two_versions, lambda_client):
    """The alias's version runs; ExecutedVersion names it and the invoked ARN is the alias's."""
    name = two_versions
    lambda_client.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    for target, kwargs in ((f"{name}:live", {}), (name, {"Qualifier": "live"}), (function_arn(name) + ":live", {})):
        result = invoke(lambda_client, target, {}, tail=True, **kwargs)
        assert result.status == 200 and result.executed_version == "1", result.payload
        assert result.payload["code_version"] == "one"
        assert "Version: 1" in result.log
    lambda_client.update_alias(FunctionName=name, Name="live", FunctionVersion="2")
    assert invoke(lambda_client, f"{name}:live", {}).payload["code_version"] == "two"


def test_weighted_alias_splits_invocations(two_versions, lambda_client):
    """AdditionalVersionWeights {"2": 0.3}: about 30% of 300 invocations run version 2."""
    name = two_versions
    lambda_client.create_alias(FunctionName=name, Name="canary", FunctionVersion="1",
                               RoutingConfig={"AdditionalVersionWeights": {"2": 0.3}})
    runs = {"1": 0, "2": 0}
    for _ in range(300):
        result = invoke(lambda_client, f"{name}:canary", {})
        assert result.payload["code_version"] == {"1": "one", "2": "two"}[result.executed_version]
        runs[result.executed_version] += 1
    # Binomial(300, 0.3): mean 90, sd 7.9; ±5 sd keeps a false failure below one in a million.
    assert 50 <= runs["2"] <= 130, runs


def test_alias_errors(two_versions, lambda_client):
    """AWS's answers for bad names, weights and targets, duplicates and unknown aliases."""
    name = two_versions

    def refused(expected_code: str, message: str, **params):
        with pytest.raises(ClientError) as error:
            lambda_client.create_alias(FunctionName=name, **params)
        assert error_code(error.value) == expected_code
        assert error.value.response["Error"]["Message"] == message

    refused("InvalidParameterValueException", "Number of items in AdditionalVersionWeights cannot be greater than 1",
            Name="a", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"2": 0.5, "3": 0.2}})
    refused("ValidationException",
            "1 validation error detected: Value '{2=2.0}' at 'routingConfig.additionalVersionWeights' failed to satisfy "
            "constraint: Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must "
            "have value greater than or equal to 0.0, Member must not be null]",
            Name="a", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"2": 2.0}})
    refused("InvalidParameterValueException",
            "Invalid function version 1. Function version 1 is already included in routing configuration.",
            Name="a", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"1": 0.5}})
    refused("ResourceNotFoundException", f"Function not found: {function_arn(name)}:10", Name="a", FunctionVersion="10")
    refused("ResourceNotFoundException", f"Function not found: {function_arn(name)}:10",
            Name="a", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"10": 0.5}})
    refused("InvalidParameterValueException", "$LATEST is not supported for an alias pointing to more than 1 version",
            Name="a", FunctionVersion="$LATEST", RoutingConfig={"AdditionalVersionWeights": {"1": 0.5}})
    refused("ValidationException",
            "1 validation error detected: Value '2024' at 'name' failed to satisfy constraint: Member must satisfy "
            "regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)",
            Name="2024", FunctionVersion="1")

    assert lambda_client.create_alias(FunctionName=name, Name="custom-latest", FunctionVersion="$LATEST")["FunctionVersion"] == "$LATEST"
    lambda_client.create_alias(FunctionName=name, Name="custom", FunctionVersion="1")
    refused("ResourceConflictException", f"Alias already exists: {function_arn(name)}:custom", Name="custom", FunctionVersion="1")

    with pytest.raises(ClientError) as update_missing:
        lambda_client.update_alias(FunctionName=name, Name="non-existent", FunctionVersion="1")
    assert update_missing.value.response["Error"]["Message"] == f"Alias not found: {function_arn(name)}:non-existent"
    with pytest.raises(ClientError) as invoke_missing:
        lambda_client.invoke(FunctionName=f"{name}:aliasdoesnotexist", Payload=b"{}")
    assert invoke_missing.value.response["Error"]["Message"] == f"Function not found: {function_arn(name)}:aliasdoesnotexist"
    # A version an alias uses cannot be deleted.
    with pytest.raises(ClientError) as in_use:
        lambda_client.delete_function(FunctionName=name, Qualifier="1")
    assert error_code(in_use.value) == "ResourceConflictException"
