-- 0001_orleans_clustering
--
-- Coffre's own PostgreSQL schema for the Orleans 10.4.2 ADO.NET clustering provider
-- (Microsoft.Orleans.Clustering.AdoNet, invariant "Npgsql"), written from
-- /work/shared/docs/orleans-adonet-contract.md.
--
-- Applied by Coffre's SchemaMigrator inside one transaction under an advisory lock, so this
-- file has no BEGIN/COMMIT. Every statement is re-runnable (IF NOT EXISTS, ON CONFLICT).
--
-- How the query texts are written:
--   * Parameters are written @Name; Npgsql binds them by name (text, integer, bigint, bytea,
--     timestamptz). Casts such as @Version::integer are no-ops for the types Npgsql sends and
--     make the texts independent of the client's type inference.
--   * Every conditional write is ONE statement (data-modifying CTEs). The provider runs each
--     text as a single command without an explicit transaction, so the atomicity has to
--     come from the statement itself.
--   * Conflicts are reported by the result (false / NULL / no row), never by an error.
--   * Column names are unquoted (lower case); Npgsql falls back to case-insensitive
--     name lookup, so "StartTime" finds starttime.

-- The query catalogue shared by all three providers. Each provider reads its rows at start-up
-- and caches them for the process lifetime, so changing a text needs a restart.
create table if not exists orleansquery (
    querykey  varchar(64) primary key,
    querytext text not null
);

-- One row per cluster (DeploymentId = ClusterOptions.ClusterId). Its version is the optimistic
-- concurrency token for the whole membership table: every insert or update of a member must
-- check it and increment it in the same statement. In 10.4.2 each member's ETag is this
-- version as a string. It starts at 0. It is a plain integer: Orleans compares table versions
-- to decide which snapshot is newer, so wrapping would be wrong; an overflow (2^31 membership
-- changes, unreachable in practice) raises "integer out of range" rather than wrapping.
create table if not exists orleans_membership_version (
    deploymentid text        primary key,
    version      integer     not null default 0,
    modifiedon   timestamptz not null default now()
);

-- One row per silo incarnation. Address is the silo's IP as text; generation tells apart
-- restarts on the same endpoint. suspecttimes is an opaque string built by Orleans
-- ("ip:port@gen,yyyy-MM-dd HH:mm:ss.fff GMT|..."), so it is kept as text, never parsed.
-- Times are timestamptz because Npgsql sends UTC DateTime values as timestamptz.
-- The foreign key keeps members from outliving their version row (reads start from it).
create table if not exists orleans_membership (
    deploymentid text        not null references orleans_membership_version (deploymentid),
    address      text        not null,
    port         integer     not null,
    generation   integer     not null,
    siloname     text        not null,
    hostname     text        not null,
    status       integer     not null,
    proxyport    integer     not null,
    suspecttimes text        null,
    starttime    timestamptz not null,
    iamalivetime timestamptz not null,
    primary key (deploymentid, address, port, generation)
);

-- ---------------------------------------------------------------------------------------------
-- Query texts. Dollar quoting ($q$) keeps the texts free of escaping.
-- ---------------------------------------------------------------------------------------------

insert into orleansquery (querykey, querytext) values

-- A silo creates its cluster's version row at start-up. ON CONFLICT DO NOTHING makes the
-- race between silos starting together harmless; the single boolean column says whether
-- this call created the row (true) or it already existed (false).
('InsertMembershipVersionKey', $q$
with created as (
    insert into orleans_membership_version (deploymentid, version, modifiedon)
    values (@DeploymentId, 0, now())
    on conflict (deploymentid) do nothing
    returning 1
)
select exists (select 1 from created) as inserted
$q$),

-- A silo writes its own row for the first time. The version row is bumped only when it still
-- holds @Version and the member is not there yet; the member is inserted only from that bump,
-- so either both happen or neither does. A concurrent writer that bumped first holds the row
-- lock; after it commits PostgreSQL re-checks "version = @Version" on the new row, finds it
-- changed and this statement returns false (the conflict signal: Orleans re-reads, retries).
('InsertMembershipKey', $q$
with bumped as (
    update orleans_membership_version v
       set version = v.version + 1,
           modifiedon = now()
     where v.deploymentid = @DeploymentId
       and v.version = @Version::integer
       and not exists (
           select 1 from orleans_membership m
            where m.deploymentid = @DeploymentId
              and m.address = @Address
              and m.port = @Port
              and m.generation = @Generation)
    returning v.deploymentid
), inserted as (
    insert into orleans_membership
        (deploymentid, address, port, generation, siloname, hostname, status, proxyport,
         suspecttimes, starttime, iamalivetime)
    select b.deploymentid, @Address, @Port, @Generation, @SiloName, @HostName, @Status, @ProxyPort,
           null, @StartTime, @IAmAliveTime
      from bumped b
    on conflict (deploymentid, address, port, generation) do nothing
    returning 1
)
select exists (select 1 from inserted) as inserted
$q$),

-- Status changes, suspicion votes, declaring a silo dead. Same pattern as the insert: bump the
-- version only if it still holds @Version and the member row exists, and update the member
-- only through that bump. StartTime, names and ProxyPort are never changed. IAmAliveTime keeps
-- the later of the stored and the sent value: another silo's update carries the time it read
-- earlier and must not move the target's heartbeat backwards (which would age it for cleanup).
-- One residual case: if the per-row cleanup deletes this (Dead) member between the statement's
-- snapshot and its row lock, the version is bumped but false is returned. That is harmless:
-- false only makes Orleans re-read and retry, and a bumped version just forces the same.
('UpdateMembershipKey', $q$
with bumped as (
    update orleans_membership_version v
       set version = v.version + 1,
           modifiedon = now()
     where v.deploymentid = @DeploymentId
       and v.version = @Version::integer
       and exists (
           select 1 from orleans_membership m
            where m.deploymentid = @DeploymentId
              and m.address = @Address
              and m.port = @Port
              and m.generation = @Generation)
    returning v.deploymentid
), updated as (
    update orleans_membership m
       set status = @Status,
           suspecttimes = @SuspectTimes,
           iamalivetime = greatest(m.iamalivetime, @IAmAliveTime)
      from bumped b
     where m.deploymentid = b.deploymentid
       and m.address = @Address
       and m.port = @Port
       and m.generation = @Generation
    returning 1
)
select exists (select 1 from updated) as updated
$q$),

-- Heartbeat, written by the silo into its own row only. It deliberately leaves the table
-- version alone (a heartbeat is not a membership change). Plain assignment: the silo is the
-- authority on its own liveness, and after a clock correction the new value is the right one.
('UpdateIAmAlivetimeKey', $q$
update orleans_membership
   set iamalivetime = @IAmAliveTime
 where deploymentid = @DeploymentId
   and address = @Address
   and port = @Port
   and generation = @Generation
$q$),

-- The read shape. It starts FROM the version row and LEFT JOINs the members, so a cluster with
-- no members still yields exactly one row (member columns NULL, StartTime NULL) carrying the
-- table version; zero rows would make the provider throw. Each row carries the table version.
('MembershipReadAllKey', $q$
select m.address, m.port, m.generation, m.siloname, m.hostname, m.status, m.proxyport,
       m.suspecttimes, m.starttime, m.iamalivetime, v.version
  from orleans_membership_version v
  left join orleans_membership m
    on m.deploymentid = v.deploymentid
 where v.deploymentid = @DeploymentId
$q$),

-- Same shape restricted to one silo. The silo's key is part of the join condition (not the
-- WHERE clause), so an absent silo still returns the version row alone.
('MembershipReadRowKey', $q$
select m.address, m.port, m.generation, m.siloname, m.hostname, m.status, m.proxyport,
       m.suspecttimes, m.starttime, m.iamalivetime, v.version
  from orleans_membership_version v
  left join orleans_membership m
    on m.deploymentid = v.deploymentid
   and m.address = @Address
   and m.port = @Port
   and m.generation = @Generation
 where v.deploymentid = @DeploymentId
$q$),

-- Gateways for clients. The provider filters neither the status (it always passes 3, Active)
-- nor the proxy port, so both filters are here: a silo without a gateway has ProxyPort 0.
('GatewaysQueryKey', $q$
select address, proxyport, generation
  from orleans_membership
 where deploymentid = @DeploymentId
   and status = @Status
   and proxyport > 0
$q$),

-- Tests and tools: remove the whole cluster. Members first (foreign key), then the version
-- row. Two statements in one command: Npgsql runs them in one implicit transaction.
('DeleteMembershipTableEntriesKey', $q$
delete from orleans_membership where deploymentid = @DeploymentId;
delete from orleans_membership_version where deploymentid = @DeploymentId
$q$),

-- Bulk cleanup of defunct silos (used only when CleanupDefunctSiloEntryKey is absent). Only
-- rows that are Dead (status 6) and whose last heartbeat is older than the cutoff go. A silo
-- that is Joining or ShuttingDown is never removed here, and the version row is never touched
-- (so the membership read keeps working and the version is not bumped).
('CleanupDefunctSiloEntriesKey', $q$
delete from orleans_membership
 where deploymentid = @DeploymentId
   and status = 6
   and iamalivetime < @IAmAliveTime
$q$),

-- Optional in 10.4.2: per-row cleanup. The provider picked the row from a read it did just
-- before; delete it only if it is still Dead and still holds exactly the values it captured,
-- so a row that changed meanwhile survives. SuspectTimes may be NULL on both sides, hence
-- IS NOT DISTINCT FROM. Times read back from timestamptz round-trip exactly (microseconds).
('CleanupDefunctSiloEntryKey', $q$
delete from orleans_membership
 where deploymentid = @DeploymentId
   and address = @Address
   and port = @Port
   and generation = @Generation
   and status = 6
   and suspecttimes is not distinct from @SuspectTimes::text
   and starttime = @StartTime
   and iamalivetime = @IAmAliveTime
$q$)

on conflict (querykey) do update set querytext = excluded.querytext;
