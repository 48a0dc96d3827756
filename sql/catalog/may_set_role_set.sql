-- The right to SET ROLE $1 from PostgreSQL 16 on: the SET option of a
-- membership (superusers always).
SELECT pg_catalog.pg_has_role(session_user, r.oid, 'SET') FROM pg_catalog.pg_roles r WHERE r.rolname = $1
