#!/bin/bash
# cpub.sh file.sql [runs] [truncate]: backend CPU of the statement on the kept bench cluster; parallel off; activation_code emptied inside a rolled-back transaction when truncate=1
f=$1; n=${2:-3}; t=${3:-1}
for i in $(seq $n); do
psql -h 127.0.0.1 -p 47711 -U postgres -X -q -t -d coffre <<SQL | tr -d ' \n'; echo " $f"
set max_parallel_workers_per_gather = 0;
begin;
$( [ "$t" = 1 ] && echo "truncate activation_code;" )
select split_part(pg_read_file('/proc/self/stat'), ' ', 14)::int + split_part(pg_read_file('/proc/self/stat'), ' ', 15)::int as b \gset
\o /dev/null
\i $f
\o
select ((split_part(pg_read_file('/proc/self/stat'), ' ', 14)::int + split_part(pg_read_file('/proc/self/stat'), ' ', 15)::int) - :b) * 10 || 'ms';
rollback;
SQL
done
