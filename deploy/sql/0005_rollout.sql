-- 0005_rollout
--
-- The national rollout: the population registry (imported in bulk by binary COPY), import checkpoints,
-- oppositions, campaigns, activation codes (only a keyed hash) and the postal print batches. Written for
-- Coffre.Adapters.Postgres's PostgresRolloutStore. No BEGIN/COMMIT: the migrator wraps the file.
--
-- Indexes are kept to what a query needs, because every index is paid for on each of the tens of millions of
-- COPYed rows. Identifier columns are COLLATE "C": they are compared byte by byte, which is faster and never
-- depends on the cluster's locale.

-- One row per person of the population file. nir_hash = HMAC-SHA256(NIR pepper, normalised NIR), the only form
-- a NIR takes here; vault_id is derived from it (RegistryVaultIds.For: "v-" + 20 Crockford symbols of
-- SHA-256("coffre-vault" ‖ nir_hash)), so the import writes no grain state and a vault grain reads its initial
-- state from this row on first use. vitale_hash is the same keyed hash of "VITALE:" + the card serial, and
-- representative_nir_hashes are the NIR hashes of a minor's legal representatives.
-- status: 0 registered, 1 opposed, 2 activated, 3 closed (opposition after activation). An opposition purges
-- every personal column (NULL) and keeps nir_hash, vault_id, departement (for per-segment counts) and status;
-- a later import never updates an opposed or closed row. departement is derived from the postal code
-- (PostalAddress.Departement); people without a postal address have none.
create table if not exists registry_person (
    nir_hash                  bytea       primary key,
    vault_id                  text        collate "C" not null unique,
    nir_masked                text        null,
    birth_date                date        null,
    family_name               text        null,
    given_names               text        null,
    sex                       smallint    null,
    email                     text        null,
    address_line1             text        null,
    address_line2             text        null,
    postal_code               text        null,
    city                      text        null,
    departement               text        collate "C" null,
    vitale_hash               bytea       null,
    representative_nir_hashes bytea[]     null,
    status                    smallint    not null default 0,
    import_id                 text        collate "C" null,
    updated_at                timestamptz not null,
    constraint registry_person_nir_hash_length check (octet_length(nir_hash) = 32),
    constraint registry_person_status check (status between 0 and 3)
);

-- Campaign segments. A plain one-column index: the many equal keys are deduplicated and every insert lands at
-- the end of its key's posting list, so it costs almost nothing during an import (unlike a (departement,
-- nir_hash) index, which would be a second randomly-written index of the registry's size).
create index if not exists registry_person_departement_idx on registry_person (departement);

-- One row per import run (a file). lines_done is the last data line (1 = first line after the header) whose
-- outcome is committed; it moves in the same transaction as each chunk of rows, so an interrupted import
-- resumes exactly after it. file_sha256 refuses a resume with a different file. mode: 0 upsert (rows visible as
-- each chunk commits), 1 initial load (into an empty registry: rows are COPYed into the index-less table
-- registry_load, the indexes are built by sorting when the import completes, and the loaded table replaces
-- registry_person in one short transaction; see README).
create table if not exists import_run (
    import_id     text        collate "C" primary key,
    file_name     text        not null,
    file_sha256   text        not null,
    mode          smallint    not null default 0,
    started_at    timestamptz not null,
    completed_at  timestamptz null,
    lines_done    bigint      not null default 0,
    rows_accepted bigint      not null default 0,
    rows_rejected bigint      not null default 0
);

-- The minimal record an opposition leaves (the registry row is purged). channel: 0 the person, 1 an operator.
-- recorded_by is an operator id or the person's vault id, never a name. receipt_id is what the person is given.
create table if not exists opposition (
    nir_hash    bytea       primary key,
    recorded_at timestamptz not null,
    channel     smallint    not null,
    recorded_by text        not null,
    receipt_id  text        collate "C" not null unique
);

-- A campaign over a segment: departements NULL = everyone. opposition_window_ends_at = created_at + the window
-- (6 weeks by default); code_validity is how long each issued code lives. next_batch_no hands out print batch
-- numbers (never reused, even by a crashed run). status: 0 created, 1 issuing, 2 issued, 3 closed.
create table if not exists campaign (
    campaign_id              text        collate "C" primary key,
    name                     text        not null,
    departements             text[]      collate "C" null,
    created_at               timestamptz not null,
    created_by               text        not null,
    opposition_window_ends_at timestamptz not null,
    code_validity            interval    not null,
    status                   smallint    not null default 0,
    next_batch_no            integer     not null default 1
);

-- Activation codes: only HMAC-SHA256(code key[key_id], canonical code), so a key can rotate while codes hashed
-- under an older key id stay verifiable. channel: 0 email, 1 post (batch_no = the print batch that carries the
-- letter). status: 0 valid, 1 used, 2 revoked (re-issue, opposition), 3 locked (too many failed attempts; a
-- re-issue is needed), 4 expired (swept when a later issuance run starts). closed_at is when it left status 0.
-- code_id is what activation holds between reading a code and updating it (attempts, use); its sequence is cached
-- and its primary key grows at the right edge only.
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

-- One row per committed print batch: the CSV at content_key (print/{campaign}/{batch_no:D6}.csv in the content
-- store) and its manifest next to it. A batch file is written before the transaction that inserts this row and
-- the codes it carries; a file without a row (a crashed chunk) is an orphan that no export lists.
create table if not exists print_batch (
    campaign_id text        collate "C" not null,
    batch_no    integer     not null,
    content_key text        not null,
    letters     integer     not null,
    sha256      text        not null,
    created_at  timestamptz not null,
    primary key (campaign_id, batch_no)
);
