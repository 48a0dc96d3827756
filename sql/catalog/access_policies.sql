-- Access model: every policy of a table in scope (extension-owned tables
-- included: their rows are reached like any other), as the matrix judges
-- them. Without the identity columns the snapshot reads keep.
SELECT n.nspname::text, c.relname::text, p.polname::text,
       {policy_trees},
       p.polrelid
  FROM pg_catalog.pg_policy p
  JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE {in_scope}
