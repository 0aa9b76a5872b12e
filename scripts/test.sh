#!/usr/bin/env bash
# Runs every test of cognate: the Rust tests of all crates, then the conformance suite
# (pytest driving the built binary with boto3, the aws CLI and a real SMTP listener).
# The Python tools are installed into ./.venv on first use; nothing else needs installing.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --workspace --locked
cargo test --workspace --locked

venv=.venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
stamp="$venv/.requirements.sha"
want=$(sha256sum tests/conformance/requirements.txt | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/conformance/requirements.txt
  echo "$want" > "$stamp"
fi
export COGNATE_BIN="$PWD/target/debug/cognate"
"$venv/bin/python" -m pytest tests/conformance -q -p no:cacheprovider "$@"
