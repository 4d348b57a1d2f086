#!/usr/bin/env bash
# Stops the local cluster (gateway, silos gracefully, then smtp4dev, the fake SMS provider, Azurite and PostgreSQL). --purge also deletes its data.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/cluster.env"

for name in gateway silo3 silo2 silo1; do
  if pid_alive "$STATE/$name.pid" coffre.dll; then
    pid="$(cat "$STATE/$name.pid")"
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
    log "stopped $name"
  fi
  rm -f "$STATE/$name.pid"
done
stop_smtp "$STATE/smtp"
stop_fake_sms "$STATE/sms"
stop_azurite "$STATE/azurite"
stop_postgres "$STATE/pg"
log "stopped smtp4dev, the fake SMS provider, Azurite and PostgreSQL"
if [ "${1:-}" = "--purge" ]; then rm -rf "$STATE"; log "removed $STATE"; fi
