\i common.sql
SELECT p.nir_hash, p.vault_id, (rep.email IS NOT NULL AND eb.nir_hash IS NULL),
 CASE WHEN NOT (rep.email IS NOT NULL AND eb.nir_hash IS NULL) THEN p.given_names END,
 CASE WHEN NOT (rep.email IS NOT NULL AND eb.nir_hash IS NULL) THEN rep.line1 END,
 CASE WHEN NOT (rep.email IS NOT NULL AND eb.nir_hash IS NULL) THEN rep.line2 END,
 CASE WHEN NOT (rep.email IS NOT NULL AND eb.nir_hash IS NULL) THEN rep.postal_code END,
 CASE WHEN NOT (rep.email IS NOT NULL AND eb.nir_hash IS NULL) THEN rep.city END
FROM registry_person p LEFT JOIN (
  SELECT nir_hash, bool_or(status = 0) AS awaiting FROM email_bounce WHERE campaign_id = :campaign GROUP BY nir_hash
) eb ON eb.nir_hash = p.nir_hash
CROSS JOIN LATERAL (
  SELECT (array_agg(r.email ORDER BY u.o) FILTER (WHERE r.email IS NOT NULL))[1] AS email,
         (array_agg(r.address_line1 ORDER BY u.o) FILTER (WHERE r.address_line1 IS NOT NULL))[1] AS line1,
         (array_agg(r.address_line2 ORDER BY u.o) FILTER (WHERE r.address_line1 IS NOT NULL))[1] AS line2,
         (array_agg(r.postal_code ORDER BY u.o) FILTER (WHERE r.address_line1 IS NOT NULL))[1] AS postal_code,
         (array_agg(r.city ORDER BY u.o) FILTER (WHERE r.address_line1 IS NOT NULL))[1] AS city
  FROM unnest(p.representative_nir_hashes) WITH ORDINALITY AS u(h, o) JOIN registry_person r ON r.nir_hash = u.h WHERE r.status IN (0, 2)
) rep
WHERE p.birth_date > :mba AND p.status = 0 AND eb.awaiting IS NOT TRUE
 AND NOT EXISTS (SELECT 1 FROM activation_code c WHERE c.nir_hash = p.nir_hash AND c.status = 0)
 AND NOT EXISTS (SELECT 1 FROM activation_code c WHERE c.nir_hash = p.nir_hash AND c.status = 3)
 AND ((rep.email IS NOT NULL AND eb.nir_hash IS NULL) OR rep.line1 IS NOT NULL);
