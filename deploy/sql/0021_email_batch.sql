-- 0021_email_batch
--
-- Campaign activation emails as delivery batches (issue 10). Written for Coffre.Adapters.Postgres's
-- PostgresRolloutStore. No BEGIN/COMMIT: the migrator wraps the file.
--
-- An issuance chunk writes its emails to one file in the content store, email/{campaign}/{batch_no:D6}.txt (a first
-- line naming the batch, then one line per email: vault id, the code's keyed hash and the code sealed for the email
-- channel; each line's message id is derived from campaign, batch and line number), before the
-- transaction that commits its codes, this row and ONE outbox message (kind activation-email-batch) for the batch,
-- instead of one outbox row per email. The router (EmailBatchChannel) checks the file against sha256, sends its lines
-- page by page through the email channel and moves sent_through after each page in one transaction, with the page's
-- outcome counts (requeued: transient failures handed to the outbox as ordinary activation-code messages). A file
-- without a row (a crashed chunk) is an orphan nobody sends. No personal data: the file is in the content store.
create table if not exists email_batch (
    campaign_id   text        collate "C" not null,
    batch_no      integer     not null,
    content_key   text        not null,
    emails        integer     not null,
    sha256        text        not null,
    created_at    timestamptz not null,
    sent_through  integer     not null default 0,
    sent          integer     not null default 0,
    bounced       integer     not null default 0,
    undeliverable integer     not null default 0,
    requeued      integer     not null default 0,
    completed_at  timestamptz null,
    primary key (campaign_id, batch_no),
    constraint email_batch_progress check (sent_through between 0 and emails)
);

comment on column activation_code.batch_no is
    'The chunk''s batch number: the print batch that carries the letter (channel 1) or the email batch that carries the email (channel 0, from migration 0021; null for email codes issued before it).';
