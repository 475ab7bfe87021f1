"""Tags on functions: TagResource, UntagResource, ListTags, Tags on CreateFunction and in
GetFunction, with AWS's limits and messages (`TestLambdaTags` in shared/reference/aws-recorded)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from conftest import error_code, function_arn


def test_tag_lifecycle(function, lambda_client):
    """Create with tags, add, overwrite, remove; GetFunction shows them; a deleted function has none to list."""
    name = function("probe", Tags={"key_a": "value_a"})["FunctionName"]
    arn = function_arn(name)
    assert lambda_client.list_tags(Resource=arn)["Tags"] == {"key_a": "value_a"}
    assert lambda_client.get_function(FunctionName=name)["Tags"] == {"key_a": "value_a"}

    added = lambda_client.tag_resource(Resource=arn, Tags={"key_b": "value_b", "key_c": "value_c", "key_d": "value_d", "key_e": "value_e"})
    assert added["ResponseMetadata"]["HTTPStatusCode"] == 204
    lambda_client.tag_resource(Resource=arn, Tags={"key_c": "value_x"})
    assert lambda_client.list_tags(Resource=arn)["Tags"] == {
        "key_a": "value_a", "key_b": "value_b", "key_c": "value_x", "key_d": "value_d", "key_e": "value_e"}
    assert lambda_client.get_function(FunctionName=name)["Tags"]["key_c"] == "value_x"

    lambda_client.untag_resource(Resource=arn, TagKeys=["key_c", "key_d", "nomatch"])
    assert lambda_client.list_tags(Resource=arn)["Tags"] == {"key_a": "value_a", "key_b": "value_b", "key_e": "value_e"}
    lambda_client.untag_resource(Resource=arn, TagKeys=["key_a", "key_b", "key_e"])
    assert lambda_client.list_tags(Resource=arn)["Tags"] == {}

    lambda_client.delete_function(FunctionName=name)
    with pytest.raises(ClientError) as gone:
        lambda_client.list_tags(Resource=arn)
    assert gone.value.response["Error"]["Message"] == f"Function not found: {arn}"


def test_tag_limits_and_errors(function, lambda_client):
    """50 tags at most; versions and aliases take none; unknown functions and bad ARNs get AWS's errors."""
    name = function("probe")["FunctionName"]
    arn = function_arn(name)
    with pytest.raises(ClientError) as too_many:
        lambda_client.tag_resource(Resource=arn, Tags={f"{i}_key": f"{i}_value" for i in range(51)})
    assert too_many.value.response["Error"]["Message"] == "Number of tags exceeds resource tag limit."
    lambda_client.tag_resource(Resource=arn, Tags={f"{i}_key": f"{i}_value" for i in range(50)})
    assert len(lambda_client.list_tags(Resource=arn)["Tags"]) == 50
    with pytest.raises(ClientError) as one_more:
        lambda_client.tag_resource(Resource=arn, Tags={"extra": "x"})
    assert one_more.value.response["Error"]["Message"] == "Number of tags exceeds resource tag limit."

    for qualified in (arn + ":$LATEST", arn + ":1"):
        with pytest.raises(ClientError) as versioned:
            lambda_client.tag_resource(Resource=qualified, Tags={"a": "b"})
        assert versioned.value.response["Error"]["Message"] == (
            "Tags on function aliases and versions are not supported. Please specify a function ARN.")
    with pytest.raises(ClientError) as unknown:
        lambda_client.tag_resource(Resource=function_arn("doesnotexist"), Tags={"a": "b"})
    assert error_code(unknown.value) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as bad_arn:
        lambda_client.tag_resource(Resource="arn:aws:something", Tags={"a": "b"})
    assert error_code(bad_arn.value) == "ValidationException"
    with pytest.raises(ClientError) as empty:
        lambda_client.tag_resource(Resource=arn, Tags={})
    assert empty.value.response["Error"]["Message"] == "An error occurred and the request cannot be processed."

    with pytest.raises(ClientError) as create_too_many:
        lambda_client.create_function(FunctionName=function.unique_name("many"), Runtime="python3.12",
                                      Role="arn:aws:iam::000000000000:role/x", Handler="app.handler",
                                      Code={"ZipFile": b"PK"}, Tags={f"{i}_key": "v" for i in range(51)})
    assert create_too_many.value.response["Error"]["Message"] == "Number of tags exceeds resource tag limit."
