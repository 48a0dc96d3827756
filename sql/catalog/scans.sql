-- For the tables in $1 (oid[]): the scans this transaction has made of
-- each so far, of the table and its indexes, and of a partitioned
-- table's partitions and theirs (pg_stat_get_xact_numscans: counted even
-- in a subtransaction that was rolled back). (pg_partition_tree() lists
-- nothing for a table that is neither partitioned nor a partition.)
SELECT c.oid,
       (SELECT coalesce(pg_catalog.sum(pg_catalog.pg_stat_get_xact_numscans(r.oid)), 0)::pg_catalog.int8
          FROM (SELECT c.oid AS relid UNION SELECT p.relid FROM pg_catalog.pg_partition_tree(c.oid) p) p
          JOIN pg_catalog.pg_class r
            ON r.oid = p.relid
            OR r.oid IN (SELECT i.indexrelid FROM pg_catalog.pg_index i WHERE i.indrelid = p.relid))
  FROM pg_catalog.pg_class c
 WHERE c.oid = ANY ($1::oid[])
 ORDER BY 1
