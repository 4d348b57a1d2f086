# Shared by the benchmark scripts (run-macro.sh, run-directory.sh); sourced after deploy/local/lib.sh.

# PostgreSQL sized for a bulk load, still durable. Reported in the JSON (postgres.settings and postgres.runNotes).
PG_TUNING=(
  -c synchronous_commit=on -c fsync=on -c full_page_writes=on
  -c shared_buffers=4GB -c wal_buffers=64MB -c max_wal_size=8GB -c min_wal_size=1GB
  -c checkpoint_timeout=30min -c checkpoint_completion_target=0.9 -c wal_compression=lz4
  -c maintenance_work_mem=1GB -c max_connections=300
)
PG_NOTES="fresh cluster started with: ${PG_TUNING[*]//-c /} (durable: fsync, synchronous_commit and full_page_writes on; sizes raised for the bulk load)"

start_bench_postgres() { # DIR PORT — start_postgres from lib.sh, with the benchmark's settings
  local dir="$1" port="$2" bin
  bin="$(pg_bin)"
  mkdir -p "$dir"
  chown postgres:postgres "$dir"
  runuser -u postgres -- "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; return 1; }
  runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
    -o "-p $port -c listen_addresses=127.0.0.1 -k $dir ${PG_TUNING[*]}" start >/dev/null \
    || { tail -n 20 "$dir/postgres.log" >&2; return 1; }
  runuser -u postgres -- "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres coffre
}
