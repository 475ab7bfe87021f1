"""Versions: PublishVersion, ListVersionsByFunction, qualified reads, invokes and deletes.

Fields, codes and messages follow AWS's recorded answers (`TestLambdaVersions`,
`TestLambdaFunction::test_ops_on_nonexisting_version` in shared/reference/aws-recorded).
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, FUNCTIONS_DIR, REGION, error_code, function_arn, http_status, invoke, zip_function


def counter_zip(code_version: str) -> bytes:
    """functions/counter with its CODE_VERSION set to `code_version`."""
    text = (FUNCTIONS_DIR / "counter" / "app.py").read_text().replace('CODE_VERSION = "v1"', f'CODE_VERSION = "{code_version}"')
    return zip_function("counter", {"app.py": text})


def test_version_lifecycle(function, lambda_client):
    """Publish snapshots $LATEST; an unchanged $LATEST publishes nothing new; numbers are never reused."""
    name = function("counter", zip_bytes=counter_zip("one"), Description="No version")["FunctionName"]
    latest_before = lambda_client.get_function(FunctionName=name)["Configuration"]

    first = lambda_client.publish_version(FunctionName=name, Description="First version")
    assert first["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert first["Version"] == "1"
    assert first["FunctionArn"] == function_arn(name) + ":1"
    assert first["Description"] == "First version"
    assert first["State"] == "Active" and first["LastUpdateStatus"] == "Successful"
    assert first["CodeSha256"] == latest_before["CodeSha256"]
    assert first["RevisionId"] != latest_before["RevisionId"]

    # The version reads back the same by ?Qualifier=, name:qualifier and qualified ARN.
    by_qualifier = lambda_client.get_function(FunctionName=name, Qualifier="1")["Configuration"]
    by_name = lambda_client.get_function_configuration(FunctionName=f"{name}:1")
    by_arn = lambda_client.get_function_configuration(FunctionName=function_arn(name) + ":1")
    for configuration in (by_qualifier, by_name, by_arn):
        assert configuration["Version"] == "1" and configuration["RevisionId"] == first["RevisionId"]
    # $LATEST got a new RevisionId; asked for by name, its ARN is qualified.
    latest = lambda_client.get_function(FunctionName=name, Qualifier="$LATEST")["Configuration"]
    assert latest["RevisionId"] != latest_before["RevisionId"]
    assert latest["FunctionArn"] == function_arn(name) + ":$LATEST"
    assert lambda_client.get_function(FunctionName=name)["Configuration"]["FunctionArn"] == function_arn(name)

    # Nothing changed: the same version again.
    again = lambda_client.publish_version(FunctionName=name)
    assert again["Version"] == "1" and again["RevisionId"] == first["RevisionId"]

    lambda_client.update_function_code(FunctionName=name, ZipFile=counter_zip("two"))
    function.wait_updated(name)
    second = lambda_client.publish_version(FunctionName=name)
    assert second["Version"] == "2" and second["Description"] == "No version"

    listed = lambda_client.list_versions_by_function(FunctionName=name)["Versions"]
    assert [v["Version"] for v in listed] == ["$LATEST", "1", "2"]
    assert listed[0]["FunctionArn"] == function_arn(name) + ":$LATEST"
    assert listed[1]["FunctionArn"] == function_arn(name) + ":1"
    assert "State" not in listed[1] and "LastUpdateStatus" not in listed[1]

    lambda_client.delete_function(FunctionName=name, Qualifier="1")
    assert [v["Version"] for v in lambda_client.list_versions_by_function(FunctionName=name)["Versions"]] == ["$LATEST", "2"]
    lambda_client.update_function_configuration(FunctionName=name, Description="changed")
    function.wait_updated(name)
    assert lambda_client.publish_version(FunctionName=name)["Version"] == "3", "numbers are never reused"

    # Paginated: one at a time.
    page = lambda_client.list_versions_by_function(FunctionName=name, MaxItems=1)
    assert [v["Version"] for v in page["Versions"]] == ["$LATEST"] and page["NextMarker"]
    paginator = lambda_client.get_paginator("list_versions_by_function")
    versions = [v["Version"] for p in paginator.paginate(FunctionName=name, PaginationConfig={"PageSize": 1}) for v in p["Versions"]]
    assert versions == ["$LATEST", "2", "3"]


def test_invoking_a_version_runs_its_code(function, lambda_client):
    """A version keeps its code; ExecutedVersion, context and START name the version that ran."""
    name = function("probe")["FunctionName"]
    lambda_client.publish_version(FunctionName=name)

    for kwargs in ({"FunctionName": f"{name}:1"}, {"FunctionName": name, "Qualifier": "1"},
                   {"FunctionName": function_arn(name) + ":1"}):
        target = kwargs.pop("FunctionName")
        result = invoke(lambda_client, target, {"action": "context"}, tail=True, **kwargs)
        assert result.status == 200, result.payload
        assert result.executed_version == "1"
        assert result.payload["function_version"] == "1"
        assert result.payload["invoked_function_arn"] == function_arn(name) + ":1"
        assert "/[1]" in result.payload["log_stream_name"]
        assert f"START RequestId: {result.payload['aws_request_id']} Version: 1" in result.log

    latest = invoke(lambda_client, name, {"action": "context"})
    assert latest.executed_version == "$LATEST" and latest.payload["function_version"] == "$LATEST"
    assert latest.payload["invoked_function_arn"] == function_arn(name)


def test_updating_latest_keeps_published_versions_and_their_environments(function, lambda_client):
    """$LATEST changes; version 1 still runs its own code, in its warm environment."""
    name = function("counter", zip_bytes=counter_zip("one"))["FunctionName"]
    lambda_client.publish_version(FunctionName=name)
    cold = invoke(lambda_client, f"{name}:1", {}).payload
    assert cold["code_version"] == "one" and cold["count"] == 1

    lambda_client.update_function_code(FunctionName=name, ZipFile=counter_zip("two"))
    function.wait_updated(name)
    assert invoke(lambda_client, name, {}).payload["code_version"] == "two"
    warm = invoke(lambda_client, f"{name}:1", {}).payload
    assert warm["code_version"] == "one"
    assert warm["env_id"] == cold["env_id"] and warm["count"] == 2


def test_publish_on_create_and_on_update(function, lambda_client):
    """Publish: true makes version 1 at create and the next one at UpdateFunctionCode."""
    name = function.unique_name()
    created = lambda_client.create_function(
        FunctionName=name, Runtime="python3.12", Role=f"arn:aws:iam::{ACCOUNT_ID}:role/x", Handler="app.handler",
        Code={"ZipFile": counter_zip("one")}, Publish=True)
    assert created["Version"] == "1" and created["FunctionArn"] == function_arn(name)
    assert created["State"] == "Pending"
    function.wait_active(name)
    assert [v["Version"] for v in lambda_client.list_versions_by_function(FunctionName=name)["Versions"]] == ["$LATEST", "1"]

    updated = lambda_client.update_function_code(FunctionName=name, ZipFile=counter_zip("two"), Publish=True)
    assert updated["Version"] == "2" and updated["FunctionArn"] == function_arn(name) + ":2"
    assert updated["State"] == "Pending" and "LastUpdateStatus" not in updated
    function.wait_updated(name)
    assert invoke(lambda_client, f"{name}:2", {}).payload["code_version"] == "two"
    assert invoke(lambda_client, f"{name}:1", {}).payload["code_version"] == "one"


def test_publish_preconditions(function, lambda_client):
    """A stale CodeSha256 or RevisionId is refused with AWS's messages."""
    configuration = function("probe")
    name, sha = configuration["FunctionName"], configuration["CodeSha256"]
    with pytest.raises(ClientError) as wrong_sha:
        lambda_client.publish_version(FunctionName=name, CodeSha256="somenonexistentsha256")
    assert error_code(wrong_sha.value) == "InvalidParameterValueException"
    assert wrong_sha.value.response["Error"]["Message"] == (
        f"CodeSHA256 (somenonexistentsha256) is different from current CodeSHA256 in $LATEST ({sha}). "
        "Please try again with the CodeSHA256 in $LATEST.")
    with pytest.raises(ClientError) as wrong_revision:
        lambda_client.publish_version(FunctionName=name, RevisionId="wrong")
    assert error_code(wrong_revision.value) == "PreconditionFailedException" and http_status(wrong_revision.value) == 412
    assert lambda_client.publish_version(FunctionName=name, CodeSha256=sha,
                                         RevisionId=configuration["RevisionId"])["Version"] == "1"


def test_unknown_versions_and_latest_deletion(function, lambda_client):
    """Unknown versions are 404 with the qualified ARN (deleting one is idempotent, as AWS was
    recorded answering, `test_delete_on_nonexisting_version`); $LATEST cannot be deleted by qualifier."""
    name = function("probe")["FunctionName"]
    lambda_client.delete_function(FunctionName=name, Qualifier="1221")
    for call in (lambda: lambda_client.get_function(FunctionName=name, Qualifier="1221"),
                 lambda: lambda_client.invoke(FunctionName=name, Qualifier="1221", Payload=b"{}")):
        with pytest.raises(ClientError) as missing:
            call()
        assert error_code(missing.value) == "ResourceNotFoundException"
        assert missing.value.response["Error"]["Message"] == f"Function not found: {function_arn(name)}:1221"
    with pytest.raises(ClientError) as latest:
        lambda_client.delete_function(FunctionName=name, Qualifier="$LATEST")
    assert latest.value.response["Error"]["Message"] == "$LATEST version cannot be deleted without deleting the function."
    with pytest.raises(ClientError) as mismatch:
        lambda_client.get_function(FunctionName=f"{name}:1", Qualifier="2")
    assert mismatch.value.response["Error"]["Message"] == (
        "The derived qualifier from the function name does not match the specified qualifier.")


def test_aws_cli_publish_and_list(function, aws):
    """The aws CLI v1: publish-version, list-versions-by-function, invoke --qualifier."""
    name = function("probe")["FunctionName"]
    published = aws("lambda", "publish-version", "--function-name", name, "--description", "cli")
    assert published["Version"] == "1" and published["Description"] == "cli"
    listed = aws("lambda", "list-versions-by-function", "--function-name", name)
    assert [v["Version"] for v in listed["Versions"]] == ["$LATEST", "1"]
    assert REGION in listed["Versions"][1]["FunctionArn"]
