-- 0016_vault_events
--
-- The vault event log behind live subscriptions' catch-up cursor (issue 12): one row per event raised by a grain
-- (document added, message received, access recorded, appointment changed, reminder due), ids only, no personal data.
-- Written by Coffre.Adapters.Postgres's PostgresVaultEventLog in batches (one transaction per batch), read by
-- vaultEvents / vaultEventAdded(after:) through the vault grain, deleted after 30 days by the silos' retention loop.
-- No BEGIN/COMMIT: the migrator wraps the file.

-- One row per vault that ever had an event: its last position. Appending takes this row's lock until commit, so two
-- writers of one vault commit their positions in order (a reader that saw n never later finds an unseen m ≤ n), and a
-- position is never reused even once the log's rows are deleted.
create table if not exists vault_event_head (
    vault_id      text   collate "C" primary key,
    last_position bigint not null
);

create table if not exists vault_event (
    vault_id   text        collate "C" not null,
    position   bigint      not null,
    event_id   uuid        not null,
    kind       smallint    not null,
    subject_id text        collate "C" not null,
    at         timestamptz not null,
    primary key (vault_id, position)
);

-- Retention: the oldest events first.
create index if not exists vault_event_at on vault_event (at);
