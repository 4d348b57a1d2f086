-- 0006_audit_aggregates
--
-- Repeated denials of one caller on one vault are recorded as one aggregated event: count identical
-- denials between first_at and at. Single events keep count = 1 and first_at NULL, and their hash
-- keeps the version-1 canonical form, so chains written before this migration verify unchanged
-- (AuditChain: an aggregated event is hashed in the version-2 form, which covers count and first_at).
-- Adding columns with a constant default rewrites no row and fires no row trigger: the
-- append-only triggers of 0004 stay as they are. No BEGIN/COMMIT: the migrator wraps the file.
alter table audit_event add column if not exists count integer not null default 1;
alter table audit_event add column if not exists first_at timestamptz null;

do $$
begin
    if not exists (select 1 from pg_constraint where conname = 'audit_event_count_positive') then
        alter table audit_event add constraint audit_event_count_positive
            check (count >= 1 and (first_at is null or first_at <= at));
    end if;
end
$$;
