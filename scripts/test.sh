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
# The JS clients of test_js_clients.py (pinned in package-lock.json); without node/npm those
# tests skip.
node_dir=tests/conformance/node
if command -v node >/dev/null && command -v npm >/dev/null; then
  node_stamp="$node_dir/node_modules/.lock.sha"
  node_want=$(cat "$node_dir/package.json" "$node_dir/package-lock.json" 2>/dev/null | sha256sum | cut -d' ' -f1)
  if [ "$(cat "$node_stamp" 2>/dev/null)" != "$node_want" ]; then
    if [ -f "$node_dir/package-lock.json" ]; then
      (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    else
      (cd "$node_dir" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
    fi
    echo "$node_want" > "$node_stamp"
  fi
else
  echo "notice: node/npm not found; the JS client conformance tests will be skipped" >&2
fi
export COGNATE_BIN="$PWD/target/debug/cognate"
# The same tests again with every server on PostgreSQL (a fresh database each), for the files
# that cover every storage aggregate; the rest are about SQLite files, start-up or the CLI on a
# data dir. Skips with a notice without a PostgreSQL server unless COGNATE_REQUIRE_PG=1.
# Both runs start their own servers on free ports: they run side by side (most of a test's
# time is spent waiting on a server, a browser or a clock), and the PostgreSQL run's output is
# printed after the SQLite run's.
pg_pid=""
if [ $# -eq 0 ]; then
  pg_log=$(mktemp)
  (cd tests/conformance && COGNATE_TEST_DATABASE=postgres "../../$venv/bin/python" -m pytest -q -p no:cacheprovider \
    test_signup.py test_confirm.py test_aliases.py test_races.py test_auth.py test_srp.py \
    test_custom_auth.py test_tokens.py test_refresh_rotation.py test_signout.py test_lockout.py \
    test_existence.py test_passwords.py test_attributes.py test_users.py test_admin_users.py \
    test_groups.py test_pools.py test_clients.py test_outbox.py test_sms.py test_triggers_flows.py \
    test_mfa.py test_user_auth.py test_devices.py test_passkeys.py test_oauth_control.py \
    test_hosted_login.py test_hosted_pages.py) >"$pg_log" 2>&1 &
  pg_pid=$!
fi
sqlite_status=0
"$venv/bin/python" -m pytest tests/conformance -q -p no:cacheprovider "$@" || sqlite_status=$?
pg_status=0
if [ -n "$pg_pid" ]; then
  wait "$pg_pid" || pg_status=$?
  echo "== the storage suites again, on PostgreSQL =="
  cat "$pg_log"
  rm -f "$pg_log"
fi
[ "$sqlite_status" -eq 0 ] && [ "$pg_status" -eq 0 ]
