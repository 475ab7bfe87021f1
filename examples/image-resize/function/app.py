"""Makes a thumbnail of every image uploaded to S3.

Triggered by S3 ObjectCreated notifications (see ../deploy.sh). For each record it downloads
the object, shrinks it with Pillow to fit THUMBNAIL_SIZE x THUMBNAIL_SIZE (128 unless set),
keeping its aspect ratio and format, and writes it to DEST_BUCKET as `thumbnails/<name>`,
where <name> is the key without UPLOAD_PREFIX (`uploads/`).

An object Pillow cannot read raises, so the asynchronous invocation fails and its event ends
up in the function's OnFailure destination.

Plain boto3: on Lambent, AWS_ENDPOINT_URL and the credentials in the environment point it at
Lambent's S3; on AWS Lambda the same code talks to Amazon S3.
"""

import io
import os
import urllib.parse

import boto3
from PIL import Image, ImageOps, UnidentifiedImageError

DEST_BUCKET = os.environ["DEST_BUCKET"]
UPLOAD_PREFIX = os.environ.get("UPLOAD_PREFIX", "uploads/")
THUMBNAIL_SIZE = int(os.environ.get("THUMBNAIL_SIZE", "128"))

s3 = boto3.client("s3")


class NotAnImage(Exception):
    """The uploaded object is not an image Pillow can read."""


def handler(event, context):
    thumbnails = []
    for record in event.get("Records", []):
        bucket = record["s3"]["bucket"]["name"]
        # Keys in S3 events are form-encoded: "my photo.jpg" arrives as "my+photo.jpg".
        key = urllib.parse.unquote_plus(record["s3"]["object"]["key"])
        thumbnails.append(make_thumbnail(bucket, key))
    return {"thumbnails": thumbnails}


def make_thumbnail(bucket: str, key: str) -> dict:
    data = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError) as error:
        raise NotAnImage(f"s3://{bucket}/{key} is not an image Pillow can read ({len(data)} bytes)") from error
    image_format = image.format  # JPEG, PNG, GIF, ... (a transposed copy has none)
    original = image.size
    thumbnail = ImageOps.exif_transpose(image)  # photos taken sideways stay upright
    thumbnail.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))  # in place, keeps the aspect ratio
    output = io.BytesIO()
    thumbnail.save(output, format=image_format)
    name = key[len(UPLOAD_PREFIX):] if key.startswith(UPLOAD_PREFIX) else key
    destination = f"thumbnails/{name}"
    s3.put_object(Bucket=DEST_BUCKET, Key=destination, Body=output.getvalue(),
                  ContentType=Image.MIME.get(image_format, "application/octet-stream"))
    print(f"s3://{bucket}/{key} {image_format} {original[0]}x{original[1]} -> "
          f"s3://{DEST_BUCKET}/{destination} {thumbnail.size[0]}x{thumbnail.size[1]}")
    return {"source": f"s3://{bucket}/{key}", "thumbnail": f"s3://{DEST_BUCKET}/{destination}",
            "format": image_format, "size": list(thumbnail.size)}
