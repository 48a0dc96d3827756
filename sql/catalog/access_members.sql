-- Access model, PostgreSQL 16 on: every membership grant (role, member)
-- with its INHERIT and SET options.
SELECT m.roleid::pg_catalog.int8, m.member::pg_catalog.int8, m.inherit_option, m.set_option
  FROM pg_catalog.pg_auth_members m
