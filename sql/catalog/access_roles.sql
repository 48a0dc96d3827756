-- Access model: every role with the attributes that decide access,
-- PostgreSQL's own pg_* roles included (membership in pg_read_all_data or
-- pg_write_all_data carries privileges on every table).
SELECT r.oid::pg_catalog.int8, r.rolname::text, r.rolsuper, r.rolbypassrls, r.rolcanlogin
  FROM pg_catalog.pg_roles r
