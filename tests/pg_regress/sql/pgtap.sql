-- assert_no_drift() inside a pgTAP suite, as a release checklist runs it.
SET client_min_messages = warning;
CREATE EXTENSION pgtap;
CREATE EXTENSION rls_audit;
CREATE TABLE public.orders (id int, tenant_id int);
ALTER TABLE public.orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON public.orders
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
SELECT rls_audit.snapshot('release') AS id;
RESET client_min_messages;

SELECT plan(4);
SELECT lives_ok($$SELECT rls_audit.assert_no_drift('release')$$, 'no drift right after the snapshot');
ALTER TABLE public.orders DISABLE ROW LEVEL SECURITY;
SELECT throws_ok($$SELECT rls_audit.assert_no_drift('release', 'critical')$$, 'P0001', NULL,
                 'RLS disabled on a table with policies is critical drift');
SELECT throws_ok($$SELECT rls_audit.assert_no_drift('release', 'bogus')$$, '22023', NULL,
                 'a bad severity word is rejected');
SELECT is((SELECT count(*)::int FROM rls_audit.drift('release') WHERE severity = 'critical'), 1,
          'exactly one critical row');
SELECT * FROM finish();

SET client_min_messages = warning;
DROP TABLE public.orders;
DROP EXTENSION rls_audit;
DROP SCHEMA rls_audit;
DROP EXTENSION pgtap;
