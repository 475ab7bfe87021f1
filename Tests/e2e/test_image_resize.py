"""The image-resize example (examples/image-resize), end to end: its own build-layer.sh and
deploy.sh (the aws CLI only) against a server, then images uploaded with `aws s3 cp` come back
as thumbnails made by Pillow from a layer, and a file that is not an image lands in the
function's OnFailure queue.

The layer (Pillow wheels from PyPI) is built once and cached under .build/image-resize-layer/,
keyed by what goes into it, so reruns do not download it again."""

from __future__ import annotations

import fcntl
import hashlib
import io
import json
import os
import platform
import subprocess
import sys
import time
import urllib.parse
import uuid
from pathlib import Path

import pytest
from PIL import Image

from conftest import REPO, AwsCli, _warm_runtime

EXAMPLE = REPO / "examples" / "image-resize"
LAYER_CACHE = REPO / ".build" / "image-resize-layer"
THUMBNAIL_SIZE = 128
WAIT_S = 60

# (key under uploads/, Pillow format, size, mode): the keys' space and plus sign check that the
# function decodes S3's form-encoded keys (`wide+photo.jpg`, `tall%2Bnarrow.png`).
IMAGES = [
    ("wide photo.jpg", "JPEG", (800, 600), "RGB"),
    ("tall+narrow.png", "PNG", (300, 1000), "RGBA"),
    ("small.gif", "GIF", (64, 64), "P"),
]


def image_bytes(image_format: str, size: tuple[int, int], mode: str) -> bytes:
    """An image with some detail (a gradient), so that its thumbnail is a real resize."""
    image = Image.linear_gradient("L").resize(size).convert(mode)
    buffer = io.BytesIO()
    image.save(buffer, format=image_format)
    return buffer.getvalue()


def run_script(name: str, env: dict, timeout: float) -> subprocess.CompletedProcess:
    result = subprocess.run(["bash", str(EXAMPLE / name)], cwd=EXAMPLE, env=env, capture_output=True,
                            text=True, timeout=timeout)
    assert result.returncode == 0, f"{name} exited {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result


def layer_cache_key() -> str:
    """What the layer depends on: its requirements, the build script, the machine, and the
    interpreters build-layer.sh looks at to pick Python versions."""
    digest = hashlib.sha256()
    for path in (EXAMPLE / "layer" / "requirements.txt", EXAMPLE / "build-layer.sh"):
        digest.update(path.read_bytes())
    digest.update(platform.machine().encode())
    for candidate in ("/usr/bin/python3.12", "/usr/local/bin/python3.12", "/usr/bin/python3", "/usr/local/bin/python3"):
        digest.update(f"{candidate}={os.path.realpath(candidate) if os.path.exists(candidate) else '-'};".encode())
    digest.update(os.environ.get("PYTHON_VERSIONS", "").encode())
    return digest.hexdigest()[:16]


@pytest.fixture(scope="module")
def layer_zip() -> Path:
    """build-layer.sh's zip, built at most once per key (under a lock: xdist workers share it)."""
    LAYER_CACHE.mkdir(parents=True, exist_ok=True)
    path = LAYER_CACHE / f"pillow-{layer_cache_key()}.zip"
    with open(LAYER_CACHE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.is_file():
            env = dict(os.environ, LAYER_ZIP=str(path), PYTHON=sys.executable)
            run_script("build-layer.sh", env, timeout=900)
            assert path.is_file(), "build-layer.sh did not write the layer"
    return path


@pytest.fixture(scope="module")
def resize_server(start_server):
    """A server of its own whose failed events are retried after 1 s, not 1 minute."""
    server = start_server(extra_args=["--async-retry-base", "1s"])
    _warm_runtime(server)
    yield server
    server.terminate()


@pytest.fixture(scope="module")
def deployed(resize_server, layer_zip):
    """deploy.sh run twice with unique names: the second run finds everything in place."""
    prefix = f"ir-{uuid.uuid4().hex[:8]}"
    env = resize_server.env()
    env.update(ENDPOINT=resize_server.endpoint, NAME_PREFIX=prefix, LAYER_ZIP=str(layer_zip),
               AWS_CLI=f"{sys.executable} -m awscli", PYTHON=sys.executable)
    first = run_script("deploy.sh", env, timeout=600)
    assert f"created function {prefix}" in first.stdout, first.stdout
    second = run_script("deploy.sh", env, timeout=600)
    assert f"bucket {prefix}-uploads exists" in second.stdout, second.stdout
    assert f"layer:{prefix}-pillow:1 is up to date" in second.stdout, second.stdout
    assert f"updated function {prefix}" in second.stdout, second.stdout
    return {
        "prefix": prefix,
        "source": f"{prefix}-uploads",
        "dest": f"{prefix}-thumbnails",
        "function": prefix,
        "queue": f"{prefix}-failures",
    }


@pytest.fixture(scope="module")
def clients(resize_server):
    return {
        "lambda": resize_server.client(),
        "s3": resize_server.client(service="s3", s3={"addressing_style": "path"}),
        "sqs": resize_server.client(service="sqs"),
    }


def upload(server, tmp_path: Path, local_name: str, content: bytes, bucket: str, key: str) -> None:
    """`aws s3 cp` a file, as the README does."""
    source = tmp_path / local_name
    source.write_bytes(content)
    result = AwsCli(server, tmp_path).run("s3", "cp", str(source), f"s3://{bucket}/{key}")
    assert result.returncode == 0, f"aws s3 cp exited {result.returncode}: {result.stderr}"


def test_image_resize_example(deployed, clients, resize_server, tmp_path):
    """One test, so that xdist never builds the deployment twice: deploy.sh's result, then
    thumbnails, then a failure."""
    check_deployment(deployed, clients)
    check_thumbnails(deployed, clients, resize_server, tmp_path)
    check_failure(deployed, clients, resize_server, tmp_path)


def check_deployment(deployed, clients):
    """What deploy.sh set up, read back: the second run added no layer version, no statement."""
    lam, s3 = clients["lambda"], clients["s3"]
    config = lam.get_function_configuration(FunctionName=deployed["function"])
    assert config["Runtime"] == "python3.12" and config["Timeout"] == 30 and config["MemorySize"] == 512
    assert config["Environment"]["Variables"]["DEST_BUCKET"] == deployed["dest"]
    assert [layer["Arn"].rsplit(":", 2)[1:] for layer in config["Layers"]] == [[f"{deployed['prefix']}-pillow", "1"]]
    assert len(lam.list_layer_versions(LayerName=f"{deployed['prefix']}-pillow")["LayerVersions"]) == 1
    statements = json.loads(lam.get_policy(FunctionName=deployed["function"])["Policy"])["Statement"]
    assert len(statements) == 1 and statements[0]["Principal"] == {"Service": "s3.amazonaws.com"}
    assert statements[0]["Condition"]["ArnLike"]["AWS:SourceArn"] == f"arn:aws:s3:::{deployed['source']}"
    invoke_config = lam.get_function_event_invoke_config(FunctionName=deployed["function"])
    assert invoke_config["MaximumRetryAttempts"] == 0
    assert invoke_config["DestinationConfig"]["OnFailure"]["Destination"].endswith(f":{deployed['queue']}")
    notification = s3.get_bucket_notification_configuration(Bucket=deployed["source"])
    [target] = notification["LambdaFunctionConfigurations"]
    assert target["LambdaFunctionArn"] == config["FunctionArn"]
    assert target["Filter"]["Key"]["FilterRules"] == [{"Name": "Prefix", "Value": "uploads/"}]


def check_thumbnails(deployed, clients, resize_server, tmp_path):
    """Three images uploaded with `aws s3 cp` come back as thumbnails of the same format."""
    s3 = clients["s3"]
    originals = {}
    for name, image_format, size, mode in IMAGES:
        upload(resize_server, tmp_path, f"image-{len(originals)}", image_bytes(image_format, size, mode),
               deployed["source"], f"uploads/{name}")
        originals[f"thumbnails/{name}"] = (image_format, size)

    deadline = time.monotonic() + WAIT_S
    found: set[str] = set()
    while time.monotonic() < deadline:
        listing = s3.list_objects_v2(Bucket=deployed["dest"], Prefix="thumbnails/")
        found = {item["Key"] for item in listing.get("Contents", [])}
        if found >= originals.keys():
            break
        time.sleep(1)
    assert found == set(originals), f"thumbnails after {WAIT_S} s: {sorted(found)}, wanted {sorted(originals)}"

    for key, (image_format, (width, height)) in originals.items():
        answer = s3.get_object(Bucket=deployed["dest"], Key=key)
        thumbnail = Image.open(io.BytesIO(answer["Body"].read()))
        assert thumbnail.format == image_format, key
        assert answer["ContentType"] == Image.MIME[image_format], key
        got_width, got_height = thumbnail.size
        assert max(got_width, got_height) <= THUMBNAIL_SIZE, (key, thumbnail.size)
        scale = min(1.0, THUMBNAIL_SIZE / max(width, height))
        # Pillow rounds each side to a whole pixel; the aspect ratio is kept to within that.
        assert abs(got_width - width * scale) <= 1 and abs(got_height - height * scale) <= 1, (key, thumbnail.size)
        if max(width, height) > THUMBNAIL_SIZE:
            assert max(got_width, got_height) == THUMBNAIL_SIZE, (key, thumbnail.size)


def check_failure(deployed, clients, resize_server, tmp_path):
    """A file that is not an image: the event lands in the OnFailure queue, not retried."""
    s3, sqs = clients["s3"], clients["sqs"]
    key = "uploads/read me.txt"
    upload(resize_server, tmp_path, "notes.txt", b"this is not an image\n", deployed["source"], key)
    queue_url = sqs.get_queue_url(QueueName=deployed["queue"])["QueueUrl"]

    record = None
    deadline = time.monotonic() + WAIT_S
    while record is None and time.monotonic() < deadline:
        for message in sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=2, MaxNumberOfMessages=10).get("Messages", []):
            body = json.loads(message["Body"])
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            event_key = body["requestPayload"]["Records"][0]["s3"]["object"]["key"]
            if urllib.parse.unquote_plus(event_key) == key:
                record = body
    assert record is not None, f"no failure record for {key} in {deployed['queue']} after {WAIT_S} s"

    context = record["requestContext"]
    assert context["condition"] == "RetriesExhausted"
    assert context["approximateInvokeCount"] == 1, "MaximumRetryAttempts is 0"
    assert context["functionArn"].endswith(f":function:{deployed['function']}:$LATEST")
    assert record["responseContext"]["functionError"] == "Unhandled"
    assert record["responsePayload"]["errorType"] == "NotAnImage"
    assert "is not an image" in record["responsePayload"]["errorMessage"]
    [s3_record] = record["requestPayload"]["Records"]
    assert s3_record["eventSource"] == "aws:s3" and s3_record["eventName"] == "ObjectCreated:Put"
    assert s3_record["s3"]["bucket"]["name"] == deployed["source"]
    assert s3_record["s3"]["object"]["key"] == "uploads/read+me.txt"
    assert s3_record["s3"]["object"]["size"] == len(b"this is not an image\n")
    listing = s3.list_objects_v2(Bucket=deployed["dest"], Prefix="thumbnails/read")
    assert listing.get("KeyCount", 0) == 0, "no thumbnail for a file that is not an image"
