#!/usr/bin/env bash
# Isolation oracle: verify_isolation's verdicts against what PostgreSQL
# really does. Generated cases (fixed seed): a small tenant table with random
# permissive/restrictive policies per command (true, tenant match, wrong
# column, OR forms, IS NOT NULL, a default tenant, role-dependent, false, a
# function declared IMMUTABLE that reads the setting, a tenant singled out
# that is never sampled: the table has tenants 1-3 and one row of 4, a
# reader 5 a policy singles out by comparing the setting with 5, a row let
# through by a body no row has ('shared', or LIKE 'shar%' under lower(), or
# NOT (body <= 'sh'), or 'shared' AND an id equal to the setting, or a
# regular expression or a length 'shared' passes) or by a
# body equal to the setting), random grants (TRIGGER among them; INSERT of the tenant and
# body only, or UPDATE of the body only, in some cases), owner or owner's
# member as the role, FORCE or not, a
# read or write policy calling a function the role owns (and may replace) or not, a
# read policy reading a table of viewers (itself, or through a SECURITY
# DEFINER function, or through a view) the role may write or not, and a
# write policy reading it too (through the function or the view, naming the
# table or not), a SECURITY DEFINER
# function writing the table (by id, by tenant, an insert, a move of the
# caller's own row, or kept to the caller's tenant) the role may call or
# not, row
# triggers (one stamping the tenant from the setting, one skipping some
# deletes by its WHEN), a foreign key with ON DELETE CASCADE or SET NULL
# (and ON UPDATE NO ACTION, CASCADE or SET NULL) to a table of tenants whose
# rows the role may or may not delete (or renumber), and role,
# role-in-database and database defaults for the setting, and a policy
# opened by another custom setting (app.support) that some roles' defaults
# turn on and the calling session turns on too, and a role some roles may
# SET ROLE to (oracle_side: grants, policies, and a restrictive policy for
# the case role alone), and a term of the id (or the tenant) compared with
# a user id or a JSON token's claim a request sets (app.user, app.claims),
# or the tenant IN the tenants of that user's memberships (oracle.members),
# or every row for a user id past a constant;
# a request may set app.support 'on' too.
# The truth comes from real statements run as the
# role, and as each role it may SET ROLE to, in rolled-back
# subtransactions (SELECT, DELETE and UPDATE with no WHERE, TRUNCATE,
# CREATE TRIGGER (its function would see every tenant's writes), CREATE OR
# REPLACE FUNCTION of a policy's function then a read, and before each
# write statement, an INSERT, UPDATE or DELETE on the viewers table then a
# read (and before each write statement, when a write policy reads it),
# DELETE and UPDATE also once the tenant's own rows are gone, moves and
# inserts that also set the body (NULL, 'shared', the tenant's value) or
# the id (the tenant's value), or both ('shared' and the tenant's value),
# or the body 'x' and the id 1, or the id 100 times the new tenant,
# UPDATEs of the body or id alone, each read, DELETE, UPDATE and INSERT
# also with the user id and token set to each id of another tenant's row,
# to 1 and to each tenant (where a policy reads them), the
# SECURITY DEFINER function called with every id and tenant, DELETE
# on the referenced table and what the key's action did,
# INSERT of another tenant's row; moves and inserts to the tenant never
# sampled included), and "unset" from a real fresh login of the role (and
# its SET ROLE). Every verdict must equal
# the truth: no false PASS, no false FAIL, nothing left undecided. Then a
# view over each table (random owner, security_invoker or not, its own
# WHERE, sometimes an INSTEAD OF trigger; SELECT, UPDATE, DELETE granted
# or not): every FAIL a real leak through the view (a DELETE, an UPDATE
# that rewrites another tenant's row or moves one to another tenant),
# every PASS none; writes through it not judged are SKIP.
#
# ORACLE_CASES (default 300) and ORACLE_SEED change the run; scripts/fuzz.sh
# runs more. Runs against the test cluster (PGHOST/PGPORT from lib.sh).
set -euo pipefail
(($# == 0)) || { echo "usage: tests/scenarios/isolation_oracle.sh (no arguments; settings come from the environment)" >&2; exit 2; }
cases=${ORACLE_CASES:-300}
seed=${ORACLE_SEED:-0.31}
half=$(( (cases + 1) / 2 ))
q() { psql -X -qAt -v ON_ERROR_STOP=1 "$@"; }

q -d postgres <<'SQL'
SET client_min_messages = warning;
DO $$
DECLARE r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['oracle_r0', 'oracle_r1', 'oracle_r2', 'oracle_r3', 'oracle_other', 'oracle_owner'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            EXECUTE format('CREATE ROLE %I LOGIN', r);
        END IF;
    END LOOP;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'oracle_side') THEN
        CREATE ROLE oracle_side NOLOGIN;
    END IF;
END $$;
-- every case role inherits oracle_owner: a table it owns is the role's own
GRANT oracle_owner TO oracle_r0, oracle_r1, oracle_r2, oracle_r3;
-- r1 and r3 may also become oracle_side, which some tables' grants and
-- policies name: a policy for oracle_side applies to them too, but a
-- restrictive one for the role alone, or current_user, does not follow a
-- SET ROLE
GRANT oracle_side TO oracle_r1, oracle_r3;
-- role defaults for the setting (cluster-wide; the databases add theirs)
ALTER ROLE oracle_r1 SET app.tenant = '1';
ALTER ROLE oracle_r3 SET app.tenant = '';
ALTER ROLE oracle_r0 RESET app.tenant;
ALTER ROLE oracle_r2 RESET app.tenant;
-- another custom setting a policy may read: on for r3's sessions everywhere
ALTER ROLE oracle_r3 SET app.support = 'on';
ALTER ROLE oracle_r0 SET app.support = 'off';
SQL

# db 1 has no database default; db 2 sets app.tenant = '3' for everyone
setup_db() {
    local db=$1 first=$2 last=$3 db_default=$4
    q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
    [ -n "$db_default" ] && q -d postgres -c "ALTER DATABASE $db SET app.tenant = '$db_default'"
    q -d postgres -c "ALTER ROLE oracle_r2 IN DATABASE $db SET app.tenant = '2'"
    # and for r1's sessions in the database without a default of the tenant
    [ -n "$db_default" ] || q -d postgres -c "ALTER ROLE oracle_r1 IN DATABASE $db SET app.support = 'on'"
    q -d "$db" -v first="$first" -v last="$last" -v seed="$seed" <<'SQL' >/dev/null
SET client_min_messages = warning;
CREATE EXTENSION rls_audit;
CREATE SCHEMA oracle;
GRANT USAGE ON SCHEMA oracle TO PUBLIC;
-- functions some read policies call, owned by the case's role (which may
-- create in this schema, so CREATE OR REPLACE is a statement it may run)
-- or not
CREATE SCHEMA oracle_fn;
GRANT USAGE, CREATE ON SCHEMA oracle_fn TO PUBLIC;
CREATE TABLE oracle.cases (k int PRIMARY KEY, role name, tbl regclass, par regclass, act text, mem regclass,
                           uact text);
GRANT SELECT ON oracle.cases TO PUBLIC;
-- what a role sees in a table (an error is closed: nothing)
CREATE FUNCTION oracle.visible(t regclass) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
    EXECUTE format('SELECT count(*) FROM %s', t) INTO n;
    RETURN n;
EXCEPTION WHEN OTHERS THEN
    RETURN 0;
END $$;
-- the role itself and every role it may SET ROLE to: a session of the role
-- acts as any of them after one statement
CREATE FUNCTION oracle.actors(r name) RETURNS name[] LANGUAGE sql STABLE AS $$
    SELECT array_agg(rolname ORDER BY rolname <> r, rolname) FROM pg_roles
     WHERE rolname = r
        OR pg_has_role(r, oid, CASE WHEN current_setting('server_version_num')::int >= 160000
                                    THEN 'SET' ELSE 'MEMBER' END)
$$;
-- the members of each tenant's organisation by user id, which a term may
-- read by the user id a request sets (the users 1-4 are tenants 1-4's)
CREATE TABLE oracle.members (uid int, tenant int);
INSERT INTO oracle.members VALUES (1, 1), (2, 2), (3, 3), (4, 4);
GRANT SELECT ON oracle.members TO PUBLIC;
-- declared IMMUTABLE though it reads the setting: the planner folds it to
-- the value the setting has when a statement is planned
CREATE FUNCTION oracle.tenant_folded() RETURNS int LANGUAGE sql IMMUTABLE
    AS $f$ SELECT NULLIF(current_setting('app.tenant', true), '')::int $f$;
-- row triggers the application's statements meet: one stamps the tenant
-- from the setting, one skips deleting tenant 4's rows (by its WHEN)
CREATE FUNCTION oracle.stamp() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
    NEW.tenant_id := coalesce(NULLIF(current_setting('app.tenant', true), '')::int, NEW.tenant_id);
    RETURN NEW;
END $f$;
CREATE FUNCTION oracle.skip() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN RETURN NULL; END $f$;
-- a trigger function anyone may name in CREATE TRIGGER (EXECUTE is
-- PUBLIC's): what a role that may create a trigger on a table does
CREATE FUNCTION oracle.noop() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN RETURN NULL; END $f$;
SELECT setseed(:seed);
SELECT set_config('oracle.first', :'first', false), set_config('oracle.last', :'last', false);
DO $gen$
DECLARE
    k int;
    t text;
    r text;
    n int;
    cmd text;
    exprs text[] := ARRAY[
        'true',
        'false',
        'tenant_id = NULLIF(current_setting(''app.tenant'', true), '''')::int',
        'tenant_id::text = current_setting(''app.tenant'', true)',
        'id = NULLIF(current_setting(''app.tenant'', true), '''')::int',
        'tenant_id = NULLIF(current_setting(''app.tenant'', true), '''')::int OR body IS NULL',
        'current_setting(''app.tenant'', true) IS NOT NULL',
        'tenant_id = COALESCE(NULLIF(current_setting(''app.tenant'', true), ''''), ''1'')::int',
        'current_user = ''oracle_r1''',
        'tenant_id > 1',
        'body IS NOT NULL AND tenant_id = NULLIF(current_setting(''app.tenant'', true), '''')::int',
        'tenant_id = oracle.tenant_folded()',
        'tenant_id = NULLIF(current_setting(''app.tenant'', true), '''')::int OR tenant_id = 4',
        'current_setting(''app.support'', true) = ''on''',
        'NULLIF(current_setting(''app.tenant'', true), '''')::int = 5'];
    cmds text[] := ARRAY['ALL', 'SELECT', 'INSERT', 'UPDATE', 'DELETE'];
    pick int;
    par text;
    act text;
    uact text;
    mem text;
    wcmd text;
BEGIN
    FOR k IN current_setting('oracle.first')::int .. current_setting('oracle.last')::int LOOP
        t := 't_' || k;
        r := 'oracle_r' || (k % 4);
        -- in a third of the cases a check lets a row through by a body no
        -- row has ('shared'), in another third by a body equal to the
        -- tenant setting (chosen from k: the random draws stay as they were)
        -- (or, in a quarter of those, by a body LIKE 'shar%' under a
        -- function, in another quarter by NOT (body <= 'sh'): 'shared'
        -- passes both; in another by a body 'shared' AND an id equal to
        -- the setting, which passes only with both set; in half of the
        -- rest by a regular expression and, in a second slot, a length
        -- 'shared' passes; in the other half by terms no value is read
        -- off, reverse(body) = 'derahs' and char_length(body) * 2 = 12;
        -- where k % 3 = 2, terms of two columns: an id a hundred times the
        -- tenant, or as long as the body)
        exprs[9] := CASE WHEN k % 24 = 0
                         THEN 'tenant_id = NULLIF(current_setting(''app.tenant'', true), '''')::int OR body ~ ''^sh(a|o)re[d-f]$'''
                         WHEN k % 24 = 12
                         THEN 'tenant_id = NULLIF(current_setting(''app.tenant'', true), '''')::int OR reverse(body) = ''derahs'''
                         WHEN k % 12 = 3
                         THEN 'tenant_id = NULLIF(current_setting(''app.tenant'', true), '''')::int OR lower(body) LIKE ''shar%'''
                         WHEN k % 12 = 9
                         THEN 'tenant_id = NULLIF(current_setting(''app.tenant'', true), '''')::int OR NOT (body <= ''sh'')'
                         WHEN k % 12 = 6
                         THEN 'tenant_id = NULLIF(current_setting(''app.tenant'', true), '''')::int OR (body = ''shared'' AND id = NULLIF(current_setting(''app.tenant'', true), '''')::int)'
                         WHEN k % 3 = 0
                         THEN 'tenant_id = NULLIF(current_setting(''app.tenant'', true), '''')::int OR body = ''shared'''
                         WHEN k % 6 = 2
                         THEN 'tenant_id = NULLIF(current_setting(''app.tenant'', true), '''')::int OR id = tenant_id * 100'
                         WHEN k % 6 = 5
                         THEN 'tenant_id = NULLIF(current_setting(''app.tenant'', true), '''')::int OR char_length(body) = id'
                         ELSE 'current_user = ''oracle_r1''' END;
        exprs[4] := CASE WHEN k % 3 = 1
                         THEN 'tenant_id = NULLIF(current_setting(''app.tenant'', true), '''')::int OR body = current_setting(''app.tenant'', true)'
                         -- (LIKE, NOT and the conjunction in a second slot:
                         -- twice as many policies get them)
                         WHEN k % 12 IN (3, 6, 9) THEN exprs[9]
                         WHEN k % 24 = 0
                         THEN 'tenant_id = NULLIF(current_setting(''app.tenant'', true), '''')::int OR char_length(body) > 5'
                         WHEN k % 24 = 12
                         THEN 'tenant_id = NULLIF(current_setting(''app.tenant'', true), '''')::int OR char_length(body) * 2 = 12'
                         -- (the terms of two columns in a second slot too,
                         -- in half of their cases)
                         WHEN k % 12 = 2
                         THEN 'tenant_id = NULLIF(current_setting(''app.tenant'', true), '''')::int OR char_length(body) = id'
                         WHEN k % 12 = 5
                         THEN 'tenant_id = NULLIF(current_setting(''app.tenant'', true), '''')::int OR id = tenant_id * 100'
                         ELSE 'tenant_id::text = current_setting(''app.tenant'', true)' END;
        -- (in an eighth of the cases, and five sixteenths more, a slot
        -- lets a row through by its id compared with a setting the
        -- application sets per request: a user id, or a claim of a JSON
        -- token; or by its tenant compared with the user id, or IN the
        -- tenants of the user's memberships; or by the user id past a
        -- constant; or by both the user id and the token's, which a
        -- request sets together; chosen from k)
        exprs[13] := CASE WHEN k % 8 = 7
                          THEN 'tenant_id = NULLIF(current_setting(''app.tenant'', true), '''')::int OR id = NULLIF(current_setting(''app.user'', true), '''')::int'
                          WHEN k % 16 = 3
                          THEN 'tenant_id = NULLIF(current_setting(''app.tenant'', true), '''')::int OR (NULLIF(current_setting(''app.claims'', true), '''')::jsonb ->> ''uid'')::int = id'
                          WHEN k % 16 = 11
                          THEN 'tenant_id = NULLIF(current_setting(''app.tenant'', true), '''')::int OR tenant_id = NULLIF(current_setting(''app.user'', true), '''')::int'
                          WHEN k % 16 = 13
                          THEN 'tenant_id = NULLIF(current_setting(''app.tenant'', true), '''')::int OR tenant_id IN (SELECT m.tenant FROM oracle.members m WHERE m.uid = NULLIF(current_setting(''app.user'', true), '''')::int)'
                          WHEN k % 16 = 5
                          THEN 'tenant_id = NULLIF(current_setting(''app.tenant'', true), '''')::int OR NULLIF(current_setting(''app.user'', true), '''')::int >= 3'
                          WHEN k % 16 = 9
                          THEN 'tenant_id = NULLIF(current_setting(''app.tenant'', true), '''')::int OR (id = NULLIF(current_setting(''app.user'', true), '''')::int AND (NULLIF(current_setting(''app.claims'', true), '''')::jsonb ->> ''uid'')::int = id)'
                          ELSE 'tenant_id = NULLIF(current_setting(''app.tenant'', true), '''')::int OR tenant_id = 4' END;
        EXECUTE format('CREATE TABLE oracle.%I (id int, tenant_id int, body text)', t);
        -- 1 to 3 rows for each of the tenants 1, 2, 3; some bodies NULL
        EXECUTE format($i$INSERT INTO oracle.%I
            SELECT g * 10 + s, g, CASE WHEN random() < 0.3 THEN NULL ELSE 'b' || g END
              FROM generate_series(1, 3) g, generate_series(1, 1 + floor(random() * 3)::int) s$i$, t);
        -- and one row of tenant 4, which is never sampled (the three
        -- smallest values are): its rows are reached by tenant_read and,
        -- as a tenant not probed, by the write checks' first row of it
        EXECUTE format($i$INSERT INTO oracle.%I
            VALUES (41, 4, CASE WHEN random() < 0.3 THEN NULL ELSE 'b4' END)$i$, t);
        pick := floor(random() * 10)::int;
        IF pick = 0 THEN
            EXECUTE format('ALTER TABLE oracle.%I OWNER TO %I', t, r);
        ELSIF pick = 1 THEN
            EXECUTE format('ALTER TABLE oracle.%I OWNER TO oracle_owner', t);
        END IF;
        IF random() < 0.9 THEN EXECUTE format('ALTER TABLE oracle.%I ENABLE ROW LEVEL SECURITY', t); END IF;
        IF random() < 0.5 THEN EXECUTE format('ALTER TABLE oracle.%I FORCE ROW LEVEL SECURITY', t); END IF;
        IF random() < 0.85 THEN EXECUTE format('GRANT SELECT ON oracle.%I TO %I', t, r); END IF;
        -- (in a seventh of the cases INSERT of the tenant and the body
        -- only: the id is left out, NULL)
        IF random() < 0.7 THEN
            EXECUTE format('GRANT INSERT %s ON oracle.%I TO %I',
                           CASE WHEN k % 7 = 3 THEN '(tenant_id, body)' ELSE '' END, t, r);
        END IF;
        -- (in another seventh UPDATE of the body only: no row can move)
        IF random() < 0.7 THEN
            EXECUTE format('GRANT UPDATE %s ON oracle.%I TO %I',
                           CASE WHEN k % 7 = 5 THEN '(body)' ELSE '' END, t, r);
        END IF;
        IF random() < 0.7 THEN EXECUTE format('GRANT DELETE ON oracle.%I TO %I', t, r); END IF;
        IF random() < 0.15 THEN EXECUTE format('GRANT TRUNCATE ON oracle.%I TO %I', t, r); END IF;
        IF random() < 0.1 THEN EXECUTE format('GRANT TRIGGER ON oracle.%I TO %I', t, r); END IF;
        IF r IN ('oracle_r1', 'oracle_r3') AND random() < 0.4 THEN
            EXECUTE format('GRANT SELECT, DELETE ON oracle.%I TO oracle_side', t);
            IF random() < 0.5 THEN EXECUTE format('GRANT INSERT, UPDATE ON oracle.%I TO oracle_side', t); END IF;
            -- the role alone held to its tenant: oracle_side is not
            IF random() < 0.5 THEN
                EXECUTE format($p$CREATE POLICY held ON oracle.%I AS RESTRICTIVE TO %I
                    USING (tenant_id = NULLIF(current_setting('app.tenant', true), '')::int)
                    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant', true), '')::int)$p$, t, r);
            END IF;
        END IF;
        FOR n IN 1 .. floor(random() * 5)::int LOOP
            cmd := cmds[1 + floor(random() * 5)::int];
            EXECUTE format('CREATE POLICY p%s ON oracle.%I AS %s FOR %s TO %s %s %s', n, t,
                CASE WHEN random() < 0.7 THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END, cmd,
                (ARRAY[quote_ident(r), 'PUBLIC', 'oracle_other', 'oracle_side'])[1 + floor(random() * 4)::int],
                CASE WHEN cmd <> 'INSERT' THEN 'USING (' || exprs[1 + floor(random() * 15)::int] || ')' ELSE '' END,
                CASE WHEN cmd IN ('ALL', 'INSERT', 'UPDATE') AND random() < 0.8
                     THEN 'WITH CHECK (' || exprs[1 + floor(random() * 15)::int] || ')' ELSE '' END);
        END LOOP;
        -- and, where the slot above reads the user id or the token, a
        -- policy of the role's of that term for a command chosen from k
        -- (SELECT, DELETE, UPDATE, INSERT or ALL; no random draw: the
        -- other cases stay as they were)
        IF k % 8 = 7 OR k % 16 IN (3, 5, 9, 11, 13) THEN
            wcmd := (ARRAY['SELECT', 'DELETE', 'UPDATE', 'INSERT', 'ALL'])[1 + (k / 8) % 5];
            EXECUTE format('CREATE POLICY by_claim ON oracle.%I FOR %s TO %I %s (%s)', t, wcmd, r,
                           CASE WHEN wcmd = 'INSERT' THEN 'WITH CHECK' ELSE 'USING' END, exprs[13]);
        END IF;
        -- a read policy calling a function that returns the tenant, owned by
        -- the role or not
        IF random() < 0.2 THEN
            EXECUTE format($f$CREATE FUNCTION oracle_fn.%I() RETURNS int LANGUAGE sql STABLE
                AS 'SELECT NULLIF(current_setting(''app.tenant'', true), '''')::int'$f$, 'f_' || k);
            IF random() < 0.7 THEN EXECUTE format('ALTER FUNCTION oracle_fn.%I() OWNER TO %I', 'f_' || k, r); END IF;
            -- for reads, or for writes (then the write checks' truth
            -- replaces it too)
            cmd := (ARRAY['SELECT', 'SELECT', 'ALL', 'INSERT', 'UPDATE', 'DELETE'])[1 + floor(random() * 6)::int];
            EXECUTE format('CREATE POLICY by_fn ON oracle.%I AS %s FOR %s TO %I %s (tenant_id = oracle_fn.%I())',
                t, CASE WHEN random() < 0.7 THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END, cmd, r,
                CASE WHEN cmd = 'INSERT' THEN 'WITH CHECK' ELSE 'USING' END, 'f_' || k);
        END IF;
        pick := floor(random() * 10)::int;
        -- (the row triggers, pick 0 and 1, come after the rows are set)
        -- a foreign key whose ON DELETE action writes the table's rows,
        -- to a table of tenants 1-4 (the rows mostly reference their own
        -- tenant's, some another's), with or without a tenant policy, the
        -- role's DELETE on it or not, owned by the role or not (never with
        -- the trigger that skips deletes: a trigger of the table that
        -- skips the rows a key's action deletes is not modelled, README)
        -- its ON UPDATE action (NO ACTION, CASCADE or SET NULL) and the
        -- role's UPDATE of the key there come from k (the other cases'
        -- random draws stay as they were)
        par := NULL;
        act := NULL;
        uact := NULL;
        IF pick <> 1 AND random() < 0.35 THEN
            par := 'p_' || k;
            act := (ARRAY['CASCADE', 'SET NULL'])[1 + floor(random() * 2)::int];
            uact := (ARRAY['NO ACTION', 'CASCADE', 'SET NULL'])[1 + (k / 3) % 3];
            EXECUTE format('CREATE TABLE oracle.%I (id int PRIMARY KEY, tenant_id int)', par);
            EXECUTE format('INSERT INTO oracle.%I SELECT g, g FROM generate_series(1, 4) g', par);
            EXECUTE format('ALTER TABLE oracle.%I ADD COLUMN par_id int REFERENCES oracle.%I ON DELETE %s ON UPDATE %s',
                           t, par, act, uact);
            IF (k / 2) % 4 <> 0 THEN EXECUTE format('GRANT UPDATE (id) ON oracle.%I TO %I', par, r); END IF;
            EXECUTE format($u$UPDATE oracle.%I SET par_id = CASE WHEN random() < 0.75 THEN tenant_id
                                                         ELSE 1 + floor(random() * 4)::int END$u$, t);
            IF random() < 0.6 THEN
                EXECUTE format('ALTER TABLE oracle.%I ENABLE ROW LEVEL SECURITY', par);
                EXECUTE format('CREATE POLICY pt ON oracle.%I USING (%s)', par,
                    (ARRAY['tenant_id = NULLIF(current_setting(''app.tenant'', true), '''')::int',
                           'true', 'tenant_id > 1'])[1 + floor(random() * 3)::int]);
            END IF;
            IF random() < 0.25 THEN EXECUTE format('ALTER TABLE oracle.%I OWNER TO %I', par, r); END IF;
            IF random() < 0.7 THEN EXECUTE format('GRANT DELETE ON oracle.%I TO %I', par, r); END IF;
        END IF;
        -- a read policy that reads a table of viewers (viewer v sees
        -- tenant t's rows), which the role may write or not, under
        -- policies that keep its writes to its own tenant or not
        mem := NULL;
        IF random() < 0.25 THEN
            mem := 'm_' || k;
            EXECUTE format('CREATE TABLE oracle.%I (viewer int NOT NULL, tenant_id int NOT NULL)', mem);
            EXECUTE format('INSERT INTO oracle.%I SELECT g, g FROM generate_series(1, 4) g', mem);
            -- (in every other case through a SECURITY DEFINER function,
            -- whose reads no catalog records)
            IF k % 2 = 0 THEN
                EXECUTE format($f$CREATE FUNCTION oracle_fn.%I(tid int) RETURNS boolean LANGUAGE plpgsql STABLE
                    SECURITY DEFINER SET search_path = pg_catalog AS $b$
                    BEGIN
                        RETURN EXISTS (SELECT FROM oracle.%I m
                                        WHERE m.tenant_id = tid
                                          AND m.viewer = NULLIF(current_setting('app.tenant', true), '')::int);
                    END $b$$f$, 'v_' || k, mem);
                EXECUTE format('CREATE POLICY by_viewers ON oracle.%I FOR SELECT TO %I USING (oracle_fn.%I(tenant_id))',
                    t, r, 'v_' || k);
            ELSE
                -- (and in every other one of those through a view of it)
                IF k % 4 = 1 THEN
                    EXECUTE format('CREATE VIEW oracle.%I AS SELECT viewer, tenant_id FROM oracle.%I', 'mv_' || k, mem);
                    EXECUTE format('GRANT SELECT ON oracle.%I TO %I', 'mv_' || k, r);
                END IF;
                EXECUTE format($p$CREATE POLICY by_viewers ON oracle.%I FOR SELECT TO %I
                    USING (tenant_id IN (SELECT m.tenant_id FROM oracle.%I m
                                          WHERE m.viewer = NULLIF(current_setting('app.tenant', true), '')::int))$p$,
                    t, r, CASE WHEN k % 4 = 1 THEN 'mv_' || k ELSE mem END);
            END IF;
            EXECUTE format('GRANT SELECT ON oracle.%I TO %I', mem, r);
            IF random() < 0.5 THEN EXECUTE format('GRANT INSERT ON oracle.%I TO %I', mem, r); END IF;
            IF random() < 0.4 THEN EXECUTE format('GRANT UPDATE ON oracle.%I TO %I', mem, r); END IF;
            IF random() < 0.4 THEN EXECUTE format('GRANT DELETE ON oracle.%I TO %I', mem, r); END IF;
            IF random() < 0.5 THEN
                EXECUTE format('ALTER TABLE oracle.%I ENABLE ROW LEVEL SECURITY', mem);
                EXECUTE format('CREATE POLICY r ON oracle.%I FOR SELECT USING (true)', mem);
                EXECUTE format('CREATE POLICY i ON oracle.%I FOR INSERT WITH CHECK (%s)', mem,
                    (ARRAY[$e$viewer = NULLIF(current_setting('app.tenant', true), '')::int
                              AND tenant_id = NULLIF(current_setting('app.tenant', true), '')::int$e$,
                           $e$viewer = NULLIF(current_setting('app.tenant', true), '')::int$e$])[1 + floor(random() * 2)::int]);
                EXECUTE format($p$CREATE POLICY u ON oracle.%I FOR UPDATE
                    USING (viewer = NULLIF(current_setting('app.tenant', true), '')::int) WITH CHECK (%s)$p$, mem,
                    (ARRAY[$e$tenant_id = NULLIF(current_setting('app.tenant', true), '')::int$e$, 'true'])[1 + floor(random() * 2)::int]);
            END IF;
            -- and in two cases of three (chosen from k, so that the other
            -- cases stay as they were) a write policy that reads it too:
            -- through the SECURITY DEFINER function, naming the table
            -- (m.tenant_id = t_k.tenant_id) or not
            IF k % 3 <> 1 THEN
                wcmd := (ARRAY['INSERT', 'UPDATE', 'DELETE', 'ALL'])[1 + (k / 3) % 4];
                EXECUTE format('CREATE POLICY by_viewers_w ON oracle.%I FOR %s TO %I %s (%s)', t, wcmd, r,
                    CASE WHEN wcmd = 'INSERT' THEN 'WITH CHECK' ELSE 'USING' END,
                    CASE WHEN k % 6 = 0
                         THEN format('oracle_fn.%I(tenant_id)', 'v_' || k)
                         WHEN k % 2 = 0
                         THEN format($e$EXISTS (SELECT FROM oracle.%I m WHERE m.tenant_id = %I.tenant_id
                                          AND m.viewer = NULLIF(current_setting('app.tenant', true), '')::int)$e$, mem, t)
                         ELSE format($e$tenant_id IN (SELECT m.tenant_id FROM oracle.%I m
                                          WHERE m.viewer = NULLIF(current_setting('app.tenant', true), '')::int)$e$,
                                     CASE WHEN k % 4 = 1 THEN 'mv_' || k ELSE mem END)
                    END);
            END IF;
        END IF;
        -- a SECURITY DEFINER function that writes the table (by id, by
        -- tenant, an insert, a move of the caller's own row, or kept to
        -- the caller's tenant), owned by postgres or by oracle_owner
        -- (whose rights the policies and its grants govern), executable
        -- by PUBLIC, by the role alone or by nobody. Chosen from k, not
        -- random(), so that the other cases stay as they were
        IF k % 10 IN (2, 5, 7) THEN
            EXECUTE format($f$CREATE FUNCTION oracle_fn.%I(p_id int, p_tenant_id int) RETURNS void
                LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog AS %L$f$,
                'w_' || k,
                format((ARRAY[
                    $b$UPDATE oracle.%I SET body = 'w' WHERE id = p_id$b$,
                    $b$UPDATE oracle.%I SET body = 'w'
                        WHERE id = p_id AND tenant_id = NULLIF(current_setting('app.tenant', true), '')::int$b$,
                    $b$DELETE FROM oracle.%I WHERE tenant_id = p_tenant_id$b$,
                    $b$INSERT INTO oracle.%I (id, tenant_id, body) VALUES (p_id + 1000, p_tenant_id, 'w')$b$,
                    $b$UPDATE oracle.%I SET tenant_id = p_tenant_id
                        WHERE id = p_id AND tenant_id = NULLIF(current_setting('app.tenant', true), '')::int$b$
                    ])[1 + (k / 3) % 5], t));
            IF k % 3 = 1 THEN
                EXECUTE format('ALTER FUNCTION oracle_fn.%I(int, int) OWNER TO oracle_owner', 'w_' || k);
            END IF;
            IF k % 4 >= 2 THEN
                EXECUTE format('REVOKE EXECUTE ON FUNCTION oracle_fn.%I(int, int) FROM PUBLIC', 'w_' || k);
                IF k % 4 = 2 THEN
                    EXECUTE format('GRANT EXECUTE ON FUNCTION oracle_fn.%I(int, int) TO %I', 'w_' || k, r);
                END IF;
            END IF;
        END IF;
        IF pick = 0 THEN
            EXECUTE format('CREATE TRIGGER stamp BEFORE INSERT OR UPDATE ON oracle.%I
                            FOR EACH ROW EXECUTE FUNCTION oracle.stamp()', t);
        ELSIF pick = 1 THEN
            EXECUTE format('CREATE TRIGGER skip BEFORE DELETE ON oracle.%I
                            FOR EACH ROW WHEN (OLD.tenant_id = 4) EXECUTE FUNCTION oracle.skip()', t);
        END IF;
        INSERT INTO oracle.cases VALUES (k, r, format('oracle.%I', t)::regclass,
                                         CASE WHEN par IS NOT NULL THEN format('oracle.%I', par)::regclass END, act,
                                         CASE WHEN mem IS NOT NULL THEN format('oracle.%I', mem)::regclass END,
                                         uact);
    END LOOP;
END
$gen$;
SQL
}
setup_db rls_audit_oracle_1 1 "$half" ""
setup_db rls_audit_oracle_2 $((half + 1)) "$cases" 3

for db in rls_audit_oracle_1 rls_audit_oracle_2; do
    # truth for "unset": a real fresh login of each role counts what it sees
    q -d "$db" -c "CREATE TABLE oracle.unset_truth (k int, visible bigint)"
    for r in oracle_r0 oracle_r1 oracle_r2 oracle_r3; do
        for actor in $(q -d "$db" -c "SELECT unnest(oracle.actors('$r'))"); do
            q -d "$db" -U "$r" -c "SET ROLE $actor" -c "SELECT k, oracle.visible(tbl) FROM oracle.cases WHERE role = session_user" \
                | q -d "$db" -c "COPY oracle.unset_truth FROM STDIN WITH (FORMAT csv, DELIMITER '|')"
        done
    done
    # what a fresh login of each role has for app.support
    q -d "$db" -c "CREATE TABLE oracle.fresh_support (role name, value text)"
    for r in oracle_r0 oracle_r1 oracle_r2 oracle_r3; do
        q -d "$db" -U "$r" -c "SELECT current_user, current_setting('app.support', true)" \
            | q -d "$db" -c "COPY oracle.fresh_support FROM STDIN WITH (FORMAT csv, DELIMITER '|')"
    done
    # truth for the rest: the real statements as the role, rolled back,
    # with the role's own app.support
    q -d "$db" <<'SQL' >/dev/null
SET client_min_messages = warning;
CREATE TABLE oracle.truth_raw (k int, check_name text, tenant text, leak boolean);
-- tenant a's settings, its role's app.support, and a user id and token
-- a request sets (none when usr is NULL; usr 0: app.support 'on' instead,
-- which a request may set as well), until the (sub)transaction ends
CREATE FUNCTION oracle.take(a int, sup text, usr int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('app.tenant', coalesce(a::text, ''), true);
    PERFORM set_config('app.support', sup, true);
    IF usr = 0 THEN
        PERFORM set_config('app.support', 'on', true);
    ELSIF usr IS NOT NULL THEN
        PERFORM set_config('app.user', usr::text, true);
        PERFORM set_config('app.claims', json_build_object('uid', usr)::text, true);
    END IF;
END $$;
-- the users oracle.take tries as tenant a of table t (a role whose own
-- app.support is sup): none, and, where t's policies read them, each id
-- of another tenant's row, 1-4 (a request sets them; a check that reads
-- them passes a row whose id, or tenant, is the value set), and 0
-- (app.support 'on') where they read app.support and sup is not on
CREATE FUNCTION oracle.users(t regclass, a int, sup text) RETURNS int[] LANGUAGE plpgsql AS $$
DECLARE
    reads text := (SELECT string_agg(concat(pg_get_expr(p.polqual, p.polrelid),
                                            pg_get_expr(p.polwithcheck, p.polrelid)), ' ')
                     FROM pg_policy p WHERE p.polrelid = t);
    ids int[];
    users int[] := ARRAY[NULL]::int[];
BEGIN
    IF reads ~ 'app\.(user|claims)' THEN
        EXECUTE format('SELECT array_agg(DISTINCT id) FROM %s WHERE tenant_id <> %s AND id IS NOT NULL', t, a)
           INTO ids;
        users := users || (SELECT array_agg(DISTINCT u) FROM unnest(coalesce(ids, '{}') || ARRAY[1, 2, 3, 4]) u);
    END IF;
    IF sup <> 'on' AND reads ~ 'app\.support' THEN
        users := users || 0;
    END IF;
    RETURN users;
END $$;
-- the most rows of other tenants q (its $1 the tenant) shows actor as
-- tenant a with each of users (oracle.take), each read rolled back (an
-- error is closed: nothing)
CREATE FUNCTION oracle.most_read(actor name, q text, a int, sup text, users int[]) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
    most bigint := 0;
    usr int;
BEGIN
    FOREACH usr IN ARRAY users LOOP
        BEGIN
            PERFORM oracle.take(a, sup, usr);
            EXECUTE format('SET LOCAL ROLE %I', actor);
            EXECUTE q INTO n USING a;
            RAISE EXCEPTION USING ERRCODE = 'RA000';
        EXCEPTION WHEN OTHERS THEN
            IF SQLSTATE <> 'RA000' THEN n := 0; END IF;
        END;
        most := greatest(most, n);
    END LOOP;
    RETURN most;
END $$;
INSERT INTO oracle.truth_raw SELECT k, 'fail_closed_unset', NULL, visible > 0 FROM oracle.unset_truth;
DO $truth$
DECLARE
    c record;
    a int;
    x int;
    f int;
    n bigint;
    m bigint;
    tmpl record;
    leak boolean;
    sup text;
    actor name;
    casc boolean;
    trig boolean;
    repl boolean;
    fn text;
    n_read bigint;
    pre text;
    pres text[];
    look boolean;
    stmt text;
    gone boolean;
    bsel int;
    dw_del boolean;
    dw_upd boolean;
    dw_ins boolean;
    users int[];
    usr int;
BEGIN
    FOR c IN SELECT * FROM oracle.cases ORDER BY k LOOP
      -- the write statements run as they are, and after the role replaced
      -- a function the table's policies call (to return NULL or a tenant
      -- 1-4), when PostgreSQL lets it
      pres := ARRAY[NULL]::text[] || ARRAY(
          SELECT format('CREATE OR REPLACE FUNCTION %s RETURNS int LANGUAGE sql STABLE AS %L',
                        f.fn, format('SELECT %s::int', coalesce(v.v::text, 'NULL')))
            FROM (SELECT DISTINCT pr.oid::regprocedure::text AS fn
                    FROM pg_policy p JOIN pg_depend d ON d.classid = 'pg_policy'::regclass AND d.objid = p.oid
                    JOIN pg_proc pr ON d.refclassid = 'pg_proc'::regclass AND pr.oid = d.refobjid
                   WHERE p.polrelid = c.tbl AND pr.pronamespace = 'oracle_fn'::regnamespace) f,
                 unnest(ARRAY[NULL, 1, 2, 3, 4]) v(v))
      -- and after the role's own writes to the viewers table a write
      -- policy reads (as the tenant the statements then run as): a viewer
      -- row for it and tenant 1-4, every row moved to tenant 1-4 or to
      -- it as viewer, every row it may delete gone
      || ARRAY(
          SELECT s.s FROM (
              SELECT format('INSERT INTO %s VALUES (NULLIF(current_setting(''app.tenant'', true), '''')::int, %s)',
                            c.mem, x2) FROM generate_series(1, 4) x2
              UNION ALL SELECT format('UPDATE %s SET tenant_id = %s', c.mem, x2) FROM generate_series(1, 4) x2
              UNION ALL SELECT format('UPDATE %s SET viewer = NULLIF(current_setting(''app.tenant'', true), '''')::int',
                                      c.mem)
              UNION ALL SELECT format('DELETE FROM %s', c.mem)) s(s)
           WHERE EXISTS (SELECT FROM pg_policy p WHERE p.polrelid = c.tbl AND p.polname = 'by_viewers_w'));
      -- as the role, and as each role it may SET ROLE to (in its session:
      -- its own app.support)
      FOREACH actor IN ARRAY oracle.actors(c.role) LOOP
        sup := coalesce((SELECT value FROM oracle.fresh_support WHERE role = c.role), '');
        -- fail_closed_empty: the setting is ''
        BEGIN
            PERFORM set_config('app.tenant', '', true);
            PERFORM set_config('app.support', sup, true);
            EXECUTE format('SET LOCAL ROLE %I', actor);
            EXECUTE format('SELECT count(*) FROM %s', c.tbl) INTO n;
            RAISE EXCEPTION USING ERRCODE = 'RA000';
        EXCEPTION WHEN OTHERS THEN
            IF SQLSTATE <> 'RA000' THEN n := 0; END IF;
        END;
        INSERT INTO oracle.truth_raw VALUES (c.k, 'fail_closed_empty', NULL, n > 0);
        -- CREATE TRIGGER, when PostgreSQL lets the role run it: its
        -- function then runs in every session that writes the table, with
        -- each row another tenant writes (a read of every tenant)
        trig := false;
        BEGIN
            EXECUTE format('SET LOCAL ROLE %I', actor);
            EXECUTE format('CREATE TRIGGER oracle_spy AFTER INSERT ON %s
                            FOR EACH ROW EXECUTE FUNCTION oracle.noop()', c.tbl);
            trig := true;
            RAISE EXCEPTION USING ERRCODE = 'RA000';
        EXCEPTION WHEN OTHERS THEN
            NULL;
        END;
        -- the sampled tenants 1-3, and reader 5, whom no row has: a
        -- policy may single it out
        FOREACH a IN ARRAY ARRAY[1, 2, 3, 5] LOOP
            -- (and with the user id, the token or app.support a request
            -- sets, where a policy reads them: oracle.users)
            users := oracle.users(c.tbl, a, sup);
            -- tenant_read: SELECT * as tenant a sees another tenant's row
            -- (also with the user id or the token set)
            n_read := oracle.most_read(actor, format('SELECT count(*) FROM %s WHERE tenant_id <> $1', c.tbl),
                                       a, sup, users);
            -- CREATE OR REPLACE FUNCTION of a read policy's function, when
            -- PostgreSQL lets the role run it, to return NULL or a tenant
            -- 1-4, then the read
            repl := false;
            FOR fn IN SELECT DISTINCT pr.oid::regprocedure::text
                        FROM pg_policy p JOIN pg_depend d ON d.classid = 'pg_policy'::regclass AND d.objid = p.oid
                        JOIN pg_proc pr ON d.refclassid = 'pg_proc'::regclass AND pr.oid = d.refobjid
                       WHERE p.polrelid = c.tbl AND pr.pronamespace = 'oracle_fn'::regnamespace LOOP
                FOR x IN SELECT y FROM unnest(ARRAY[NULL, 1, 2, 3, 4]) y LOOP
                    BEGIN
                        EXECUTE format('SET LOCAL ROLE %I', actor);
                        EXECUTE format('CREATE OR REPLACE FUNCTION %s RETURNS int LANGUAGE sql STABLE AS %L',
                                       fn, format('SELECT %s::int', coalesce(x::text, 'NULL')));
                        PERFORM set_config('app.tenant', a::text, true);
                        PERFORM set_config('app.support', sup, true);
                        EXECUTE format('SELECT count(*) FROM %s WHERE tenant_id <> %s', c.tbl, a) INTO n;
                        repl := repl OR n > 0;
                        RAISE EXCEPTION USING ERRCODE = 'RA000';
                    EXCEPTION WHEN OTHERS THEN
                        NULL;
                    END;
                END LOOP;
            END LOOP;
            -- the role's own writes to the viewers table a read policy
            -- reads, when PostgreSQL lets it: a viewer row for a and
            -- tenant x, every row moved to tenant x or to viewer a, or
            -- every row it may delete gone; then the read
            look := false;
            IF c.mem IS NOT NULL THEN
                FOREACH stmt IN ARRAY ARRAY(
                    SELECT format('INSERT INTO %s VALUES (%s, %s)', c.mem, a, x2) FROM generate_series(1, 4) x2
                    UNION ALL SELECT format('UPDATE %s SET tenant_id = %s', c.mem, x2) FROM generate_series(1, 4) x2
                    UNION ALL SELECT format('UPDATE %s SET viewer = %s', c.mem, a)
                    UNION ALL SELECT format('DELETE FROM %s', c.mem)) LOOP
                    BEGIN
                        PERFORM set_config('app.tenant', a::text, true);
                        PERFORM set_config('app.support', sup, true);
                        EXECUTE format('SET LOCAL ROLE %I', actor);
                        EXECUTE stmt;
                        EXECUTE format('SELECT count(*) FROM %s WHERE tenant_id <> %s', c.tbl, a) INTO n;
                        look := look OR n > 0;
                        RAISE EXCEPTION USING ERRCODE = 'RA000';
                    EXCEPTION WHEN OTHERS THEN
                        NULL;
                    END;
                END LOOP;
            END IF;
            INSERT INTO oracle.truth_raw VALUES (c.k, 'tenant_read', a::text, n_read > 0 OR trig OR repl OR look);
            -- tenant_delete: DELETE with no WHERE removes another tenant's row
            -- (as it is, and once a's own rows are gone: a tenant without
            -- rows yet, or one that deleted its own first)
            leak := false;
            FOR pre, gone, usr IN SELECT z, g, u FROM unnest(pres) z, unnest(ARRAY[false, true]) g, unnest(users) u
                                   WHERE u IS NULL OR z IS NULL LOOP
                BEGIN
                    EXECUTE format('CREATE TEMP TABLE before_rows AS SELECT id, tenant_id, ctid::text AS tid FROM %s', c.tbl);
                    IF gone THEN EXECUTE format('DELETE FROM %s WHERE tenant_id = %s', c.tbl, a); END IF;
                    PERFORM oracle.take(a, sup, usr);
                    EXECUTE format('SET LOCAL ROLE %I', actor);
                    IF pre IS NOT NULL THEN EXECUTE pre; END IF;
                    EXECUTE format('DELETE FROM %s', c.tbl);
                    RESET ROLE;
                    EXECUTE format('SELECT count(*) FROM before_rows b WHERE b.tenant_id <> %s
                                       AND NOT EXISTS (SELECT 1 FROM %s t WHERE t.id = b.id)', a, c.tbl) INTO n;
                    leak := leak OR n > 0;
                    RAISE EXCEPTION USING ERRCODE = 'RA000';
                EXCEPTION WHEN OTHERS THEN
                    NULL;
                END;
            END LOOP;
            -- the foreign key's action: DELETE with no WHERE on the table
            -- it references deletes (CASCADE) or changes (SET NULL) rows
            -- of another tenant here
            casc := false;
            IF c.par IS NOT NULL THEN
                BEGIN
                    EXECUTE format('CREATE TEMP TABLE before_rows AS SELECT id, tenant_id, par_id FROM %s', c.tbl);
                    PERFORM set_config('app.tenant', a::text, true);
                    PERFORM set_config('app.support', sup, true);
                    EXECUTE format('SET LOCAL ROLE %I', actor);
                    EXECUTE format('DELETE FROM %s', c.par);
                    RESET ROLE;
                    EXECUTE format('SELECT count(*) FROM before_rows b LEFT JOIN %s t ON t.id = b.id
                                     WHERE b.tenant_id <> %s
                                       AND (t.id IS NULL OR t.par_id IS DISTINCT FROM b.par_id)', c.tbl, a) INTO n;
                    casc := n > 0;
                    RAISE EXCEPTION USING ERRCODE = 'RA000';
                EXCEPTION WHEN OTHERS THEN
                    NULL;
                END;
            END IF;
            leak := leak OR (casc AND c.act = 'CASCADE');
            -- and TRUNCATE, which row security does not filter
            EXECUTE format('SELECT count(*) FROM %s WHERE tenant_id <> %s', c.tbl, a) INTO n;
            BEGIN
                EXECUTE format('SET LOCAL ROLE %I', actor);
                EXECUTE format('TRUNCATE %s', c.tbl);
                leak := leak OR n > 0;
                RAISE EXCEPTION USING ERRCODE = 'RA000';
            EXCEPTION WHEN OTHERS THEN
                NULL;
            END;
            INSERT INTO oracle.truth_raw VALUES (c.k, 'tenant_delete', a::text, leak);
            -- tenant_update: UPDATE ... SET tenant_id = x with no WHERE
            -- changes another tenant's row or moves a row to another tenant
            -- (4, not sampled, included)
            leak := false;
            -- (and with the body set too: NULL, 'shared' or the tenant's
            -- own value, or the id set to the tenant's value, which a
            -- check may let through)
            -- (x = 0: the tenant left as it is, the body or id set alone;
            -- bsel 5: the body 'shared' and the id the tenant's value; 6:
            -- the body 'x' and the id 1, as long; 7: the id 100 times the
            -- tenant)
            -- (the user ids and tokens as for the DELETE, with the tenant
            -- column set alone)
            FOR x, pre, gone, bsel, usr IN SELECT DISTINCT y, z, g, b, u
                                             FROM unnest(ARRAY[0, 1, 2, 3, 4, a]) y, unnest(pres) z,
                                                  unnest(ARRAY[false, true]) g, generate_series(0, 7) b, unnest(users) u
                                            WHERE (b = 0 OR NOT g)
                                              AND (u IS NULL OR (z IS NULL AND (y <> 0 OR u = 0) AND (b = 0 OR (b = 6 AND u = 1)))) LOOP
                BEGIN
                    EXECUTE format('CREATE TEMP TABLE before_rows AS SELECT id, tenant_id, ctid::text AS tid FROM %s', c.tbl);
                    IF gone THEN EXECUTE format('DELETE FROM %s WHERE tenant_id = %s', c.tbl, a); END IF;
                    PERFORM oracle.take(a, sup, usr);
                    EXECUTE format('SET LOCAL ROLE %I', actor);
                    IF pre IS NOT NULL THEN EXECUTE pre; END IF;
                    IF x = 0 THEN
                        EXECUTE format('UPDATE %s SET %s', c.tbl,
                                       CASE bsel WHEN 1 THEN 'body = NULL' WHEN 2 THEN 'body = ''shared'''
                                                 WHEN 3 THEN format('body = %L', a)
                                                 WHEN 4 THEN format('id = %s', a)
                                                 WHEN 5 THEN format('body = ''shared'', id = %s', a)
                                                 WHEN 6 THEN 'body = ''x'', id = 1'
                                                 WHEN 7 THEN 'id = tenant_id * 100'
                                                 ELSE 'body = ''b1''' END);
                    ELSE
                        EXECUTE format('UPDATE %s SET tenant_id = %s%s', c.tbl, x,
                                       CASE bsel WHEN 1 THEN ', body = NULL' WHEN 2 THEN ', body = ''shared'''
                                                 WHEN 3 THEN format(', body = %L', a)
                                                 WHEN 4 THEN format(', id = %s', a)
                                                 WHEN 5 THEN format(', body = ''shared'', id = %s', a)
                                                 WHEN 6 THEN ', body = ''x'', id = 1'
                                                 WHEN 7 THEN format(', id = %s', 100 * x) ELSE '' END);
                    END IF;
                    RESET ROLE;
                    -- (by row version, not id: the statement may set the
                    -- id too) a row of another tenant whose version is gone,
                    -- or a new version that is another tenant's
                    EXECUTE format('SELECT (SELECT count(*) FROM before_rows b
                                             WHERE b.tenant_id <> %2$s
                                               AND NOT EXISTS (SELECT FROM %1$s t WHERE t.ctid::text = b.tid))
                                         + (SELECT count(*) FROM %1$s t
                                             WHERE t.tenant_id <> %2$s
                                               AND NOT EXISTS (SELECT FROM before_rows b WHERE b.tid = t.ctid::text))',
                                   c.tbl, a) INTO n;
                    leak := leak OR n > 0;
                    RAISE EXCEPTION USING ERRCODE = 'RA000';
                EXCEPTION WHEN OTHERS THEN
                    NULL;
                END;
            END LOOP;
            -- the foreign key's ON UPDATE action: UPDATE of every key there
            -- to a new value (no column read: the role needs no SELECT)
            -- changes (CASCADE) or clears (SET NULL) rows of another tenant
            IF c.uact IN ('CASCADE', 'SET NULL') THEN
                BEGIN
                    EXECUTE format('CREATE TEMP TABLE before_rows AS SELECT id, tenant_id, par_id FROM %s', c.tbl);
                    PERFORM set_config('app.tenant', a::text, true);
                    PERFORM set_config('app.support', sup, true);
                    EXECUTE format('SET LOCAL ROLE %I', actor);
                    EXECUTE format('UPDATE %s SET id = 100 + floor(random() * 1000000)::int', c.par);
                    RESET ROLE;
                    EXECUTE format('SELECT count(*) FROM before_rows b JOIN %s t ON t.id = b.id
                                     WHERE b.tenant_id <> %s AND t.par_id IS DISTINCT FROM b.par_id', c.tbl, a)
                       INTO n;
                    leak := leak OR n > 0;
                    RAISE EXCEPTION USING ERRCODE = 'RA000';
                EXCEPTION WHEN OTHERS THEN
                    NULL;
                END;
            END IF;
            INSERT INTO oracle.truth_raw VALUES (c.k, 'tenant_update', a::text,
                                                 leak OR (casc AND c.act = 'SET NULL'));
            -- tenant_insert: a copy of any sampled tenant's first row, as
            -- tenant x's (4, not sampled, included), puts a row of another
            -- tenant there (a trigger may have stamped it as a's own)
            leak := false;
            EXECUTE format('SELECT count(*) FROM %s WHERE tenant_id <> %s', c.tbl, a) INTO n;
            -- (its body as it is, or NULL, 'shared' or the tenant's own
            -- value, or its id the tenant's value, or both 'shared' and
            -- that id, or the body 'x' and the id 1, or the id 100 times
            -- x; without the id when the role may not insert it)
            -- (and with the user id or the token 1, the id too, or the
            -- tenant's own: a check that reads them)
            FOR x, f, pre, bsel, usr IN SELECT xx, ff, zz, b, u FROM generate_series(1, 4) xx, generate_series(1, 3) ff,
                                                          unnest(pres) zz, generate_series(0, 7) b, unnest(users) u
                                         WHERE u IS NULL OR (zz IS NULL AND ((u = 1 AND b = 6) OR (u IN (0, xx) AND b = 0))) LOOP
                CONTINUE WHEN x = a;
                EXECUTE format('SELECT * FROM %s WHERE tenant_id = %s LIMIT 1', c.tbl, f) INTO tmpl;
                BEGIN
                    PERFORM oracle.take(a, sup, usr);
                    EXECUTE format('SET LOCAL ROLE %I', actor);
                    IF pre IS NOT NULL THEN EXECUTE pre; END IF;
                    EXECUTE format('INSERT INTO %s (%s tenant_id, body) SELECT %s $2, $3', c.tbl,
                                   CASE WHEN has_column_privilege(actor, c.tbl, 'id', 'INSERT') THEN 'id,' ELSE '' END,
                                   CASE WHEN has_column_privilege(actor, c.tbl, 'id', 'INSERT') THEN '$1,' ELSE '' END)
                        USING CASE WHEN bsel IN (4, 5) THEN a WHEN bsel = 6 THEN 1 WHEN bsel = 7 THEN 100 * x
                                   ELSE tmpl.id END, x,
                              CASE bsel WHEN 1 THEN NULL WHEN 2 THEN 'shared' WHEN 5 THEN 'shared'
                                        WHEN 3 THEN a::text WHEN 6 THEN 'x' ELSE tmpl.body END;
                    RESET ROLE;
                    EXECUTE format('SELECT count(*) FROM %s WHERE tenant_id <> %s', c.tbl, a) INTO m;
                    leak := leak OR m > n;
                    RAISE EXCEPTION USING ERRCODE = 'RA000';
                EXCEPTION WHEN OTHERS THEN
                    NULL;
                END;
            END LOOP;
            INSERT INTO oracle.truth_raw VALUES (c.k, 'tenant_insert', a::text, leak);
            -- the SECURITY DEFINER function that writes the table, when
            -- PostgreSQL lets the role call it: every id of the table (and
            -- NULL) with every tenant 1-5 (and NULL); what it deleted,
            -- changed or moved, and inserted, of other tenants (a row
            -- without a tenant counts as another's)
            dw_del := false;
            dw_upd := false;
            dw_ins := false;
            FOR fn IN SELECT pr.oid::regprocedure::text FROM pg_proc pr
                       WHERE pr.pronamespace = 'oracle_fn'::regnamespace AND pr.proname = 'w_' || c.k LOOP
                FOR x, f IN EXECUTE format('SELECT i, tt FROM (SELECT DISTINCT id FROM %s UNION ALL SELECT NULL) d(i),
                                                   unnest(ARRAY[1, 2, 3, 4, 5, NULL]) tt', c.tbl) LOOP
                    BEGIN
                        EXECUTE format('CREATE TEMP TABLE before_rows AS SELECT id, tenant_id, ctid::text AS tid FROM %s', c.tbl);
                        PERFORM set_config('app.tenant', a::text, true);
                        PERFORM set_config('app.support', sup, true);
                        EXECUTE format('SET LOCAL ROLE %I', actor);
                        EXECUTE format('SELECT %s($1, $2)', split_part(fn, '(', 1)) USING x, f;
                        RESET ROLE;
                        EXECUTE format('SELECT count(*) FROM before_rows b WHERE b.tenant_id <> %s
                                           AND NOT EXISTS (SELECT 1 FROM %s t WHERE t.ctid::text = b.tid OR t.id = b.id)',
                                       a, c.tbl) INTO n;
                        dw_del := dw_del OR n > 0;
                        EXECUTE format('SELECT count(*) FROM before_rows b JOIN %s t ON t.id = b.id
                                         WHERE t.ctid::text <> b.tid
                                           AND (b.tenant_id <> %s OR t.tenant_id IS DISTINCT FROM %s)',
                                       c.tbl, a, a) INTO n;
                        dw_upd := dw_upd OR n > 0;
                        EXECUTE format('SELECT count(*) FROM %s t WHERE t.tenant_id IS DISTINCT FROM %s
                                           AND NOT EXISTS (SELECT 1 FROM before_rows b WHERE b.id = t.id)',
                                       c.tbl, a) INTO n;
                        dw_ins := dw_ins OR n > 0;
                        RAISE EXCEPTION USING ERRCODE = 'RA000';
                    EXCEPTION WHEN OTHERS THEN
                        NULL;
                    END;
                END LOOP;
            END LOOP;
            INSERT INTO oracle.truth_raw VALUES (c.k, 'tenant_delete', a::text, dw_del),
                                                (c.k, 'tenant_update', a::text, dw_upd),
                                                (c.k, 'tenant_insert', a::text, dw_ins);
        END LOOP;
      END LOOP;
    END LOOP;
END
$truth$;
CREATE TABLE oracle.truth AS
    SELECT k, check_name, tenant, bool_or(leak) AS leak FROM oracle.truth_raw GROUP BY k, check_name, tenant;
CREATE TABLE oracle.verdicts (k int, check_name text, tenant text, status text, detail text);
CREATE TABLE oracle.verdicts_together (LIKE oracle.verdicts);
CREATE TABLE oracle.verdicts_defined (LIKE oracle.verdicts);
SQL
    # verify_isolation as a DBA runs it: one fresh session per call
    for k in $(q -d "$db" -c "SELECT k FROM oracle.cases ORDER BY k"); do
        q -d "$db" -c "INSERT INTO oracle.verdicts
            SELECT $k, v.check_name, v.tenant, v.status, v.detail FROM oracle.cases c,
                   rls_audit.verify_isolation(c.role, 'app.tenant', tables => ARRAY[c.tbl]) v
             WHERE c.k = $k AND v.check_name NOT IN ('role_not_superuser', 'role_no_bypassrls', 'rls_enabled', 'rls_forced')"
    done
    # and one call per role over all of its tables (the probes of one
    # context run together, see isolation::run_batch): the same verdicts,
    # detail for detail
    for r in oracle_r0 oracle_r1 oracle_r2 oracle_r3; do
        q -d "$db" -c "INSERT INTO oracle.verdicts_together
            SELECT c.k, v.check_name, v.tenant, v.status, v.detail
              FROM rls_audit.verify_isolation('$r', 'app.tenant',
                       tables => (SELECT array_agg(tbl) FROM oracle.cases WHERE role = '$r')) v
              JOIN oracle.cases c ON c.tbl = format('%I.%I', v.schema_name, v.table_name)::regclass
             WHERE v.check_name NOT IN ('role_not_superuser', 'role_no_bypassrls', 'rls_enabled', 'rls_forced')"
        # and once more in a session that has already defined the setting,
        # where PostgreSQL reads it as '' and never NULL again: the unset
        # probes run in a backend of their own (crate::fresh), and every
        # status must be the same
        # (its own app.support on as well: a fresh login of the role does not
        # have it unless the role's defaults say so)
        q -d "$db" -c "SELECT set_config('app.tenant', '2', false)" -c "RESET app.tenant" -c "SET app.support = 'on'" -c "INSERT INTO oracle.verdicts_defined
            SELECT c.k, v.check_name, v.tenant, v.status, v.detail
              FROM rls_audit.verify_isolation('$r', 'app.tenant',
                       tables => (SELECT array_agg(tbl) FROM oracle.cases WHERE role = '$r')) v
              JOIN oracle.cases c ON c.tbl = format('%I.%I', v.schema_name, v.table_name)::regclass
             WHERE v.check_name NOT IN ('role_not_superuser', 'role_no_bypassrls', 'rls_enabled', 'rls_forced')" >/dev/null
    done
done

# Views over the same tables: each case's table gets a view with a random
# owner (the caller, the table's owner, a role with or without rights on
# the table), security_invoker or not, its own WHERE (none, the tenant
# setting, one tenant left out) and sometimes an INSTEAD OF trigger that
# does nothing, granted to the case's role for SELECT, UPDATE and DELETE
# at random. Truth: the role's own SELECT, DELETE and UPDATE through the
# view, as each tenant 1-5 (reads also with the user id, the token or
# app.support a request sets, as the tables'), and what a fresh login sees
# through it unset.
# Every FAIL must be a real leak and every PASS none; a write through a
# view that verify_isolation does not judge is SKIP.
for db in rls_audit_oracle_1 rls_audit_oracle_2; do
    q -d "$db" -v seed="$seed" <<'SQL' >/dev/null
SET client_min_messages = warning;
SELECT setseed(:seed / 2);
CREATE TABLE oracle.vcases (k int PRIMARY KEY, role name, v regclass, base regclass);
GRANT SELECT ON oracle.vcases TO PUBLIC;
CREATE FUNCTION oracle.keep() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
DO $gen$
DECLARE
    c record;
    v text;
    owner_pick int;
BEGIN
    FOR c IN SELECT k, role, tbl, (SELECT relowner::regrole::text FROM pg_class WHERE oid = tbl) AS owner
               FROM oracle.cases ORDER BY k LOOP
        v := 'v_' || c.k;
        EXECUTE format('CREATE VIEW oracle.%I %s AS SELECT * FROM %s %s', v,
            CASE WHEN random() < 0.25 THEN 'WITH (security_invoker)' ELSE '' END, c.tbl,
            (ARRAY['', '', 'WHERE tenant_id = NULLIF(current_setting(''app.tenant'', true), '''')::int',
                   'WHERE tenant_id <> 2'])[1 + floor(random() * 4)::int]);
        owner_pick := floor(random() * 4)::int;
        IF owner_pick = 1 THEN
            EXECUTE format('ALTER VIEW oracle.%I OWNER TO %s', v, c.owner);
        ELSIF owner_pick >= 2 THEN
            EXECUTE format('ALTER VIEW oracle.%I OWNER TO oracle_other', v);
            IF owner_pick = 3 THEN
                EXECUTE format('GRANT SELECT, UPDATE, DELETE ON %s TO oracle_other', c.tbl);
            END IF;
        END IF;
        IF random() < 0.1 THEN
            EXECUTE format('CREATE TRIGGER keep INSTEAD OF UPDATE OR DELETE ON oracle.%I
                            FOR EACH ROW EXECUTE FUNCTION oracle.keep()', v);
        END IF;
        IF random() < 0.8 THEN EXECUTE format('GRANT SELECT ON oracle.%I TO %I', v, c.role); END IF;
        IF random() < 0.6 THEN EXECUTE format('GRANT UPDATE ON oracle.%I TO %I', v, c.role); END IF;
        IF random() < 0.6 THEN EXECUTE format('GRANT DELETE ON oracle.%I TO %I', v, c.role); END IF;
        INSERT INTO oracle.vcases VALUES (c.k, c.role, format('oracle.%I', v)::regclass, c.tbl);
    END LOOP;
END
$gen$;
SQL
    q -d "$db" -c "CREATE TABLE oracle.vunset_truth (k int, visible bigint)"
    for r in oracle_r0 oracle_r1 oracle_r2 oracle_r3; do
        for actor in $(q -d "$db" -c "SELECT unnest(oracle.actors('$r'))"); do
            q -d "$db" -U "$r" -c "SET ROLE $actor" -c "SELECT k, oracle.visible(v) FROM oracle.vcases WHERE role = session_user" \
                | q -d "$db" -c "COPY oracle.vunset_truth FROM STDIN WITH (FORMAT csv, DELIMITER '|')"
        done
    done
    q -d "$db" <<'SQL' >/dev/null
SET client_min_messages = warning;
CREATE TABLE oracle.vtruth_raw (k int, check_name text, tenant text, leak boolean);
INSERT INTO oracle.vtruth_raw SELECT k, 'fail_closed_unset', NULL, visible > 0 FROM oracle.vunset_truth;
DO $truth$
DECLARE
    c record;
    a int;
    n bigint;
    sup text;
    leak boolean;
    actor name;
    x int;
    users int[];
BEGIN
    FOR c IN SELECT * FROM oracle.vcases ORDER BY k LOOP
      FOREACH actor IN ARRAY oracle.actors(c.role) LOOP
        sup := coalesce((SELECT value FROM oracle.fresh_support WHERE role = c.role), '');
        FOREACH a IN ARRAY ARRAY[NULL, 1, 2, 3, 4, 5] LOOP
            -- reads through the view ('' for the empty setting); as a
            -- tenant also with the user id or token a request sets, or
            -- app.support 'on', where the table's policies read them (as
            -- the table's truth: oracle.take's users)
            users := CASE WHEN a IS NULL THEN ARRAY[NULL]::int[] ELSE oracle.users(c.base, a, sup) END;
            n := oracle.most_read(actor,
                                  format('SELECT count(*) FROM %s WHERE tenant_id IS DISTINCT FROM $1 OR $1 IS NULL', c.v),
                                  a, sup, users);
            IF a IS NULL THEN
                INSERT INTO oracle.vtruth_raw VALUES (c.k, 'fail_closed_empty', NULL, n > 0);
                CONTINUE;
            END IF;
            INSERT INTO oracle.vtruth_raw VALUES (c.k, 'tenant_read', a::text, n > 0);
            -- DELETE through the view: rows of other tenants gone from the table
            leak := false;
            EXECUTE format('SELECT count(*) FROM %s WHERE tenant_id <> %s', c.base, a) INTO n;
            BEGIN
                PERFORM set_config('app.tenant', a::text, true);
                PERFORM set_config('app.support', sup, true);
                EXECUTE format('SET LOCAL ROLE %I', actor);
                EXECUTE format('DELETE FROM %s', c.v);
                RESET ROLE;
                EXECUTE format('SELECT count(*) < $1 FROM %s WHERE tenant_id <> %s', c.base, a) INTO leak USING n;
                RAISE EXCEPTION USING ERRCODE = 'RA000';
            EXCEPTION WHEN OTHERS THEN
                NULL;
            END;
            INSERT INTO oracle.vtruth_raw VALUES (c.k, 'tenant_delete', a::text, leak);
            -- UPDATE through the view: rows of other tenants rewritten
            leak := false;
            BEGIN
                EXECUTE format('CREATE TEMP TABLE before_rows AS SELECT id, ctid::text AS tid FROM %s WHERE tenant_id <> %s',
                               c.base, a);
                PERFORM set_config('app.tenant', a::text, true);
                PERFORM set_config('app.support', sup, true);
                EXECUTE format('SET LOCAL ROLE %I', actor);
                EXECUTE format('UPDATE %s SET id = id', c.v);
                RESET ROLE;
                EXECUTE format('SELECT count(*) > 0 FROM before_rows b
                                 WHERE NOT EXISTS (SELECT 1 FROM %s t WHERE t.ctid::text = b.tid)', c.base) INTO leak;
                RAISE EXCEPTION USING ERRCODE = 'RA000';
            EXCEPTION WHEN OTHERS THEN
                NULL;
            END;
            -- and moves: UPDATE through the view SET tenant_id = x puts
            -- rows (A's own) in tenant x, or rewrites rows of other
            -- tenants (a role without SELECT on the view may run it, not
            -- SET id = id; a trigger may stamp them A's)
            FOR x IN 1 .. 4 LOOP
                CONTINUE WHEN x = a OR leak;
                EXECUTE format('SELECT count(*) FROM %s WHERE tenant_id <> %s', c.base, a) INTO n;
                BEGIN
                    EXECUTE format('CREATE TEMP TABLE before_rows AS SELECT id, ctid::text AS tid FROM %s WHERE tenant_id <> %s',
                                   c.base, a);
                    PERFORM set_config('app.tenant', a::text, true);
                    PERFORM set_config('app.support', sup, true);
                    EXECUTE format('SET LOCAL ROLE %I', actor);
                    EXECUTE format('UPDATE %s SET tenant_id = %s', c.v, x);
                    RESET ROLE;
                    EXECUTE format('SELECT count(*) > $1 OR EXISTS (SELECT FROM before_rows b
                                                                     WHERE NOT EXISTS (SELECT FROM %1$s t WHERE t.ctid::text = b.tid))
                                      FROM %1$s WHERE tenant_id <> %2$s', c.base, a) INTO leak USING n;
                    RAISE EXCEPTION USING ERRCODE = 'RA000';
                EXCEPTION WHEN OTHERS THEN
                    NULL;
                END;
            END LOOP;
            INSERT INTO oracle.vtruth_raw VALUES (c.k, 'tenant_update', a::text, leak);
        END LOOP;
      END LOOP;
    END LOOP;
END
$truth$;
CREATE TABLE oracle.vtruth AS
    SELECT k, check_name, tenant, bool_or(leak) AS leak FROM oracle.vtruth_raw GROUP BY k, check_name, tenant;
CREATE TABLE oracle.vverdicts (k int, check_name text, tenant text, status text, detail text);
SQL
    for r in oracle_r0 oracle_r1 oracle_r2 oracle_r3; do
        q -d "$db" -c "INSERT INTO oracle.vverdicts
            SELECT c.k, v.check_name, v.tenant, v.status, v.detail
              FROM rls_audit.verify_isolation('$r', 'app.tenant',
                       tables => (SELECT array_agg(v) FROM oracle.vcases WHERE role = '$r')) v
              JOIN oracle.vcases c ON c.v = format('%I.%I', v.schema_name, v.table_name)::regclass
             WHERE v.check_name NOT IN ('role_not_superuser', 'role_no_bypassrls', 'tenant_insert')"
    done
done

fail=0
total=0
for db in rls_audit_oracle_1 rls_audit_oracle_2; do
    read -r n judged leaks false_pass false_fail unjudged undecided < <(q -d "$db" -F ' ' <<'SQL'
SELECT (SELECT count(*) FROM oracle.vcases), count(*) FILTER (WHERE v.status IN ('PASS', 'FAIL')),
       count(*) FILTER (WHERE t.leak),
       count(*) FILTER (WHERE v.status = 'PASS' AND t.leak),
       count(*) FILTER (WHERE v.status = 'FAIL' AND NOT t.leak),
       count(*) FILTER (WHERE v.status = 'SKIP' AND v.check_name IN ('tenant_update', 'tenant_delete')),
       count(*) FILTER (WHERE v.status = 'ERROR'
                           OR v.status = 'SKIP' AND v.check_name NOT IN ('tenant_update', 'tenant_delete', 'tenant_read'))
  FROM oracle.vverdicts v
  JOIN oracle.vtruth t ON (v.k, v.check_name, v.tenant) IS NOT DISTINCT FROM (t.k, t.check_name, t.tenant);
SQL
)
    echo "isolation_oracle ($db, views): $n views, $judged verdicts judged against the truth ($leaks real leaks), false PASS $false_pass, false FAIL $false_fail, writes not judged (SKIP) $unjudged, undecided $undecided"
    if [ "$false_pass" != 0 ] || [ "$false_fail" != 0 ] || [ "$undecided" != 0 ] || [ "$judged" -lt "$n" ]; then
        fail=1
        q -d "$db" <<'SQL'
SELECT v.k, v.check_name, v.tenant, t.leak, v.status, left(v.detail, 160)
  FROM oracle.vverdicts v
  JOIN oracle.vtruth t ON (v.k, v.check_name, v.tenant) IS NOT DISTINCT FROM (t.k, t.check_name, t.tenant)
 WHERE v.status = 'ERROR' OR v.status = 'PASS' AND t.leak OR v.status = 'FAIL' AND NOT t.leak
 ORDER BY 1, 2, 3 LIMIT 20;
SQL
    fi
done
for db in rls_audit_oracle_1 rls_audit_oracle_2; do
    read -r n checks leaks false_pass false_fail undecided < <(q -d "$db" -F ' ' <<'SQL'
SELECT (SELECT count(*) FROM oracle.cases), count(*), count(*) FILTER (WHERE t.leak),
       count(*) FILTER (WHERE v.status = 'PASS' AND t.leak
                           OR v.status IS NULL AND t.tenant = '5' AND t.leak AND NOT t.reported),
       count(*) FILTER (WHERE v.status = 'FAIL' AND NOT t.leak),
       count(*) FILTER (WHERE v.status NOT IN ('PASS', 'FAIL') OR v.status IS NULL AND t.tenant IS DISTINCT FROM '5')
  FROM (SELECT t.*, EXISTS (SELECT FROM oracle.verdicts f
                             WHERE (f.k, f.check_name, f.status) = (t.k, t.check_name, 'FAIL')) AS reported
          FROM oracle.truth t) t
  LEFT JOIN oracle.verdicts v ON (v.k, v.check_name, v.tenant) IS NOT DISTINCT FROM (t.k, t.check_name, t.tenant);
SQL
)
    differing=$(q -d "$db" -c "SELECT (SELECT count(*) FROM (TABLE oracle.verdicts EXCEPT ALL TABLE oracle.verdicts_together) a)
                                    + (SELECT count(*) FROM (TABLE oracle.verdicts_together EXCEPT ALL TABLE oracle.verdicts) b)")
    defined=$(q -d "$db" -c "SELECT (SELECT count(*) FROM (SELECT k, check_name, tenant, status FROM oracle.verdicts
                                      EXCEPT ALL SELECT k, check_name, tenant, status FROM oracle.verdicts_defined) a)
                                  + (SELECT count(*) FROM (SELECT k, check_name, tenant, status FROM oracle.verdicts_defined
                                      EXCEPT ALL SELECT k, check_name, tenant, status FROM oracle.verdicts) b)")
    unset_elsewhere=$(q -d "$db" -c "SELECT count(*) FROM oracle.verdicts_defined
                                      WHERE check_name = 'fail_closed_unset' AND detail LIKE '%in a new backend%'")
    singled=$(q -d "$db" -c "SELECT count(*) FROM oracle.verdicts WHERE tenant = '5'")
    cascading=$(q -d "$db" -c "SELECT count(*) || ' cases (' || count(*) FILTER (WHERE EXISTS (
                                   SELECT FROM oracle.verdicts v WHERE v.k = c.k AND v.detail LIKE '%foreign key%'))
                                   || ' with a FAIL through the action, ' || count(*) FILTER (WHERE EXISTS (
                                   SELECT FROM oracle.verdicts v WHERE v.k = c.k AND v.detail LIKE '%(ON UPDATE %'))
                                   || ' through ON UPDATE)' FROM oracle.cases c WHERE par IS NOT NULL")
    looking=$(q -d "$db" -c "SELECT count(*) || ' cases (' || count(*) FILTER (WHERE EXISTS (
                                   SELECT FROM oracle.verdicts v WHERE v.k = c.k AND v.check_name = 'tenant_read'
                                                                   AND v.detail LIKE '%which oracle\_r_ may write%'))
                                   || ' with a read failed by a write there; ' || count(*) FILTER (WHERE EXISTS (
                                   SELECT FROM pg_policy p WHERE p.polrelid = c.tbl AND p.polname = 'by_viewers_w'))
                                   || ' with a write policy reading it, ' || count(*) FILTER (WHERE EXISTS (
                                   SELECT FROM oracle.verdicts v WHERE v.k = c.k AND v.check_name <> 'tenant_read'
                                                                   AND v.detail LIKE '%which oracle\_r_ may write%'))
                                   || ' with a write check failed by a write there)' FROM oracle.cases c WHERE mem IS NOT NULL")
    replacing=$(q -d "$db" -c "SELECT count(DISTINCT k) || ' cases (' || count(*) FILTER (WHERE detail LIKE '%may replace%'
                                                                                              AND check_name = 'tenant_read')
                                   || ' reads and ' || count(*) FILTER (WHERE detail LIKE '%may replace%'
                                                                        AND check_name <> 'tenant_read')
                                   || ' writes failed by a replaced function)' FROM oracle.verdicts
                                 WHERE k IN (SELECT c.k FROM oracle.cases c, pg_policy p
                                              WHERE p.polrelid = c.tbl AND p.polname = 'by_fn')")
    writing=$(q -d "$db" -c "SELECT count(*) || ' cases (' || count(*) FILTER (WHERE EXISTS (
                                   SELECT FROM oracle.verdicts v WHERE v.k = c.k AND v.detail LIKE '%which writes as its owner%'))
                                   || ' with a write check failed by a call)' FROM oracle.cases c
                                 WHERE EXISTS (SELECT FROM pg_proc p WHERE p.pronamespace = 'oracle_fn'::regnamespace
                                                                       AND p.proname = 'w_' || c.k)")
    # the FAILs whose only failing statements also set the body or the id
    # (a value a check compares with), and the cases with UPDATE (body) only
    varied=$(q -d "$db" -c "SELECT count(*) FILTER (WHERE v.status = 'FAIL' AND v.check_name IN ('tenant_insert', 'tenant_update')
                                                    AND v.detail ~ '(, (body|id) = |, (body|id)\) VALUES)'
                                                    AND v.detail !~ ('(SET tenant_id = [0-9]+|\\(\\.\\.\\., tenant_id\\) VALUES \\(\\.\\.\\., [0-9]+\\))' || chr(96)))
                                   || ' checks failed only by a statement that also sets the body or the id; '
                                   || count(*) FILTER (WHERE v.check_name = 'tenant_update' AND v.detail LIKE '%may not UPDATE tenant_id%'
                                                          OR v.check_name = 'tenant_update' AND v.status = 'FAIL'
                                                             AND v.detail ~ 'SET body = ' AND v.detail !~ 'SET tenant_id')
                                   || ' UPDATE checks of a role that may UPDATE the body alone; '
                                   || count(*) FILTER (WHERE v.status = 'FAIL'
                                                          AND v.detail ~ ('(, id = [^,' || chr(96) || ']+, body = |, id, body\) VALUES)'))
                                   || ' FAILs naming a statement that sets the id and the body together, '
                                   || count(*) FILTER (WHERE v.status = 'FAIL'
                                                          AND v.detail ~ ('(, body = [^,' || chr(96) || ']+, id = |, body, id\) VALUES|tenant_id(, id\) VALUES \(\.\.\., [0-9]+, | = [0-9]+, id = )''[0-9]+00'')'))
                                   || ' naming one a term of two columns found (a body and an id, an id a hundred times the tenant)'
                                 FROM oracle.verdicts v")
    # the cases whose policies read the user id or the token, and their
    # FAILs that name a statement or read with one of them set
    claiming=$(q -d "$db" -c "SELECT count(*) || ' cases (' || count(*) FILTER (WHERE EXISTS (
                                   SELECT FROM oracle.verdicts v WHERE v.k = c.k AND v.status = 'FAIL'
                                                                   AND v.detail ~ 'SET app\.(user|claims|support) = '))
                                   || ' with a FAIL naming one set)' FROM oracle.cases c
                                 WHERE EXISTS (SELECT FROM pg_policy p
                                                WHERE p.polrelid = c.tbl
                                                  AND concat(pg_get_expr(p.polqual, p.polrelid),
                                                             pg_get_expr(p.polwithcheck, p.polrelid))
                                                      ~ 'app\.(user|claims|support)')")
    total=$((total + n))
    echo "isolation_oracle ($db): $n cases, $checks checks ($leaks real leaks), false PASS $false_pass, false FAIL $false_fail, undecided $undecided; reader 5 singled out in $singled checks; foreign keys' actions in $cascading; policies calling a function in $replacing; a viewers table a policy reads in $looking; a SECURITY DEFINER function writing the table in $writing; a user id, a token or support mode a request sets in $claiming; the checks' values: $varied; one call per role over all its tables: $differing verdicts differ; in a session that had defined the setting: $defined statuses differ ($unset_elsewhere unset checks in a new backend)"
    if [ "$defined" != 0 ]; then
        fail=1
        q -d "$db" -c "SELECT v.k, v.check_name, v.tenant, v.status, d.status AS status_defined, left(d.detail, 120)
                         FROM oracle.verdicts v JOIN oracle.verdicts_defined d
                           ON (v.k, v.check_name, v.tenant) IS NOT DISTINCT FROM (d.k, d.check_name, d.tenant)
                        WHERE v.status IS DISTINCT FROM d.status ORDER BY 1, 2, 3 LIMIT 20"
    fi
    if [ "$differing" != 0 ]; then
        fail=1
        q -d "$db" -c "(TABLE oracle.verdicts EXCEPT ALL TABLE oracle.verdicts_together) UNION ALL (TABLE oracle.verdicts_together EXCEPT ALL TABLE oracle.verdicts) ORDER BY 1, 2, 3 LIMIT 20"
    fi
    if [ "$false_pass" != 0 ] || [ "$false_fail" != 0 ] || [ "$undecided" != 0 ]; then
        fail=1
        q -d "$db" <<'SQL'
SELECT t.k, t.check_name, t.tenant, t.leak, v.status, left(v.detail, 160)
  FROM oracle.truth t
  LEFT JOIN oracle.verdicts v ON (v.k, v.check_name, v.tenant) IS NOT DISTINCT FROM (t.k, t.check_name, t.tenant)
 WHERE v.status IS DISTINCT FROM CASE WHEN t.leak THEN 'FAIL' ELSE 'PASS' END
   AND NOT (v.status IS NULL AND t.tenant = '5'
            AND (NOT t.leak OR EXISTS (SELECT FROM oracle.verdicts f
                                        WHERE (f.k, f.check_name, f.status) = (t.k, t.check_name, 'FAIL'))))
 ORDER BY t.k, t.check_name, t.tenant LIMIT 20;
SQL
    fi
done
echo "isolation_oracle: $total generated cases in all"
[ "$total" -ge "$cases" ] || fail=1
if [ "$fail" = 0 ]; then
    for db in rls_audit_oracle_1 rls_audit_oracle_2; do q -d postgres -c "DROP DATABASE $db WITH (FORCE)"; done
fi
exit $fail
