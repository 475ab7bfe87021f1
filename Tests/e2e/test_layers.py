"""Layers: publishing, reading, listing, deleting, permissions, functions that import from
/opt, and AWS's errors (`TestLambdaLayer` in shared/reference/aws-recorded)."""

from __future__ import annotations

import io
import json
import urllib.request
import uuid
import zipfile

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, REGION, error_code, http_status, invoke, make_zip

LAYER_FUNCTION = '''
import os, sys, subprocess

def handler(event, context):
    import greeting
    answer = {"word": greeting.WORD, "first": greeting.FIRST_ONLY,
              "opt_paths": [p for p in sys.path if p.startswith("/opt")],
              "path": os.environ["PATH"], "pythonpath": os.environ.get("PYTHONPATH")}
    try:
        import sitepkg
        answer["sitepkg"] = sitepkg.WHERE
    except ImportError as error:
        answer["sitepkg"] = str(error)
    answer["tool"] = subprocess.run(["layer-tool"], capture_output=True, text=True).stdout.strip()
    answer["lib"] = open("/opt/lib/data.txt").read()
    try:
        open("/opt/written", "w").write("x")
        answer["opt_writable"] = True
    except OSError:
        answer["opt_writable"] = False
    return answer
'''


def layer_zip(files: dict, executable: tuple = ()) -> bytes:
    """A zip like `make_zip`, with `executable` paths given mode 0755."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in sorted(files.items()):
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = (0o755 if name in executable else 0o644) << 16
            archive.writestr(info, content)
    return buffer.getvalue()


def unique_layer(label: str = "layer") -> str:
    return f"{label}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def layers(lambda_client):
    """`layers.publish(name, zip)`; deletes every version it published afterwards."""
    published: list[tuple[str, int]] = []

    class Layers:
        def publish(self, name: str, zip_bytes: bytes, **params) -> dict:
            answer = lambda_client.publish_layer_version(LayerName=name, Content={"ZipFile": zip_bytes}, **params)
            published.append((name, answer["Version"]))
            return answer

    yield Layers()
    for name, version in published:
        lambda_client.delete_layer_version(LayerName=name, VersionNumber=version)


def layer_arn(name: str, version: int | None = None) -> str:
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:layer:{name}"
    return arn if version is None else f"{arn}:{version}"


def test_layer_version_lifecycle(layers, lambda_client):
    """Publish, get (by name and by ARN), list newest first, download, delete; numbers are never reused."""
    name = unique_layer()
    content = make_zip({"python/greeting.py": "WORD = 'hi'\n"})
    first = layers.publish(name, content, Description="shared code", LicenseInfo="MIT",
                           CompatibleRuntimes=["python3.12"], CompatibleArchitectures=["x86_64"])
    assert first["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert first["Version"] == 1 and first["LayerArn"] == layer_arn(name) and first["LayerVersionArn"] == layer_arn(name, 1)
    assert first["Description"] == "shared code" and first["LicenseInfo"] == "MIT"
    assert first["CompatibleRuntimes"] == ["python3.12"] and first["CompatibleArchitectures"] == ["x86_64"]
    assert first["Content"]["CodeSize"] == len(content)
    with urllib.request.urlopen(first["Content"]["Location"], timeout=10) as response:
        assert response.read() == content

    second = layers.publish(name, content)
    assert second["Version"] == 2 and second["Description"] == ""
    assert "LicenseInfo" not in second and "CompatibleRuntimes" not in second

    got = lambda_client.get_layer_version(LayerName=name, VersionNumber=1)
    assert {k: got[k] for k in ("LayerVersionArn", "CreatedDate", "Description")} == {
        k: first[k] for k in ("LayerVersionArn", "CreatedDate", "Description")}
    assert got["Content"]["CodeSha256"] == first["Content"]["CodeSha256"]
    by_arn = lambda_client.get_layer_version_by_arn(Arn=layer_arn(name, 2))
    assert by_arn["Version"] == 2

    listed = lambda_client.list_layer_versions(LayerName=name)["LayerVersions"]
    assert [v["Version"] for v in listed] == [2, 1]
    assert "Content" not in listed[0] and "LayerArn" not in listed[0]
    assert [v["Version"] for v in lambda_client.list_layer_versions(
        LayerName=name, CompatibleRuntime="python3.12")["LayerVersions"]] == [1]
    page = lambda_client.list_layer_versions(LayerName=name, MaxItems=1)
    assert [v["Version"] for v in page["LayerVersions"]] == [2] and page["NextMarker"]
    rest = lambda_client.list_layer_versions(LayerName=name, MaxItems=1, Marker=page["NextMarker"])
    assert [v["Version"] for v in rest["LayerVersions"]] == [1] and "NextMarker" not in rest

    mine = [layer for layer in lambda_client.list_layers()["Layers"] if layer["LayerName"] == name]
    assert mine == [{"LayerName": name, "LayerArn": layer_arn(name), "LatestMatchingVersion": mine[0]["LatestMatchingVersion"]}]
    assert mine[0]["LatestMatchingVersion"]["Version"] == 2
    matching = [layer for layer in lambda_client.list_layers(CompatibleRuntime="python3.12")["Layers"] if layer["LayerName"] == name]
    assert matching[0]["LatestMatchingVersion"]["Version"] == 1

    for version in (1, 2):
        assert lambda_client.delete_layer_version(LayerName=name, VersionNumber=version)["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert lambda_client.delete_layer_version(LayerName=name, VersionNumber=2)["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert lambda_client.list_layer_versions(LayerName=name)["LayerVersions"] == []
    assert layers.publish(name, content)["Version"] == 3


def test_function_sees_layers_in_opt(layers, function, lambda_client):
    """Layers are merged into /opt in order (later over earlier), read-only; Python finds
    /opt/python and its site-packages, /opt/bin is on PATH, /opt/lib holds libraries."""
    one, two = unique_layer("one"), unique_layer("two")
    site = {f"python/lib/python3.{minor}/site-packages/sitepkg.py": "WHERE = 'site-packages'\n" for minor in range(9, 15)}
    first = layers.publish(one, layer_zip({"python/greeting.py": "WORD = 'one'\nFIRST_ONLY = True\n",
                                           "python/first_only.py": "", **site}))
    second = layers.publish(two, layer_zip({
        "python/greeting.py": "WORD = 'two'\nFIRST_ONLY = False\n",
        "bin/layer-tool": "#!/bin/sh\necho tool-ran\n",
        "lib/data.txt": "library data",
    }, executable=("bin/layer-tool",)))
    config = function(zip_bytes=make_zip({"app.py": LAYER_FUNCTION}),
                      Layers=[first["LayerVersionArn"], second["LayerVersionArn"]])
    assert config["Layers"] == [{"Arn": first["LayerVersionArn"], "CodeSize": first["Content"]["CodeSize"]},
                                {"Arn": second["LayerVersionArn"], "CodeSize": second["Content"]["CodeSize"]}]
    result = invoke(lambda_client, config["FunctionName"])
    assert result.status == 200 and result.function_error is None, result.payload
    answer = result.payload
    assert answer["word"] == "two" and answer["first"] is False
    assert answer["opt_paths"][:2][1] == "/opt/python" and answer["opt_paths"][0].endswith("/site-packages")
    assert answer["sitepkg"] == "site-packages"
    assert answer["pythonpath"] == "/var/runtime"
    assert "/opt/bin" in answer["path"].split(":") and answer["tool"] == "tool-ran"
    assert answer["lib"] == "library data"
    assert answer["opt_writable"] is False

    # Deleting a layer version does not take it from the functions that use it.
    lambda_client.delete_layer_version(LayerName=two, VersionNumber=second["Version"])
    lambda_client.update_function_configuration(FunctionName=config["FunctionName"], Environment={"Variables": {"FRESH": "1"}})
    function.wait_updated(config["FunctionName"])
    again = invoke(lambda_client, config["FunctionName"])
    assert again.payload["word"] == "two"
    assert lambda_client.get_function_configuration(FunctionName=config["FunctionName"])["Layers"][1]["Arn"] == second["LayerVersionArn"]

    # Removing the layers: /opt is empty again.
    lambda_client.update_function_configuration(FunctionName=config["FunctionName"], Layers=[])
    function.wait_updated(config["FunctionName"])
    assert "Layers" not in lambda_client.get_function_configuration(FunctionName=config["FunctionName"])
    gone = invoke(lambda_client, config["FunctionName"])
    assert gone.function_error == "Unhandled" and "greeting" in json.dumps(gone.payload)


def test_published_version_keeps_its_layers(layers, function, lambda_client):
    """A version snapshots its layers: changing $LATEST's layers leaves it alone."""
    first = layers.publish(unique_layer(), layer_zip({"python/greeting.py": "WORD = 'v1'\nFIRST_ONLY = True\n"}))
    second = layers.publish(unique_layer(), layer_zip({"python/greeting.py": "WORD = 'v2'\nFIRST_ONLY = True\n"}))
    config = function(zip_bytes=make_zip({"app.py": "import greeting\ndef handler(e, c):\n    return greeting.WORD\n"}),
                      Layers=[first["LayerVersionArn"]], Publish=True)
    name = config["FunctionName"]
    lambda_client.update_function_configuration(FunctionName=name, Layers=[second["LayerVersionArn"]])
    function.wait_updated(name)
    assert invoke(lambda_client, name).payload == "v2"
    assert invoke(lambda_client, name, Qualifier="1").payload == "v1"
    assert lambda_client.get_function_configuration(FunctionName=name, Qualifier="1")["Layers"][0]["Arn"] == first["LayerVersionArn"]


def test_function_layer_errors(layers, function, lambda_client):
    """AWS's answers for bad `Layers`, and nothing is created by a refused create."""
    name = unique_layer()
    v1 = layers.publish(name, make_zip({"a.txt": "1"}))["LayerVersionArn"]
    v2 = layers.publish(name, make_zip({"a.txt": "2"}))["LayerVersionArn"]
    config = function()
    fn = config["FunctionName"]

    def refused(arns):
        with pytest.raises(ClientError) as caught:
            lambda_client.update_function_configuration(FunctionName=fn, Layers=arns)
        return caught.value

    error = refused([v1, v2])
    assert error_code(error) == "InvalidParameterValueException" and http_status(error) == 400
    assert error.response["Error"]["Message"] == (
        "Two different versions of the same layer are not allowed to be referenced in the same function. "
        f"{v1} and {v2} are versions of the same layer.")
    missing = layer_arn(name, 9)
    error = refused([missing])
    assert error_code(error) == "InvalidParameterValueException"
    assert error.response["Error"]["Message"] == f"Layer version {missing} does not exist."
    error = refused([layer_arn(name)])
    assert error_code(error) == "ValidationException" and "at 'layers' failed to satisfy constraint" in error.response["Error"]["Message"]
    error = refused([f"arn:aws:lambda:eu-west-1:{ACCOUNT_ID}:layer:{name}:1"])
    assert error.response["Error"]["Message"] == f"Layers are not in the same region as the function. Layers are expected to be in region {REGION}."

    six = [layers.publish(unique_layer(), make_zip({"x.txt": str(i)}))["LayerVersionArn"] for i in range(6)]
    with pytest.raises(ClientError) as caught:
        function(Layers=six, label="six")
    assert caught.value.response["Error"]["Message"] == "Cannot reference more than 5 layers."
    assert "Layers" not in lambda_client.get_function_configuration(FunctionName=fn)


def test_layer_version_errors(layers, lambda_client):
    name = unique_layer()
    layers.publish(name, make_zip({"a.txt": "1"}))
    for call in (lambda: lambda_client.get_layer_version(LayerName=name, VersionNumber=2),
                 lambda: lambda_client.get_layer_version(LayerName=unique_layer("nope"), VersionNumber=1),
                 lambda: lambda_client.get_layer_version_by_arn(Arn=layer_arn(name, 7))):
        with pytest.raises(ClientError) as caught:
            call()
        assert error_code(caught.value) == "ResourceNotFoundException" and http_status(caught.value) == 404
        assert caught.value.response["Error"]["Message"] == "The resource you requested does not exist."
    for version in (0, -1):
        with pytest.raises(ClientError) as caught:
            lambda_client.get_layer_version(LayerName=name, VersionNumber=version)
        assert caught.value.response["Error"]["Message"] == "Layer Version Cannot be less than 1"
    with pytest.raises(ClientError) as caught:
        lambda_client.get_layer_version_by_arn(Arn=layer_arn(name))
    assert error_code(caught.value) == "ValidationException"
    with pytest.raises(ClientError) as caught:
        lambda_client.list_layers(CompatibleArchitecture="archdoesnotexist")
    assert caught.value.response["Error"]["Message"] == (
        "1 validation error detected: Value 'archdoesnotexist' at 'compatibleArchitecture' failed to satisfy constraint: "
        "Member must satisfy enum value set: [x86_64, arm64]")
    with pytest.raises(ClientError) as caught:
        layers.publish(unique_layer(), make_zip({"a": "1"}), CompatibleRuntimes=["invalidruntime"], CompatibleArchitectures=["invalidarch"])
    assert caught.value.response["Error"]["Message"].startswith(
        "2 validation errors detected: Value '[invalidruntime]' at 'compatibleRuntimes' failed to satisfy constraint")
    assert lambda_client.list_layer_versions(LayerName=unique_layer("nope"))["LayerVersions"] == []

    # Layer contents are untrusted like function code: a path that climbs out is refused.
    traversal = io.BytesIO()
    with zipfile.ZipFile(traversal, "w") as archive:
        archive.writestr("../../escape.txt", "x")
    with pytest.raises(ClientError) as caught:
        layers.publish(name, traversal.getvalue())
    assert error_code(caught.value) == "InvalidParameterValueException"
    assert [v["Version"] for v in lambda_client.list_layer_versions(LayerName=name)["LayerVersions"]] == [1]


def test_layer_version_permissions(layers, lambda_client):
    """AddLayerVersionPermission / GetLayerVersionPolicy / RemoveLayerVersionPermission and their errors."""
    name = unique_layer()
    layers.publish(name, make_zip({"a.txt": "1"}))
    with pytest.raises(ClientError) as caught:
        lambda_client.get_layer_version_policy(LayerName=name, VersionNumber=1)
    assert caught.value.response["Error"]["Message"] == "No policy is associated with the given resource."

    added = lambda_client.add_layer_version_permission(
        LayerName=name, VersionNumber=1, StatementId="s1", Action="lambda:GetLayerVersion", Principal="*")
    assert added["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert json.loads(added["Statement"]) == {"Sid": "s1", "Effect": "Allow", "Principal": "*",
                                              "Action": "lambda:GetLayerVersion", "Resource": layer_arn(name, 1)}
    policy = lambda_client.get_layer_version_policy(LayerName=name, VersionNumber=1)
    assert policy["RevisionId"] == added["RevisionId"]
    assert policy["Policy"].startswith('{"Version":"2012-10-17","Id":"default","Statement":[{"Sid":"s1","Effect":"Allow"')

    with pytest.raises(ClientError) as caught:
        lambda_client.add_layer_version_permission(
            LayerName=name, VersionNumber=1, StatementId="s1", Action="lambda:GetLayerVersion", Principal="*")
    assert error_code(caught.value) == "ResourceConflictException"
    with pytest.raises(ClientError) as caught:
        lambda_client.add_layer_version_permission(
            LayerName=name, VersionNumber=1, StatementId="s2", Action="lambda:GetLayerVersion", Principal="*", RevisionId="wrong")
    assert http_status(caught.value) == 412
    with pytest.raises(ClientError) as caught:
        lambda_client.add_layer_version_permission(LayerName=name, VersionNumber=1, StatementId="s2", Action="*", Principal="*")
    assert error_code(caught.value) == "ValidationException"
    with pytest.raises(ClientError) as caught:
        lambda_client.add_layer_version_permission(
            LayerName=name, VersionNumber=2, StatementId="s2", Action="lambda:GetLayerVersion", Principal="*")
    assert caught.value.response["Error"]["Message"] == f"Layer version {layer_arn(name, 2)} does not exist."

    second = lambda_client.add_layer_version_permission(
        LayerName=name, VersionNumber=1, StatementId="s2", Action="lambda:GetLayerVersion", Principal="123456789012",
        RevisionId=added["RevisionId"])
    assert json.loads(second["Statement"])["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
    with pytest.raises(ClientError) as caught:
        lambda_client.remove_layer_version_permission(LayerName=name, VersionNumber=1, StatementId="doesnotexist")
    assert caught.value.response["Error"]["Message"] == "Statement doesnotexist is not found in resource policy."
    lambda_client.remove_layer_version_permission(LayerName=name, VersionNumber=1, StatementId="s2", RevisionId=second["RevisionId"])
    statements = json.loads(lambda_client.get_layer_version_policy(LayerName=name, VersionNumber=1)["Policy"])["Statement"]
    assert [s["Sid"] for s in statements] == ["s1"]


def test_layers_with_the_aws_cli(aws, layers, tmp_path):
    """The aws CLI v1 publishes from a file and lists."""
    name = unique_layer("cli")
    path = tmp_path / "layer.zip"
    path.write_bytes(make_zip({"python/m.py": "X = 1\n"}))
    published = aws("lambda", "publish-layer-version", "--layer-name", name, "--zip-file", f"fileb://{path}",
                    "--compatible-runtimes", "python3.12")
    assert published["Version"] == 1
    listed = aws("lambda", "list-layer-versions", "--layer-name", name)
    assert [v["Version"] for v in listed["LayerVersions"]] == [1]
    aws("lambda", "delete-layer-version", "--layer-name", name, "--version-number", "1")
