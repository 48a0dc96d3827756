-- Access model: the rules that fire when a table or view in scope is
-- written. Columns: the relation's OID, the rule's name, its event
-- (pg_rewrite.ev_type: 2 UPDATE, 3 INSERT, 4 DELETE) and its actions (the
-- stored Query trees, read in Rust for what each one writes). PostgreSQL
-- runs an action with the relation owner's privileges and row security.
-- A disabled rule (D) never fires, a replica rule (R) only where
-- session_replication_role is replica, which only a superuser sets.
SELECT w.ev_class::pg_catalog.int8, w.rulename::text, w.ev_type::text, w.ev_action
  FROM pg_catalog.pg_rewrite w
  JOIN pg_catalog.pg_class c ON c.oid = w.ev_class
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'v') AND w.ev_type IN ('2', '3', '4')
   AND w.ev_enabled IN ('O', 'A') AND {in_scope}
 ORDER BY 1, 2
