# Shared shell functions: install and start PostgreSQL, Azurite and a test SMTP server on 127.0.0.1 in a given folder.
# Sourced by ./test.sh and deploy/local/*.sh. Never binds to anything but loopback.

COFFRE_ROOT="${COFFRE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
AZURITE_ACCOUNT_KEY="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

log() { printf '[coffre] %s\n' "$*" >&2; }

# close_inherited_fds: closes every descriptor above stderr in this (sub)shell, so a server started from it does
# not keep one of its caller's open files for its whole life (e.g. a `flock LOCK deploy/local/up.sh` lock, which
# would then stay held until the cluster stops).
close_inherited_fds() {
  local path fd
  for path in /proc/"$BASHPID"/fd/*; do
    fd="${path##*/}"
    [ "$fd" -gt 2 ] 2>/dev/null && { exec {fd}>&-; } 2>/dev/null
  done
  return 0
}

pg_bin() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

# Installs PostgreSQL (>= 15, for NULLS NOT DISTINCT) from Debian packages and Azurite from the pinned lock file.
ensure_tools() {
  local bin
  bin="$(pg_bin)"
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    log "installing PostgreSQL from Debian packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq postgresql >/dev/null
    bin="$(pg_bin)"
  fi
  local major
  major="$(basename "$(dirname "$bin")")"
  if [ "${major%%.*}" -lt 15 ]; then
    log "PostgreSQL $major found; Coffre needs 15 or later"; return 1
  fi
  if [ ! -x "$COFFRE_ROOT/tools/azurite/node_modules/.bin/azurite-blob" ]; then
    log "installing Azurite from tools/azurite/package-lock.json"
    (cd "$COFFRE_ROOT/tools/azurite" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
  # The API tests drive the OpenID provider's pages in a real headless browser: Debian's chromium.
  if [ ! -x /usr/bin/chromium ]; then
    log "installing chromium from Debian packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq chromium >/dev/null
  fi
}

# free_port: a loopback port nothing listens on, below the kernel's ephemeral range (ip_local_port_range), so that no
# outgoing connection takes it before the service binds it.
free_port() {
  local low=32768 first port i
  [ -r /proc/sys/net/ipv4/ip_local_port_range ] && read -r low _ </proc/sys/net/ipv4/ip_local_port_range
  first=$(( low > 11024 ? low - 10000 : 1024 ))
  for ((i = 0; i < 200; i++)); do
    port=$(( first + (RANDOM * 32768 + RANDOM) % (low - first) ))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return 0; }
  done
  log "no free loopback port below $low"; return 1
}

wait_port() { # host port seconds
  local i
  for ((i = 0; i < $3 * 10; i++)); do
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# process_alive PID [PATTERN]: PID is a live process (not a zombie left unreaped after kill -9) whose command line
# contains PATTERN (so a PID reused by another program after a crash does not count).
process_alive() {
  local state
  [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null || return 1
  state="$(sed -E 's/^.*\) ([A-Za-z]).*$/\1/' "/proc/$1/stat" 2>/dev/null)" || return 1
  [ "$state" != Z ] && [ "$state" != X ] || return 1
  [ -z "${2:-}" ] || tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "$2"
}

# pid_alive PIDFILE [PATTERN]: the PID in PIDFILE names a live process (see process_alive).
pid_alive() {
  local pid
  [ -f "$1" ] && pid="$(cat "$1")" || return 1
  process_alive "$pid" "${2:-}"
}

# postgres_pid DIR: the postmaster's PID (first line of postmaster.pid), empty when none.
postgres_pid() {
  [ -f "$1/data/postmaster.pid" ] && head -n 1 "$1/data/postmaster.pid" || true
}

# postgres_running DIR: the postmaster named by DIR/data/postmaster.pid runs (pg_ctl status alone would take a
# zombie for a server).
postgres_running() {
  process_alive "$(postgres_pid "$1")" "$1/data"
}

# start_postgres DIR PORT: a cluster in DIR (created on first use), trust auth on loopback only, database "coffre".
# Idempotent: a server already running is kept; a stale postmaster.pid (after a crash or kill -9) is replaced by
# the server itself on start, as it names no live postmaster.
start_postgres() {
  local dir="$1" port="$2" bin
  bin="$(pg_bin)"
  mkdir -p "$dir"
  chown postgres:postgres "$dir" 2>/dev/null || true
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    runuser -u postgres -- "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; return 1; }
  fi
  if postgres_running "$dir"; then
    log "PostgreSQL already running (pid $(postgres_pid "$dir"))"
  else
    if [ -f "$dir/data/postmaster.pid" ]; then
      # Left by a crash or kill -9: its postmaster is gone (a lingering backend still holds the shared memory,
      # which the server checks on its own). PostgreSQL would refuse a PID that is now a zombie or reused.
      log "removing stale postmaster.pid (pid $(postgres_pid "$dir") is not running)"
      rm -f "$dir/data/postmaster.pid"
    fi
    (close_inherited_fds; exec runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
      -o "-p $port -c listen_addresses=127.0.0.1 -k $dir -c max_connections=500 -c shared_buffers=256MB" start >/dev/null) \
      || { tail -n 20 "$dir/postgres.log" >&2; return 1; }
  fi
  runuser -u postgres -- "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='coffre'" | grep -q 1 \
    || runuser -u postgres -- "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres coffre
}

stop_postgres() { # DIR
  postgres_running "$1" && runuser -u postgres -- "$(pg_bin)/pg_ctl" -D "$1/data" -m fast -w stop >/dev/null 2>&1 || true
}

# start_azurite DIR PORT: blob service only, loopback only, telemetry off. Kept when already running.
start_azurite() {
  local dir="$1" port="$2"
  mkdir -p "$dir"
  if pid_alive "$dir/azurite.pid" azurite; then
    if wait_port 127.0.0.1 "$port" 10; then
      log "Azurite already running (pid $(cat "$dir/azurite.pid"))"; return 0
    fi
    log "Azurite (pid $(cat "$dir/azurite.pid")) does not answer on $port: restarting it"
    kill "$(cat "$dir/azurite.pid")" 2>/dev/null || true
    sleep 1
  fi
  (
    close_inherited_fds
    nohup "$COFFRE_ROOT/tools/azurite/node_modules/.bin/azurite-blob" --blobHost 127.0.0.1 --blobPort "$port" \
      --location "$dir" --skipApiVersionCheck --disableTelemetry --loose >"$dir/azurite.log" 2>&1 &
    echo $! >"$dir/azurite.pid"
  )
  wait_port 127.0.0.1 "$port" 30 || { cat "$dir/azurite.log" >&2; return 1; }
}

stop_azurite() { # DIR
  if pid_alive "$1/azurite.pid" azurite; then
    kill "$(cat "$1/azurite.pid")" 2>/dev/null || true
  fi
  rm -f "$1/azurite.pid"
}

# The test SMTP server: smtp4dev (the Rnwood.Smtp4dev dotnet tool, pinned) under tools/smtp4dev. It refuses, with
# 550, every recipient whose address starts with "refused" (RecipientValidationExpression), so tests can make a
# bounce; it keeps what it accepted in memory and serves it on its HTTP API (GET /api/messages, /api/messages/ID/plaintext).
SMTP4DEV_VERSION="3.15.0"
SMTP4DEV_REFUSE='!recipient.toLowerCase().startsWith("refused")'

ensure_smtp() {
  if [ ! -x "$COFFRE_ROOT/tools/smtp4dev/smtp4dev" ]; then
    log "installing smtp4dev $SMTP4DEV_VERSION (dotnet tool Rnwood.Smtp4dev) into tools/smtp4dev"
    dotnet tool install --tool-path "$COFFRE_ROOT/tools/smtp4dev" Rnwood.Smtp4dev --version "$SMTP4DEV_VERSION" >/dev/null
  fi
}

# start_smtp DIR SMTP_PORT API_PORT: SMTP and its HTTP API on loopback only, no IMAP/POP3, messages in memory.
# Kept when already running.
start_smtp() {
  local dir="$1" port="$2" api="$3"
  mkdir -p "$dir"
  if pid_alive "$dir/smtp4dev.pid" smtp4dev; then
    if wait_port 127.0.0.1 "$port" 10 && wait_port 127.0.0.1 "$api" 10; then
      log "smtp4dev already running (pid $(cat "$dir/smtp4dev.pid"))"; return 0
    fi
    log "smtp4dev (pid $(cat "$dir/smtp4dev.pid")) does not answer: restarting it"
    kill "$(cat "$dir/smtp4dev.pid")" 2>/dev/null || true
    sleep 1
  fi
  (
    close_inherited_fds
    cd "$dir"
    ServerOptions__RecipientValidationExpression="$SMTP4DEV_REFUSE" \
      nohup "$COFFRE_ROOT/tools/smtp4dev/smtp4dev" --baseappdatapath="$dir" --nousersettings --db= \
      --bindaddress=127.0.0.1 --smtpport="$port" --imapport= --pop3port= --messagestokeep=100000 --sessionstokeep=100 \
      --urls="http://127.0.0.1:$api" >"$dir/smtp4dev.log" 2>&1 &
    echo $! >"$dir/smtp4dev.pid"
  )
  { wait_port 127.0.0.1 "$port" 60 && wait_port 127.0.0.1 "$api" 60; } || { tail -n 20 "$dir/smtp4dev.log" >&2; return 1; }
}

stop_smtp() { # DIR
  if pid_alive "$1/smtp4dev.pid" smtp4dev; then
    kill "$(cat "$1/smtp4dev.pid")" 2>/dev/null || true
  fi
  rm -f "$1/smtp4dev.pid"
}

# The fake SMS provider (tools/fake-sms/server.mjs, node): records what it is sent, never sends anything. API key
# "fake-sms-key"; GET /messages lists what it accepted. start_fake_sms DIR PORT; kept when already running.
start_fake_sms() {
  local dir="$1" port="$2"
  mkdir -p "$dir"
  if pid_alive "$dir/fake-sms.pid" fake-sms && wait_port 127.0.0.1 "$port" 5; then
    log "fake SMS provider already running (pid $(cat "$dir/fake-sms.pid"))"; return 0
  fi
  (
    close_inherited_fds
    nohup node "$COFFRE_ROOT/tools/fake-sms/server.mjs" --host 127.0.0.1 --port "$port" --api-key fake-sms-key \
      >"$dir/fake-sms.log" 2>&1 &
    echo $! >"$dir/fake-sms.pid"
  )
  wait_port 127.0.0.1 "$port" 30 || { tail -n 20 "$dir/fake-sms.log" >&2; return 1; }
}

stop_fake_sms() { # DIR
  if pid_alive "$1/fake-sms.pid" fake-sms; then
    kill "$(cat "$1/fake-sms.pid")" 2>/dev/null || true
  fi
  rm -f "$1/fake-sms.pid"
}

postgres_connection_string() { # PORT
  echo "Host=127.0.0.1;Port=$1;Username=postgres;Database=coffre;No Reset On Close=true;Max Auto Prepare=20;Maximum Pool Size=100"
}

blob_connection_string() { # PORT
  echo "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$AZURITE_ACCOUNT_KEY;BlobEndpoint=http://127.0.0.1:$1/devstoreaccount1;"
}
