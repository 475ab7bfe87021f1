#!/bin/sh
# /lambda-entrypoint.sh of the test image: the ENTRYPOINT of AWS's Lambda base images,
# reproduced for the case Lambda itself runs (AWS_LAMBDA_RUNTIME_API set). AWS's script
# requires exactly one argument (the CMD, a handler name), exports it as _HANDLER and
# execs /var/runtime/bootstrap with no arguments; with AWS_LAMBDA_RUNTIME_API unset it
# execs the Runtime Interface Emulator instead, which this image does not carry.
if [ $# -ne 1 ]; then
  echo "entrypoint requires the handler name to be the first argument" 1>&2
  exit 142
fi
export _HANDLER="$1"

RUNTIME_ENTRYPOINT=/var/runtime/bootstrap
if [ -z "${AWS_LAMBDA_RUNTIME_API}" ]; then
  echo "lambda-entrypoint.sh: AWS_LAMBDA_RUNTIME_API is not set and this image has no RIE" 1>&2
  exit 1
fi
exec $RUNTIME_ENTRYPOINT
