-- 0012_directory_search
--
-- The directory's search projection (issue 11): one public entry per professional and per establishment, written by
-- their grains right after each change of their record (Coffre.Adapters.Postgres's PostgresDirectoryIndex), read by
-- directorySearch. Public fields only: no history, no membership role or admin flag, no suspension reason or author.
-- No BEGIN/COMMIT: the migrator wraps the file.

-- kind: 0 professional (RPPS, ADELI or Coffre identifier), 1 establishment (FINESS). name_key: display_name
-- normalized in C# (Coffre.Domain.Directory.DirectoryNames: accents removed, lower case, non-alphanumerics collapsed
-- to one space), the search's sort key with kind and identifier (keyset pagination). profession_code: professionals
-- only. town and departement: establishments only; a professional's come from their active memberships' establishments
-- when a search reads them, so renaming an establishment shows on every member without rewriting them.
create table if not exists directory_entry (
    kind            smallint    not null,
    identifier      text        collate "C" not null,
    display_name    text        not null,
    name_key        text        collate "C" not null,
    profession_code text        collate "C" null,
    sector          smallint    not null,
    suspended       boolean     not null default false,
    town            text        null,
    departement     text        collate "C" null,
    primary key (kind, identifier),
    constraint directory_entry_kind check (kind in (0, 1))
);

-- The search's order (and its keyset): every filter without a better index walks this one in order.
create index if not exists directory_entry_order on directory_entry (name_key, kind, identifier);
-- Profession (and sector) filters, walked in the search's order.
create index if not exists directory_entry_profession on directory_entry (profession_code, name_key, kind, identifier) where kind = 0;
create index if not exists directory_entry_sector on directory_entry (sector, name_key, kind, identifier);
-- Establishments by département (a professional's département goes through their memberships).
create index if not exists directory_entry_departement on directory_entry (departement, name_key, identifier) where kind = 1;

-- Name search: one row per distinct prefix of 2 to 4 characters of each word of an entry's name_key (C#
-- DirectoryNames.IndexedPrefixes), with the entry's sort key. A searched name is found under the prefix of its longest
-- word: one ordered range of the primary key, already in the search's order (keyset, no sort), the other words and
-- longer prefixes checked on the entry's name_key.
create table if not exists directory_prefix (
    prefix     text     collate "C" not null,
    name_key   text     collate "C" not null,
    kind       smallint not null,
    identifier text     collate "C" not null,
    primary key (prefix, name_key, kind, identifier)
);
create index if not exists directory_prefix_entry on directory_prefix (kind, identifier);

-- A professional's memberships (establishment, start inclusive, end exclusive; open when null): whether one is active
-- is decided when a search runs, at the search's time.
create table if not exists directory_membership (
    identifier text        collate "C" not null,
    finess     text        collate "C" not null,
    starts_at  timestamptz null,
    ends_at    timestamptz null,
    primary key (identifier, finess)
);
-- Members of an establishment, read without visiting the table (the establishment and département filters).
create index if not exists directory_membership_finess on directory_membership (finess) include (identifier, starts_at, ends_at);
