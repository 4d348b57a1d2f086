#!/usr/bin/env bash
# The feed benchmark in one command (issue 11):
#
#   benchmarks/feeds/run-feeds.sh [DOCUMENTS] [--size BYTES] [--concurrency K] [--vaults V]
#
# A fresh PostgreSQL and Azurite on 127.0.0.1 in a temporary folder, `coffre migrate`, one `coffre silo`; then
# DOCUMENTS small PDFs (default 5 000 of 20 KiB) fed by NIR through POST /feeds/documents (50 per request, K requests
# at a time) end to end into Blob + the vault index, and the same-run baseline: the same number of writes of the same
# size straight to the content store (IContentStore on Azurite), K at a time. Reports land in
# benchmarks/results/issue11-feeds/ (feed-*.json, baseline-*.json). Everything is stopped and removed at the end.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../../deploy/local/lib.sh
source "$ROOT/deploy/local/lib.sh"
# shellcheck source=../bench-lib.sh
source "$ROOT/benchmarks/bench-lib.sh"

DOCUMENTS=5000 SIZE=20480 CONCURRENCY=4 VAULTS=200
while [ $# -gt 0 ]; do
  case "$1" in
    --size) SIZE="$2"; shift 2 ;;
    --concurrency) CONCURRENCY="$2"; shift 2 ;;
    --vaults) VAULTS="$2"; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) if [[ "$1" =~ ^[0-9]+$ ]]; then DOCUMENTS="$1"; shift; else log "unknown argument $1"; exit 2; fi ;;
  esac
done

bench_workdir feeds

ensure_tools
PG_PORT="$(free_port)"; AZ_PORT="$(free_port)"; HTTP_PORT="$(free_port)"
start_postgres "$WORK/pg" "$PG_PORT"
start_azurite "$WORK/azurite" "$AZ_PORT"
dotnet build -c Release "$ROOT/benchmarks/Coffre.Harness/Coffre.Harness.csproj" -nologo -v quiet >"$WORK/build.log" 2>&1 || { tail -n 30 "$WORK/build.log" >&2; exit 4; }
DLL="$ROOT/src/Silo/bin/Release/net10.0/coffre.dll"
key() { openssl rand -base64 32; }
export ConnectionStrings__Postgres="$(postgres_connection_string "$PG_PORT")"
export ConnectionStrings__Blob="$(blob_connection_string "$AZ_PORT")"
export Coffre__BlobContainer=feeds Coffre__Auth__SigningKey="$(key)" Coffre__Identity__NirKey="$(key)" Coffre__Audit__HeadKey="$(key)"
export Coffre__Activation__CodeKeys__1="$(key)" Coffre__Activation__CurrentCodeKeyId=1
export Coffre__Activation__DeliveryKeys__1="$(key)" Coffre__Activation__CurrentDeliveryKeyId=1
export Coffre__Notifications__FilePath="$WORK/notifications" Logging__LogLevel__Default=Warning DOTNET_ENVIRONMENT=Production
dotnet "$DLL" migrate >"$WORK/migrate.log" 2>&1 || { cat "$WORK/migrate.log" >&2; exit 4; }
Urls="http://127.0.0.1:$HTTP_PORT" Coffre__Cluster__SiloPort="$(free_port)" Coffre__Cluster__GatewayPort="$(free_port)" \
  dotnet "$DLL" silo >"$WORK/silo.log" 2>&1 &
SILO_PID=$!
for _ in $(seq 1 120); do
  curl -fs "http://127.0.0.1:$HTTP_PORT/health/ready" >/dev/null 2>&1 && break
  kill -0 "$SILO_PID" 2>/dev/null || { tail -n 30 "$WORK/silo.log" >&2; exit 3; }
  sleep 1
done

OUT_DIR="$ROOT/benchmarks/results/issue11-feeds"; mkdir -p "$OUT_DIR"
STAMP="$(date -u +%Y-%m-%dT%H%MZ)"
log "feeding $DOCUMENTS documents of $SIZE bytes, $CONCURRENCY requests at a time"
COFFRE_URL="http://127.0.0.1:$HTTP_PORT" COFFRE_DLL="$DLL" COFFRE_SIGNING_KEY="$Coffre__Auth__SigningKey" \
  VAULTS="$VAULTS" DOCUMENTS="$DOCUMENTS" SIZE="$SIZE" CONCURRENCY="$CONCURRENCY" OUT="$OUT_DIR/feed-$STAMP.json" \
  node "$ROOT/benchmarks/feeds/feed-bench.mjs"
log "baseline: $DOCUMENTS raw content-store writes of $SIZE bytes, $CONCURRENCY at a time"
dotnet "$ROOT/benchmarks/Coffre.Harness/bin/Release/net10.0/Coffre.Harness.dll" content-baseline --blob "$ConnectionStrings__Blob" \
  --container feeds-baseline --documents "$DOCUMENTS" --size "$SIZE" --concurrency "$CONCURRENCY" --out "$OUT_DIR/baseline-$STAMP.json"
