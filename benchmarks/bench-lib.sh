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

# Huge pages for PostgreSQL's shared memory, when this shell may reserve them (root) and BENCH_HUGE_PAGES is not 0.
# In 4 KiB pages, 4 GiB of shared buffers cost each backend a page fault the first time it touches each page, and the
# TLB misses after: at 10 M people, PostgreSQL's CPU per issued code fell by 0.3–0.6 µs with them in two A/B pairs
# (benchmarks/results/issue10-hugepages). Exactly the pages the server asks for (shared_memory_size_in_huge_pages) are
# added to the machine's reservation and given back when it stops (release_bench_huge_pages); without them the server
# runs with huge_pages=off as before. Named in the report's notes either way.
HUGE_PAGES_ADDED=0
reserve_bench_huge_pages() { # DIR BIN — adds "-c huge_pages=on|off" to PG_TUNING and says which in PG_NOTES
  local dir="$1" bin="$2" need before free
  PG_TUNING+=(-c huge_pages=off)
  if [ "${BENCH_HUGE_PAGES:-1}" = 0 ]; then PG_NOTES+="; huge pages off (BENCH_HUGE_PAGES=0)"; return 0; fi
  if [ ! -w /proc/sys/vm/nr_hugepages ]; then PG_NOTES+="; huge pages off (cannot reserve them)"; return 0; fi
  # shellcheck disable=SC2086 # the options are words
  need="$(runuser -u postgres -- "$bin/postgres" -D "$dir/data" -C shared_memory_size_in_huge_pages ${PG_TUNING[*]} ${BENCH_PG_OPTIONS:-} 2>/dev/null)" || need=""
  if ! [[ "$need" =~ ^[0-9]+$ ]] || [ "$need" -le 0 ]; then PG_NOTES+="; huge pages off (size unknown)"; return 0; fi
  before="$(cat /proc/sys/vm/nr_hugepages)"
  echo $((before + need)) > /proc/sys/vm/nr_hugepages 2>/dev/null || true
  free="$(awk '/^HugePages_Free/ {print $2}' /proc/meminfo)"
  if [ "${free:-0}" -lt "$need" ]; then
    echo "$before" > /proc/sys/vm/nr_hugepages 2>/dev/null || true
    PG_NOTES+="; huge pages off (only ${free:-0} of $need free)"; return 0
  fi
  HUGE_PAGES_ADDED="$need"
  PG_TUNING[-1]=huge_pages=on
  PG_NOTES+="; huge pages on ($need reserved for the run)"
}

release_bench_huge_pages() {
  [ "$HUGE_PAGES_ADDED" -gt 0 ] || return 0
  local now
  now="$(cat /proc/sys/vm/nr_hugepages)"
  echo $((now > HUGE_PAGES_ADDED ? now - HUGE_PAGES_ADDED : 0)) > /proc/sys/vm/nr_hugepages 2>/dev/null || true
  HUGE_PAGES_ADDED=0
}

pg_ctl_start_bench() { # DIR PORT BIN
  runuser -u postgres -- "$3/pg_ctl" -D "$1/data" -l "$1/postgres.log" -w -t 60 \
    -o "-p $2 -c listen_addresses=127.0.0.1 -k $1 ${PG_TUNING[*]} ${BENCH_PG_OPTIONS:-}" start >/dev/null
}

start_bench_postgres() { # DIR PORT — start_postgres from lib.sh, with the benchmark's settings
  local dir="$1" port="$2" bin
  bin="$(pg_bin)"
  mkdir -p "$dir"
  chown postgres:postgres "$dir"
  runuser -u postgres -- "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; return 1; }
  reserve_bench_huge_pages "$dir" "$bin"
  if ! pg_ctl_start_bench "$dir" "$port" "$bin"; then
    [ "$HUGE_PAGES_ADDED" -gt 0 ] || { tail -n 20 "$dir/postgres.log" >&2; return 1; }
    log "PostgreSQL did not start with huge pages; starting it without them"
    release_bench_huge_pages
    PG_TUNING[-1]=huge_pages=off
    PG_NOTES="${PG_NOTES%; huge pages on*}; huge pages off (the server did not start with them)"
    pg_ctl_start_bench "$dir" "$port" "$bin" || { tail -n 20 "$dir/postgres.log" >&2; return 1; }
  fi
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
  release_bench_huge_pages
  stop_azurite "$WORK/azurite"
  rm -rf "$WORK"
  log "stopped PostgreSQL, Azurite and the silo, removed $WORK"
  exit "$code"
}
