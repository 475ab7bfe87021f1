#!/usr/bin/env bash
# Deploys the image-resize example with the AWS CLI alone, against Lambent (or, with
# ENDPOINT pointed elsewhere, anything that speaks the same APIs):
#
#   source bucket --ObjectCreated uploads/*--> function (Pillow layer) --> thumbnails bucket
#                                                 | fails (not an image)
#                                                 v
#                                          SQS queue (OnFailure destination, no retries)
#
# Safe to run again: it creates what is missing and updates the rest (code, layer, settings).
# Run ./build-layer.sh first.
#
# Environment (all optional):
#   ENDPOINT       Lambent's URL                    (http://127.0.0.1:9550)
#   NAME_PREFIX    prefix of every name below       (image-resize)
#   SOURCE_BUCKET  where images are uploaded        ($NAME_PREFIX-uploads)
#   DEST_BUCKET    where thumbnails are written     ($NAME_PREFIX-thumbnails)
#   FUNCTION_NAME  the function                     ($NAME_PREFIX)
#   LAYER_NAME     the Pillow layer                 ($NAME_PREFIX-pillow)
#   QUEUE_NAME     the OnFailure queue              ($NAME_PREFIX-failures)
#   UPLOAD_PREFIX  keys that trigger the function   (uploads/)
#   LAYER_ZIP      the layer build-layer.sh wrote   (build/pillow-layer.zip)
#   ROLE           the function's execution role    (arn:aws:iam::000000000000:role/image-resize)
#   AWS_CLI        how to run the AWS CLI           (aws), e.g. "python3 -m awscli"
#   PYTHON         a Python 3 for zipping, hashing  (python3)
# Credentials and region come from the usual AWS_* variables or ~/.aws.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ENDPOINT="${ENDPOINT:-http://127.0.0.1:9550}"
NAME_PREFIX="${NAME_PREFIX:-image-resize}"
SOURCE_BUCKET="${SOURCE_BUCKET:-$NAME_PREFIX-uploads}"
DEST_BUCKET="${DEST_BUCKET:-$NAME_PREFIX-thumbnails}"
FUNCTION_NAME="${FUNCTION_NAME:-$NAME_PREFIX}"
LAYER_NAME="${LAYER_NAME:-$NAME_PREFIX-pillow}"
QUEUE_NAME="${QUEUE_NAME:-$NAME_PREFIX-failures}"
UPLOAD_PREFIX="${UPLOAD_PREFIX:-uploads/}"
LAYER_ZIP="${LAYER_ZIP:-$HERE/build/pillow-layer.zip}"
ROLE="${ROLE:-arn:aws:iam::000000000000:role/image-resize}"
PYTHON="${PYTHON:-python3}"
read -r -a AWS_COMMAND <<< "${AWS_CLI:-aws}"
export AWS_PAGER=""

awsx() { "${AWS_COMMAND[@]}" --endpoint-url "$ENDPOINT" --output json "$@"; }
say() { echo "deploy.sh: $*"; }
# One field of JSON on stdin, e.g. `json FunctionArn` or `json Attributes.QueueArn`.
json() { "$PYTHON" -c 'import json, sys
value = json.load(sys.stdin)
for part in sys.argv[1].split("."):
    value = value[part]
print(value)' "$1"; }

if [ ! -f "$LAYER_ZIP" ]; then
  echo "deploy.sh: no layer at $LAYER_ZIP: run ./build-layer.sh first" >&2
  exit 1
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# 1. Buckets.
for bucket in "$SOURCE_BUCKET" "$DEST_BUCKET"; do
  if awsx s3api head-bucket --bucket "$bucket" >/dev/null 2>&1; then
    say "bucket $bucket exists"
  else
    awsx s3api create-bucket --bucket "$bucket" >/dev/null
    say "created bucket $bucket"
  fi
done

# 2. The OnFailure queue (CreateQueue returns the existing queue when nothing differs).
QUEUE_URL="$(awsx sqs create-queue --queue-name "$QUEUE_NAME" | json QueueUrl)"
QUEUE_ARN="$(awsx sqs get-queue-attributes --queue-url "$QUEUE_URL" --attribute-names QueueArn | json Attributes.QueueArn)"
say "queue $QUEUE_ARN"

# 3. The layer: a new version only when the zip differs from the latest one's.
LAYER_SHA="$("$PYTHON" -c 'import base64, hashlib, sys
print(base64.b64encode(hashlib.sha256(open(sys.argv[1], "rb").read()).digest()).decode())' "$LAYER_ZIP")"
LAYER_VERSION_ARN=""
LATEST="$(awsx lambda list-layer-versions --layer-name "$LAYER_NAME" --max-items 1 \
  | "$PYTHON" -c 'import json, sys; versions = json.load(sys.stdin).get("LayerVersions", []); print(versions[0]["LayerVersionArn"] if versions else "")')"
if [ -n "$LATEST" ]; then
  if [ "$(awsx lambda get-layer-version-by-arn --arn "$LATEST" | json Content.CodeSha256)" = "$LAYER_SHA" ]; then
    LAYER_VERSION_ARN="$LATEST"
    say "layer $LAYER_VERSION_ARN is up to date"
  fi
fi
if [ -z "$LAYER_VERSION_ARN" ]; then
  LAYER_VERSION_ARN="$(awsx lambda publish-layer-version --layer-name "$LAYER_NAME" \
    --description "Pillow (binary wheels from PyPI)" --compatible-runtimes python3.12 \
    --zip-file "fileb://$LAYER_ZIP" | json LayerVersionArn)"
  say "published layer $LAYER_VERSION_ARN"
fi

# 4. The function.
"$PYTHON" - "$HERE/function" "$WORK/function.zip" <<'PY'
import os, sys, zipfile
root, output = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = sorted(d for d in subdirectories if d != "__pycache__")
        for name in sorted(files):
            if not name.endswith(".pyc"):
                path = os.path.join(directory, name)
                archive.write(path, os.path.relpath(path, root))
PY
ENVIRONMENT="$("$PYTHON" -c 'import json, sys
print(json.dumps({"Variables": {"DEST_BUCKET": sys.argv[1], "UPLOAD_PREFIX": sys.argv[2]}}))' "$DEST_BUCKET" "$UPLOAD_PREFIX")"
if awsx lambda get-function --function-name "$FUNCTION_NAME" >/dev/null 2>&1; then
  awsx lambda update-function-code --function-name "$FUNCTION_NAME" --zip-file "fileb://$WORK/function.zip" >/dev/null
  awsx lambda wait function-updated-v2 --function-name "$FUNCTION_NAME"
  FUNCTION_ARN="$(awsx lambda update-function-configuration --function-name "$FUNCTION_NAME" --role "$ROLE" \
    --runtime python3.12 --handler app.handler --timeout 30 --memory-size 512 \
    --layers "$LAYER_VERSION_ARN" --environment "$ENVIRONMENT" | json FunctionArn)"
  awsx lambda wait function-updated-v2 --function-name "$FUNCTION_NAME"
  say "updated function $FUNCTION_NAME"
else
  FUNCTION_ARN="$(awsx lambda create-function --function-name "$FUNCTION_NAME" --role "$ROLE" \
    --runtime python3.12 --handler app.handler --timeout 30 --memory-size 512 \
    --layers "$LAYER_VERSION_ARN" --environment "$ENVIRONMENT" \
    --zip-file "fileb://$WORK/function.zip" | json FunctionArn)"
  awsx lambda wait function-active-v2 --function-name "$FUNCTION_NAME"
  say "created function $FUNCTION_NAME"
fi

# 5. Failed events go to the queue at once: no retries (an image that is not one stays so).
awsx lambda put-function-event-invoke-config --function-name "$FUNCTION_NAME" \
  --maximum-retry-attempts 0 \
  --destination-config "{\"OnFailure\":{\"Destination\":\"$QUEUE_ARN\"}}" >/dev/null
say "failed events go to $QUEUE_ARN"

# 6. S3 may invoke the function for the source bucket's events (replacing any earlier grant).
awsx lambda remove-permission --function-name "$FUNCTION_NAME" --statement-id s3-invoke >/dev/null 2>&1 || true
awsx lambda add-permission --function-name "$FUNCTION_NAME" --statement-id s3-invoke \
  --action lambda:InvokeFunction --principal s3.amazonaws.com \
  --source-arn "arn:aws:s3:::$SOURCE_BUCKET" >/dev/null
say "s3.amazonaws.com may invoke $FUNCTION_NAME for arn:aws:s3:::$SOURCE_BUCKET"

# 7. The notification: objects created under $UPLOAD_PREFIX invoke the function.
NOTIFICATION="$("$PYTHON" -c 'import json, sys
print(json.dumps({"LambdaFunctionConfigurations": [{
    "Id": "make-thumbnails", "LambdaFunctionArn": sys.argv[1], "Events": ["s3:ObjectCreated:*"],
    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": sys.argv[2]}]}}}]}))' "$FUNCTION_ARN" "$UPLOAD_PREFIX")"
awsx s3api put-bucket-notification-configuration --bucket "$SOURCE_BUCKET" \
  --notification-configuration "$NOTIFICATION"
say "s3://$SOURCE_BUCKET/$UPLOAD_PREFIX* invokes $FUNCTION_NAME"

cat <<DONE

Deployed. Try:
  aws --endpoint-url $ENDPOINT s3 cp photo.jpg s3://$SOURCE_BUCKET/${UPLOAD_PREFIX}photo.jpg
  aws --endpoint-url $ENDPOINT s3 ls s3://$DEST_BUCKET/thumbnails/
  aws --endpoint-url $ENDPOINT sqs receive-message --queue-url $QUEUE_URL --wait-time-seconds 10
DONE
