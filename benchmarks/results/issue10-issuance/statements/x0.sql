\i common.sql
select count(p.email) from registry_person p where p.birth_date > :mba;
