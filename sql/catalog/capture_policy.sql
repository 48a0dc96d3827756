-- For the event triggers, one statement per touched or dropped policy:
-- the live policy with OID $1 (side 'live'; none once it is gone or out
-- of scope) and its tracked row (side 'tracked'): the one with this OID
-- in this database ($2: its ident), else the one with the live policy's
-- names, or, when there is no live policy, with the names $3.$4.$5 (what
-- sql_drop reported; NULL: none). Both in the column order of a
-- tracked_policies row; column 14 is the side, column 15 the tracked
-- row's role OIDs as they are named now (NULL for a role that is gone),
-- for a row whose OIDs are this database's.
WITH live AS (
    SELECT p.oid, p.polrelid, $2::text, {policy_tree}, p.polroles::pg_catalog.int8[],
           n.nspname::text, c.relname::text, p.polname::text,
           {policy_definition}
      FROM pg_catalog.pg_policy p
      JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE p.oid = $1 AND {in_scope}
), names AS (
    SELECT l.nspname::name AS s, l.relname::name AS t, l.polname::name AS p FROM live l
    UNION ALL
    SELECT $3::name, $4::name, $5::name WHERE $3 IS NOT NULL AND NOT EXISTS (SELECT FROM live)
), tracked AS (
    SELECT x.* FROM (
        (SELECT 0 AS pref, tp.* FROM rls_audit.tracked_policies tp
          WHERE tp.policy_oid = $1 AND tp.db_ident = $2)
        UNION ALL
        (SELECT 1, tp.* FROM rls_audit.tracked_policies tp, names k
          WHERE (tp.schema_name, tp.table_name, tp.policy_name) = (k.s, k.t, k.p))
    ) x ORDER BY x.pref LIMIT 1
)
SELECT l.*, 'live', NULL::text[] FROM live l
UNION ALL
SELECT t.policy_oid, t.table_oid, t.db_ident, t.tree, t.role_oids::pg_catalog.int8[],
       t.schema_name::text, t.table_name::text, t.policy_name::text, t.permissive, t.command,
       t.roles::text[], t.using_expr, t.check_expr, 'tracked',
       CASE WHEN t.db_ident = $2 THEN
           ARRAY(SELECT CASE WHEN o OPERATOR(pg_catalog.=) 0 THEN 'public' ELSE r.rolname::text END
                   FROM pg_catalog.unnest(t.role_oids) AS o
                   LEFT JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) o)
       END
  FROM tracked t
