\i common.sql
SELECT p.nir_hash, p.vault_id, (p.email IS NOT NULL AND eb.nir_hash IS NULL),
 CASE WHEN NOT (p.email IS NOT NULL AND eb.nir_hash IS NULL) THEN p.given_names END, CASE WHEN NOT (p.email IS NOT NULL AND eb.nir_hash IS NULL) THEN p.family_name END,
 CASE WHEN NOT (p.email IS NOT NULL AND eb.nir_hash IS NULL) THEN p.address_line1 END, CASE WHEN NOT (p.email IS NOT NULL AND eb.nir_hash IS NULL) THEN p.address_line2 END,
 CASE WHEN NOT (p.email IS NOT NULL AND eb.nir_hash IS NULL) THEN p.postal_code END, CASE WHEN NOT (p.email IS NOT NULL AND eb.nir_hash IS NULL) THEN p.city END
FROM registry_person p LEFT JOIN (
  SELECT nir_hash, bool_or(status = 0) AS awaiting FROM email_bounce WHERE campaign_id = :campaign GROUP BY nir_hash
) eb ON eb.nir_hash = p.nir_hash
WHERE p.status = 0 AND eb.awaiting IS NOT TRUE
 AND ((p.email IS NOT NULL AND eb.nir_hash IS NULL) OR p.address_line1 IS NOT NULL)
 AND NOT EXISTS (SELECT 1 FROM activation_code c WHERE c.nir_hash = p.nir_hash AND c.status = 0)
 AND NOT EXISTS (SELECT 1 FROM activation_code c WHERE c.nir_hash = p.nir_hash AND c.status = 3)
  ;
