"""Resource-based policies on functions, versions and aliases: AddPermission,
RemovePermission, GetPolicy and AWS's errors (`TestLambdaPermissions` in
shared/reference/aws-recorded)."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, error_code, function_arn, http_status


def statements(lambda_client, name: str, **params) -> list[dict]:
    return json.loads(lambda_client.get_policy(FunctionName=name, **params)["Policy"])["Statement"]


def test_permission_lifecycle(function, lambda_client):
    """Statements are kept in order, formatted as AWS formats them, and removed one by one."""
    name = function()["FunctionName"]
    added = lambda_client.add_permission(FunctionName=name, StatementId="s3", Action="lambda:InvokeFunction",
                                         Principal="s3.amazonaws.com", SourceArn="arn:aws:s3:::my-bucket")
    assert added["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert added["Statement"] == (
        '{"Sid":"s3","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"lambda:InvokeFunction",'
        f'"Resource":"{function_arn(name)}","Condition":{{"ArnLike":{{"AWS:SourceArn":"arn:aws:s3:::my-bucket"}}}}}}')
    url = lambda_client.add_permission(FunctionName=name, StatementId="urlPermission", Action="lambda:InvokeFunctionUrl",
                                       Principal="*", SourceArn="arn:aws:s3:::test-bucket", SourceAccount=ACCOUNT_ID,
                                       PrincipalOrgID="o-1234567890", FunctionUrlAuthType="NONE")
    assert json.loads(url["Statement"])["Condition"] == {
        "StringEquals": {"AWS:SourceAccount": ACCOUNT_ID, "lambda:FunctionUrlAuthType": "NONE", "aws:PrincipalOrgID": "o-1234567890"},
        "ArnLike": {"AWS:SourceArn": "arn:aws:s3:::test-bucket"}}
    account = lambda_client.add_permission(FunctionName=name, StatementId="account-id", Action="lambda:InvokeFunction",
                                           Principal="111111111111")
    assert json.loads(account["Statement"])["Principal"] == {"AWS": "arn:aws:iam::111111111111:root"}

    policy = lambda_client.get_policy(FunctionName=name)
    document = json.loads(policy["Policy"])
    assert document["Version"] == "2012-10-17" and document["Id"] == "default"
    assert [s["Sid"] for s in document["Statement"]] == ["s3", "urlPermission", "account-id"]
    assert policy["Policy"].startswith('{"Version":"2012-10-17","Id":"default","Statement":[{"Sid":"s3"')

    with pytest.raises(ClientError) as caught:
        lambda_client.remove_permission(FunctionName=name, StatementId="s3", RevisionId="wrong")
    assert http_status(caught.value) == 412
    lambda_client.remove_permission(FunctionName=name, StatementId="urlPermission", RevisionId=policy["RevisionId"])
    assert [s["Sid"] for s in statements(lambda_client, name)] == ["s3", "account-id"]
    with pytest.raises(ClientError) as caught:
        lambda_client.remove_permission(FunctionName=name, StatementId="non-existent")
    assert caught.value.response["Error"]["Message"] == "Statement non-existent is not found in resource policy."
    lambda_client.remove_permission(FunctionName=name, StatementId="s3")
    lambda_client.remove_permission(FunctionName=name, StatementId="account-id")
    with pytest.raises(ClientError) as caught:
        lambda_client.get_policy(FunctionName=name)
    assert caught.value.response["Error"]["Message"] == "The resource you requested does not exist."
    with pytest.raises(ClientError) as caught:
        lambda_client.remove_permission(FunctionName=name, StatementId="s3")
    assert caught.value.response["Error"]["Message"] == "No policy is associated with the given resource."


def test_each_qualifier_has_its_own_policy(function, lambda_client):
    """Versions and aliases have policies of their own, named in the statement's Resource;
    deleting the alias deletes its policy."""
    name = function(Publish=True)["FunctionName"]
    lambda_client.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    lambda_client.add_permission(FunctionName=name, StatementId="s3", Action="lambda:InvokeFunction", Principal="s3.amazonaws.com")
    lambda_client.add_permission(FunctionName=name, StatementId="s3", Action="lambda:InvokeFunction",
                                 Principal="s3.amazonaws.com", Qualifier="1")
    lambda_client.add_permission(FunctionName=f"{name}:live", StatementId="s3", Action="lambda:InvokeFunction",
                                 Principal="s3.amazonaws.com")
    assert statements(lambda_client, name)[0]["Resource"] == function_arn(name)
    assert statements(lambda_client, name, Qualifier="1")[0]["Resource"] == function_arn(name) + ":1"
    assert statements(lambda_client, name, Qualifier="live")[0]["Resource"] == function_arn(name) + ":live"
    lambda_client.delete_alias(FunctionName=name, Name="live")
    lambda_client.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    with pytest.raises(ClientError):
        lambda_client.get_policy(FunctionName=name, Qualifier="live")


def test_permission_errors(function, lambda_client):
    name = function(Publish=True)["FunctionName"]

    def refused(**params):
        request = dict(FunctionName=name, StatementId="s1", Action="lambda:InvokeFunction", Principal="s3.amazonaws.com")
        request.update(params)
        with pytest.raises(ClientError) as caught:
            lambda_client.add_permission(**request)
        return caught.value

    error = refused(StatementId="example.com")
    assert error_code(error) == "ValidationException" and error.response["Error"]["Message"] == (
        "1 validation error detected: Value 'example.com' at 'statementId' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)")
    error = refused(FunctionName=f"{name}:alias-not-42", Qualifier="42")
    assert error.response["Error"]["Message"] == "The derived qualifier from the function name does not match the specified qualifier."
    error = refused(Qualifier="$LATEST")
    assert error.response["Error"]["Message"] == "We currently do not support adding policies for $LATEST."
    error = refused(Principal="invalid.nonaws.com")
    assert error.response["Error"]["Message"] == "The provided principal was invalid. Please check the principal and try again."
    error = refused(FunctionName="doesnotexist")
    assert error.response["Error"]["Message"] == f"Function not found: {function_arn('doesnotexist')}"
    error = refused(FunctionName=f"{name}:alias-doesnotexist")
    assert error.response["Error"]["Message"] == f"Cannot find alias arn: {function_arn(name)}:alias-doesnotexist"
    error = refused(Qualifier="42")
    assert error.response["Error"]["Message"] == f"Function not found: {function_arn(name)}:42"
    error = refused(RevisionId="wrong")
    assert http_status(error) == 412 and error_code(error) == "PreconditionFailedException"

    lambda_client.add_permission(FunctionName=name, StatementId="s1", Action="lambda:InvokeFunction", Principal="s3.amazonaws.com")
    error = refused()
    assert error_code(error) == "ResourceConflictException" and http_status(error) == 409
    assert error.response["Error"]["Message"] == (
        "The statement id (s1) provided already exists. Please provide a new statement id, or remove the existing statement.")
    with pytest.raises(ClientError) as caught:
        lambda_client.remove_permission(FunctionName="doesnotexist", StatementId="s1")
    assert caught.value.response["Error"]["Message"] == f"No policy found for: {function_arn('doesnotexist')}"
    for qualifier in ("77",):
        with pytest.raises(ClientError) as caught:
            lambda_client.get_policy(FunctionName=name, Qualifier=qualifier)
        assert caught.value.response["Error"]["Message"] == "The resource you requested does not exist."


def test_policies_with_the_aws_cli(aws, function):
    name = function()["FunctionName"]
    added = aws("lambda", "add-permission", "--function-name", name, "--statement-id", "events",
                "--action", "lambda:InvokeFunction", "--principal", "events.amazonaws.com",
                "--source-arn", f"arn:aws:events:us-east-1:{ACCOUNT_ID}:rule/nightly")
    assert json.loads(added["Statement"])["Sid"] == "events"
    policy = aws("lambda", "get-policy", "--function-name", name)
    assert json.loads(policy["Policy"])["Statement"][0]["Principal"] == {"Service": "events.amazonaws.com"}
    aws("lambda", "remove-permission", "--function-name", name, "--statement-id", "events")
