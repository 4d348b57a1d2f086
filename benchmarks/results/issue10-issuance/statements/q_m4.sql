\i common.sql
SELECT p.nir_hash, p.vault_id, p.given_names, re.o FROM registry_person p 
LEFT JOIN LATERAL (SELECT u.o FROM unnest(p.representative_nir_hashes) WITH ORDINALITY AS u(h, o) ORDER BY u.o LIMIT 1) re ON true
WHERE p.birth_date > :mba AND p.status = 0;
