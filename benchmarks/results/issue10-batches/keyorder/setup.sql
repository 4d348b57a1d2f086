create unlogged table src as
select i, decode(md5(i::text)||md5((i+7919)::text),'hex') nir_hash, decode(md5((i*3)::text)||md5((i+1)::text),'hex') code_hash
from generate_series(1,4000000) i;
create unlogged table src_sorted as select row_number() over (order by nir_hash) i, nir_hash, code_hash from src;
