#!/usr/bin/env bash
# Registration by list (issue 11) in one command:
#
#   benchmarks/run-directory.sh [ESTABLISHMENTS] [PROFESSIONALS] [--chunk-size N]
#
# Generates a synthetic directory (default 46 000 establishments, 100 000 professionals, `coffre directory generate`),
# starts a fresh durable PostgreSQL and Azurite (benchmarks/bench-lib.sh, as run-macro.sh) and one `coffre silo`,
# then imports the establishments, then the professionals with `coffre directory import` (an Orleans client of the
# silo), timing each and sampling CPU of the command, the silo and PostgreSQL (utime + stime from /proc). Same-run
# baseline: a raw `COPY` of the same two files into unindexed tables of the same PostgreSQL. Writes
# benchmarks/results/issue11-registration/directory-E-P-DATE.json. Everything is stopped and deleted at the end.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=../deploy/local/lib.sh
source "$ROOT/deploy/local/lib.sh"
# shellcheck source=bench-lib.sh
source "$ROOT/benchmarks/bench-lib.sh"

E=46000
P=100000
CHUNK=500
POSITIONAL=()
while [ $# -gt 0 ]; do
  case "$1" in
    --chunk-size) CHUNK="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) POSITIONAL+=("$1"); shift ;;
  esac
done
[ "${#POSITIONAL[@]}" -ge 1 ] && E="${POSITIONAL[0]}"
[ "${#POSITIONAL[@]}" -ge 2 ] && P="${POSITIONAL[1]}"

DLL="$ROOT/src/Silo/bin/Release/net10.0/coffre.dll"
[ -f "$DLL" ] || { log "build first: dotnet build Cluster.sln -c Release"; exit 4; }
bench_workdir directory

ticks() { # PID... — utime + stime (+ waited-for children) in clock ticks
  local total=0 pid
  for pid in "$@"; do
    [ -r "/proc/$pid/stat" ] || continue
    total=$((total + $(awk '{print $14 + $15 + $16 + $17}' "/proc/$pid/stat")))
  done
  echo "$total"
}
pg_ticks() { # the postmaster (its exited backends included) and its live children
  local master
  master="$(postgres_pid "$WORK/pg")"
  # shellcheck disable=SC2046
  ticks "$master" $(pgrep -P "$master" || true)
}
HZ="$(getconf CLK_TCK)"

ensure_tools
PG_PORT="$(free_port)"
AZ_PORT="$(free_port)"
log "PostgreSQL on 127.0.0.1:$PG_PORT, Azurite on 127.0.0.1:$AZ_PORT, in $WORK"
start_bench_postgres "$WORK/pg" "$PG_PORT"
start_azurite "$WORK/azurite" "$AZ_PORT"

CLUSTER="bench-$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
key() { head -c 32 /dev/urandom | base64; }
export ConnectionStrings__Postgres="$(postgres_connection_string "$PG_PORT")"
export ConnectionStrings__Blob="$(blob_connection_string "$AZ_PORT")"
export Coffre__BlobContainer="$CLUSTER" Coffre__Cluster__ClusterId="$CLUSTER" Coffre__Cluster__ServiceId="$CLUSTER"
export Coffre__Auth__SigningKey="$(key)" Coffre__Identity__NirKey="$(key)" Coffre__Audit__HeadKey="$(key)"
export Coffre__Activation__CodeKeys__1="$(key)" Coffre__Activation__DeliveryKeys__1="$(key)"
export Logging__LogLevel__Default=Warning DOTNET_ENVIRONMENT=Production
PSQL=(psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d coffre -v ON_ERROR_STOP=1 -qAt)

dotnet "$DLL" migrate >"$WORK/migrate.json"
log "generating $E establishments and $P professionals"
dotnet "$DLL" directory generate --establishments "$E" --professionals "$P" --out "$WORK/csv" >"$WORK/generate.json"

HTTP_PORT="$(free_port)"
Urls="http://127.0.0.1:$HTTP_PORT" Coffre__Cluster__SiloPort="$(free_port)" Coffre__Cluster__GatewayPort="$(free_port)" \
  dotnet "$DLL" silo >"$WORK/silo.log" 2>&1 &
SILO_PID=$!
for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$HTTP_PORT/health/ready" >/dev/null 2>&1 && break
  kill -0 "$SILO_PID" 2>/dev/null || { tail -n 30 "$WORK/silo.log" >&2; exit 4; }
  sleep 1
done
log "silo pid $SILO_PID ready"

import() { # KIND — prints the phase's JSON object
  local kind="$1" silo0 pg0 silo1 pg1 out
  silo0="$(ticks "$SILO_PID")"; pg0="$(pg_ticks)"
  /usr/bin/time -f '%U %S' -o "$WORK/$kind.time" \
    dotnet "$DLL" directory import --kind "$kind" --file "$WORK/csv/$kind.csv" --chunk-size "$CHUNK" --by bench >"$WORK/$kind.json" 2>"$WORK/$kind.log" \
    || { tail -n 20 "$WORK/$kind.log" >&2; exit 1; }
  silo1="$(ticks "$SILO_PID")"; pg1="$(pg_ticks)"
  out="$(cat "$WORK/$kind.json")"
  python3 - "$out" "$(cat "$WORK/$kind.time")" "$(( silo1 - silo0 ))" "$(( pg1 - pg0 ))" "$HZ" <<'PY'
import json, sys
result = json.loads(sys.argv[1]); user, system = map(float, sys.argv[2].split()); silo = int(sys.argv[3]); pg = int(sys.argv[4]); hz = int(sys.argv[5])
rows = result["linesDone"]
cpu = {"command": round(user + system, 2), "silo": round(silo / hz, 2), "postgres": round(pg / hz, 2)}
cpu["total"] = round(sum(cpu.values()), 2)
result["cpuSeconds"] = cpu
result["cpuMillisecondsPerRow"] = round(1000 * cpu["total"] / rows, 3) if rows else None
print(json.dumps(result))
PY
}

log "importing establishments (chunks of $CHUNK)"
ESTABLISHMENTS_JSON="$(import establishments)"
log "establishments: $(echo "$ESTABLISHMENTS_JSON" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["linesDone"], "rows,", r["rowsPerSecond"], "rows/s, cpu ms/row", r["cpuMillisecondsPerRow"])')"
log "importing professionals (chunks of $CHUNK)"
PROFESSIONALS_JSON="$(import professionals)"
log "professionals: $(echo "$PROFESSIONALS_JSON" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["linesDone"], "rows,", r["rowsPerSecond"], "rows/s, cpu ms/row", r["cpuMillisecondsPerRow"])')"

STATE_ROWS="$("${PSQL[@]}" -c "SELECT graintypestring || '=' || count(*) FROM orleans_storage GROUP BY graintypestring ORDER BY graintypestring" | paste -sd, -)"

# Same-run baseline: the same files COPYed raw into unindexed tables (one transaction each, durable commit).
"${PSQL[@]}" -c "CREATE TABLE raw_establishments (finess text, name text, kind text, part_of text, category_code text, sector text, town text, postal_code text);
                 CREATE TABLE raw_professionals (identifier text, display_name text, profession_code text, sector text, memberships text);"
copy() { # KIND — seconds
  local start end
  start="$(date +%s.%N)"
  "${PSQL[@]}" -c "\\copy raw_$1 FROM '$WORK/csv/$1.csv' WITH (FORMAT csv, DELIMITER ';', HEADER true, QUOTE E'\\x01')"
  end="$(date +%s.%N)"
  python3 -c "print(round($end - $start, 3))"
}
COPY_E="$(copy establishments)"
COPY_P="$(copy professionals)"

mkdir -p "$ROOT/benchmarks/results/issue11-registration"
OUT="$ROOT/benchmarks/results/issue11-registration/directory-$E-$P-$(date -u +%Y-%m-%dT%H%MZ).json"
python3 - "$ESTABLISHMENTS_JSON" "$PROFESSIONALS_JSON" "$COPY_E" "$COPY_P" "$STATE_ROWS" "$CHUNK" "$PG_NOTES" \
  "$(git -C "$ROOT" rev-parse --short HEAD)" "$(nproc)" "$(uname -r)" "$(dotnet --version)" >"$OUT" <<'PY'
import json, sys
e, p = json.loads(sys.argv[1]), json.loads(sys.argv[2])
copy_e, copy_p = float(sys.argv[3]), float(sys.argv[4])
for phase, seconds in ((e, copy_e), (p, copy_p)):
    phase["baselineCopySeconds"] = seconds
    phase["baselineCopyRowsPerSecond"] = round(phase["linesDone"] / seconds, 1) if seconds else None
    phase["ratioToCopy"] = round(phase["baselineCopyRowsPerSecond"] / phase["rowsPerSecond"], 1) if phase["rowsPerSecond"] else None
    for k in ("file", "report"):
        phase.pop(k, None)
print(json.dumps({
    "commit": sys.argv[8], "nproc": int(sys.argv[9]), "kernel": sys.argv[10], "dotnet": sys.argv[11],
    "chunkSize": int(sys.argv[6]), "postgres": sys.argv[7], "grainStateRows": sys.argv[5],
    "establishments": e, "professionals": p,
    "notes": "one `coffre silo` (PostgreSQL membership and grain state, Azurite content) and the `coffre directory import` command (Orleans client) on the same 2 cores; "
             "each establishment row = one grain activation (state read) + one state write; each professional row = activation + state read + "
             "existence check per membership + state write + one establishment state write per membership; baseline = psql \\copy of the same file into an unindexed table",
}, indent=2))
PY
log "report: $OUT"
cat "$OUT"
