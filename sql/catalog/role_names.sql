-- Role OIDs ($1, int8[]: 0 is PUBLIC) as names; NULL for a role that is gone.
SELECT ARRAY(SELECT CASE WHEN o = 0 THEN 'public' ELSE r.rolname::text END
               FROM pg_catalog.unnest($1::pg_catalog.int8[]) AS o
               LEFT JOIN pg_catalog.pg_roles r ON r.oid = o::pg_catalog.oid)
