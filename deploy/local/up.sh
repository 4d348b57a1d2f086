#!/usr/bin/env bash
# Brings up a local Coffre cluster on loopback: PostgreSQL + Azurite + 3 silos + 1 gateway.
# State (data, logs, PIDs) lives in .local/cluster; `deploy/local/down.sh` stops everything.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/cluster.env"
cd "$COFFRE_ROOT"

ensure_tools
mkdir -p "$STATE" && chmod 755 "$STATE"
for secret in signing-key nir-key audit-head-key code-key-1 delivery-key-1; do
  [ -f "$STATE/$secret" ] || head -c 32 /dev/urandom | base64 >"$STATE/$secret"
done

log "publishing coffre to $STATE/app"
dotnet publish src/Silo/Coffre.Silo.csproj -c Release -o "$STATE/app" -nologo -v quiet -clp:ErrorsOnly >/dev/null

log "starting PostgreSQL on 127.0.0.1:$PG_PORT and Azurite on 127.0.0.1:$BLOB_PORT"
start_postgres "$STATE/pg" "$PG_PORT"
[ -f "$STATE/azurite/azurite.pid" ] && kill -0 "$(cat "$STATE/azurite/azurite.pid")" 2>/dev/null || start_azurite "$STATE/azurite" "$BLOB_PORT"

export ConnectionStrings__Postgres="$(postgres_connection_string "$PG_PORT")"
export ConnectionStrings__Blob="$(blob_connection_string "$BLOB_PORT")"
export Coffre__Auth__SigningKey="$(cat "$STATE/signing-key")"
export Coffre__Identity__NirKey="$(cat "$STATE/nir-key")" Coffre__Audit__HeadKey="$(cat "$STATE/audit-head-key")"
export Coffre__Activation__CodeKeys__1="$(cat "$STATE/code-key-1")" Coffre__Activation__DeliveryKeys__1="$(cat "$STATE/delivery-key-1")"
export Coffre__Cluster__ClusterId="$CLUSTER_ID" Coffre__Cluster__ServiceId="$CLUSTER_ID"

dotnet "$STATE/app/coffre.dll" migrate

start_node() { # name role http-port [silo-port gateway-port]
  local name="$1" role="$2" http="$3"
  if [ -f "$STATE/$name.pid" ] && kill -0 "$(cat "$STATE/$name.pid")" 2>/dev/null; then
    log "$name already running (pid $(cat "$STATE/$name.pid"))"; return
  fi
  (
    export Urls="http://127.0.0.1:$http"
    [ -n "${4:-}" ] && export Coffre__Cluster__SiloPort="$4" Coffre__Cluster__GatewayPort="$5"
    nohup dotnet "$STATE/app/coffre.dll" "$role" >"$STATE/$name.log" 2>&1 &
    echo $! >"$STATE/$name.pid"
  )
  for _ in $(seq 1 300); do
    curl -fs "http://127.0.0.1:$http/health/ready" >/dev/null 2>&1 && { log "$name ready on http://127.0.0.1:$http"; return; }
    kill -0 "$(cat "$STATE/$name.pid")" 2>/dev/null || { tail -n 20 "$STATE/$name.log" >&2; return 1; }
    sleep 0.2
  done
  log "$name not ready after 60 s; see $STATE/$name.log"; return 1
}

for i in 1 2 3; do
  start_node "silo$i" silo $((SILO_HTTP_BASE + i)) $((SILO_PORT_BASE + i)) $((GATEWAY_PORT_BASE + i))
done
start_node gateway gateway "$GATEWAY_HTTP"

echo "GraphQL (gateway): http://127.0.0.1:$GATEWAY_HTTP/graphql"
echo "operator token:    dotnet $STATE/app/coffre.dll token --role operator --subject op-1 --Coffre:Auth:SigningKey=\$(cat $STATE/signing-key)"
echo "status:            deploy/local/status.sh    stop: deploy/local/down.sh"
