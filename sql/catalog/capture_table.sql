-- For the event triggers, one statement per touched table: the live table
-- with OID $1 (side 'live'; none unless it is a table in scope) and its
-- tracked row (side 'tracked'): the one with this OID in this database
-- ($2: its ident), else the one with the live table's names. Both in the
-- column order of a tracked_tables row; column 8 says whether the live
-- table has policies, column 9 is the side.
WITH live AS (
    SELECT c.oid, c.relnamespace, $2::text, n.nspname::text, c.relname::text,
           c.relrowsecurity, c.relforcerowsecurity,
           EXISTS (SELECT 1 FROM pg_catalog.pg_policy p WHERE p.polrelid = c.oid)
      FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE c.oid = $1 AND {is_table} AND {in_scope}
), tracked AS (
    SELECT x.* FROM (
        (SELECT 0 AS pref, tt.* FROM rls_audit.tracked_tables tt
          WHERE tt.table_oid = $1 AND tt.db_ident = $2)
        UNION ALL
        (SELECT 1, tt.* FROM rls_audit.tracked_tables tt, live l
          WHERE (tt.schema_name, tt.table_name) = (l.nspname::name, l.relname::name))
    ) x ORDER BY x.pref LIMIT 1
)
SELECT l.*, 'live' FROM live l
UNION ALL
SELECT t.table_oid, t.schema_oid, t.db_ident, t.schema_name::text, t.table_name::text,
       t.rls_enabled, t.rls_forced, NULL::boolean, 'tracked'
  FROM tracked t
