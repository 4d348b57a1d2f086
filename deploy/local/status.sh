#!/usr/bin/env bash
# Shows the local cluster: processes and ports, readiness, and the Orleans membership table.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/cluster.env"

printf '%-9s %-8s %-7s %-22s %s\n' NAME PID ALIVE HTTP READY
show() { # name http
  local pid="-" alive="no" ready="-"
  [ -f "$STATE/$1.pid" ] && pid="$(cat "$STATE/$1.pid")" && pid_alive "$STATE/$1.pid" coffre.dll && alive="yes"
  [ "$alive" = yes ] && ready="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$2/health/ready")"
  printf '%-9s %-8s %-7s %-22s %s\n' "$1" "$pid" "$alive" "127.0.0.1:$2" "$ready"
}
for i in 1 2 3; do show "silo$i" $((SILO_HTTP_BASE + i)); done
show gateway "$GATEWAY_HTTP"
echo
echo "PostgreSQL 127.0.0.1:$PG_PORT   Azurite 127.0.0.1:$BLOB_PORT"
smtp_state=down; pid_alive "$STATE/smtp/smtp4dev.pid" smtp4dev && smtp_state=up
sms_state=down; pid_alive "$STATE/sms/fake-sms.pid" fake-sms && sms_state=up
echo "smtp4dev 127.0.0.1:$SMTP_PORT (web http://127.0.0.1:$SMTP_API_PORT) $smtp_state   fake SMS http://127.0.0.1:$SMS_PORT $sms_state"
echo "settings:  $STATE/coffre.settings.json   (operator commands: --settings FILE or COFFRE_SETTINGS=FILE)"
echo "membership (cluster $CLUSTER_ID; status 3 = Active, 6 = Dead):"
"$(pg_bin)/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d coffre -c \
  "SELECT address, port, generation, siloname, status, proxyport, iamalivetime FROM orleans_membership WHERE deploymentid = '$CLUSTER_ID' ORDER BY port, generation" 2>&1
