"""Container-image functions (`PackageType: Image`): images built without Docker (umoci),
pushed to a local registry (Debian's docker-registry), pulled by digest and unpacked by the
server (skopeo, umoci), run with the image as a read-only root and nothing of the host's;
ImageConfig overrides, updates, and AWS's answers for images that cannot be used."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

import images
from conftest import ROLE, error_code, invoke

_missing = [tool for tool in ("skopeo", "umoci", "docker-registry", "busybox") if shutil.which(tool) is None]
pytestmark = pytest.mark.skipif(bool(_missing), reason=f"missing {', '.join(_missing)} (scripts/test.sh installs them)")

UPDATED_APP = '''
def handler(event, context):
    return {"updated": True, "event": event}
'''


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    """A local registry with three images: the AWS-style base image (v1, and v2 with another
    handler) and a plain one whose entrypoint is its own Python script."""
    work = tmp_path_factory.mktemp("images")
    with images.LocalRegistry() as registry:
        registry.digests = {}
        layout = images.build_lambda_base_image("base", dest=work, tag="v1")
        registry.digests["base:v1"] = images.push(layout, registry, "fn/base", "v1")
        layout = images.build_lambda_base_image("base2", extra_files={"/var/task/app.py": UPDATED_APP}, dest=work, tag="v2")
        registry.digests["base:v2"] = images.push(layout, registry, "fn/base", "v2")
        layout = images.build_plain_image("plain", dest=work)
        registry.digests["plain:latest"] = images.push(layout, registry, "fn/plain", "latest")
        yield registry


def create_image_function(function, lambda_client, uri: str, **params) -> dict:
    name = function.unique_name("image")
    function.track(name)
    created = lambda_client.create_function(FunctionName=name, Role=ROLE, PackageType="Image", Code={"ImageUri": uri},
                                            Timeout=30, **params)
    assert created["PackageType"] == "Image" and created["State"] == "Pending"
    assert "Runtime" not in created and "Handler" not in created
    return created


def test_image_function_runs_with_the_image_as_its_root(function, lambda_client, registry):
    uri = registry.image_uri("fn/base", "v1")
    name = create_image_function(function, lambda_client, uri, Environment={"Variables": {"MINE": "yes"}})["FunctionName"]
    function.wait_active(name)
    answer = lambda_client.get_function(FunctionName=name)
    digest = registry.digests["base:v1"]
    assert answer["Code"] == {"RepositoryType": "ECR", "ImageUri": uri,
                              "ResolvedImageUri": f"{registry.address}/fn/base@{digest}"}
    assert answer["Configuration"]["CodeSha256"] == digest.removeprefix("sha256:")
    assert answer["Configuration"]["State"] == "Active"

    result = invoke(lambda_client, name, {"n": 1}, tail=True)
    assert result.function_error is None, result.payload
    seen = result.payload
    assert seen["event"] == {"n": 1}
    assert seen["cwd"] == "/var/task"
    env = seen["env"]
    assert env["_HANDLER"] == "app.handler"          # lambda-entrypoint.sh exported the CMD
    assert env["IMAGE_VAR"] == "from-image"          # the image's ENV ...
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == name   # ... under Lambda's variables
    assert seen["root_writable"] is False and seen["tmp_writable"] is True
    assert seen["uid"] == 993
    assert "Init Duration" in result.log
    assert invoke(lambda_client, name, {"n": 2}).payload["event"] == {"n": 2}


def test_image_config_overrides_entrypoint_command_and_working_directory(function, lambda_client, registry):
    uri = registry.image_uri("fn/plain")
    name = create_image_function(function, lambda_client, uri,
                                 ImageConfig={"Command": ["app.handler"], "WorkingDirectory": "/tmp"})["FunctionName"]
    function.wait_active(name)
    config = lambda_client.get_function_configuration(FunctionName=name)
    assert config["ImageConfigResponse"] == {"ImageConfig": {"Command": ["app.handler"], "WorkingDirectory": "/tmp"}}
    seen = invoke(lambda_client, name, {}).payload
    assert seen["argv"] == ["/app/main.py", "app.handler"]
    assert seen["cwd"] == "/tmp"
    assert seen["env"]["IMAGE_VAR"] is None

    lambda_client.update_function_configuration(FunctionName=name, ImageConfig={"WorkingDirectory": "/"})
    function.wait_updated(name)
    seen = invoke(lambda_client, name, {}).payload
    assert seen["cwd"] == "/" and seen["argv"] == ["/app/main.py"]


def test_update_function_code_rolls_to_the_new_image(function, lambda_client, registry):
    name = create_image_function(function, lambda_client, registry.image_uri("fn/base", "v1"))["FunctionName"]
    function.wait_active(name)
    assert "updated" not in invoke(lambda_client, name, {}).payload
    updated = lambda_client.update_function_code(FunctionName=name, ImageUri=registry.image_uri("fn/base", "v2"))
    assert updated["CodeSha256"] == registry.digests["base:v2"].removeprefix("sha256:")
    function.wait_updated(name)
    assert invoke(lambda_client, name, {"x": 1}).payload == {"updated": True, "event": {"x": 1}}
    # AWS's words for a zip sent to an image function.
    with pytest.raises(ClientError) as raised:
        lambda_client.update_function_code(FunctionName=name, ZipFile=b"PK\x05\x06" + b"\0" * 18)
    assert raised.value.response["Error"]["Message"] == "Please provide ImageUri when updating a function with packageType Image."


def test_images_that_cannot_be_used(function, lambda_client, registry):
    # A tag the registry does not have: refused, as AWS refuses an image that does not exist.
    with pytest.raises(ClientError) as raised:
        create_image_function(function, lambda_client, registry.image_uri("fn/base", "nope"))
    assert error_code(raised.value) == "InvalidParameterValueException"
    assert "does not exist" in raised.value.response["Error"]["Message"]
    # A registry nobody answers at: created, then Failed with the reason; invokes are refused.
    name = create_image_function(function, lambda_client, "127.0.0.1:9/fn/base:v1")["FunctionName"]
    config = lambda_client.get_function_configuration(FunctionName=name)
    assert config["State"] == "Failed"
    assert config["StateReasonCode"] == "ImageAccessDenied"
    assert "127.0.0.1:9/fn/base:v1" in config["StateReason"]
    with pytest.raises(ClientError) as raised:
        lambda_client.invoke(FunctionName=name, Payload=b"{}")
    assert error_code(raised.value) == "ResourceConflictException"
    # Not an image reference at all.
    with pytest.raises(ClientError) as raised:
        create_image_function(function, lambda_client, "not an image")
    assert error_code(raised.value) == "InvalidParameterValueException"


def test_image_function_with_the_aws_cli(aws, tmp_path, function, registry):
    name = function.unique_name("image-cli")
    function.track(name)
    created = aws("lambda", "create-function", "--function-name", name, "--package-type", "Image",
                  "--code", f"ImageUri={registry.image_uri('fn/base', 'v1')}", "--role", ROLE)
    assert created["PackageType"] == "Image"
    function.wait_active(name)
    out = tmp_path / "out.json"
    aws("lambda", "invoke", "--function-name", name, "--payload", '{"via":"cli"}', str(out))
    assert json.loads(out.read_text())["event"] == {"via": "cli"}


def test_images_that_build_but_cannot_run(function, lambda_client, registry, tmp_path):
    """An image for another architecture, one with neither ENTRYPOINT nor CMD, and one whose
    layer was altered in the registry: each reported as AWS reports image failures."""
    arm = images.build_image("arm", images.plain_rootfs(), **{**images.PLAIN_CONFIG, "architecture": "arm64"}, dest=tmp_path)
    images.push(arm, registry, "fn/arm", "latest")
    name = create_image_function(function, lambda_client, registry.image_uri("fn/arm"))["FunctionName"]
    config = lambda_client.get_function_configuration(FunctionName=name)
    assert (config["State"], config["StateReasonCode"]) == ("Failed", "InvalidImage")
    assert "arm64" in config["StateReason"]

    bare = images.build_image("bare", images.plain_rootfs(), dest=tmp_path)
    images.push(bare, registry, "fn/bare", "latest")
    name = create_image_function(function, lambda_client, registry.image_uri("fn/bare"))["FunctionName"]
    function.wait_active(name)
    result = invoke(lambda_client, name, {})
    assert result.function_error == "Unhandled"
    assert result.payload["errorType"] == "Runtime.InvalidEntrypoint"

    corrupt = images.build_image("corrupt", {**images.plain_rootfs(), "/app/extra.txt": "x" * 1000}, **images.PLAIN_CONFIG,
                                 dest=tmp_path)
    images.push(corrupt, registry, "fn/corrupt", "latest")
    manifest = images.inspect(f"{registry.address}/fn/corrupt:latest", raw=True)
    layer = manifest["layers"][0]["digest"].removeprefix("sha256:")
    blob = next(Path(registry.storage).rglob(f"blobs/sha256/{layer[:2]}/{layer}/data"))
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 0xFF
    blob.write_bytes(bytes(data))
    name = create_image_function(function, lambda_client, registry.image_uri("fn/corrupt"))["FunctionName"]
    config = lambda_client.get_function_configuration(FunctionName=name)
    assert (config["State"], config["StateReasonCode"]) == ("Failed", "InvalidImage"), config
