\i common.sql
SELECT count(*) FROM registry_person p LEFT JOIN (
  SELECT nir_hash, bool_or(status = 0) AS awaiting FROM email_bounce WHERE campaign_id = :campaign GROUP BY nir_hash
) eb ON eb.nir_hash = p.nir_hash LEFT JOIN LATERAL (
  SELECT (SELECT r.email FROM unnest(p.representative_nir_hashes) WITH ORDINALITY AS u(h, o) JOIN registry_person r ON r.nir_hash = u.h WHERE r.status IN (0, 2) AND r.email IS NOT NULL ORDER BY u.o LIMIT 1) AS email,
         (SELECT ARRAY[r.address_line1, r.address_line2, r.postal_code, r.city] FROM unnest(p.representative_nir_hashes) WITH ORDINALITY AS u(h, o) JOIN registry_person r ON r.nir_hash = u.h WHERE r.status IN (0, 2) AND r.address_line1 IS NOT NULL ORDER BY u.o LIMIT 1) AS address
  WHERE (p.birth_date > :mba)) rep ON true WHERE p.status = 0 AND eb.awaiting IS NOT TRUE
 AND NOT EXISTS (SELECT 1 FROM activation_code c WHERE c.nir_hash = p.nir_hash AND c.status = 0)
 AND NOT EXISTS (SELECT 1 FROM activation_code c WHERE c.nir_hash = p.nir_hash AND c.status = 3) AND (((CASE WHEN (p.birth_date > :mba) THEN rep.email ELSE p.email END) IS NOT NULL AND eb.nir_hash IS NULL) OR (CASE WHEN (p.birth_date > :mba) THEN rep.address[1] ELSE p.address_line1 END) IS NOT NULL);
