create table if not exists activation_code (
    code_id     bigint      generated always as identity (cache 1000) primary key,
    campaign_id text        collate "C" not null,
    nir_hash    bytea       not null,
    key_id      smallint    not null,
    code_hash   bytea       not null,
    issued_at   timestamptz not null,
    expires_at  timestamptz not null,
    channel     smallint    not null,
    batch_no    integer     null,
    attempts    smallint    not null default 0,
    status      smallint    not null default 0,
    closed_at   timestamptz null,
    constraint activation_code_hash_length check (octet_length(code_hash) = 32 and octet_length(nir_hash) = 32),
    constraint activation_code_status check (status between 0 and 4),
    constraint activation_code_channel check (channel in (0, 1))
);

-- At most one valid code per person, whatever the campaign: an issuance chunk that would give someone a second
-- one fails as a whole (23505), and a rerun skips people holding a valid code. It is also the index activation,
-- eligibility (NOT EXISTS) and revocation use.
create unique index if not exists activation_code_valid_idx on activation_code (nir_hash) where status = 0;

-- Locked codes keep a person out of issuance until a re-issue; few rows, nothing added by COPY (status 0).
create index if not exists activation_code_locked_idx on activation_code (nir_hash) where status = 3;

-- A campaign's codes (status counts, the expiry sweep). A run appends its codes together, so a BRIN index (a few
-- pages, nothing to maintain for new pages until they are summarised) narrows those scans at no COPY cost.
create index if not exists activation_code_campaign_brin on activation_code using brin (campaign_id) with (pages_per_range = 32);
