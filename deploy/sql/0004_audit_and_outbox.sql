-- 0004_audit_and_outbox
--
-- The per-vault, hash-chained access history (audit_event + audit_head) and the one durable
-- notification outbox for every channel (outbox). Written for Coffre.Adapters.Postgres's PostgresAuditLog
-- and PostgresOutbox. No BEGIN/COMMIT: the migrator wraps the file.

-- One row per audited access. (vault_id, seq) is the event's identity in its vault's chain;
-- seq runs 1, 2, 3... without gaps. hash = SHA-256(prev_hash ‖ canonical(event)), and prev_hash
-- of seq 1 is 32 zero bytes (AuditChain in Coffre.Application defines the canonical form). at is
-- stored at microsecond precision, which is the precision the hash covers. actor_kind, basis and
-- reason are the numeric values of the domain enums; action is the IHE BALP code (C/R/U/D/E).
-- No personal data: actor_id is an opaque id or an RPPS, target an opaque id.
create table if not exists audit_event (
    vault_id         text        not null,
    seq              bigint      not null,
    at               timestamptz not null,
    actor_kind       smallint    not null,
    actor_id         text        not null,
    actor_profession text        null,
    action           char(1)     not null,
    operation        text        not null,
    target           text        not null,
    allowed          boolean     not null,
    basis            smallint    not null,
    reason           smallint    not null,
    prev_hash        bytea       not null,
    hash             bytea       not null,
    primary key (vault_id, seq),
    constraint audit_event_seq_positive check (seq >= 1),
    constraint audit_event_hash_length check (octet_length(prev_hash) = 32 and octet_length(hash) = 32)
);

-- The latest link of each vault's chain, written in the same transaction as every batch of
-- events: seq and hash of the newest event, and mac = HMAC-SHA256(head key, vault_id ‖ seq ‖ hash)
-- with a key the database does not hold (Coffre:Audit:HeadKey). Deleting events from the end of
-- a chain leaves the head pointing past them; rewriting the head needs the key.
create table if not exists audit_head (
    vault_id text   primary key,
    seq      bigint not null,
    hash     bytea  not null,
    mac      bytea  not null
);

-- Append-only. These triggers refuse UPDATE, DELETE and TRUNCATE of audit events, and refuse
-- deleting a head or moving it backwards, for every role including the application's. They are
-- a guard against mistakes and ordinary roles, not against a superuser or the table owner, who
-- can still disable triggers (ALTER TABLE ... DISABLE TRIGGER, session_replication_role =
-- replica) or drop them. That is why each chain is hashed and its head carries a MAC: such an
-- edit is still detected by IAuditLog.VerifyAsync.
create or replace function coffre_audit_append_only() returns trigger
language plpgsql as $f$
begin
    raise exception 'audit_event is append-only: % is not allowed', tg_op
        using errcode = 'P0001', hint = 'audit events are never changed or removed';
end
$f$;

create or replace trigger audit_event_no_update_or_delete
    before update or delete on audit_event
    for each row execute function coffre_audit_append_only();

create or replace trigger audit_event_no_truncate
    before truncate on audit_event
    for each statement execute function coffre_audit_append_only();

create or replace function coffre_audit_head_forward_only() returns trigger
language plpgsql as $f$
begin
    if tg_op = 'DELETE' then
        raise exception 'audit_head rows are never deleted' using errcode = 'P0001';
    end if;
    if new.vault_id <> old.vault_id or new.seq <= old.seq then
        raise exception 'audit_head only moves forward (% -> %)', old.seq, new.seq using errcode = 'P0001';
    end if;
    return new;
end
$f$;

create or replace trigger audit_head_forward_only
    before update or delete on audit_head
    for each row execute function coffre_audit_head_forward_only();

create or replace trigger audit_head_no_truncate
    before truncate on audit_head
    for each statement execute function coffre_audit_append_only();

-- One row per notification, for every channel (0 email, 1 SMS, 2 post, 3 in-app). recipient is
-- an opaque reference (a vault id), never an address. A message is due when delivered_at is null
-- and available_at <= now(). A dispatcher claims due rows with FOR UPDATE SKIP LOCKED and moves
-- available_at (and lease_until) forward by its lease, so a crashed dispatcher's messages come
-- back after the lease. A failed attempt increments attempts and sets available_at to the retry
-- time. Delivery is at least once: a message delivered but not yet marked can be sent again.
create table if not exists outbox (
    id           uuid        primary key,
    channel      smallint    not null,
    recipient    text        not null,
    kind         text        not null,
    payload      jsonb       not null,
    created_at   timestamptz not null,
    available_at timestamptz not null,
    attempts     integer     not null default 0,
    delivered_at timestamptz null,
    last_error   text        null,
    lease_until  timestamptz null
);

-- Claims: due undelivered messages, oldest first. Delivered rows are not in the index.
create index if not exists outbox_due_idx
    on outbox (available_at) where delivered_at is null;

-- A person's in-app notification list, newest first.
create index if not exists outbox_recipient_idx
    on outbox (recipient, created_at desc);
