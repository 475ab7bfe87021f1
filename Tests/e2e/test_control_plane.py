"""Control-plane scenarios: the Lambda REST API as boto3 and the AWS CLI drive it.

Expected codes and messages come from real AWS (docs: reference/aws-recorded).
"""

from __future__ import annotations

import os
import re

import pytest
from botocore.exceptions import ClientError

from conftest import (
    ACCOUNT_ID, ROLE, RUNTIME, code_sha256, error_code, function_arn, http_status,
    make_zip, not_found_message, zip_function,
)

AWS_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$")
STALE_REVISION_MESSAGE = (
    "The Revision Id provided does not match the latest Revision Id. "
    "Call the GetFunction/GetAlias API to retrieve the latest Revision Id"
)


def expect_client_error(call, code: str | set, status: int) -> ClientError:
    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value
    codes = {code} if isinstance(code, str) else code
    assert error_code(error) in codes, error.response
    assert http_status(error) == status, error.response
    return error


def test_create_function_reports_pending_then_active(lambda_client, function):
    """CreateFunction answers 201 Pending with AWS's defaults; the function then becomes Active."""
    name = function.unique_name()
    zip_bytes = zip_function("probe")
    created = lambda_client.create_function(
        FunctionName=name, Runtime=RUNTIME, Role=ROLE, Handler="app.handler",
        Code={"ZipFile": zip_bytes},
    )
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert created["State"] == "Pending"
    assert created["StateReasonCode"] == "Creating"
    assert created["FunctionName"] == name
    assert created["FunctionArn"] == function_arn(name)
    assert created["Runtime"] == RUNTIME
    assert created["Handler"] == "app.handler"
    assert created["Role"] == ROLE
    assert created["MemorySize"] == 128
    assert created["Timeout"] == 3
    assert created["Version"] == "$LATEST"
    assert created["PackageType"] == "Zip"
    assert created["CodeSha256"] == code_sha256(zip_bytes)
    assert created["CodeSize"] == len(zip_bytes)
    assert created["Description"] == ""
    assert created["EphemeralStorage"] == {"Size": 512}
    assert created["Architectures"] == ["x86_64"]
    assert created["LoggingConfig"]["LogGroup"] == f"/aws/lambda/{name}"
    assert AWS_TIMESTAMP.match(created["LastModified"]), created["LastModified"]
    assert created["RevisionId"]

    function.wait_active(name)
    configuration = lambda_client.get_function_configuration(FunctionName=name)
    assert configuration["State"] == "Active"
    assert configuration["LastUpdateStatus"] == "Successful"
    assert configuration["CodeSha256"] == code_sha256(zip_bytes)


def test_create_function_keeps_optional_settings(lambda_client, function):
    """MemorySize, Timeout, Environment, Description, EphemeralStorage and Tags round-trip."""
    configuration = function(
        "probe",
        MemorySize=256, Timeout=42, Description="e2e settings",
        Environment={"Variables": {"GREETING": "hi", "EMPTY": ""}},
        EphemeralStorage={"Size": 1024},
        Tags={"team": "lambent", "purpose": "e2e"},
    )
    name = configuration["FunctionName"]
    assert configuration["MemorySize"] == 256
    assert configuration["Timeout"] == 42
    assert configuration["Description"] == "e2e settings"
    assert configuration["Environment"]["Variables"] == {"GREETING": "hi", "EMPTY": ""}
    assert configuration["EphemeralStorage"] == {"Size": 1024}

    fetched = lambda_client.get_function(FunctionName=name)
    for key in ("MemorySize", "Timeout", "Description", "Environment", "EphemeralStorage",
                "CodeSha256", "RevisionId"):
        assert fetched["Configuration"][key] == configuration[key], key
    assert fetched["Tags"] == {"team": "lambent", "purpose": "e2e"}


def test_get_function_returns_configuration_and_code_location(lambda_client, function):
    """GetFunction returns the configuration plus a Code.Location URL."""
    configuration = function("probe")
    fetched = lambda_client.get_function(FunctionName=configuration["FunctionName"])
    assert fetched["Configuration"]["FunctionArn"] == configuration["FunctionArn"]
    assert fetched["Configuration"]["State"] == "Active"
    assert fetched["Code"]["Location"].startswith("http")


def test_get_function_accepts_arn_and_partial_arn(lambda_client, function):
    """The control plane resolves a function by name, full ARN and partial ARN."""
    name = function("probe")["FunctionName"]
    for identifier in (name, function_arn(name), f"{ACCOUNT_ID}:function:{name}"):
        fetched = lambda_client.get_function_configuration(FunctionName=identifier)
        assert fetched["FunctionName"] == name, identifier


def test_list_functions_paginates_with_marker(lambda_client, function):
    """ListFunctions with MaxItems=2 pages through every function exactly once."""
    names = {function("probe", wait=False, label=f"p{i}")["FunctionName"] for i in range(5)}

    seen, pages, marker = [], 0, None
    while True:
        params = {"MaxItems": 2}
        if marker:
            params["Marker"] = marker
        page = lambda_client.list_functions(**params)
        pages += 1
        assert len(page["Functions"]) <= 2
        seen.extend(f["FunctionName"] for f in page["Functions"])
        marker = page.get("NextMarker")
        if not marker:
            break
        assert pages < 1000, "pagination does not terminate"
    assert len(seen) == len(set(seen)), "a function was listed twice"
    assert names <= set(seen)
    assert pages >= 3


def test_list_functions_boto3_paginator(lambda_client, function):
    """boto3's list_functions paginator with PageSize=2 yields every function once."""
    names = {function("probe", wait=False, label=f"q{i}")["FunctionName"] for i in range(5)}
    paginator = lambda_client.get_paginator("list_functions")
    pages = list(paginator.paginate(PaginationConfig={"PageSize": 2}))
    seen = [f["FunctionName"] for page in pages for f in page["Functions"]]
    assert all(len(page["Functions"]) <= 2 for page in pages)
    assert len(seen) == len(set(seen))
    assert names <= set(seen)
    listed = next(f for page in pages for f in page["Functions"] if f["FunctionName"] in names)
    assert listed["Runtime"] == RUNTIME
    assert listed["Version"] == "$LATEST"


def test_list_functions_aws_cli_max_items_and_starting_token(aws, function):
    """`aws lambda list-functions --max-items 2` and `--starting-token` walk all functions."""
    names = {function("probe", wait=False, label=f"c{i}")["FunctionName"] for i in range(5)}
    seen, token, calls = [], None, 0
    while True:
        args = ["lambda", "list-functions", "--max-items", "2", "--page-size", "2"]
        if token:
            args += ["--starting-token", token]
        page = aws(*args)
        calls += 1
        assert len(page["Functions"]) <= 2
        seen.extend(f["FunctionName"] for f in page["Functions"])
        token = page.get("NextToken")
        if not token:
            break
        assert calls < 1000
    assert len(seen) == len(set(seen))
    assert names <= set(seen)


def test_update_function_code_changes_sha_and_revision(lambda_client, function):
    """UpdateFunctionCode replaces the code, reports InProgress, then Successful."""
    before = function("probe")
    name = before["FunctionName"]
    new_zip = make_zip({"app.py": "def handler(event, context):\n    return 'v2'\n"})
    updated = lambda_client.update_function_code(FunctionName=name, ZipFile=new_zip)
    assert updated["CodeSha256"] == code_sha256(new_zip)
    assert updated["CodeSize"] == len(new_zip)
    assert updated["RevisionId"] != before["RevisionId"]
    assert updated["LastUpdateStatus"] == "InProgress"
    assert updated["State"] == "Active"
    function.wait_updated(name)
    after = lambda_client.get_function_configuration(FunctionName=name)
    assert after["LastUpdateStatus"] == "Successful"
    assert after["CodeSha256"] == code_sha256(new_zip)


def test_update_function_configuration_changes_settings(lambda_client, function):
    """UpdateFunctionConfiguration changes memory, timeout, env and description."""
    before = function("probe")
    name = before["FunctionName"]
    updated = lambda_client.update_function_configuration(
        FunctionName=name, MemorySize=512, Timeout=10, Description="Changed-Description",
        Environment={"Variables": {"ENV_A": "a"}},
    )
    assert updated["RevisionId"] != before["RevisionId"]
    assert updated["LastUpdateStatus"] == "InProgress"
    assert updated["CodeSha256"] == before["CodeSha256"]
    function.wait_updated(name)
    after = lambda_client.get_function_configuration(FunctionName=name)
    assert after["MemorySize"] == 512
    assert after["Timeout"] == 10
    assert after["Description"] == "Changed-Description"
    assert after["Environment"]["Variables"] == {"ENV_A": "a"}
    assert after["LastUpdateStatus"] == "Successful"


def test_stale_revision_id_is_rejected(lambda_client, function):
    """An update carrying a superseded RevisionId fails with 412 PreconditionFailedException."""
    before = function("probe")
    name = before["FunctionName"]
    lambda_client.update_function_configuration(FunctionName=name, Description="first")
    function.wait_updated(name)
    stale = before["RevisionId"]

    error = expect_client_error(
        lambda: lambda_client.update_function_configuration(
            FunctionName=name, Description="second", RevisionId=stale),
        "PreconditionFailedException", 412)
    assert error.response["Error"]["Message"] == STALE_REVISION_MESSAGE
    expect_client_error(
        lambda: lambda_client.update_function_code(
            FunctionName=name, ZipFile=zip_function("probe"), RevisionId=stale),
        "PreconditionFailedException", 412)

    current = lambda_client.get_function_configuration(FunctionName=name)
    assert current["Description"] == "first"
    lambda_client.update_function_configuration(
        FunctionName=name, Description="third", RevisionId=current["RevisionId"])


def test_delete_function_then_get_is_not_found(lambda_client, function):
    """DeleteFunction answers 204; the function is then gone from Get and List."""
    name = function("probe")["FunctionName"]
    deleted = lambda_client.delete_function(FunctionName=name)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    error = expect_client_error(
        lambda: lambda_client.get_function(FunctionName=name), "ResourceNotFoundException", 404)
    assert error.response["Error"]["Message"] == not_found_message(name)
    listed = [f["FunctionName"] for page in lambda_client.get_paginator("list_functions").paginate()
              for f in page["Functions"]]
    assert name not in listed


def test_unknown_function_is_not_found(lambda_client):
    """Get, update and delete of an unknown function fail with AWS's 404 message."""
    message = not_found_message("nope")
    for call in (
        lambda: lambda_client.get_function(FunctionName="nope"),
        lambda: lambda_client.get_function_configuration(FunctionName="nope"),
        lambda: lambda_client.update_function_configuration(FunctionName="nope", Timeout=5),
        lambda: lambda_client.update_function_code(FunctionName="nope", ZipFile=zip_function("probe")),
        lambda: lambda_client.delete_function(FunctionName="nope"),
    ):
        error = expect_client_error(call, "ResourceNotFoundException", 404)
        assert error.response["Error"]["Message"] == message


def test_duplicate_name_is_a_conflict(lambda_client, function):
    """Creating a function whose name is taken fails with 409 ResourceConflictException."""
    name = function("probe")["FunctionName"]
    error = expect_client_error(
        lambda: lambda_client.create_function(
            FunctionName=name, Runtime=RUNTIME, Role=ROLE, Handler="app.handler",
            Code={"ZipFile": zip_function("probe")}),
        "ResourceConflictException", 409)
    assert error.response["Error"]["Message"] == f"Function already exist: {name}"


def test_invalid_zip_is_rejected(lambda_client, function):
    """A ZipFile that is not a zip fails with AWS's 'Could not unzip' message."""
    name = function.unique_name()
    error = expect_client_error(
        lambda: lambda_client.create_function(
            FunctionName=name, Runtime=RUNTIME, Role=ROLE, Handler="app.handler",
            Code={"ZipFile": b"this is not a zip archive"}),
        "InvalidParameterValueException", 400)
    assert error.response["Error"]["Message"] == (
        "Could not unzip uploaded file. Please check your file, then try to upload again.")


def test_unknown_runtime_is_rejected(lambda_client, function):
    """An unknown Runtime fails with InvalidParameterValueException naming the value."""
    name = function.unique_name()
    error = expect_client_error(
        lambda: lambda_client.create_function(
            FunctionName=name, Runtime="non-existent-runtime", Role=ROLE, Handler="app.handler",
            Code={"ZipFile": zip_function("probe")}),
        "InvalidParameterValueException", 400)
    assert error.response["Error"]["Message"].startswith(
        "Value non-existent-runtime at 'runtime' failed to satisfy constraint: "
        "Member must satisfy enum value set: [")


@pytest.mark.parametrize(
    "setting",
    [{"MemorySize": 64}, {"MemorySize": 10241}, {"Timeout": 0}, {"Timeout": 901},
     {"EphemeralStorage": {"Size": 100}}],
    ids=["memory-64", "memory-10241", "timeout-0", "timeout-901", "ephemeral-100"],
)
def test_out_of_range_settings_are_rejected(server, function, setting):
    """Memory, timeout and ephemeral storage outside Lambda's limits fail with 400."""
    # botocore checks some minimums itself; switch that off so the server is what answers.
    client = server.client(parameter_validation=False)
    name = function.unique_name()
    expect_client_error(
        lambda: client.create_function(
            FunctionName=name, Runtime=RUNTIME, Role=ROLE, Handler="app.handler",
            Code={"ZipFile": zip_function("probe")}, **setting),
        {"ValidationException", "InvalidParameterValueException"}, 400)
    expect_client_error(
        lambda: client.get_function(FunctionName=name), "ResourceNotFoundException", 404)


@pytest.mark.parametrize("bad_name", ["bad name!", "a" * 65, "slash/name"],
                         ids=["punctuation", "too-long", "slash"])
def test_invalid_function_name_is_rejected(lambda_client, bad_name):
    """Names outside [a-zA-Z0-9-_]{1,64} are refused with a 400 validation error."""
    expect_client_error(
        lambda: lambda_client.create_function(
            FunctionName=bad_name, Runtime=RUNTIME, Role=ROLE, Handler="app.handler",
            Code={"ZipFile": zip_function("probe")}),
        {"ValidationException", "InvalidParameterValueException"}, 400)


def test_invalid_role_is_rejected(lambda_client, function):
    """A Role that is not an IAM role ARN fails with ValidationException, as on AWS."""
    name = function.unique_name()
    expect_client_error(
        lambda: lambda_client.create_function(
            FunctionName=name, Runtime=RUNTIME, Role="r1", Handler="app.handler",
            Code={"ZipFile": zip_function("probe")}),
        "ValidationException", 400)


def test_get_account_settings(lambda_client, function):
    """GetAccountSettings reports limits and counts the account's functions."""
    function("probe", wait=False)
    settings = lambda_client.get_account_settings()
    limit, usage = settings["AccountLimit"], settings["AccountUsage"]
    for key in ("TotalCodeSize", "CodeSizeUnzipped", "CodeSizeZipped", "ConcurrentExecutions"):
        assert isinstance(limit[key], int) and limit[key] > 0, key
    assert usage["FunctionCount"] >= 1
    assert usage["TotalCodeSize"] > 0


def test_arns_of_another_region_or_account_reach_nothing_here(lambda_client, function):
    """`test_get_function_wrong_region`, `test_function_arns`: an ARN naming another region is not
    reachable from this one (404), another account's is not the caller's (403); the local
    function of the same name is neither read nor changed nor deleted."""
    name = function("probe")["FunctionName"]
    elsewhere = function_arn(name).replace(":us-east-1:", ":eu-central-1:")
    for call in (lambda: lambda_client.get_function(FunctionName=elsewhere),
                 lambda: lambda_client.get_function_configuration(FunctionName=elsewhere),
                 lambda: lambda_client.get_function_concurrency(FunctionName=elsewhere),
                 lambda: lambda_client.get_function_event_invoke_config(FunctionName=elsewhere),
                 lambda: lambda_client.invoke(FunctionName=elsewhere, Payload=b"{}"),
                 lambda: lambda_client.delete_function(FunctionName=elsewhere)):
        error = expect_client_error(call, "ResourceNotFoundException", 404)
        assert error.response["Error"]["Message"] == "Functions from 'eu-central-1' are not reachable in this region ('us-east-1')"
    other_account = function_arn(name).replace(f":{ACCOUNT_ID}:", ":123456789012:")
    expect_client_error(lambda: lambda_client.delete_function(FunctionName=other_account), "AccessDeniedException", 403)
    expect_client_error(lambda: lambda_client.create_function(
        FunctionName=other_account.replace(name, "other-new"), Runtime=RUNTIME, Role=ROLE, Handler="app.handler",
        Code={"ZipFile": make_zip({"app.py": "def handler(e, c):\n    return e\n"})}), "AccessDeniedException", 403)
    expect_client_error(lambda: lambda_client.create_function(
        FunctionName=elsewhere.replace(name, "other-new"), Runtime=RUNTIME, Role=ROLE, Handler="app.handler",
        Code={"ZipFile": make_zip({"app.py": "def handler(e, c):\n    return e\n"})}), "ResourceNotFoundException", 404)
    assert lambda_client.get_function(FunctionName=name)["Configuration"]["FunctionName"] == name
    assert "other-new" not in [f["FunctionName"] for f in lambda_client.list_functions()["Functions"]]


def test_qualifiers_and_deletes_as_aws_answers_them(lambda_client, function):
    """`test_function_name_and_qualifier_validation`, `test_delete_on_nonexisting_version`,
    `test_function_concurrency_exceptions`: a qualifier outside the model's bounds is a
    validation error; DeleteFunction refuses aliases, takes a version that is not there as
    deleted, and names a missing function without its qualifier; reserved concurrency is for
    unqualified functions; an invocation names a missing function with `$LATEST`."""
    name = function("probe")["FunctionName"]
    for call in (lambda_client.get_function, lambda_client.delete_function):
        error = expect_client_error(lambda: call(FunctionName=name, Qualifier="invalid!"), "ValidationException", 400)
        assert error.response["Error"]["Message"] == (
            "1 validation error detected: Value 'invalid!' at 'qualifier' failed to satisfy constraint: "
            r"Member must satisfy regular expression pattern: \$(LATEST(\.PUBLISHED)?)|[a-zA-Z0-9-_$]+")
        error = expect_client_error(lambda: call(FunctionName=name, Qualifier="a" * 129), "ValidationException", 400)
        assert error.response["Error"]["Message"] == (
            f"1 validation error detected: Value '{'a' * 129}' at 'qualifier' failed to satisfy constraint: "
            "Member must have length less than or equal to 128")
    expect_client_error(lambda: lambda_client.invoke(FunctionName=name, Qualifier="invalid!", Payload=b"{}"), "ValidationException", 400)
    # An ARN that stops at `function` names a function called "function" (`incomplete_arn`).
    error = expect_client_error(lambda: lambda_client.get_function(FunctionName=f"arn:aws:lambda:us-east-1:{ACCOUNT_ID}:function"),
                                "ResourceNotFoundException", 404)
    assert error.response["Error"]["Message"] == not_found_message("function")

    error = expect_client_error(lambda: lambda_client.delete_function(FunctionName=name, Qualifier="a" * 65),
                                "InvalidParameterValueException", 400)
    assert error.response["Error"]["Message"] == "Deletion of aliases is not currently supported."
    lambda_client.delete_function(FunctionName=name, Qualifier="1233")
    lambda_client.delete_function(FunctionName=name, Qualifier="1233")
    assert lambda_client.get_function(FunctionName=name)["Configuration"]["FunctionName"] == name

    error = expect_client_error(lambda: lambda_client.put_function_concurrency(
        FunctionName=function_arn(name) + ":$LATEST", ReservedConcurrentExecutions=0), "InvalidParameterValueException", 400)
    assert error.response["Error"]["Message"] == (
        "This operation is permitted on Lambda functions only. Aliases and versions do not support this operation. "
        "Please specify either a function name or an unqualified function ARN.")
    assert "ReservedConcurrentExecutions" not in lambda_client.get_function_concurrency(FunctionName=name)
    error = expect_client_error(lambda: lambda_client.put_function_concurrency(
        FunctionName="doesnotexist", ReservedConcurrentExecutions=1), "ResourceNotFoundException", 404)
    assert error.response["Error"]["Message"] == not_found_message("doesnotexist") + ":$LATEST"
    error = expect_client_error(lambda: lambda_client.invoke(FunctionName="doesnotexist", Payload=b"{}"), "ResourceNotFoundException", 404)
    assert error.response["Error"]["Message"] == not_found_message("doesnotexist") + ":$LATEST"
    error = expect_client_error(lambda: lambda_client.create_alias(FunctionName="doesnotexist", Name="live", FunctionVersion="1"),
                                "ResourceNotFoundException", 404)
    assert error.response["Error"]["Message"] == not_found_message("doesnotexist") + ":1"

    lambda_client.delete_function(FunctionName=name)
    error = expect_client_error(lambda: lambda_client.delete_function(FunctionName=name, Qualifier="1233"),
                                "ResourceNotFoundException", 404)
    assert error.response["Error"]["Message"] == not_found_message(name)


def test_a_request_over_lambdas_size_is_413_not_a_server_error(lambda_client):
    """`test_oversized_request_create_lambda`: a CreateFunction body over AWS's 70,167,211 bytes
    is refused with AWS's 413 before it is read on, not a 500."""
    error = expect_client_error(lambda: lambda_client.create_function(
        FunctionName="too-big", Runtime=RUNTIME, Role=ROLE, Handler="app.handler",
        Code={"ZipFile": os.urandom(53 << 20)}), "RequestEntityTooLargeException", 413)
    assert error.response["Error"]["Message"] == "Request must be smaller than 70167211 bytes for the CreateFunction operation"
    assert "too-big" not in [f["FunctionName"] for f in lambda_client.list_functions()["Functions"]]


def test_layers_of_another_region_are_refused_before_the_name_is_found_taken(lambda_client, function):
    """`test_layer_function_exceptions`: AWS checks a function's layers' region before its name."""
    name = function("probe")["FunctionName"]
    error = expect_client_error(lambda: lambda_client.create_function(
        FunctionName=name, Runtime=RUNTIME, Role=ROLE, Handler="app.handler",
        Code={"ZipFile": make_zip({"app.py": "def handler(e, c):\n    return e\n"})},
        Layers=[f"arn:aws:lambda:eu-west-1:{ACCOUNT_ID}:layer:some-layer:1"]), "InvalidParameterValueException", 400)
    assert error.response["Error"]["Message"] == (
        "Layers are not in the same region as the function. Layers are expected to be in region us-east-1.")
