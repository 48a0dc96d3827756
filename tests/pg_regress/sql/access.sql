-- The access model: access_matrix() checked against what PostgreSQL really
-- does when each role runs the statement (the oracle), one fixture per
-- path; then random roles, memberships, grants and policies compared cell
-- by cell; access drift; lint round 2.
SET client_min_messages = warning;
CREATE EXTENSION rls_audit;

-- The oracle: run a statement as a role in a subtransaction that is always
-- rolled back, and say what it touched. A SELECT counts rows; UPDATE and
-- DELETE count affected rows (no WHERE: the widest statement); INSERT tries
-- rows 1..12 one by one. 0 = no_rows, all = all_rows, else filtered; a
-- permission error = denied (an RLS WITH CHECK error is a refused row).
CREATE FUNCTION pg_temp.seen(r name, cmd text, rel text, via text DEFAULT NULL) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    n bigint := 0;
    total bigint;
    denied boolean := false;
BEGIN
    EXECUTE format('SELECT count(*) FROM %s', rel) INTO total;
    IF cmd = 'INSERT' THEN
        total := 12;
    END IF;
    BEGIN
        EXECUTE format('SET LOCAL ROLE %I', r);
        IF via IS NOT NULL THEN
            EXECUTE format('SET LOCAL ROLE %I', via);
        END IF;
        IF cmd = 'SELECT' THEN
            EXECUTE format('SELECT count(*) FROM %s', rel) INTO n;
        ELSIF cmd = 'UPDATE' THEN
            EXECUTE format('UPDATE %s SET note = ''x''', rel);
            GET DIAGNOSTICS n = ROW_COUNT;
        ELSIF cmd = 'DELETE' THEN
            EXECUTE format('DELETE FROM %s', rel);
            GET DIAGNOSTICS n = ROW_COUNT;
        ELSE
            FOR i IN 1..12 LOOP
                BEGIN
                    EXECUTE format('INSERT INTO %s (id, tenant_id, note) VALUES ($1, $1 %% 3 + 1, ''x'')', rel) USING i;
                    n := n + 1;
                EXCEPTION WHEN insufficient_privilege THEN
                    IF SQLERRM NOT LIKE '%row-level security%' THEN
                        denied := true;
                    END IF;
                END;
            END LOOP;
        END IF;
        RAISE EXCEPTION 'roll back';
    EXCEPTION
        WHEN insufficient_privilege THEN denied := true;
        WHEN raise_exception THEN NULL;
    END;
    RETURN CASE WHEN denied THEN 'denied' WHEN n = 0 THEN 'no_rows'
                WHEN n = total THEN 'all_rows' ELSE 'filtered' END;
END $$;

-- One fixture per path. acc_owner owns everything (NOLOGIN, RLS not
-- forced); the policy lets tenant 1's rows through.
CREATE ROLE acc_owner NOLOGIN;
CREATE ROLE acc_readers NOLOGIN;
CREATE ROLE acc_admin NOLOGIN BYPASSRLS;
CREATE ROLE acc_grant LOGIN;             -- a grant
CREATE ROLE acc_via LOGIN;               -- a grant via acc_readers
CREATE ROLE acc_self_owner LOGIN;        -- owns acc.notes
CREATE ROLE acc_heir LOGIN;              -- inherits acc_owner
CREATE ROLE acc_bypass LOGIN BYPASSRLS;  -- BYPASSRLS itself
CREATE ROLE acc_setter LOGIN NOINHERIT;  -- may SET ROLE acc_admin
CREATE ROLE acc_viewer LOGIN;            -- a definer view
CREATE ROLE acc_invoker LOGIN;           -- a security_invoker view
CREATE ROLE acc_mv LOGIN;                -- a materialized view
CREATE ROLE acc_part LOGIN;              -- a partition reached directly
CREATE ROLE acc_fn LOGIN;                -- a SECURITY DEFINER function
CREATE ROLE acc_cols LOGIN;              -- privileges on some columns only
CREATE ROLE acc_rule LOGIN;              -- a rule that writes as its table's owner
CREATE ROLE acc_entry LOGIN;             -- a view's INSTEAD rule, the same way
CREATE ROLE acc_writer LOGIN;            -- SECURITY DEFINER functions that write
CREATE ROLE acc_firer LOGIN;             -- a trigger that runs one
CREATE ROLE acc_caller LOGIN;            -- a SECURITY DEFINER procedure that writes
CREATE ROLE acc_truncator LOGIN;         -- TRUNCATE only
GRANT acc_readers TO acc_via;
GRANT acc_owner TO acc_heir;
GRANT acc_admin TO acc_setter;
CREATE SCHEMA acc AUTHORIZATION acc_owner;
GRANT USAGE ON SCHEMA acc TO PUBLIC;
SET ROLE acc_owner;
CREATE TABLE acc.orders (id int, tenant_id int, note text);
INSERT INTO acc.orders SELECT g, g % 3 + 1, 'n' FROM generate_series(1, 9) g;
ALTER TABLE acc.orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON acc.orders USING (tenant_id = 1);
GRANT SELECT, INSERT, UPDATE, DELETE ON acc.orders TO acc_grant, acc_readers, acc_bypass, acc_invoker;
GRANT SELECT ON acc.orders TO acc_admin;
GRANT SELECT (id, note), UPDATE (note) ON acc.orders TO acc_cols;
GRANT TRUNCATE ON acc.orders TO acc_truncator;
CREATE TABLE acc.intake (id int, tenant_id int, note text);
CREATE RULE to_orders AS ON INSERT TO acc.intake
    DO ALSO INSERT INTO acc.orders VALUES (NEW.id, NEW.tenant_id, NEW.note);
GRANT INSERT ON acc.intake TO acc_rule;
-- the same through an INSTEAD rule on a view that is not updatable itself
CREATE VIEW acc.order_entry AS SELECT 0 AS id, 0 AS tenant_id, ''::text AS note;
CREATE RULE entry AS ON INSERT TO acc.order_entry
    DO INSTEAD INSERT INTO acc.orders VALUES (NEW.id, NEW.tenant_id, NEW.note);
GRANT INSERT ON acc.order_entry TO acc_entry;
-- SECURITY DEFINER functions write as their owner: one with a string body
-- (PostgreSQL records nothing), one with a BEGIN ATOMIC body, and a
-- trigger function, run for whoever inserts into acc.tickets
CREATE FUNCTION acc.put_order(i int) RETURNS void LANGUAGE plpgsql
    SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$ BEGIN INSERT INTO acc.orders VALUES (i, i % 3 + 1, 'f'); END $$;
CREATE FUNCTION acc.purge_orders() RETURNS void LANGUAGE sql
    SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    DELETE FROM acc.orders;
END;
REVOKE EXECUTE ON FUNCTION acc.put_order(int), acc.purge_orders() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION acc.put_order(int), acc.purge_orders() TO acc_writer;
CREATE PROCEDURE acc.add_order(i int) LANGUAGE plpgsql
    SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$ BEGIN INSERT INTO acc.orders VALUES (i, i % 3 + 1, 'p'); END $$;
REVOKE EXECUTE ON PROCEDURE acc.add_order(int) FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE acc.add_order(int) TO acc_caller;
CREATE TABLE acc.tickets (id int, tenant_id int, note text);
CREATE FUNCTION acc.touch_orders() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$ BEGIN UPDATE acc.orders SET note = 't'; RETURN NULL; END $$;
CREATE TRIGGER touch AFTER INSERT ON acc.tickets FOR EACH STATEMENT EXECUTE FUNCTION acc.touch_orders();
GRANT INSERT ON acc.tickets TO acc_firer;
CREATE VIEW acc.orders_definer AS SELECT * FROM acc.orders;
CREATE VIEW acc.orders_invoker WITH (security_invoker) AS SELECT * FROM acc.orders;
CREATE MATERIALIZED VIEW acc.orders_mv AS SELECT * FROM acc.orders;
GRANT SELECT ON acc.orders_definer TO acc_viewer;
GRANT SELECT ON acc.orders_invoker TO acc_invoker;
GRANT SELECT ON acc.orders_mv TO acc_mv;
CREATE FUNCTION acc.all_orders() RETURNS SETOF acc.orders LANGUAGE sql STABLE
    SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT * FROM acc.orders;
END;
REVOKE EXECUTE ON FUNCTION acc.all_orders() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION acc.all_orders() TO acc_fn;
CREATE TABLE acc.events (id int, tenant_id int, note text) PARTITION BY LIST (tenant_id);
CREATE TABLE acc.events_1 PARTITION OF acc.events FOR VALUES IN (1);
CREATE TABLE acc.events_23 PARTITION OF acc.events FOR VALUES IN (2, 3);
INSERT INTO acc.events SELECT g, g % 3 + 1, 'n' FROM generate_series(1, 9) g;
ALTER TABLE acc.events ENABLE ROW LEVEL SECURITY;
ALTER TABLE acc.events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON acc.events USING (tenant_id = 1);
GRANT SELECT ON acc.events, acc.events_23 TO acc_part;
RESET ROLE;
CREATE TABLE acc.notes (id int, tenant_id int, note text);
INSERT INTO acc.notes SELECT g, g % 3 + 1, 'n' FROM generate_series(1, 9) g;
ALTER TABLE acc.notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON acc.notes USING (tenant_id = 1);
ALTER TABLE acc.notes OWNER TO acc_self_owner;
RESET client_min_messages;

CREATE TEMP TABLE matrix AS
SELECT * FROM rls_audit.access_matrix(NULL, ARRAY['acc']) WHERE role_name LIKE 'acc\_%';
-- every path: the matrix's access and via, and what the statement really
-- did through that path (the relation queried, as the role or, for SET
-- ROLE, as the role it switched to)
SELECT f.role, f.tbl, f.cmd, m.access, m.via, o.observed, m.access = o.observed AS agrees
  FROM (VALUES
        ('acc_grant',      'orders',    'SELECT', 'acc.orders',          NULL),
        ('acc_grant',      'orders',    'INSERT', 'acc.orders',          NULL),
        ('acc_grant',      'orders',    'UPDATE', 'acc.orders',          NULL),
        ('acc_grant',      'orders',    'DELETE', 'acc.orders',          NULL),
        ('acc_via',        'orders',    'SELECT', 'acc.orders',          NULL),
        ('acc_self_owner', 'notes',     'SELECT', 'acc.notes',           NULL),
        ('acc_heir',       'orders',    'DELETE', 'acc.orders',          NULL),
        ('acc_bypass',     'orders',    'SELECT', 'acc.orders',          NULL),
        ('acc_setter',     'orders',    'SELECT', 'acc.orders',          'acc_admin'),
        ('acc_setter',     'orders',    'DELETE', 'acc.orders',          'acc_admin'),
        ('acc_viewer',     'orders',    'SELECT', 'acc.orders_definer',  NULL),
        ('acc_invoker',    'orders',    'SELECT', 'acc.orders_invoker',  NULL),
        ('acc_mv',         'orders',    'SELECT', 'acc.orders_mv',       NULL),
        ('acc_part',       'events',    'SELECT', 'acc.events_23',       NULL),
        ('acc_part',       'events_23', 'SELECT', 'acc.events_23',       NULL),
        ('acc_part',       'events_1',  'SELECT', 'acc.events_1',        NULL),
        ('acc_fn',         'orders',    'SELECT', 'acc.all_orders()',    NULL),
        ('acc_cols',       'orders',    'SELECT', 'acc.orders',          NULL),
        ('acc_cols',       'orders',    'INSERT', 'acc.orders',          NULL),
        ('acc_cols',       'orders',    'UPDATE', 'acc.orders',          NULL),
        ('acc_cols',       'orders',    'DELETE', 'acc.orders',          NULL),
        ('acc_rule',       'orders',    'SELECT', 'acc.orders',          NULL),
        ('acc_rule',       'orders',    'UPDATE', 'acc.orders',          NULL),
        ('acc_rule',       'orders',    'DELETE', 'acc.orders',          NULL),
        ('acc_firer',      'orders',    'SELECT', 'acc.orders',          NULL),
        ('acc_firer',      'orders',    'INSERT', 'acc.orders',          NULL)
       ) AS f(role, tbl, cmd, rel, via)
  JOIN matrix m ON m.role_name = f.role AND m.table_name = f.tbl AND m.command = f.cmd
 CROSS JOIN LATERAL (SELECT pg_temp.seen(f.role, f.cmd, f.rel, f.via) AS observed) o
 ORDER BY 1, 2, 3;
-- a rule's action runs as its table's owner: acc_rule may only INSERT
-- into acc.intake, and its rows land in acc.orders as acc_owner would
-- write them (the owner, RLS not forced); acc_entry the same through a
-- view's INSTEAD rule. The oracle: insert 12 rows into the rule's relation
-- as the role, count those that reached acc.orders.
CREATE FUNCTION pg_temp.through_rule(r name, via text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    before bigint;
    after bigint;
BEGIN
    SELECT count(*) INTO before FROM acc.orders;
    BEGIN
        EXECUTE format('SET LOCAL ROLE %I', r);
        FOR i IN 1..12 LOOP
            BEGIN
                EXECUTE format('INSERT INTO %s VALUES ($1, $2, ''r'')', via) USING 100 + i, i % 3 + 1;
            EXCEPTION WHEN insufficient_privilege THEN
                NULL;
            END;
        END LOOP;
        RESET ROLE;
        SELECT count(*) INTO after FROM acc.orders;
        RAISE EXCEPTION 'roll back';
    EXCEPTION WHEN raise_exception THEN
        NULL;
    END;
    RETURN CASE after - before WHEN 12 THEN 'all_rows' WHEN 0 THEN 'no_rows' ELSE 'filtered' END;
END $$;
SELECT m.role_name, m.table_name, m.command, m.access, m.via, m.detail, o.observed,
       m.access = o.observed AS agrees
  FROM (VALUES ('acc_rule', 'acc.intake'), ('acc_entry', 'acc.order_entry')) AS f(role, via)
  JOIN matrix m ON m.role_name = f.role AND m.table_name = 'orders' AND m.command = 'INSERT'
 CROSS JOIN LATERAL (SELECT pg_temp.through_rule(f.role, f.via) AS observed) o
 ORDER BY 1;
-- a SECURITY DEFINER function writes as its owner, for whoever may
-- execute it (acc_writer: put_order inserts, purge_orders deletes) or
-- fire a trigger that runs it (acc_firer inserts into acc.tickets, whose
-- trigger updates acc.orders); each is done as the role and the rows of
-- acc.orders it inserted, deleted or updated are counted.
-- The oracle for these paths: count `total` (how many rows the widest
-- statement could touch), run `action` as the role in a subtransaction
-- that is always rolled back, then (as the caller, before the rollback)
-- `touched`, which counts the rows the action inserted, deleted or
-- updated (`%s` in it stands for the total). A permission error is
-- denied; else all of them, none or some.
CREATE FUNCTION pg_temp.through(r name, action text, touched text, total_sql text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    total bigint;
    n bigint;
BEGIN
    EXECUTE total_sql INTO total;
    BEGIN
        EXECUTE format('SET LOCAL ROLE %I', r);
        EXECUTE action;
        RESET ROLE;
        EXECUTE format(touched, total) INTO n;
        RAISE EXCEPTION 'roll back';
    EXCEPTION
        WHEN insufficient_privilege THEN RETURN 'denied';
        WHEN raise_exception THEN NULL;
    END;
    RETURN CASE n WHEN total THEN 'all_rows' WHEN 0 THEN 'no_rows' ELSE 'filtered' END;
END $$;
SELECT m.role_name, m.table_name, m.command, m.access, m.via, m.detail, o.observed,
       m.access = o.observed AS agrees
  FROM (VALUES ('acc_writer', 'INSERT', 'SELECT acc.put_order(100 + g) FROM generate_series(1, 12) g',
                'SELECT count(*) FROM acc.orders WHERE note = ''f''', 'SELECT 12'),
               ('acc_caller', 'INSERT', 'DO $d$ BEGIN FOR i IN 1..12 LOOP CALL acc.add_order(100 + i); END LOOP; END $d$',
                'SELECT count(*) FROM acc.orders WHERE note = ''p''', 'SELECT 12'),
               ('acc_writer', 'DELETE', 'SELECT acc.purge_orders()',
                'SELECT %s - count(*) FROM acc.orders', 'SELECT count(*) FROM acc.orders'),
               ('acc_firer', 'DELETE', 'SELECT acc.purge_orders()',
                'SELECT %s - count(*) FROM acc.orders', 'SELECT count(*) FROM acc.orders'),
               ('acc_firer', 'UPDATE', 'INSERT INTO acc.tickets VALUES (1, 1, ''x'')',
                'SELECT count(*) FROM acc.orders WHERE note = ''t''', 'SELECT count(*) FROM acc.orders'),
               ('acc_writer', 'UPDATE', 'INSERT INTO acc.tickets VALUES (1, 1, ''x'')',
                'SELECT count(*) FROM acc.orders WHERE note = ''t''', 'SELECT count(*) FROM acc.orders')
       ) AS f(role, cmd, action, touched, total_sql)
  JOIN matrix m ON m.role_name = f.role AND m.table_name = 'orders' AND m.command = f.cmd
 CROSS JOIN LATERAL (SELECT pg_temp.through(f.role, f.action, f.touched, f.total_sql) AS observed) o
 ORDER BY 1, 3;
-- a foreign key's action runs as the referencing table's owner, without
-- row-level security (even forced): acc_deleter may delete tenant 1's
-- accounts, and so deletes (ON DELETE CASCADE) or updates (ON DELETE SET
-- NULL) the rows referencing them in tables it may not touch, whose
-- policies let nobody through; acc_purger deletes every account through a
-- SECURITY DEFINER function, and so every referencing row. The oracle
-- (pg_temp.through): delete as the role, count the referencing rows
-- deleted or set to NULL.
SET client_min_messages = warning;
CREATE ROLE acc_fk_owner NOLOGIN;
CREATE ROLE acc_deleter LOGIN;
CREATE ROLE acc_purger LOGIN;
CREATE SCHEMA acc_fk AUTHORIZATION acc_fk_owner;
GRANT USAGE ON SCHEMA acc_fk TO PUBLIC;
SET ROLE acc_fk_owner;
CREATE TABLE acc_fk.accounts (id int PRIMARY KEY, tenant_id int, note text);
CREATE TABLE acc_fk.account_notes (id int, tenant_id int, note text,
    account_id int REFERENCES acc_fk.accounts ON DELETE CASCADE);
CREATE TABLE acc_fk.account_tags (id int, tenant_id int, note text,
    account_id int REFERENCES acc_fk.accounts ON DELETE SET NULL);
INSERT INTO acc_fk.accounts SELECT g, g % 3 + 1, 'n' FROM generate_series(1, 9) g;
INSERT INTO acc_fk.account_notes SELECT g, g % 3 + 1, 'n', g FROM generate_series(1, 9) g;
INSERT INTO acc_fk.account_tags SELECT g, g % 3 + 1, 'n', g FROM generate_series(1, 9) g;
ALTER TABLE acc_fk.accounts ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON acc_fk.accounts USING (tenant_id = 1);
GRANT DELETE ON acc_fk.accounts TO acc_deleter;
ALTER TABLE acc_fk.account_notes ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE acc_fk.account_tags ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY nobody ON acc_fk.account_notes USING (false);
CREATE POLICY nobody ON acc_fk.account_tags USING (false);
CREATE FUNCTION acc_fk.purge_accounts() RETURNS void LANGUAGE sql
    SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    DELETE FROM acc_fk.accounts;
END;
REVOKE EXECUTE ON FUNCTION acc_fk.purge_accounts() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION acc_fk.purge_accounts() TO acc_purger;
RESET ROLE;
RESET client_min_messages;
SELECT m.role_name, m.table_name, m.command, m.access, m.via, m.detail, o.observed,
       m.access = o.observed AS agrees
  FROM (VALUES ('acc_deleter', 'account_notes', 'DELETE', 'DELETE FROM acc_fk.accounts'),
               ('acc_deleter', 'account_tags', 'UPDATE', 'DELETE FROM acc_fk.accounts'),
               ('acc_purger', 'account_notes', 'DELETE', 'SELECT acc_fk.purge_accounts()')
       ) AS f(role, tbl, cmd, action)
  JOIN rls_audit.access_matrix(ARRAY['acc_deleter', 'acc_purger'], ARRAY['acc_fk']) m
    ON m.role_name = f.role AND m.table_name = f.tbl AND m.command = f.cmd
 CROSS JOIN LATERAL (SELECT pg_temp.through(f.role, f.action,
        format('SELECT count(*) FILTER (WHERE account_id IS NULL) + %%s - count(*) FROM acc_fk.%I', f.tbl),
        format('SELECT count(*) FROM acc_fk.%I', f.tbl)) AS observed) o
 ORDER BY 1, 2;
-- and nothing else: no read, the other action is no path
SELECT table_name, command, access FROM rls_audit.access_matrix(ARRAY['acc_deleter'], ARRAY['acc_fk'])
 WHERE table_name <> 'accounts' AND access <> 'denied';
SELECT pg_temp.seen('acc_deleter', 'SELECT', 'acc_fk.account_notes') AS notes_select,
       pg_temp.seen('acc_deleter', 'DELETE', 'acc_fk.account_tags') AS tags_delete;
-- TRUNCATE removes every row, and row security does not apply to it:
-- acc_truncator holds TRUNCATE only. The oracle (pg_temp.through):
-- truncate as the role, count what is gone.
SELECT m.role_name, m.command, m.access, m.via, m.detail, o.observed, m.access = o.observed AS agrees
  FROM matrix m
 CROSS JOIN LATERAL (SELECT pg_temp.through(m.role_name, 'TRUNCATE acc.orders',
                                            'SELECT %s - count(*) FROM acc.orders',
                                            'SELECT count(*) FROM acc.orders') AS observed) o
 WHERE m.role_name = 'acc_truncator' AND m.table_name = 'orders' AND m.command = 'DELETE';
SELECT command, access FROM matrix
 WHERE role_name = 'acc_truncator' AND table_name = 'orders' AND command <> 'DELETE' ORDER BY 1;
-- the lints' remediations for procedures are statements PostgreSQL runs
-- (ALTER FUNCTION refuses a procedure)
BEGIN;
CREATE PROCEDURE acc.loose() LANGUAGE sql SECURITY DEFINER AS $$ SELECT 1 $$;
SELECT remediation FROM rls_audit.lint()
 WHERE (lint, object_name) IN (('security_definer_exposes_rls', 'add_order(integer)'),
                               ('security_definer_search_path', 'loose()')) \gexec
SELECT proname, prosecdef, proconfig FROM pg_catalog.pg_proc
 WHERE proname IN ('add_order', 'loose') ORDER BY 1;
ROLLBACK;
-- the paths PostgreSQL does not take: the invoker view checks as its
-- caller, SET ROLE gives only what that role holds (acc_admin: SELECT),
-- NOINHERIT keeps grants
SELECT role_name, table_name, command, access, via, detail FROM matrix
 WHERE role_name IN ('acc_cols', 'acc_invoker', 'acc_setter', 'acc_viewer') AND table_name = 'orders'
   AND command IN ('SELECT', 'UPDATE')
 ORDER BY 1, 2, 3;
SELECT role_name, access, via, detail FROM matrix
 WHERE (role_name, table_name, command) IN (('acc_mv', 'orders', 'SELECT'), ('acc_fn', 'orders', 'SELECT'),
                                             ('acc_part', 'events', 'SELECT'), ('acc_heir', 'orders', 'DELETE'))
 ORDER BY 1;
-- SET ROLE to a role that does not bypass: a session of the role may run
-- any statement as it. acc_switcher (NOINHERIT) may become acc_support,
-- whose own policy opens every row; acc_clerk inherits acc_staff but a
-- restrictive policy holds back acc_clerk alone, which acc_staff escapes;
-- acc_member inherits acc_staff and nothing holds it back (nothing
-- wider). Each cell beside what the statement really did as the role and
-- after SET ROLE (the widest of the two).
BEGIN;
SET client_min_messages = warning;
CREATE ROLE acc_support NOLOGIN;
CREATE ROLE acc_staff NOLOGIN;
CREATE ROLE acc_switcher LOGIN NOINHERIT IN ROLE acc_support;
CREATE ROLE acc_clerk LOGIN IN ROLE acc_staff;
CREATE ROLE acc_member LOGIN IN ROLE acc_staff;
CREATE SCHEMA acc_set AUTHORIZATION acc_owner;
GRANT USAGE ON SCHEMA acc_set TO PUBLIC;
SET ROLE acc_owner;
CREATE TABLE acc_set.tasks (id int, tenant_id int, note text);
INSERT INTO acc_set.tasks SELECT g, g % 3 + 1, 'n' FROM generate_series(1, 9) g;
ALTER TABLE acc_set.tasks ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON acc_set.tasks USING (tenant_id = 1);
CREATE POLICY support ON acc_set.tasks FOR SELECT TO acc_support USING (true);
CREATE POLICY not_clerks ON acc_set.tasks AS RESTRICTIVE FOR DELETE TO acc_clerk USING (false);
GRANT SELECT ON acc_set.tasks TO acc_support;
GRANT SELECT, DELETE ON acc_set.tasks TO acc_staff;
RESET ROLE;
RESET client_min_messages;
SELECT m.role_name, m.command, m.access, m.via, m.detail,
       (SELECT a FROM unnest(ARRAY[pg_temp.seen(m.role_name, m.command, 'acc_set.tasks')]
                             || ARRAY(SELECT pg_temp.seen(m.role_name, m.command, 'acc_set.tasks', r.rolname)
                                        FROM pg_roles r
                                       WHERE r.rolname IN ('acc_support', 'acc_staff')
                                         AND pg_has_role(m.role_name, r.oid, 'MEMBER'))) a
         ORDER BY array_position(ARRAY['denied', 'no_rows', 'filtered', 'all_rows'], a) DESC LIMIT 1) AS observed
  FROM rls_audit.access_matrix(ARRAY['acc_switcher', 'acc_clerk', 'acc_member'], ARRAY['acc_set']) m
 WHERE m.command IN ('SELECT', 'DELETE')
 ORDER BY 1, 2;
-- verify_isolation says the same of acc_switcher's reads
SELECT check_name, status, detail FROM rls_audit.verify_isolation('acc_switcher', 'app.tenant_id', 'tenant_id',
       ARRAY['acc_set.tasks'::regclass], ARRAY['1'], false) WHERE check_name = 'tenant_read';
ROLLBACK;
-- bad input: an unknown role is 42704, nothing else happens
\set VERBOSITY sqlstate
SELECT * FROM rls_audit.access_matrix(ARRAY['acc_nobody']);
\set VERBOSITY default
SELECT count(*) AS rows_for_two_roles FROM rls_audit.access_matrix(ARRAY['acc_grant', 'acc_via'], ARRAY['acc']);

-- verify_isolation's role checks use the model: acc_setter may SET ROLE a
-- BYPASSRLS role, acc_heir inherits the owner
SELECT check_name, status, detail FROM rls_audit.verify_isolation('acc_setter', 'app.tenant_id', 'tenant_id',
       ARRAY['acc.orders'::regclass], ARRAY['1'], false) WHERE check_name = 'role_no_bypassrls';
SELECT check_name, status, detail FROM rls_audit.verify_isolation('acc_heir', 'app.tenant_id', 'tenant_id',
       ARRAY['acc.orders'::regclass], ARRAY['1'], false) WHERE check_name = 'rls_forced';

-- Access drift: each widening and narrowing is a row with its severity
SET client_min_messages = warning;
SELECT rls_audit.snapshot('acc-before', baseline => true) > 0 AS snapshot_taken;
GRANT acc_owner TO acc_grant;                        -- inherits the owner
ALTER ROLE acc_via BYPASSRLS;                        -- a role gains BYPASSRLS
GRANT SELECT ON acc.orders_mv TO acc_invoker;        -- a grant on a matview
SET ROLE acc_owner;
CREATE VIEW acc.orders_open AS SELECT * FROM acc.orders;  -- a new definer view
GRANT SELECT ON acc.orders_open TO acc_part;
REVOKE ALL ON acc.orders FROM acc_bypass;            -- a narrowing
RESET ROLE;
RESET client_min_messages;
SELECT severity, change, table_name, attribute, baseline_value, current_value
  FROM rls_audit.drift('acc-before') WHERE change LIKE 'access%' AND baseline_value LIKE 'acc\_%'
 ORDER BY baseline_value, table_name, attribute;
SELECT detail FROM rls_audit.drift('acc-before')
 WHERE change = 'access_widened' AND baseline_value = 'acc_part: denied';
-- a snapshot now has the same access: no access row
SET client_min_messages = warning;
SELECT rls_audit.snapshot('acc-after') > 0 AS snapshot_taken;
RESET client_min_messages;
SELECT count(*) AS access_rows FROM rls_audit.drift('acc-after') WHERE change LIKE 'access%';
SELECT count(*) AS access_rows_between_snapshots FROM rls_audit.drift('acc-before', 'acc-after')
 WHERE change LIKE 'access%' AND baseline_value LIKE 'acc\_%';
-- a new table is an access change too when a role reaches every row of
-- it through a grant: acc.new_open has no RLS (the forgotten ENABLE of a
-- migration), acc.new_true a policy that lets every row through; both are
-- widened from denied (the table was not there) to all_rows, critical.
-- acc.new_scoped is protected (table_added only, info), and acc.new_own is
-- its owner's (no news). A renamed table is followed, not new. What
-- PostgreSQL shows acc_grant in acc.new_open is every row (count).
SET client_min_messages = warning;
CREATE TABLE acc.new_open (tenant_id int);
CREATE TABLE acc.new_true (tenant_id int);
CREATE TABLE acc.new_scoped (tenant_id int);
CREATE TABLE acc.new_own (tenant_id int);
INSERT INTO acc.new_open VALUES (1), (2);
ALTER TABLE acc.new_true ENABLE ROW LEVEL SECURITY;
ALTER TABLE acc.new_scoped ENABLE ROW LEVEL SECURITY;
CREATE POLICY everyone ON acc.new_true TO acc_grant USING (true);
CREATE POLICY scoped ON acc.new_scoped TO acc_grant
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
GRANT SELECT ON acc.new_open, acc.new_true, acc.new_scoped TO acc_grant;
ALTER TABLE acc.new_own OWNER TO acc_self_owner;
ALTER TABLE acc.notes RENAME TO notes_renamed;
RESET client_min_messages;
SELECT severity, change, table_name, attribute, baseline_value, current_value
  FROM rls_audit.drift('acc-after')
 WHERE table_name LIKE 'new\_%' OR change IN ('table_added', 'renamed')
 ORDER BY table_name, change, attribute;
SET ROLE acc_grant;
SELECT count(*) AS acc_grant_sees FROM acc.new_open;
RESET ROLE;
ALTER TABLE acc.notes_renamed RENAME TO notes;
DROP TABLE acc.new_open, acc.new_true, acc.new_scoped, acc.new_own;

-- Lint round 2 on these fixtures
SELECT lint, severity, schema_name, object_name, remediation FROM rls_audit.lint()
 WHERE lint IN ('materialized_view_exposes_rls', 'role_can_bypass_rls', 'member_of_table_owner',
                'security_definer_exposes_rls', 'restrictive_only', 'write_policy_unconditional')
   AND (schema_name = 'acc' OR object_name LIKE 'acc\_%')
 ORDER BY 1, 3, 4;
SET ROLE acc_owner;
CREATE TABLE acc.only_restrictive (id int, tenant_id int, note text);
ALTER TABLE acc.only_restrictive ENABLE ROW LEVEL SECURITY;
CREATE POLICY narrow ON acc.only_restrictive AS RESTRICTIVE USING (tenant_id = 1);
GRANT SELECT ON acc.only_restrictive TO acc_grant;
CREATE POLICY everyone_deletes ON acc.orders FOR DELETE USING (true);
CREATE TABLE acc.granted_no_policy (id int);
ALTER TABLE acc.granted_no_policy ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON acc.granted_no_policy TO acc_grant;
RESET ROLE;
SELECT lint, severity, object_name, remediation FROM rls_audit.lint(ARRAY['acc'])
 WHERE lint IN ('restrictive_only', 'write_policy_unconditional', 'rls_enabled_no_policy')
 ORDER BY 1, 3;

-- The well-built schema: ENABLE + FORCE, a tenant policy TO the app role
-- with USING and WITH CHECK, owned by a NOLOGIN role, a security_invoker
-- view over it: nothing above low.
CREATE ROLE wb_owner NOLOGIN;
CREATE ROLE wb_app LOGIN;
CREATE SCHEMA wb AUTHORIZATION wb_owner;
GRANT USAGE ON SCHEMA wb TO wb_app;
SET ROLE wb_owner;
CREATE TABLE wb.orders (id int, tenant_id int);
ALTER TABLE wb.orders ENABLE ROW LEVEL SECURITY;
ALTER TABLE wb.orders FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON wb.orders TO wb_app
    USING (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::int))
    WITH CHECK (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::int));
GRANT SELECT, INSERT, UPDATE, DELETE ON wb.orders TO wb_app;
CREATE VIEW wb.my_orders WITH (security_invoker) AS SELECT * FROM wb.orders;
GRANT SELECT ON wb.my_orders TO wb_app;
RESET ROLE;
SELECT count(*) AS findings_above_low FROM rls_audit.lint()
 WHERE severity IN ('critical', 'high', 'medium')
   AND (schema_name = 'wb' OR object_name IN ('wb_app', 'wb_owner'));

-- Property: random roles, memberships, grants and policies; every cell of
-- the matrix equals what running the statement as the role shows, or as
-- any role it may SET ROLE to, whichever reaches more.
SET client_min_messages = warning;
CREATE TEMP TABLE prop_results (round int, role_name name, table_name name, command text,
                                access text, observed text);
DO $prop$
DECLARE
    preds text[] := ARRAY['(id % 2) = 0', '(id % 3) = 0', '(id % 12) >= 6', 'true', 'false'];
    cmds text[] := ARRAY['ALL', 'SELECT', 'INSERT', 'UPDATE', 'DELETE'];
    grantees text[] := ARRAY['PUBLIC', 'prop_g1', 'prop_g2', 'prop_r1', 'prop_r2', 'prop_r3'];
    members text[] := ARRAY['prop_g1', 'prop_g2', 'prop_r1', 'prop_r2', 'prop_r3'];
    set_mode text := CASE WHEN current_setting('server_version_num')::int >= 160000 THEN 'SET' ELSE 'MEMBER' END;
    m record;
    obs text;
    alt text;
    can boolean;
BEGIN
    PERFORM setseed(0.42);
    FOR round IN 1..10 LOOP
        CREATE ROLE prop_o NOLOGIN;
        CREATE ROLE prop_g1 NOLOGIN;
        EXECUTE format('CREATE ROLE prop_g2 NOLOGIN %s', CASE WHEN random() < 0.5 THEN 'BYPASSRLS' ELSE '' END);
        FOR i IN 1..3 LOOP
            EXECUTE format('CREATE ROLE prop_r%s LOGIN %s', i, CASE WHEN random() < 0.3 THEN 'NOINHERIT' ELSE '' END);
        END LOOP;
        -- memberships among the login and group roles (never cycles)
        FOR i IN 1..4 LOOP
            BEGIN
                EXECUTE format('GRANT %I TO %I', members[1 + floor(random() * 2)::int],
                               members[3 + floor(random() * 3)::int]);
            EXCEPTION WHEN OTHERS THEN NULL;
            END;
        END LOOP;
        IF random() < 0.3 THEN
            GRANT prop_g1 TO prop_g2;
        END IF;
        CREATE SCHEMA prop AUTHORIZATION prop_o;
        GRANT USAGE ON SCHEMA prop TO PUBLIC;
        FOR t IN 1..3 LOOP
            EXECUTE format('CREATE TABLE prop.t%s (id int, tenant_id int, note text)', t);
            EXECUTE format('ALTER TABLE prop.t%s OWNER TO prop_o', t);
            EXECUTE format('INSERT INTO prop.t%s SELECT g, 1, ''n'' FROM generate_series(1, 12) g', t);
            IF random() < 0.8 THEN
                EXECUTE format('ALTER TABLE prop.t%s ENABLE ROW LEVEL SECURITY', t);
            END IF;
            IF random() < 0.5 THEN
                EXECUTE format('ALTER TABLE prop.t%s FORCE ROW LEVEL SECURITY', t);
            END IF;
            FOR p IN 1..floor(random() * 4)::int LOOP
                DECLARE
                    cmd text := cmds[1 + floor(random() * 5)::int];
                    pred text := preds[1 + floor(random() * 5)::int];
                BEGIN
                    EXECUTE format('CREATE POLICY p%s ON prop.t%s AS %s FOR %s TO %s %s',
                        p, t, CASE WHEN random() < 0.7 THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END, cmd,
                        grantees[1 + floor(random() * 6)::int],
                        CASE WHEN cmd = 'INSERT' THEN format('WITH CHECK (%s)', pred)
                             ELSE format('USING (%s)', pred) END);
                END;
            END LOOP;
            FOR g IN 1..5 LOOP
                EXECUTE format('GRANT %s ON prop.t%s TO %s',
                    (ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE'])[1 + floor(random() * 4)::int], t,
                    grantees[1 + floor(random() * 6)::int]);
            END LOOP;
        END LOOP;
        FOR m IN SELECT * FROM rls_audit.access_matrix(ARRAY['prop_r1', 'prop_r2', 'prop_r3'], ARRAY['prop']) LOOP
            obs := pg_temp.seen(m.role_name, m.command, format('prop.%I', m.table_name));
            -- SET ROLE paths: as each role it may become
            FOR alt IN SELECT rolname FROM pg_roles WHERE rolname LIKE 'prop\_%'
                                                      AND rolname <> m.role_name LOOP
                EXECUTE format('SELECT pg_has_role(%L, %L, %L)', m.role_name, alt, set_mode) INTO can;
                IF can THEN
                    obs := (SELECT a FROM unnest(ARRAY[obs, pg_temp.seen(m.role_name, m.command,
                                  format('prop.%I', m.table_name), alt)]) a
                             ORDER BY array_position(ARRAY['denied', 'no_rows', 'filtered', 'all_rows'], a) DESC
                             LIMIT 1);
                END IF;
            END LOOP;
            INSERT INTO prop_results VALUES (round, m.role_name, m.table_name, m.command, m.access, obs);
        END LOOP;
        DROP SCHEMA prop CASCADE;
        DROP ROLE prop_r1, prop_r2, prop_r3, prop_g2, prop_g1, prop_o;
    END LOOP;
END
$prop$;
RESET client_min_messages;
SELECT count(*) AS cells_compared, count(*) FILTER (WHERE access <> observed) AS disagreements,
       count(DISTINCT access) AS access_levels_seen
  FROM prop_results;
SELECT * FROM prop_results WHERE access <> observed ORDER BY 1, 2, 3, 4;

-- lint(schemas) deparses only the policies of the tables in those schemas
-- and of the tables their materialized views and SECURITY DEFINER
-- functions read (those policies decide who the view or function
-- exposes rows to). A materialized view and a definer function in acc_x
-- over acc.orders; acc_open sees every row of acc.orders by its own
-- policy, so neither exposes anything to it: the scoped lint must know
-- that policy too.
CREATE ROLE acc_open LOGIN;
CREATE SCHEMA acc_x AUTHORIZATION acc_owner;
GRANT USAGE ON SCHEMA acc_x TO PUBLIC;
SET ROLE acc_owner;
CREATE POLICY open_reader ON acc.orders FOR SELECT TO acc_open USING (true);
GRANT SELECT ON acc.orders TO acc_open;
CREATE MATERIALIZED VIEW acc_x.orders_mv AS SELECT * FROM acc.orders;
GRANT SELECT ON acc_x.orders_mv TO acc_mv, acc_open;
CREATE FUNCTION acc_x.all_orders() RETURNS SETOF acc.orders LANGUAGE sql STABLE
    SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT * FROM acc.orders;
END;
REVOKE EXECUTE ON FUNCTION acc_x.all_orders() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION acc_x.all_orders() TO acc_fn, acc_open;
RESET ROLE;
SELECT lint, object_name, detail FROM rls_audit.lint(ARRAY['acc_x']) ORDER BY 1, 2;
-- the oracle: each schema's scoped lint is exactly the whole lint's rows
-- of that schema
SELECT s AS schema_name,
       (SELECT count(*) FROM rls_audit.lint(ARRAY[s])) AS scoped,
       (SELECT count(*) FROM (SELECT * FROM rls_audit.lint(ARRAY[s])
                              EXCEPT ALL
                              SELECT * FROM rls_audit.lint() l WHERE l.schema_name = s) d) AS only_scoped,
       (SELECT count(*) FROM (SELECT * FROM rls_audit.lint() l WHERE l.schema_name = s
                              EXCEPT ALL
                              SELECT * FROM rls_audit.lint(ARRAY[s])) d) AS only_whole
  FROM unnest(ARRAY['acc', 'acc_x', 'wb']) s ORDER BY 1;
SELECT count(*) AS two_schemas_at_once
  FROM (SELECT * FROM rls_audit.lint(ARRAY['acc_x', 'wb'])
        EXCEPT ALL
        SELECT * FROM rls_audit.lint() l WHERE l.schema_name IN ('acc_x', 'wb')) d;
DROP SCHEMA acc_x CASCADE;

-- clean up the cluster-wide roles
SET client_min_messages = warning;
DROP SCHEMA acc CASCADE;
DROP SCHEMA acc_fk CASCADE;
DROP SCHEMA wb CASCADE;
DROP EXTENSION rls_audit;
DROP SCHEMA rls_audit;
DROP ROLE acc_owner, acc_readers, acc_admin, acc_grant, acc_via, acc_self_owner, acc_heir,
          acc_bypass, acc_setter, acc_viewer, acc_invoker, acc_mv, acc_part, acc_fn, acc_cols, acc_rule, acc_entry,
          acc_writer, acc_firer, acc_caller, acc_fk_owner, acc_deleter, acc_purger, acc_truncator, acc_open, wb_owner, wb_app;
