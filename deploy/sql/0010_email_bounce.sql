-- 0010_email_bounce
--
-- Campaign emails that do not reach people. Written for Coffre.Adapters.Postgres's PostgresOutbox and
-- PostgresRolloutStore. No BEGIN/COMMIT: the migrator wraps the file.

-- How a message left the outbox: 0 delivered (or still pending while delivered_at is null), 1 bounced (the mail
-- server refused it for good), 2 undeliverable (nobody to send to any more: no address, an opposition, a dead code).
-- A settled message has delivered_at set (the time it was settled), so it leaves the due index like a delivered one;
-- last_error says why. A constant default: adding the column rewrites nothing.
alter table outbox add column if not exists outcome smallint not null default 0;

-- One row per bounced activation email (outbox_id: the message, so a replayed bounce is recorded once). The email
-- code of that campaign is revoked in the transaction that inserts the row. status: 0 awaiting post (the next bounce
-- round puts the person's new code in a print batch), 1 posted (batch_no), 2 unreachable (no postal address),
-- 3 superseded (activated, opposed, or holding a valid code again). A row leaves 0 only in the transaction that
-- commits its letter's code (or settles it). No personal data: the NIR's keyed hash and the opaque vault id.
create table if not exists email_bounce (
    outbox_id   uuid        primary key,
    campaign_id text        collate "C" not null,
    nir_hash    bytea       not null,
    vault_id    text        collate "C" not null,
    bounced_at  timestamptz not null,
    status      smallint    not null default 0,
    batch_no    integer     null,
    settled_at  timestamptz null,
    constraint email_bounce_status check (status between 0 and 3),
    constraint email_bounce_nir_hash_length check (octet_length(nir_hash) = 32)
);

-- The next bounce round of a campaign: its bounces awaiting post, oldest first.
create index if not exists email_bounce_awaiting_idx on email_bounce (campaign_id, bounced_at) where status = 0;

-- Campaign counts.
create index if not exists email_bounce_campaign_idx on email_bounce (campaign_id, status);
