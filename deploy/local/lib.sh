# Shared shell functions: install and start PostgreSQL and Azurite on 127.0.0.1 in a given folder.
# Sourced by ./test.sh and deploy/local/*.sh. Never binds to anything but loopback.

COFFRE_ROOT="${COFFRE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
AZURITE_ACCOUNT_KEY="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

log() { printf '[coffre] %s\n' "$*" >&2; }

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

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()' 2>/dev/null \
    || echo $(( 20000 + RANDOM % 20000 ))
}

wait_port() { # host port seconds
  local i
  for ((i = 0; i < $3 * 10; i++)); do
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# start_postgres DIR PORT: a fresh cluster in DIR, trust auth on loopback only, database "coffre".
start_postgres() {
  local dir="$1" port="$2" bin
  bin="$(pg_bin)"
  mkdir -p "$dir"
  chown postgres:postgres "$dir" 2>/dev/null || true
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    runuser -u postgres -- "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; return 1; }
  fi
  runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
    -o "-p $port -c listen_addresses=127.0.0.1 -k $dir -c max_connections=500 -c shared_buffers=256MB" start >/dev/null \
    || { tail -n 20 "$dir/postgres.log" >&2; return 1; }
  runuser -u postgres -- "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='coffre'" | grep -q 1 \
    || runuser -u postgres -- "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres coffre
}

stop_postgres() { # DIR
  [ -f "$1/data/postmaster.pid" ] && runuser -u postgres -- "$(pg_bin)/pg_ctl" -D "$1/data" -m fast -w stop >/dev/null 2>&1 || true
}

# start_azurite DIR PORT: blob service only, loopback only, telemetry off.
start_azurite() {
  local dir="$1" port="$2"
  mkdir -p "$dir"
  nohup "$COFFRE_ROOT/tools/azurite/node_modules/.bin/azurite-blob" --blobHost 127.0.0.1 --blobPort "$port" \
    --location "$dir" --skipApiVersionCheck --disableTelemetry --loose >"$dir/azurite.log" 2>&1 &
  echo $! >"$dir/azurite.pid"
  wait_port 127.0.0.1 "$port" 30 || { cat "$dir/azurite.log" >&2; return 1; }
}

stop_azurite() { # DIR
  if [ -f "$1/azurite.pid" ]; then
    kill "$(cat "$1/azurite.pid")" 2>/dev/null || true
    rm -f "$1/azurite.pid"
  fi
}

postgres_connection_string() { # PORT
  echo "Host=127.0.0.1;Port=$1;Username=postgres;Database=coffre;No Reset On Close=true;Max Auto Prepare=20;Maximum Pool Size=100"
}

blob_connection_string() { # PORT
  echo "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$AZURITE_ACCOUNT_KEY;BlobEndpoint=http://127.0.0.1:$1/devstoreaccount1;"
}
