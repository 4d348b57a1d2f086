\i common.sql
SELECT (SELECT count(*) FROM registry_person p LEFT JOIN (
  SELECT nir_hash, bool_or(status = 0) AS awaiting FROM email_bounce WHERE campaign_id = :campaign GROUP BY nir_hash
) eb ON eb.nir_hash = p.nir_hash WHERE p.status = 0 AND eb.awaiting IS NOT TRUE
 AND NOT EXISTS (SELECT 1 FROM activation_code c WHERE c.nir_hash = p.nir_hash AND c.status = 0)
 AND NOT EXISTS (SELECT 1 FROM activation_code c WHERE c.nir_hash = p.nir_hash AND c.status = 3) AND (p.birth_date > :mba) IS NOT TRUE AND ((p.email IS NOT NULL AND eb.nir_hash IS NULL) OR p.address_line1 IS NOT NULL)) + m.reachable, m.unreachable FROM (SELECT count(*) FILTER (WHERE ((re.email IS NOT NULL AND eb.nir_hash IS NULL) OR ra.address_line1 IS NOT NULL)) AS reachable, count(*) FILTER (WHERE NOT ((re.email IS NOT NULL AND eb.nir_hash IS NULL) OR ra.address_line1 IS NOT NULL)) AS unreachable FROM registry_person p LEFT JOIN (
  SELECT nir_hash, bool_or(status = 0) AS awaiting FROM email_bounce WHERE campaign_id = :campaign GROUP BY nir_hash
) eb ON eb.nir_hash = p.nir_hash LEFT JOIN LATERAL (SELECT r.email FROM unnest(p.representative_nir_hashes) WITH ORDINALITY AS u(h, o) JOIN registry_person r ON r.nir_hash = u.h WHERE r.status IN (0, 2) AND r.email IS NOT NULL ORDER BY u.o LIMIT 1) re ON true
LEFT JOIN LATERAL (SELECT r.address_line1, r.address_line2, r.postal_code, r.city FROM unnest(p.representative_nir_hashes) WITH ORDINALITY AS u(h, o) JOIN registry_person r ON r.nir_hash = u.h WHERE r.status IN (0, 2) AND r.address_line1 IS NOT NULL ORDER BY u.o LIMIT 1) ra ON true WHERE p.status = 0 AND eb.awaiting IS NOT TRUE
 AND NOT EXISTS (SELECT 1 FROM activation_code c WHERE c.nir_hash = p.nir_hash AND c.status = 0)
 AND NOT EXISTS (SELECT 1 FROM activation_code c WHERE c.nir_hash = p.nir_hash AND c.status = 3) AND (p.birth_date > :mba)) m;
