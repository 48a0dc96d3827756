-- rls_audit finalize: what \df+ rls_audit.* shows, and who may call what.

COMMENT ON FUNCTION rls_audit.snapshot(text, text, boolean) IS
    'rls_audit: capture every policy, table RLS flag and role attribute in one consistent read; returns the snapshot id. The first snapshot becomes the baseline.';
COMMENT ON FUNCTION rls_audit.set_baseline(text) IS
    'rls_audit: make the referenced snapshot (label, ''baseline'', ''latest'' or id) the baseline; returns its id';
COMMENT ON FUNCTION rls_audit.forget(text) IS
    'rls_audit: delete a snapshot; the baseline cannot be forgotten (set another first)';
COMMENT ON FUNCTION rls_audit.policy_ddl(regclass, name) IS
    'rls_audit: the exact CREATE POLICY statement for a live policy, schema-qualified so it means the same under any search_path';

-- Writers run with the extension owner's rights; only roles the DBA grants
-- EXECUTE to may call them.
REVOKE ALL ON FUNCTION rls_audit.snapshot(text, text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION rls_audit.set_baseline(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION rls_audit.forget(text) FROM PUBLIC;
