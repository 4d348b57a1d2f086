\set campaign '''bench'''
\set mba '''2008-12-03'''::date
set work_mem = '64MB';
