# Shared by the benchmark scripts (run-macro.sh, run-directory.sh, feeds/run-feeds.sh); sourced after deploy/local/lib.sh.

# PostgreSQL sized for a bulk load, still durable. Reported in the JSON (postgres.settings and postgres.runNotes).
PG_TUNING=(
  -c synchronous_commit=on -c fsync=on -c full_page_writes=on
  -c shared_buffers=4GB -c wal_buffers=64MB -c max_wal_size=8GB -c min_wal_size=1GB
  -c checkpoint_timeout=30min -c checkpoint_completion_target=0.9 -c wal_compression=lz4
  -c maintenance_work_mem=1GB -c max_connections=300
)
# BENCH_PG_OPTIONS: more server options for a diagnostic run (e.g. "-c session_preload_libraries=auto_explain
# -c auto_explain.log_min_duration=100ms"), appended after PG_TUNING and named in the report's notes.
PG_NOTES="fresh cluster started with: ${PG_TUNING[*]//-c /}${BENCH_PG_OPTIONS:+ plus ${BENCH_PG_OPTIONS//-c /}} (durable: fsync, synchronous_commit and full_page_writes on; sizes raised for the bulk load)"

start_bench_postgres() { # DIR PORT — start_postgres from lib.sh, with the benchmark's settings
  local dir="$1" port="$2" bin
  bin="$(pg_bin)"
  mkdir -p "$dir"
  chown postgres:postgres "$dir"
  runuser -u postgres -- "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; return 1; }
  runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
    -o "-p $port -c listen_addresses=127.0.0.1 -k $dir ${PG_TUNING[*]} ${BENCH_PG_OPTIONS:-}" start >/dev/null \
    || { tail -n 20 "$dir/postgres.log" >&2; return 1; }
  runuser -u postgres -- "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres coffre
}

bench_workdir() { # NAME — a fresh folder in $WORK; on exit (or Ctrl+C) the silo ($SILO_PID), PostgreSQL and Azurite
                  # started under it are stopped and it is removed
  WORK="$(mktemp -d "/tmp/coffre-$1.XXXXXX")"
  chmod 755 "$WORK"
  SILO_PID=""
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

bench_cleanup() {
  local code=$?
  set +e
  if [ -n "$SILO_PID" ]; then kill "$SILO_PID" 2>/dev/null; wait "$SILO_PID" 2>/dev/null; fi
  stop_postgres "$WORK/pg"
  stop_azurite "$WORK/azurite"
  rm -rf "$WORK"
  log "stopped PostgreSQL, Azurite and the silo, removed $WORK"
  exit "$code"
}
