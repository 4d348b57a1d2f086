\i common.sql
WITH m AS MATERIALIZED (
  SELECT p.nir_hash, p.vault_id, p.given_names, p.representative_nir_hashes, eb.nir_hash IS NULL AS mailable
  FROM registry_person p LEFT JOIN (
    SELECT nir_hash, bool_or(status = 0) AS awaiting FROM email_bounce WHERE campaign_id = :campaign GROUP BY nir_hash
  ) eb ON eb.nir_hash = p.nir_hash
  WHERE p.birth_date > :mba AND p.status = 0 AND eb.awaiting IS NOT TRUE
   AND NOT EXISTS (SELECT 1 FROM activation_code c WHERE c.nir_hash = p.nir_hash AND c.status = 0)
   AND NOT EXISTS (SELECT 1 FROM activation_code c WHERE c.nir_hash = p.nir_hash AND c.status = 3)
), r AS MATERIALIZED (
  SELECT r.nir_hash, r.email, r.address_line1, r.address_line2, r.postal_code, r.city FROM registry_person r
  WHERE r.status IN (0, 2) AND r.nir_hash IN (SELECT unnest(m.representative_nir_hashes) FROM m)
), rep AS (
  SELECT m.nir_hash, m.vault_id, m.given_names, m.mailable,
         (array_agg(r.email ORDER BY u.o) FILTER (WHERE r.email IS NOT NULL))[1] AS email,
         (array_agg(r.address_line1 ORDER BY u.o) FILTER (WHERE r.address_line1 IS NOT NULL))[1] AS line1,
         (array_agg(r.address_line2 ORDER BY u.o) FILTER (WHERE r.address_line1 IS NOT NULL))[1] AS line2,
         (array_agg(r.postal_code ORDER BY u.o) FILTER (WHERE r.address_line1 IS NOT NULL))[1] AS postal_code,
         (array_agg(r.city ORDER BY u.o) FILTER (WHERE r.address_line1 IS NOT NULL))[1] AS city
  FROM m CROSS JOIN LATERAL unnest(m.representative_nir_hashes) WITH ORDINALITY u(h, o) JOIN r ON r.nir_hash = u.h
  GROUP BY m.nir_hash, m.vault_id, m.given_names, m.mailable
)
SELECT nir_hash, vault_id, (email IS NOT NULL AND mailable), given_names, line1, line2, postal_code, city FROM rep
WHERE (email IS NOT NULL AND mailable) OR line1 IS NOT NULL;
