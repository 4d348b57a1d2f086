-- 0002_orleans_persistence
--
-- Coffre's own PostgreSQL schema for the Orleans 10.4.2 ADO.NET grain storage provider
-- (Microsoft.Orleans.Persistence.AdoNet, invariant "Npgsql"), written from
-- /work/shared/docs/orleans-adonet-contract.md. Needs PostgreSQL 15+ (NULLS NOT DISTINCT).
-- Requires 0001 (table orleansquery). No BEGIN/COMMIT: the migrator wraps the file.
-- The query texts call the PL/pgSQL functions coffre_storage_read/write/clear/delete defined
-- below, so that every lookup stays a unique-index probe under generic plans.
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
-- identity. No separate hash index: all lookups bind the full key and use the unique index
-- (see "Lookups by identity" below for how that holds under generic plans).
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
-- Lookups by identity, and why they live in functions.
--
-- Every lookup must be an index equality on all five key columns, also when PostgreSQL runs a
-- GENERIC plan. Coffre's connection strings set Npgsql "Max Auto Prepare", so the query texts
-- become server-side prepared statements, and after 5 executions PostgreSQL may switch them
-- to a generic plan, which is built without the parameter values. The extension is the
-- problem: it is NULL for most Guid and integer keys, and for string keys it is the whole key
-- while n0 = n1 = 0. A single predicate that also matches NULL is not reliably index-usable
-- in a generic plan:
--   * "col IS NOT DISTINCT FROM @x" is never an index condition;
--   * "col = @x OR (@x IS NULL AND col IS NULL)" only reduces to "= @x" or "IS NULL" when the
--     value is known at planning time. In a generic plan the planner chooses by cost between a
--     BitmapOr of two index probes and an index scan on the first four columns with the
--     extension as a filter. Once Guid keys make (n0, n1) look selective it takes the latter,
--     and one string-keyed lookup then reads every string-keyed row of that state name
--     (tested on PostgreSQL 15: about 200,000 rows removed by filter, 43,000 buffers per
--     lookup).
-- So each operation is a PL/pgSQL function that branches on the extension BEFORE any
-- statement runs: "IF p_ext IS NULL THEN <... col IS NULL> ELSE <... col = p_ext> END IF".
-- Each branch is a separate statement with its own cached plan, and both "= p_ext" and
-- "IS NULL" are index conditions of the unique btree (a btree indexes NULLs too), so every
-- plan, custom or generic, is a unique-index probe on all five columns. The first write needs
-- no branch: INSERT ... ON CONFLICT probes the unique index with the row's values.
--
-- The functions behave like the earlier single-statement texts did. Each call is one
-- statement of the command, so it is atomic (write, clear and delete each run one
-- data-modifying statement), runs under READ COMMITTED, and reports conflicts as NULL or no
-- row, never as an error. The functions are not SECURITY DEFINER and resolve orleans_storage
-- through the caller's search_path, as plain query texts would.
-- p_ names are parameters, v_ names are locals; table columns are always qualified (s.) so
-- nothing is ambiguous with the OUT columns of coffre_storage_read.
-- ---------------------------------------------------------------------------------------------

-- Read: 0 or 1 row (the unique key guarantees never 2) with columns payloadbinary, version.
-- A cleared row returns NULL payload with its version, which the provider reads as "ETag, no
-- record".
create or replace function coffre_storage_read(
    p_serviceid text, p_graintype text, p_n0 bigint, p_n1 bigint, p_ext text)
returns table (payloadbinary bytea, version integer)
language plpgsql stable rows 1
as $fn$
begin
    if p_ext is null then
        return query
            select s.payloadbinary, s.version
              from orleans_storage s
             where s.serviceid = p_serviceid and s.graintypestring = p_graintype
               and s.grainidn0 = p_n0 and s.grainidn1 = p_n1
               and s.grainidextensionstring is null;
    else
        return query
            select s.payloadbinary, s.version
              from orleans_storage s
             where s.serviceid = p_serviceid and s.graintypestring = p_graintype
               and s.grainidn0 = p_n0 and s.grainidn1 = p_n1
               and s.grainidextensionstring = p_ext;
    end if;
end
$fn$;

-- Write: returns the new version, or NULL on conflict (the query text turns it into exactly
-- one row).
--  * p_version NULL (the grain believes there is no row): INSERT ... ON CONFLICT DO NOTHING
--    with version 1. Of several concurrent first writers exactly one inserts; the others (and
--    any such write when a row already exists) get NULL.
--  * p_version set: UPDATE only where the stored version equals it. A concurrent writer
--    holding the row lock makes PostgreSQL re-check the version after it commits, so only one
--    of them succeeds. After 2147483647 the version wraps to 1.
create or replace function coffre_storage_write(
    p_serviceid text, p_graintype text, p_n0 bigint, p_n1 bigint, p_ext text,
    p_idhash integer, p_typehash integer, p_payload bytea, p_version integer)
returns integer
language plpgsql volatile
as $fn$
declare
    v_version integer;
begin
    if p_version is null then
        insert into orleans_storage as s
            (serviceid, graintypestring, grainidn0, grainidn1, grainidextensionstring,
             grainidhash, graintypehash, payloadbinary, version, modifiedon)
        values (p_serviceid, p_graintype, p_n0, p_n1, p_ext,
                p_idhash, p_typehash, p_payload, 1, now())
        on conflict on constraint orleans_storage_identity_key do nothing
        returning s.version into v_version;
    elsif p_ext is null then
        update orleans_storage s
           set payloadbinary = p_payload, grainidhash = p_idhash, graintypehash = p_typehash,
               version = case when s.version = 2147483647 then 1 else s.version + 1 end,
               modifiedon = now()
         where s.serviceid = p_serviceid and s.graintypestring = p_graintype
           and s.grainidn0 = p_n0 and s.grainidn1 = p_n1
           and s.grainidextensionstring is null
           and s.version = p_version
        returning s.version into v_version;
    else
        update orleans_storage s
           set payloadbinary = p_payload, grainidhash = p_idhash, graintypehash = p_typehash,
               version = case when s.version = 2147483647 then 1 else s.version + 1 end,
               modifiedon = now()
         where s.serviceid = p_serviceid and s.graintypestring = p_graintype
           and s.grainidn0 = p_n0 and s.grainidn1 = p_n1
           and s.grainidextensionstring = p_ext
           and s.version = p_version
        returning s.version into v_version;
    end if;
    return v_version;
end
$fn$;

-- Clear (DeleteStateOnClear = false): keep the row, NULL the payload, bump the version (with
-- the same wrap). Returns the new version as one row, no row on conflict.
-- NULL p_version (the grain holds no ETag; the provider normally reads first and does not
-- call this when nothing exists): treated like a first write of an empty state. If no row
-- exists, a cleared row (payload NULL, version 1) is inserted and 1 is returned, so the
-- returned ETag is valid for the next write; if a row exists, that is a conflict (no row).
create or replace function coffre_storage_clear(
    p_serviceid text, p_graintype text, p_n0 bigint, p_n1 bigint, p_ext text,
    p_idhash integer, p_typehash integer, p_version integer)
returns setof integer
language plpgsql volatile rows 1
as $fn$
declare
    v_version integer;
begin
    if p_version is null then
        insert into orleans_storage as s
            (serviceid, graintypestring, grainidn0, grainidn1, grainidextensionstring,
             grainidhash, graintypehash, payloadbinary, version, modifiedon)
        values (p_serviceid, p_graintype, p_n0, p_n1, p_ext,
                p_idhash, p_typehash, null, 1, now())
        on conflict on constraint orleans_storage_identity_key do nothing
        returning s.version into v_version;
    elsif p_ext is null then
        update orleans_storage s
           set payloadbinary = null,
               version = case when s.version = 2147483647 then 1 else s.version + 1 end,
               modifiedon = now()
         where s.serviceid = p_serviceid and s.graintypestring = p_graintype
           and s.grainidn0 = p_n0 and s.grainidn1 = p_n1
           and s.grainidextensionstring is null
           and s.version = p_version
        returning s.version into v_version;
    else
        update orleans_storage s
           set payloadbinary = null,
               version = case when s.version = 2147483647 then 1 else s.version + 1 end,
               modifiedon = now()
         where s.serviceid = p_serviceid and s.graintypestring = p_graintype
           and s.grainidn0 = p_n0 and s.grainidn1 = p_n1
           and s.grainidextensionstring = p_ext
           and s.version = p_version
        returning s.version into v_version;
    end if;
    if v_version is not null then
        return next v_version;
    end if;
    return;
end
$fn$;

-- Delete (DeleteStateOnClear = true): remove the row only if its version matches. Returns the
-- deleted version + 1 (wrapping like a write), which differs from the ETag sent; no row on
-- conflict. NULL p_version: if no row exists there is nothing to delete, which is a success
-- (returns 0, non-NULL and different from the NULL ETag); if a row exists, that is a conflict
-- (no row).
create or replace function coffre_storage_delete(
    p_serviceid text, p_graintype text, p_n0 bigint, p_n1 bigint, p_ext text,
    p_version integer)
returns setof integer
language plpgsql volatile rows 1
as $fn$
declare
    v_version integer;
begin
    if p_version is null then
        if p_ext is null then
            perform 1 from orleans_storage s
             where s.serviceid = p_serviceid and s.graintypestring = p_graintype
               and s.grainidn0 = p_n0 and s.grainidn1 = p_n1
               and s.grainidextensionstring is null;
        else
            perform 1 from orleans_storage s
             where s.serviceid = p_serviceid and s.graintypestring = p_graintype
               and s.grainidn0 = p_n0 and s.grainidn1 = p_n1
               and s.grainidextensionstring = p_ext;
        end if;
        if not found then
            return next 0;
        end if;
        return;
    end if;
    if p_ext is null then
        delete from orleans_storage s
         where s.serviceid = p_serviceid and s.graintypestring = p_graintype
           and s.grainidn0 = p_n0 and s.grainidn1 = p_n1
           and s.grainidextensionstring is null
           and s.version = p_version
        returning s.version into v_version;
    else
        delete from orleans_storage s
         where s.serviceid = p_serviceid and s.graintypestring = p_graintype
           and s.grainidn0 = p_n0 and s.grainidn1 = p_n1
           and s.grainidextensionstring = p_ext
           and s.version = p_version
        returning s.version into v_version;
    end if;
    if v_version is not null then
        return next case when v_version = 2147483647 then 1 else v_version + 1 end;
    end if;
    return;
end
$fn$;

-- ---------------------------------------------------------------------------------------------
-- Query texts: one function call each. The casts pin the argument types (they are no-ops for
-- the types Npgsql sends, and a NULL extension or version still resolves to the right
-- function). The outer statement is a plain function call, so a generic plan of it is harmless.
-- Shapes, as the provider reads them:
--   read   0 or 1 row, columns payloadbinary and version (by name)
--   write  exactly 1 row, column newgrainstateversion (by name), NULL on conflict
--   clear  0 or 1 row, column 0 = new version
--   delete 0 or 1 row, column 0 = deleted version + 1, or 0 when there was nothing to delete
-- ---------------------------------------------------------------------------------------------

insert into orleansquery (querykey, querytext) values

('ReadFromStorageKey', $q$
select payloadbinary, version
  from coffre_storage_read(@ServiceId::text, @GrainTypeString::text, @GrainIdN0::bigint,
                           @GrainIdN1::bigint, @GrainIdExtensionString::text)
$q$),

('WriteToStorageKey', $q$
select coffre_storage_write(@ServiceId::text, @GrainTypeString::text, @GrainIdN0::bigint,
                            @GrainIdN1::bigint, @GrainIdExtensionString::text,
                            @GrainIdHash::integer, @GrainTypeHash::integer,
                            @PayloadBinary::bytea, @GrainStateVersion::integer)
       as newgrainstateversion
$q$),

('ClearStorageKey', $q$
select newversion
  from coffre_storage_clear(@ServiceId::text, @GrainTypeString::text, @GrainIdN0::bigint,
                            @GrainIdN1::bigint, @GrainIdExtensionString::text,
                            @GrainIdHash::integer, @GrainTypeHash::integer,
                            @GrainStateVersion::integer) as c(newversion)
$q$),

('DeleteStorageKey', $q$
select newversion
  from coffre_storage_delete(@ServiceId::text, @GrainTypeString::text, @GrainIdN0::bigint,
                             @GrainIdN1::bigint, @GrainIdExtensionString::text,
                             @GrainStateVersion::integer) as d(newversion)
$q$)

on conflict (querykey) do update set querytext = excluded.querytext;
