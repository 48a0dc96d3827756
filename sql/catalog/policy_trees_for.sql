-- The USING and WITH CHECK trees (pg_node_tree text) of the policies of
-- the tables in $1 (oid[]) that apply to role $2: PUBLIC's, and those of
-- the roles it has the rights of, with each policy's command (polcmd:
-- r, a, w, d or *) and whether it is permissive. isolation.rs looks in
-- them for the values a policy
-- compares the tenant setting itself with, and for the values the write
-- policies' checks compare the table's other columns with.
SELECT p.polrelid, p.polqual::pg_catalog.text, p.polwithcheck::pg_catalog.text,
       p.polcmd::pg_catalog.text, p.polpermissive
  FROM pg_catalog.pg_policy p
 WHERE p.polrelid = ANY ($1::oid[])
   AND (0 = ANY (p.polroles)
        OR EXISTS (SELECT FROM pg_catalog.unnest(p.polroles) AS r(r)
                    WHERE pg_catalog.pg_has_role($2::name, r.r, 'USAGE')))
 ORDER BY p.polrelid, p.oid
