-- The whole posture in ONE statement, so policies, tables and roles come
-- from the same MVCC snapshot even under READ COMMITTED. Expressions are
-- deparsed under the pinned search_path = pg_catalog (every rls_audit
-- function pins it), so every name comes out schema-qualified.
-- Columns: kind, then a policy (2-8), flags (9-11), identity (12-14);
-- the branches below the first spell their NULLs' types (each is a
-- subquery, whose columns are typed before the UNION sees them).
--
-- Rows come in canonical order (model::State: policies, then tables, then
-- roles, each by name in byte order, which COLLATE "C" and the name type's
-- own order are), so a snapshot can be written and fingerprinted as it is
-- read, never held whole. A policy's USING and WITH CHECK come as the
-- stored trees: the reader deparses and digests each from one detoasted
-- copy (catalog::live::deparse), which SQL could not share between
-- pg_get_expr() and a digest function; its roles come as OIDs, named by
-- the reader from the role cache as pg_get_userbyid() names them. Only the tables' names are
-- sorted: each table's policies are then read through pg_policy's
-- (polrelid, polname) index in a nested loop (LATERAL, kept a subquery by
-- OFFSET 0), which keeps that order, and are deparsed as they come. A
-- sort over the policies would hold every expression tree at once (over
-- 1.5 kB each) before the first row; this way a cursor fetching in
-- batches holds, and its reader deparses (so opens), one batch's worth.
WITH rel AS (
    SELECT c.oid, n.nspname::text AS nspname, c.relname::text AS relname,
           c.relowner, c.relrowsecurity, c.relforcerowsecurity
      FROM pg_catalog.pg_class c
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE {is_table} AND {in_scope}
)
SELECT * FROM (
SELECT 'p' AS kind, r.nspname, r.relname, p.polname::text,
       {policy_mode}, {policy_command}, p.polqual, p.polwithcheck,
       NULL::bool, NULL::bool, NULL::bool,
       p.oid, p.polrelid, p.polroles::pg_catalog.int8[]
  FROM (SELECT * FROM rel ORDER BY nspname COLLATE "C", relname COLLATE "C" OFFSET 0) r
 CROSS JOIN LATERAL (
        SELECT q.oid, q.polname, q.polrelid, q.polcmd, q.polpermissive, q.polroles,
               q.polqual, q.polwithcheck
          FROM pg_catalog.pg_policy q
         WHERE q.polrelid = r.oid
         ORDER BY q.polname
        OFFSET 0) p) AS policies
UNION ALL
SELECT * FROM (
SELECT 't', r.nspname, r.relname, pg_catalog.pg_get_userbyid(r.relowner)::text,
       NULL::text, NULL::text, NULL::pg_catalog.pg_node_tree, NULL::pg_catalog.pg_node_tree,
       r.relrowsecurity, r.relforcerowsecurity, NULL::bool,
       r.oid, NULL::oid, NULL::pg_catalog.int8[]
  FROM rel r
 ORDER BY r.nspname COLLATE "C", r.relname COLLATE "C") AS tables
UNION ALL
SELECT * FROM (
SELECT 'r', a.rolname::text, NULL::text, NULL::text,
       NULL::text, NULL::text, NULL::pg_catalog.pg_node_tree, NULL::pg_catalog.pg_node_tree,
       a.rolsuper, a.rolbypassrls, a.rolcanlogin,
       a.oid, NULL::oid, NULL::pg_catalog.int8[]
  FROM pg_catalog.pg_roles a
 WHERE a.rolname !~ '^pg_'
 ORDER BY a.rolname::text COLLATE "C") AS roles
