-- Access model, PostgreSQL 13-15: every membership (role, member) and
-- whether the member inherits the role's privileges (the member's own
-- INHERIT attribute) and may SET ROLE to it (always).
SELECT m.roleid::pg_catalog.int8, m.member::pg_catalog.int8, r.rolinherit, true
  FROM pg_catalog.pg_auth_members m
  JOIN pg_catalog.pg_roles r ON r.oid = m.member
