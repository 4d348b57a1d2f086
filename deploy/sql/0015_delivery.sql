-- 0015_delivery
--
-- Delivery that reaches people: their contact points and alert preferences, read by the outbox's alert channels in
-- one query per claimed batch. Written for Coffre.Adapters.Postgres's PostgresContactDirectory. No BEGIN/COMMIT: the
-- migrator wraps the file.
--
-- One row per person who set preferences (vault_id: the opaque vault id). email and mobile (E.164) are personal data:
-- never logged, never copied into the outbox (alerts carry the vault id; the address is read here at delivery time).
-- channels: the accepted alert channels in order of preference (0 email, 1 SMS, 2 post). quiet_start/quiet_end:
-- Europe/Paris wall-clock times during which no email or SMS alert is sent (start > end spans midnight).
create table if not exists person_contact (
    vault_id     text        collate "C" primary key,
    email        text        null,
    mobile       text        null,
    channels     smallint[]  not null default '{}',
    quiet_start  time        null,
    quiet_end    time        null,
    updated_at   timestamptz not null,
    constraint person_contact_quiet check ((quiet_start is null) = (quiet_end is null)),
    constraint person_contact_mobile check (mobile is null or mobile ~ '^\+[1-9][0-9]{7,14}$')
);

-- outbox.outcome gains 3: failed for good after Coffre:Outbox:MaxAttempts attempts (nothing to alter: a smallint).
-- A person's deliveries, newest first, are served by outbox_recipient_idx (recipient, created_at desc).
