-- 0024_person_number
--
-- A person number that follows the registry's physical order, and the guard on valid codes keyed by it (issue 10).
--
-- registry_person.person_no: given by the sequence when a row is first written (an import's COPY, an upsert's insert,
-- an opposition of someone not yet imported) and never changed; an initial load keeps the numbers of the people the
-- registry already had. An import appends its rows in file order, so numbers ascend with the heap, and issuance, which
-- scans the registry, meets its people in about that order. The sequence belongs to no table: the initial load's table
-- takes the same default and replaces registry_person (dropping an owning table would drop its sequence).
--
-- activation_code.person_no: the code's person. The unique index on valid codes (at most one per person) and the one on
-- locked codes move from the NIR hash to it: issuance's COPY then enters each chunk's codes near the index's right
-- edge, as one ascending run, instead of descending to a random leaf per code (an 8-byte key instead of 32, too).
-- The NIR hash stays on each code (statements that go from a code to its registry row use it); it has no index.
create sequence if not exists registry_person_no_seq as bigint cache 1000;

-- Existing rows are numbered in their physical order (the rewrite reads the table in order).
alter table registry_person add column if not exists person_no bigint not null default nextval('registry_person_no_seq');

alter table activation_code add column if not exists person_no bigint null;
update activation_code c set person_no = p.person_no from registry_person p where p.nir_hash = c.nir_hash and c.person_no is null;
alter table activation_code alter column person_no set not null;

drop index if exists activation_code_valid_idx;
create unique index activation_code_valid_idx on activation_code (person_no) where status = 0;
drop index if exists activation_code_locked_idx;
create index activation_code_locked_idx on activation_code (person_no) where status = 3;
