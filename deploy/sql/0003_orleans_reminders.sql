-- 0003_orleans_reminders
--
-- Coffre's own PostgreSQL schema for the Orleans 10.4.2 ADO.NET reminder provider
-- (Microsoft.Orleans.Reminders.AdoNet, invariant "Npgsql"), written from
-- /work/shared/docs/orleans-adonet-contract.md.
-- Requires 0001 (table orleansquery). No BEGIN/COMMIT: the migrator wraps the file.

-- One row per reminder. The primary key is the reminder's identity and serves the per-grain
-- reads. grainid is GrainId.ToString() ("type/key"), stored unchanged as text with no length
-- limit. grainhash is the grain's uniform hash as a SIGNED integer: the ring ranges are
-- compared as signed ints, so it must stay a plain integer. period is milliseconds and can
-- exceed int.MaxValue, hence bigint. version becomes the reminder's ETag.
create table if not exists orleans_reminders (
    serviceid    text        not null,
    grainid      text        not null,
    remindername text        not null,
    starttime    timestamptz not null,
    period       bigint      not null,
    grainhash    integer     not null,
    version      integer     not null,
    primary key (serviceid, grainid, remindername)
);

-- The reminder service loads its ring range by (serviceid, grainhash).
create index if not exists orleans_reminders_hash_idx
    on orleans_reminders (serviceid, grainhash);

-- Reminder versions come from one sequence instead of "version + 1": the upsert still gives a
-- row a new version every time, and a reminder that is deleted and registered again never gets
-- back a version an old handle may still hold (with "+1" it would restart at 1 and a stale
-- ETag could delete the new reminder). CYCLE: after 2147483647 it wraps to 1 rather than
-- failing; a clash needs 2^31 upserts between a stale ETag and its use, which is accepted.
create sequence if not exists orleans_reminders_version_seq
    as integer minvalue 1 maxvalue 2147483647 start with 1 cycle;

insert into orleansquery (querykey, querytext) values

-- All reminders of one grain.
('ReadReminderRowsKey', $q$
select grainid, remindername, starttime, period, version
  from orleans_reminders
 where serviceid = @ServiceId
   and grainid = @GrainId
$q$),

-- One reminder: zero or one row (primary key).
('ReadReminderRowKey', $q$
select grainid, remindername, starttime, period, version
  from orleans_reminders
 where serviceid = @ServiceId
   and grainid = @GrainId
   and remindername = @ReminderName
$q$),

-- Ring range (begin, end] when begin < end, compared as signed integers.
('ReadRangeRows1Key', $q$
select grainid, remindername, starttime, period, version
  from orleans_reminders
 where serviceid = @ServiceId
   and grainhash > @BeginHash
   and grainhash <= @EndHash
$q$),

-- Wrapping ring range when begin >= end: above begin OR up to end (begin = end: whole ring).
('ReadRangeRows2Key', $q$
select grainid, remindername, starttime, period, version
  from orleans_reminders
 where serviceid = @ServiceId
   and (grainhash > @BeginHash or grainhash <= @EndHash)
$q$),

-- Unconditional upsert (last writer wins) keyed on the primary key; every call stores and
-- returns a fresh version, the new ETag. One statement, so concurrent upserts cannot fail
-- with a duplicate key.
('UpsertReminderRowKey', $q$
insert into orleans_reminders
    (serviceid, grainid, remindername, starttime, period, grainhash, version)
values
    (@ServiceId, @GrainId, @ReminderName, @StartTime, @Period, @GrainHash,
     nextval('orleans_reminders_version_seq')::integer)
on conflict (serviceid, grainid, remindername) do update
   set starttime = excluded.starttime,
       period = excluded.period,
       grainhash = excluded.grainhash,
       version = excluded.version
returning version
$q$),

-- Conditional delete: only the version the caller holds. One boolean column: true if a row was
-- deleted, false on a version mismatch or a missing row.
('DeleteReminderRowKey', $q$
with deleted as (
    delete from orleans_reminders
     where serviceid = @ServiceId
       and grainid = @GrainId
       and remindername = @ReminderName
       and version = @Version::integer
    returning 1
)
select exists (select 1 from deleted) as deleted
$q$),

-- Tests only: every reminder of the service.
('DeleteReminderRowsKey', $q$
delete from orleans_reminders
 where serviceid = @ServiceId
$q$)

on conflict (querykey) do update set querytext = excluded.querytext;
