-- For the event triggers, one statement per touched or dropped table: the
-- live table with OID $1 (side 'live'; none unless it is a table in scope)
-- and its tracked row (side 'tracked'): the one with this OID in this
-- database ($2: its ident), else the one with the live table's names, or,
-- when there is no live table, with the names $3.$4 (what sql_drop
-- reported; NULL: none). Both in the column order of a tracked_tables row;
-- column 8 says whether the live table has policies, column 9 is the side.
WITH live AS (
    SELECT c.oid, c.relnamespace, $2::text, n.nspname::text, c.relname::text,
           c.relrowsecurity, c.relforcerowsecurity,
           EXISTS (SELECT 1 FROM pg_catalog.pg_policy p WHERE p.polrelid = c.oid)
      FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE c.oid = $1 AND {is_table} AND {in_scope}
), names AS (
    SELECT l.nspname::name AS s, l.relname::name AS t FROM live l
    UNION ALL
    SELECT $3::name, $4::name WHERE $3 IS NOT NULL AND NOT EXISTS (SELECT FROM live)
), tracked AS (
    SELECT x.* FROM (
        (SELECT 0 AS pref, tt.* FROM rls_audit.tracked_tables tt
          WHERE tt.table_oid = $1 AND tt.db_ident = $2)
        UNION ALL
        (SELECT 1, tt.* FROM rls_audit.tracked_tables tt, names k
          WHERE (tt.schema_name, tt.table_name) = (k.s, k.t))
    ) x ORDER BY x.pref LIMIT 1
)
SELECT l.*, 'live' FROM live l
UNION ALL
SELECT t.table_oid, t.schema_oid, t.db_ident, t.schema_name::text, t.table_name::text,
       t.rls_enabled, t.rls_forced, NULL::boolean, 'tracked'
  FROM tracked t
