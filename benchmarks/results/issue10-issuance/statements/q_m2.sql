\i common.sql
SELECT p.nir_hash, p.vault_id, p.given_names, re.email FROM registry_person p 
LEFT JOIN LATERAL (SELECT r.email FROM unnest(p.representative_nir_hashes) WITH ORDINALITY AS u(h, o) JOIN registry_person r ON r.nir_hash = u.h WHERE r.status IN (0, 2) AND r.email IS NOT NULL ORDER BY u.o LIMIT 1) re ON true
WHERE p.birth_date > :mba AND p.status = 0;
