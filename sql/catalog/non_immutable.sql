-- Which of the functions named ($1 schemas, $2 names, pairwise) are not
-- IMMUTABLE (any overload).
SELECT DISTINCT x.s, x.f
  FROM ROWS FROM (pg_catalog.unnest($1::text[]), pg_catalog.unnest($2::text[])) AS x(s, f)
  JOIN pg_catalog.pg_namespace n ON n.nspname = x.s
  JOIN pg_catalog.pg_proc p ON p.pronamespace = n.oid AND p.proname = x.f
 WHERE p.provolatile <> 'i'
