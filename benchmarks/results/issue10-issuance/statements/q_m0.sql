\i common.sql
SELECT p.nir_hash, p.vault_id, p.given_names FROM registry_person p WHERE p.birth_date > :mba AND p.status = 0;
