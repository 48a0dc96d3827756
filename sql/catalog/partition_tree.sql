-- Table $1 (oid) and, when it is partitioned, every partition under it.
SELECT $1::oid
UNION
SELECT t.relid::oid FROM pg_catalog.pg_partition_tree($1::oid::pg_catalog.regclass) t
