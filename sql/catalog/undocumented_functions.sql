-- Tests only: rls_audit's functions with no COMMENT for \df+ (the test
-- helpers named test_* excepted).
SELECT count(*) FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'rls_audit' AND p.proname NOT LIKE 'test\_%'
   AND pg_catalog.obj_description(p.oid, 'pg_proc') IS NULL
