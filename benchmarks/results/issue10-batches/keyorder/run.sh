#!/bin/bash
# run.sh NAME SRC ORDER — activation_code (as deploy/sql/0005 creates it, with its indexes) in schema NAME, then 16
# transactions of 250 000 rows from table SRC (setup.sql), in ORDER; prints seconds, rows/s and WAL per row
name=$1 src=$2 order=$3
psql -q -c "drop schema if exists $name cascade; create schema $name; checkpoint;"
psql -q -c "set search_path=$name; $(sed -n '/^create table if not exists activation_code/,/^create index if not exists activation_code_campaign_brin/p' "$(dirname "$0")/../../../../deploy/sql/0005_rollout.sql")"
lsn0=$(psql -Atc "select pg_current_wal_lsn()")
t0=$(date +%s.%N)
for c in $(seq 0 15); do
  psql -q -c "insert into $name.activation_code (campaign_id,nir_hash,key_id,code_hash,issued_at,expires_at,channel,batch_no) select 'c1',nir_hash,1,code_hash,now(),now()+interval '42 days',(i%5<3)::int::smallint,null from $src where i between $((c*250000+1)) and $(((c+1)*250000)) $order"
done
t1=$(date +%s.%N)
lsn1=$(psql -Atc "select pg_current_wal_lsn()")
wal=$(psql -Atc "select pg_wal_lsn_diff('$lsn1','$lsn0')")
echo "$name src=$src order='$order' secs=$(echo "$t1-$t0"|bc) rows/s=$(echo "4000000/($t1-$t0)"|bc) wal/row=$(echo "$wal/4000000"|bc)"
