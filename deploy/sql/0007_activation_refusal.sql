-- Refused activations, counted per day and shard. Every refusal writes its row in the same statement that counts a
-- failed attempt on the person's code (when the person proved their secrets), so a refusal commits a write whether
-- or not the registry knows the NIR: known and unknown NIRs cost the same durable work (one WAL record, one commit
-- flush). A shard is the NIR hash's first byte modulo 64, which spreads the row locks of concurrent refusals.
-- At most 64 rows a day; an operator may delete old days.
create table if not exists activation_refusal (
    day      date     not null,
    shard    smallint not null,
    refusals bigint   not null,
    primary key (day, shard),
    constraint activation_refusal_shard check (shard between 0 and 63)
);
