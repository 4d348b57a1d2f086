#!/usr/bin/env bash
# Brings up a local Coffre cluster on loopback: PostgreSQL + Azurite + smtp4dev + the fake SMS provider + 3 silos + 1 gateway.
# Silos send email (activation codes, alerts) to smtp4dev and SMS alerts to the fake provider (tools/fake-sms).
# State (data, logs, PIDs) lives in .local/cluster; `deploy/local/down.sh` stops everything. The cluster's settings
# (connection strings, keys, cluster id) are written to one file, .local/cluster/coffre.settings.json, that every
# node and operator command reads (--settings FILE or COFFRE_SETTINGS=FILE; the environment still overrides it).
#
# Safe to run again on a running or half-running cluster: what runs is kept (same PIDs), what is down is started.
# The app is published only when a source file changed since the last publish, into a new release folder that
# $STATE/app then points to: running nodes keep the build they started with (nothing is overwritten under them),
# nodes started from now on run the new one. COFFRE_LOCAL_APP=<folder with coffre.dll> skips publishing and runs
# that build instead (e.g. one already built by `dotnet build`).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/cluster.env"
cd "$COFFRE_ROOT"

ensure_tools
ensure_smtp
mkdir -p "$STATE" && chmod 755 "$STATE"
for secret in signing-key nir-key audit-head-key code-key-1 delivery-key-1; do
  [ -f "$STATE/$secret" ] || head -c 32 /dev/urandom | base64 >"$STATE/$secret"
done

NODES="silo1 silo2 silo3 gateway"
node_alive() { pid_alive "$STATE/$1.pid" coffre.dll; }

# Release folders still used by a running node (from its command line), one a line.
releases_in_use() {
  local name pid
  for name in $NODES; do
    node_alive "$name" || continue
    pid="$(cat "$STATE/$name.pid")"
    tr '\0' '\n' <"/proc/$pid/cmdline" | grep 'coffre\.dll$' | xargs -r dirname | xargs -r readlink -f || true
  done
}

publish() {
  local stamp="$STATE/app/.published" release
  if [ -L "$STATE/app" ] && [ -f "$stamp" ] && [ -z "$(find src Directory.Build.props Directory.Packages.props global.json \
      \( -name bin -o -name obj \) -prune -o -newer "$stamp" -type f -print -quit)" ]; then
    log "published app is up to date ($(readlink "$STATE/app"))"; return
  fi
  if [ -d "$STATE/app" ] && [ ! -L "$STATE/app" ]; then
    # Layout of earlier versions of this script: one folder published in place. Keep it as a release.
    mkdir -p "$STATE/releases" && mv "$STATE/app" "$STATE/releases/0-initial"
  fi
  release="$STATE/releases/$(date +%Y%m%d-%H%M%S)-$$"
  log "publishing coffre to $release"
  dotnet publish src/Silo/Coffre.Silo.csproj -c Release -o "$release" -nologo -v quiet -clp:ErrorsOnly >/dev/null
  touch "$release/.published"
  ln -sfn "$release" "$STATE/app.next" && mv -T "$STATE/app.next" "$STATE/app"
  # Releases neither current nor run by a node are removed.
  local in_use keep old
  in_use="$(releases_in_use)"
  keep="$(readlink -f "$STATE/app")"
  for old in "$STATE"/releases/*; do
    [ "$(readlink -f "$old")" = "$keep" ] && continue
    # Nodes started by earlier versions of this script ran $STATE/app/coffre.dll: keep that build while any node runs.
    [ "$(basename "$old")" = 0-initial ] && [ -n "$in_use" ] && continue
    grep -qxF "$(readlink -f "$old")" <<<"$in_use" && { log "$(basename "$old") kept: still run by a node (restart it to run the new build)"; continue; }
    rm -rf "$old"
  done
}

if [ -n "${COFFRE_LOCAL_APP:-}" ]; then
  APP="$(readlink -f "$COFFRE_LOCAL_APP")"
  [ -f "$APP/coffre.dll" ] || { log "COFFRE_LOCAL_APP=$COFFRE_LOCAL_APP has no coffre.dll"; exit 1; }
  log "using the build in $APP (COFFRE_LOCAL_APP)"
else
  publish
  APP="$(readlink -f "$STATE/app")"
fi

log "PostgreSQL on 127.0.0.1:$PG_PORT, Azurite on 127.0.0.1:$BLOB_PORT"
start_postgres "$STATE/pg" "$PG_PORT"
start_azurite "$STATE/azurite" "$BLOB_PORT"
log "smtp4dev on 127.0.0.1:$SMTP_PORT (web/API 127.0.0.1:$SMTP_API_PORT), fake SMS provider on 127.0.0.1:$SMS_PORT"
start_smtp "$STATE/smtp" "$SMTP_PORT" "$SMTP_API_PORT"
start_fake_sms "$STATE/sms" "$SMS_PORT"

# json_string VALUE: VALUE as a JSON string literal.
json_string() {
  local s="$1"
  s="${s//\\/\\\\}"; s="${s//\"/\\\"}"
  printf '"%s"' "$s"
}

# The cluster's one settings file, in the shape the servers read (rewritten on every run: ports and keys as they are
# now), readable by its owner only. Nodes and operator commands take it with --settings (or COFFRE_SETTINGS).
SETTINGS="$STATE/coffre.settings.json"
(
  umask 077
  cat >"$SETTINGS.tmp" <<JSON
{
  "ConnectionStrings": {
    "Postgres": $(json_string "$(postgres_connection_string "$PG_PORT")"),
    "Blob": $(json_string "$(blob_connection_string "$BLOB_PORT")")
  },
  "Coffre": {
    "Auth": { "SigningKey": $(json_string "$(cat "$STATE/signing-key")") },
    "Identity": { "NirKey": $(json_string "$(cat "$STATE/nir-key")") },
    "Audit": { "HeadKey": $(json_string "$(cat "$STATE/audit-head-key")") },
    "Activation": {
      "CodeKeys": { "1": $(json_string "$(cat "$STATE/code-key-1")") },
      "DeliveryKeys": { "1": $(json_string "$(cat "$STATE/delivery-key-1")") }
    },
    "Cluster": { "ClusterId": $(json_string "$CLUSTER_ID"), "ServiceId": $(json_string "$CLUSTER_ID") },
    "Smtp": {
      "Host": "127.0.0.1", "Port": $SMTP_PORT, "Security": "None",
      "SenderAddress": "ne-pas-repondre@coffre.local", "ActivationUrl": "http://127.0.0.1:$GATEWAY_HTTP/activate"
    },
    "Sms": { "Url": "http://127.0.0.1:$SMS_PORT/sms", "ApiKey": "fake-sms-key" }
  }
}
JSON
  mv -f "$SETTINGS.tmp" "$SETTINGS"
)

dotnet "$APP/coffre.dll" migrate --settings "$SETTINGS"

start_node() { # name role http-port [silo-port gateway-port]
  local name="$1" role="$2" http="$3"
  if node_alive "$name"; then
    log "$name already running (pid $(cat "$STATE/$name.pid"))"; return
  fi
  (
    close_inherited_fds
    export Urls="http://127.0.0.1:$http"
    [ -n "${4:-}" ] && export Coffre__Cluster__SiloPort="$4" Coffre__Cluster__GatewayPort="$5"
    # The resolved release folder, not the $STATE/app link: a later publish does not change what this node loads.
    nohup dotnet "$APP/coffre.dll" "$role" --settings "$SETTINGS" >>"$STATE/$name.log" 2>&1 &
    echo $! >"$STATE/$name.pid"
  )
  for _ in $(seq 1 300); do
    curl -fs "http://127.0.0.1:$http/health/ready" >/dev/null 2>&1 && { log "$name ready on http://127.0.0.1:$http (pid $(cat "$STATE/$name.pid"))"; return; }
    node_alive "$name" || { tail -n 20 "$STATE/$name.log" >&2; return 1; }
    sleep 0.2
  done
  log "$name not ready after 60 s; see $STATE/$name.log"; return 1
}

for i in 1 2 3; do
  start_node "silo$i" silo $((SILO_HTTP_BASE + i)) $((SILO_PORT_BASE + i)) $((GATEWAY_PORT_BASE + i))
done
start_node gateway gateway "$GATEWAY_HTTP"

echo "GraphQL (gateway): http://127.0.0.1:$GATEWAY_HTTP/graphql"
echo "settings:          export COFFRE_SETTINGS=$SETTINGS   (then: dotnet $APP/coffre.dll campaign status --id …)"
echo "operator token:    dotnet $APP/coffre.dll token --role operator --subject op-1 --settings $SETTINGS"
echo "mail (smtp4dev):    http://127.0.0.1:$SMTP_API_PORT    SMS received: curl http://127.0.0.1:$SMS_PORT/messages"
echo "status:            deploy/local/status.sh    stop: deploy/local/down.sh"
