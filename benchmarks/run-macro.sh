#!/usr/bin/env bash
# The macro benchmark in one command:
#
#   benchmarks/run-macro.sh [N] [--activations K] [--rate R] [--open-seconds S] [-- more harness options]
#
# N people (default 1 000 000) are generated, imported, issued codes (print batches in Azurite), compared with a raw
# binary COPY of the same rows and with a naive per-grain baseline, then activated through GraphQL over HTTP against
# one `coffre silo` process, and checked. Everything runs on 127.0.0.1 in a temporary folder: a fresh PostgreSQL
# cluster (durable: fsync=on, synchronous_commit=on, full_page_writes=on; only sizes are tuned, see PG_TUNING) and a
# fresh Azurite (--skipApiVersionCheck --disableTelemetry, loopback only). The report lands in
# benchmarks/results/macro-N-DATE.json and its summary is printed. Everything is stopped and the temporary folder
# deleted at the end, even on failure. No timing is asserted: the exit code only says whether the run and its
# post-run checks succeeded (0), a check failed (1) or the run failed (other).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=../deploy/local/lib.sh
source "$ROOT/deploy/local/lib.sh"
# shellcheck source=bench-lib.sh
source "$ROOT/benchmarks/bench-lib.sh"

N=1000000
HARNESS_ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --activations) HARNESS_ARGS+=(--activations "$2"); shift 2 ;;
    --rate) HARNESS_ARGS+=(--rate "$2"); shift 2 ;;
    --open-seconds) HARNESS_ARGS+=(--open-seconds "$2"); shift 2 ;;
    --) shift; HARNESS_ARGS+=("$@"); break ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *)
      if [[ "$1" =~ ^[0-9]+$ ]]; then N="$1"; shift
      else log "unknown argument $1 (see --help)"; exit 2; fi ;;
  esac
done


WORK="$(mktemp -d /tmp/coffre-macro.XXXXXX)"
chmod 755 "$WORK" # the postgres user must reach its data folder inside
HARNESS_PID=""

cleanup() {
  local code=$?
  set +e
  if [ -n "$HARNESS_PID" ] && kill -0 "$HARNESS_PID" 2>/dev/null; then kill "$HARNESS_PID" 2>/dev/null; wait "$HARNESS_PID" 2>/dev/null; fi
  if [ -f "$WORK/harness/silo.pid" ]; then kill "$(cat "$WORK/harness/silo.pid")" 2>/dev/null; fi
  stop_postgres "$WORK/pg"
  release_bench_huge_pages
  # BENCH_KEEP_PG_LOG=FILE keeps the server's log (with BENCH_PG_OPTIONS, e.g. auto_explain's slow plans).
  if [ -n "${BENCH_KEEP_PG_LOG:-}" ] && [ -f "$WORK/pg/postgres.log" ]; then cp "$WORK/pg/postgres.log" "$BENCH_KEEP_PG_LOG"; fi
  stop_azurite "$WORK/azurite"
  rm -rf "$WORK"
  log "stopped PostgreSQL and Azurite, removed $WORK"
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT TERM


ensure_tools
log "disk: $(df -h /tmp | tail -n 1 | awk '{print $4 " free on " $6}')"
PG_PORT="$(free_port)"
AZ_PORT="$(free_port)"
log "starting PostgreSQL on 127.0.0.1:$PG_PORT and Azurite on 127.0.0.1:$AZ_PORT in $WORK"
start_bench_postgres "$WORK/pg" "$PG_PORT"
start_azurite "$WORK/azurite" "$AZ_PORT"

log "building the harness and the silo (Release)"
dotnet build -c Release "$ROOT/benchmarks/Coffre.Harness/Coffre.Harness.csproj" -nologo -v quiet >"$WORK/build.log" 2>&1 \
  || { tail -n 30 "$WORK/build.log" >&2; exit 4; }

mkdir -p "$ROOT/benchmarks/results"
OUT="$ROOT/benchmarks/results/macro-$N-$(date -u +%Y-%m-%dT%H%MZ).json"
export COFFRE_BENCH_POSTGRES="$(postgres_connection_string "$PG_PORT")"
export COFFRE_BENCH_BLOB="$(blob_connection_string "$AZ_PORT")"
log "running the harness: N = $N, report $OUT"
set +e
dotnet "$ROOT/benchmarks/Coffre.Harness/bin/Release/net10.0/Coffre.Harness.dll" \
  --people "$N" --out "$OUT" --work-dir "$WORK/harness" \
  --silo-dll "$ROOT/src/Silo/bin/Release/net10.0/coffre.dll" \
  --azurite-pid "$(cat "$WORK/azurite/azurite.pid")" --postgres-notes "$PG_NOTES" "${HARNESS_ARGS[@]}" &
HARNESS_PID=$!
wait "$HARNESS_PID"
STATUS=$?
HARNESS_PID=""
set -e
log "harness exit code $STATUS; report: $OUT"
exit "$STATUS"
