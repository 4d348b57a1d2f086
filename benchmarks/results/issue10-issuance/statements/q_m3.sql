\i common.sql
SELECT p.nir_hash, p.vault_id, p.given_names, re.email FROM registry_person p 
LEFT JOIN LATERAL (SELECT r.email FROM registry_person r WHERE r.nir_hash = p.representative_nir_hashes[1] AND r.status IN (0, 2) AND r.email IS NOT NULL LIMIT 1) re ON true
WHERE p.birth_date > :mba AND p.status = 0;
