-- 0022_identity_claim
--
-- Which people a workflow has bound to a vault through their identity grain (issue 10). Written for
-- Coffre.Adapters.Postgres's PostgresRolloutStore. No BEGIN/COMMIT: the migrator wraps the file.
--
-- A person's nir-index grain (key "nir-" + the NIR's keyed hash in hex, state "nir-index-v1") records here that it
-- claims a vault (a referent opened one for the person, or attached a NIR to a vault) BEFORE it opens or attaches that
-- vault. Activation reads the row with the person's code: a person without one activates their registry vault without
-- loading any grain (the registry's activated status is the vault's truth, and the event is audited on its chain); a
-- person with one goes through their identity grain, which activates the claimed vault. A row only says "ask the
-- grain": one recorded for an opening that then failed is harmless.
create table if not exists identity_claim (
    nir_hash   bytea       not null primary key,
    claimed_at timestamptz not null default now(),
    constraint identity_claim_nir_hash_length check (octet_length(nir_hash) = 32)
);

-- Claims made before this table existed live only in the grains' stored state: every nir-index grain that ever wrote
-- its state (a claim, or an opposition that closed a claimed vault) is recorded, so those people keep going through
-- their grain. The key's hexadecimal part is the NIR's keyed hash.
insert into identity_claim (nir_hash, claimed_at)
select decode(substr(s.grainidextensionstring, 5), 'hex'), s.modifiedon
from orleans_storage s
where s.graintypestring = 'nir-index-v1'
  and s.grainidextensionstring ~ '^nir-[0-9a-f]{64}$'
on conflict (nir_hash) do nothing;
