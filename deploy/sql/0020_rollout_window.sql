-- 0020_rollout_window
--
-- The opposition window's effect (issue 13). window_closed_at: when `coffre campaign close-window` found this person
-- neither opposed nor activated at the end of the opposition window of a campaign that sent them a code; their vault
-- is then created (ACTIVE) without their activation, as the public anchor has it ("otherwise the profile is created
-- automatically 6 weeks after the letter is sent"). status stays 0 (registered): the person can still activate
-- (status 2) or oppose (status 1, which closes the vault). A nullable column without a default: adding it rewrites
-- nothing, and imports (COPY with an explicit column list) never write it.
alter table registry_person add column if not exists window_closed_at timestamptz null;
