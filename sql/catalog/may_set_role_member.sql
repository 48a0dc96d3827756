-- The right to SET ROLE $1 on PostgreSQL 13-15: membership (superusers always).
SELECT pg_catalog.pg_has_role(session_user, r.oid, 'MEMBER') FROM pg_catalog.pg_roles r WHERE r.rolname = $1
