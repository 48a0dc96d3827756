-- Lint: views that skip a table's row-level security. A view runs with its
-- owner's rights unless security_invoker; it bypasses the policies of a
-- table it reads when that owner is superuser, BYPASSRLS, or owns the table
-- without FORCE. One row per (view, table), with the reason.
SELECT DISTINCT n.nspname::text, v.relname::text, o.rolname::text,
       tn.nspname::text, t.relname::text,
       CASE WHEN o.rolsuper THEN 'is a superuser'
            WHEN o.rolbypassrls THEN 'has BYPASSRLS'
            ELSE 'owns it and RLS is not forced' END
  FROM pg_catalog.pg_class v
  JOIN pg_catalog.pg_namespace n ON n.oid = v.relnamespace
  JOIN pg_catalog.pg_roles o ON o.oid = v.relowner
  JOIN pg_catalog.pg_rewrite w ON w.ev_class = v.oid
  JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass
                             AND d.objid = w.oid AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
  JOIN pg_catalog.pg_class t ON t.oid = d.refobjid AND t.oid <> v.oid AND t.relrowsecurity
  JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
 WHERE v.relkind = 'v' AND {in_scope}
   AND NOT coalesce(v.reloptions::text[] && ARRAY['security_invoker=true', 'security_invoker=on',
                                                   'security_invoker=1', 'security_invoker=yes'], false)
   AND (o.rolsuper OR o.rolbypassrls OR (t.relowner = v.relowner AND NOT t.relforcerowsecurity))
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e
                    WHERE e.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                      AND e.objid = v.oid AND e.deptype = 'e')
 ORDER BY 1, 2, 4, 5
