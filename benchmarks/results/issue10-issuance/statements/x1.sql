\i common.sql
set enable_hashjoin = off; set enable_mergejoin = off;
select count(r.email) from registry_person p join registry_person r on r.nir_hash = p.representative_nir_hashes[1] where p.birth_date > :mba;
