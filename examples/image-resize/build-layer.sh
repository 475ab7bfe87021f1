#!/usr/bin/env bash
# Builds a Lambda layer zip holding Pillow, from PyPI's binary (manylinux) wheels: nothing is
# compiled, so any machine with Python 3 and pip can build it.
#
# Pillow is a compiled extension: its wheels only import on the Python minor version they were
# built for (_imaging.cpython-312-x86_64-linux-gnu.so). Lambent runs a `python3.12` function
# with the host's python3.12 when it has one, and otherwise with the host's default python3
# (on Debian 12 that is 3.11). So the layer carries one copy of Pillow per Python version, each
# under python/lib/pythonX.Y/site-packages, the directory that version (and only that version)
# puts on sys.path, on Lambent as on AWS Lambda.
#
# Environment (all optional):
#   LAYER_ZIP        the zip to write               (build/pillow-layer.zip beside this script)
#   REQUIREMENTS     what to install                (layer/requirements.txt)
#   PYTHON_VERSIONS  e.g. "3.11 3.12"               (3.12, plus the Python Lambent would run
#                                                     python3.12 functions with on this host)
#   ARCH             x86_64 or aarch64              (this machine's)
#   PYTHON           the Python whose pip downloads (python3)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LAYER_ZIP="${LAYER_ZIP:-$HERE/build/pillow-layer.zip}"
REQUIREMENTS="${REQUIREMENTS:-$HERE/layer/requirements.txt}"
PYTHON="${PYTHON:-python3}"
ARCH="${ARCH:-$(uname -m)}"
case "$ARCH" in
  x86_64 | amd64) ARCH=x86_64 ;;
  aarch64 | arm64) ARCH=aarch64 ;;
  *) echo "build-layer.sh: unsupported architecture $ARCH" >&2; exit 1 ;;
esac

# The Python Lambent runs python3.12 functions with on this host: the same search as its
# PythonRuntime (/usr/bin, then /usr/local/bin; python3.12 itself, else python3).
lambent_python_version() {
  local dir
  for dir in /usr/bin /usr/local/bin; do
    if [ -x "$dir/python3.12" ]; then echo 3.12; return; fi
  done
  for dir in /usr/bin /usr/local/bin; do
    if [ -x "$dir/python3" ]; then
      "$dir/python3" -c 'import sys; print("%d.%d" % sys.version_info[:2])' && return
    fi
  done
}

if [ -z "${PYTHON_VERSIONS:-}" ]; then
  PYTHON_VERSIONS="3.12"
  host_version="$(lambent_python_version || true)"
  if [ -n "$host_version" ] && [ "$host_version" != 3.12 ]; then
    PYTHON_VERSIONS="$PYTHON_VERSIONS $host_version"
    echo "build-layer.sh: this host has no python3.12, so Lambent runs python3.12 functions with Python $host_version: the layer holds Pillow for both"
  fi
fi

STAGING="$(mktemp -d)"
trap 'rm -rf "$STAGING"' EXIT

for version in $PYTHON_VERSIONS; do
  target="$STAGING/python/lib/python$version/site-packages"
  echo "build-layer.sh: installing $(grep -v '^\s*#' "$REQUIREMENTS" | xargs) for Python $version ($ARCH) into python/lib/python$version/site-packages"
  PIP_ROOT_USER_ACTION=ignore "$PYTHON" -m pip install --quiet --disable-pip-version-check --no-compile \
    --only-binary=:all: --implementation cp --python-version "$version" \
    --platform "manylinux_2_28_$ARCH" --platform "manylinux2014_$ARCH" \
    --target "$target" --requirement "$REQUIREMENTS"
done

mkdir -p "$(dirname "$LAYER_ZIP")"
rm -f "$LAYER_ZIP.tmp"
# Python's zipfile rather than zip(1), which not every machine has; entries keep their modes.
"$PYTHON" - "$STAGING" "$LAYER_ZIP.tmp" <<'PY'
import os, sys, zipfile
root, output = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = sorted(d for d in subdirectories if d != "__pycache__")
        for name in sorted(files):
            path = os.path.join(directory, name)
            archive.write(path, os.path.relpath(path, root))
PY
mv "$LAYER_ZIP.tmp" "$LAYER_ZIP"
echo "build-layer.sh: wrote $LAYER_ZIP ($(du -h "$LAYER_ZIP" | cut -f1), Python $PYTHON_VERSIONS)"
