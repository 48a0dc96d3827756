-- The whole posture in ONE statement, so policies, tables and roles come
-- from the same MVCC snapshot even under READ COMMITTED. Expressions are
-- deparsed under the pinned search_path = pg_catalog (every rls_audit
-- function pins it), so every name comes out schema-qualified.
-- Columns: kind, then a policy (2-9), flags (10-12), identity (13-16).
WITH rel AS (
    SELECT c.oid, n.nspname::text AS nspname, c.relname::text AS relname,
           c.relowner, c.relrowsecurity, c.relforcerowsecurity
      FROM pg_catalog.pg_class c
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE {is_table} AND {in_scope}
)
SELECT 'p' AS kind, r.nspname, r.relname, p.polname::text,
       {policy_definition},
       NULL::bool, NULL::bool, NULL::bool,
       p.oid, p.polrelid, {policy_tree}, p.polroles::pg_catalog.int8[]
  FROM pg_catalog.pg_policy p JOIN rel r ON r.oid = p.polrelid
UNION ALL
SELECT 't', r.nspname, r.relname, pg_catalog.pg_get_userbyid(r.relowner)::text,
       NULL, NULL, NULL, NULL, NULL,
       r.relrowsecurity, r.relforcerowsecurity, NULL,
       r.oid, NULL, NULL, NULL
  FROM rel r
UNION ALL
SELECT 'r', a.rolname::text, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       a.rolsuper, a.rolbypassrls, a.rolcanlogin,
       a.oid, NULL, NULL, NULL
  FROM pg_catalog.pg_roles a
 WHERE a.rolname !~ '^pg_'
