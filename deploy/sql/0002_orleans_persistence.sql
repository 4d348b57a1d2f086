-- 0002_orleans_persistence
--
-- Coffre's own PostgreSQL schema for the Orleans 10.4.2 ADO.NET grain storage provider
-- (Microsoft.Orleans.Persistence.AdoNet, invariant "Npgsql"), written from
-- /work/shared/docs/orleans-adonet-contract.md. Needs PostgreSQL 15+ (NULLS NOT DISTINCT).
-- Requires 0001 (table orleansquery). No BEGIN/COMMIT: the migrator wraps the file.
--
-- Identity of a state row: (serviceid, graintypestring, grainidn0, grainidn1,
-- grainidextensionstring). graintypestring is the STATE NAME ([PersistentState("name")], or
-- "state" for Grain<T>), not the grain type, and neither the grain type nor the provider name
-- reaches the database: two grain types with the same key and the same state name share one
-- row. Give every grain type its own state name.
--
-- Versions. Each row holds an integer version whose decimal string is the grain's ETag:
-- 1 on first insert, +1 on every successful write or clear. Overflow choice: after
-- 2147483647 the next version WRAPS TO 1 instead of raising "integer out of range", so a grain
-- written 2^31 times keeps working. The provider only needs the new version to differ from
-- the ETag it sent (1 <> 2147483647). The theoretical cost is that a writer holding an ETag
-- from 2^31 writes ago could match again; that is accepted.
--
-- Conflicts are reported by the result (NULL / no row), never by an error: the provider turns
-- them into InconsistentStateException and does not retry.

-- Unique key: the provider's original design relied on "insert if not exists", which is not
-- atomic under READ COMMITTED; concurrent first writes of one grain left several rows, and a
-- read that finds two rows throws forever after. The unique constraint makes the first write
-- an atomic INSERT ... ON CONFLICT DO NOTHING. NULLS NOT DISTINCT because the extension is
-- NULL for most keys and plain UNIQUE would treat every NULL as different.
-- The two hashes are stored (and kept current) but are not part of the key: they can collide,
-- and they change if the hasher is switched (UseOrleans3CompatibleHasher), so they are not
-- identity. No separate hash index: all lookups bind the full key and use the unique index.
-- Note: a btree entry is limited to ~2.7 kB, so string grain keys longer than that cannot be
-- stored; Coffre's keys are far shorter.
create table if not exists orleans_storage (
    serviceid              text        not null,
    graintypestring        text        not null,
    grainidn0              bigint      not null,
    grainidn1              bigint      not null,
    grainidextensionstring text        null,
    grainidhash            integer     not null,
    graintypehash          integer     not null,
    payloadbinary          bytea       null,
    version                integer     not null,
    modifiedon             timestamptz not null default now(),
    constraint orleans_storage_identity_key
        unique nulls not distinct
        (serviceid, graintypestring, grainidn0, grainidn1, grainidextensionstring)
);

-- ---------------------------------------------------------------------------------------------
-- Query texts.
--
-- Matching the nullable extension: "col IS NOT DISTINCT FROM @x" would be correct but cannot
-- use a btree index, and string keys all share n0 = n1 = 0, so the lookup would scan every
-- string-keyed grain of that state name. The texts use
--     (grainidextensionstring = @x or (@x is null and grainidextensionstring is null))
-- which means the same thing and, with the value known at planning time, reduces to either
-- "= @x" or "IS NULL", both of which use the unique index. Npgsql's default (no auto-prepare)
-- sends unnamed statements, which PostgreSQL always plans with the actual values. If "Max Auto
-- Prepare" is ever enabled and PostgreSQL switches such a statement to a generic plan, the
-- index still narrows on (serviceid, graintypestring, n0, n1) and the extension becomes a
-- filter: fine for integer and Guid keys, slower with many string keys (all have n0 = n1 = 0).
-- ---------------------------------------------------------------------------------------------

insert into orleansquery (querykey, querytext) values

-- 0 or 1 row (the unique key guarantees never 2). A cleared row returns NULL payload with its
-- version, which the provider reads as "ETag, no record".
('ReadFromStorageKey', $q$
select payloadbinary, version
  from orleans_storage
 where serviceid = @ServiceId
   and graintypestring = @GrainTypeString
   and grainidn0 = @GrainIdN0
   and grainidn1 = @GrainIdN1
   and (grainidextensionstring = @GrainIdExtensionString::text
        or (@GrainIdExtensionString::text is null and grainidextensionstring is null))
$q$),

-- Always exactly one row, column NewGrainStateVersion.
--  * @GrainStateVersion NULL (the grain believes there is no row): INSERT ... ON CONFLICT DO
--    NOTHING with version 1. Of several concurrent first writers exactly one inserts; the
--    others (and any write when a row already exists) get NULL, the conflict signal.
--  * @GrainStateVersion set: UPDATE only where the stored version equals it; the new version
--    is returned, or NULL if nothing matched. A concurrent writer holding the row lock makes
--    PostgreSQL re-check the version after it commits, so only one of them succeeds.
-- Exactly one of the two branches can do anything; both always run (CTEs), and the outer
-- SELECT without FROM turns "no row" into one row holding NULL.
('WriteToStorageKey', $q$
with inserted as (
    insert into orleans_storage
        (serviceid, graintypestring, grainidn0, grainidn1, grainidextensionstring,
         grainidhash, graintypehash, payloadbinary, version, modifiedon)
    select @ServiceId, @GrainTypeString, @GrainIdN0, @GrainIdN1, @GrainIdExtensionString::text,
           @GrainIdHash, @GrainTypeHash, @PayloadBinary, 1, now()
     where @GrainStateVersion::integer is null
    on conflict (serviceid, graintypestring, grainidn0, grainidn1, grainidextensionstring)
    do nothing
    returning version
), updated as (
    update orleans_storage
       set payloadbinary = @PayloadBinary,
           grainidhash = @GrainIdHash,
           graintypehash = @GrainTypeHash,
           version = case when version = 2147483647 then 1 else version + 1 end,
           modifiedon = now()
     where serviceid = @ServiceId
       and graintypestring = @GrainTypeString
       and grainidn0 = @GrainIdN0
       and grainidn1 = @GrainIdN1
       and (grainidextensionstring = @GrainIdExtensionString::text
            or (@GrainIdExtensionString::text is null and grainidextensionstring is null))
       and version = @GrainStateVersion::integer
    returning version
)
select coalesce((select version from inserted), (select version from updated))
       as newgrainstateversion
$q$),

-- Clear (DeleteStateOnClear = false): keep the row, NULL the payload, bump the version.
-- Column 0 of the single row is the new version; no row on conflict.
-- NULL @GrainStateVersion (the grain holds no ETag; the provider normally reads first and does
-- not call this when nothing exists): treated like a first write of an empty state. If no row
-- exists, a cleared row (payload NULL, version 1) is inserted and 1 is returned, so the
-- returned ETag is valid for the next write; if a row exists, that is a conflict (no row).
('ClearStorageKey', $q$
with inserted as (
    insert into orleans_storage
        (serviceid, graintypestring, grainidn0, grainidn1, grainidextensionstring,
         grainidhash, graintypehash, payloadbinary, version, modifiedon)
    select @ServiceId, @GrainTypeString, @GrainIdN0, @GrainIdN1, @GrainIdExtensionString::text,
           @GrainIdHash, @GrainTypeHash, null, 1, now()
     where @GrainStateVersion::integer is null
    on conflict (serviceid, graintypestring, grainidn0, grainidn1, grainidextensionstring)
    do nothing
    returning version
), updated as (
    update orleans_storage
       set payloadbinary = null,
           version = case when version = 2147483647 then 1 else version + 1 end,
           modifiedon = now()
     where serviceid = @ServiceId
       and graintypestring = @GrainTypeString
       and grainidn0 = @GrainIdN0
       and grainidn1 = @GrainIdN1
       and (grainidextensionstring = @GrainIdExtensionString::text
            or (@GrainIdExtensionString::text is null and grainidextensionstring is null))
       and version = @GrainStateVersion::integer
    returning version
)
select version from inserted
union all
select version from updated
$q$),

-- Delete (DeleteStateOnClear = true): remove the row only if its version matches. Column 0 is
-- the deleted version + 1 (wrapping like a write), which differs from the ETag sent; no row on
-- conflict. NULL @GrainStateVersion: if no row exists there is nothing to delete, which is a
-- success (returns 0, non-NULL and different from the NULL ETag); if a row exists, that is a
-- conflict (no row).
('DeleteStorageKey', $q$
with deleted as (
    delete from orleans_storage
     where serviceid = @ServiceId
       and graintypestring = @GrainTypeString
       and grainidn0 = @GrainIdN0
       and grainidn1 = @GrainIdN1
       and (grainidextensionstring = @GrainIdExtensionString::text
            or (@GrainIdExtensionString::text is null and grainidextensionstring is null))
       and version = @GrainStateVersion::integer
    returning version
)
select case when version = 2147483647 then 1 else version + 1 end as newversion
  from deleted
union all
select 0
 where @GrainStateVersion::integer is null
   and not exists (
       select 1 from orleans_storage
        where serviceid = @ServiceId
          and graintypestring = @GrainTypeString
          and grainidn0 = @GrainIdN0
          and grainidn1 = @GrainIdN1
          and (grainidextensionstring = @GrainIdExtensionString::text
               or (@GrainIdExtensionString::text is null and grainidextensionstring is null)))
$q$)

on conflict (querykey) do update set querytext = excluded.querytext;
