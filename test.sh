#!/usr/bin/env bash
# The test command: installs what is missing (PostgreSQL from Debian packages, Azurite from npm, smtp4dev as a
# dotnet tool from NuGet), starts them on 127.0.0.1 on free ports in a temporary folder, builds, runs every test
# project, and stops them even when tests fail. Ends with one line "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")"
COFFRE_ROOT="$PWD"
source deploy/local/lib.sh

ensure_tools
ensure_smtp

work="$(mktemp -d /tmp/coffre-test.XXXXXX)"
chmod 755 "$work"
cleanup() {
  stop_smtp "$work/smtp"
  stop_fake_sms "$work/sms"
  stop_azurite "$work/azurite"
  stop_postgres "$work/pg"
  rm -rf "$work"
}
trap cleanup EXIT

pg_port="$(free_port)"
blob_port="$(free_port)"
log "starting PostgreSQL on 127.0.0.1:$pg_port and Azurite on 127.0.0.1:$blob_port"
start_postgres "$work/pg" "$pg_port"
start_azurite "$work/azurite" "$blob_port"
smtp_port="$(free_port)"
smtp_api_port="$(free_port)"
log "starting smtp4dev on 127.0.0.1:$smtp_port (HTTP API on 127.0.0.1:$smtp_api_port)"
start_smtp "$work/smtp" "$smtp_port" "$smtp_api_port"
export COFFRE_TEST_SMTP="127.0.0.1:$smtp_port"
export COFFRE_TEST_SMTP_API="http://127.0.0.1:$smtp_api_port"
sms_port="$(free_port)"
log "starting the fake SMS provider on 127.0.0.1:$sms_port"
start_fake_sms "$work/sms" "$sms_port"
export COFFRE_TEST_SMS="http://127.0.0.1:$sms_port"
export COFFRE_TEST_POSTGRES="$(postgres_connection_string "$pg_port")"
export COFFRE_TEST_BLOB="$(blob_connection_string "$blob_port")"
export COFFRE_TEST_REPORT="$work/report.txt"

log "building"
dotnet build Cluster.sln -c Release -nologo -clp:ErrorsOnly

passed=0 failed=0 status=0
for project in tests/*/*.csproj; do
  name="$(basename "$project" .csproj)"
  log "running $name"
  out="$work/$name.log"
  set +e
  dotnet test "$project" -c Release --no-build --nologo --logger "console;verbosity=normal" >"$out" 2>&1
  rc=$?
  set -e
  grep -E "^\s*(Passed|Failed|Skipped) |Total tests|error" "$out" || true
  # Why each failed test failed (its message and the first lines of its stack), so a CI log is enough to act on.
  grep -E -A 40 "^\s+Failed [A-Za-z]" "$out" | grep -vE "^\s+Passed " || true
  p="$(grep -oE 'Passed: +[0-9]+' "$out" | tail -n 1 | grep -oE '[0-9]+' || echo 0)"
  f="$(grep -oE 'Failed: +[0-9]+' "$out" | tail -n 1 | grep -oE '[0-9]+' || echo 0)"
  passed=$((passed + p)); failed=$((failed + f))
  if [ "$rc" -ne 0 ]; then
    status=1
    [ "$f" -eq 0 ] && failed=$((failed + 1)) && log "$name failed to run (exit $rc)"
  fi
done

if [ -d tests/api ]; then
  log "running API tests (node)"
  (cd tests/api && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  set +e
  node --test tests/api/ >"$work/api.log" 2>&1
  rc=$?
  set -e
  grep -E "^# (tests|pass|fail)|^not ok|^\s+not ok" "$work/api.log" || true
  # Why each failed subtest failed (node's YAML block after "not ok").
  grep -E -A 14 "^\s+not ok" "$work/api.log" || true
  p="$(grep -oE '^# pass [0-9]+' "$work/api.log" | grep -oE '[0-9]+' || echo 0)"
  f="$(grep -oE '^# fail [0-9]+' "$work/api.log" | grep -oE '[0-9]+' || echo 0)"
  passed=$((passed + p)); failed=$((failed + f))
  [ "$rc" -ne 0 ] && status=1
fi

if [ -s "$COFFRE_TEST_REPORT" ]; then
  log "measurements reported by the tests:"
  sed 's/^/  /' "$COFFRE_TEST_REPORT" >&2
fi
echo "$passed passed, $failed failed"
exit "$status"
