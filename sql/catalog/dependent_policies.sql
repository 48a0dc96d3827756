-- Policies that depend on an object (pg_depend): $1 its catalog, $2 its
-- OID. The policies of a table, and every policy whose expressions name a
-- column, table, function, type or operator; for a schema, those of every
-- such object in it.
SELECT DISTINCT d.objid FROM pg_catalog.pg_depend d
 WHERE d.classid = 'pg_catalog.pg_policy'::pg_catalog.regclass
   AND ((d.refclassid = $1 AND d.refobjid = $2)
     OR ($1 = 'pg_catalog.pg_namespace'::pg_catalog.regclass AND (
            (d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
             AND d.refobjid IN (SELECT oid FROM pg_catalog.pg_class WHERE relnamespace = $2))
         OR (d.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass
             AND d.refobjid IN (SELECT oid FROM pg_catalog.pg_proc WHERE pronamespace = $2))
         OR (d.refclassid = 'pg_catalog.pg_type'::pg_catalog.regclass
             AND d.refobjid IN (SELECT oid FROM pg_catalog.pg_type WHERE typnamespace = $2))
         OR (d.refclassid = 'pg_catalog.pg_operator'::pg_catalog.regclass
             AND d.refobjid IN (SELECT oid FROM pg_catalog.pg_operator WHERE oprnamespace = $2)))))
