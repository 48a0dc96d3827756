-- Access model: the triggers of tables and views in scope that run a
-- SECURITY DEFINER function. Columns: the relation's OID, the trigger's
-- name, its type bits (pg_trigger.tgtype: 4 INSERT, 8 DELETE, 16 UPDATE)
-- and the function's OID. PostgreSQL runs the function as its owner for
-- whoever may run the event on the relation, checking no EXECUTE
-- privilege. A disabled trigger (D) never fires, a replica trigger (R)
-- only where session_replication_role is replica, which only a superuser
-- sets; internal triggers (constraints) run PostgreSQL's own functions.
SELECT t.tgrelid::pg_catalog.int8, t.tgname::text, t.tgtype::pg_catalog.int4,
       t.tgfoid::pg_catalog.int8
  FROM pg_catalog.pg_trigger t
  JOIN pg_catalog.pg_proc p ON p.oid = t.tgfoid
  JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE p.prosecdef AND NOT t.tgisinternal AND t.tgenabled IN ('O', 'A')
   AND c.relkind IN ('r', 'p', 'v') AND {in_scope}
 ORDER BY 1, 2
