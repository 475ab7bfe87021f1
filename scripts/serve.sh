#!/usr/bin/env bash
# Runs Lambent on this machine: installs what it needs (as root) or names what is missing,
# builds a release binary once, and starts `lambent serve` (SQLite in the data dir; nothing
# else to start). Arguments go to `lambent serve`, e.g. `scripts/serve.sh --port 9600`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/lib/prerequisites.sh
lambent_prerequisites
if [[ ! -x .build/release/lambent || -n "$(find Sources Package.swift -newer .build/release/lambent -print -quit)" ]]; then
    echo "building Lambent (release; the first build takes a few minutes)..."
    swift build -c release --product lambent-agent
    swift build -c release --product lambent
fi
exec .build/release/lambent serve "$@"
