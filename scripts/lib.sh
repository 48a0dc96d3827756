#!/usr/bin/env bash
# Shared set-up for scripts/demo.sh and scripts/test.sh: installs what is
# missing (each step is skipped when already done), builds and installs the
# extension, and runs throwaway PostgreSQL 15 clusters owned by `postgres` on
# a private port and Unix socket (no TCP).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PG_MAJOR=15
PG_BIN=/usr/lib/postgresql/$PG_MAJOR/bin
PG_CONFIG=$PG_BIN/pg_config
PGRX_VERSION=0.18.1
WORK=${RLS_AUDIT_WORK:-/var/tmp/rls_audit}
export PATH="$HOME/.cargo/bin:$PATH"

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Debian packages: the server and headers pgrx builds against, clang for
# bindgen, sudo to run clusters as `postgres`, pg_cron and pgTAP for tests.
ensure_packages() {
    local pkgs=(postgresql-$PG_MAJOR postgresql-server-dev-$PG_MAJOR libclang-dev clang
                pkg-config sudo postgresql-$PG_MAJOR-cron postgresql-$PG_MAJOR-pgtap)
    local missing=() p
    for p in "${pkgs[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
    done
    if ((${#missing[@]})); then
        [ "$(id -u)" = 0 ] || die "missing packages (${missing[*]}); run as root or install them"
        log "installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

ensure_cargo_pgrx() {
    if ! cargo pgrx --version 2>/dev/null | grep -q " $PGRX_VERSION\$"; then
        log "installing cargo-pgrx $PGRX_VERSION (about 4 minutes, once)"
        cargo install cargo-pgrx --version "$PGRX_VERSION" --locked
    fi
    if ! grep -qs "pg$PG_MAJOR = \"$PG_CONFIG\"" "$HOME/.pgrx/config.toml"; then
        log "cargo pgrx init --pg$PG_MAJOR $PG_CONFIG"
        cargo pgrx init --pg$PG_MAJOR "$PG_CONFIG" >/dev/null
    fi
}

setup() {
    ensure_packages
    ensure_cargo_pgrx
}

# Build and install into the system PostgreSQL 15 (needs root, as set-up does).
install_extension() {
    log "building and installing rls_audit"
    (cd "$ROOT" && cargo pgrx install --pg-config "$PG_CONFIG" "$@" >"$WORK/install.log" 2>&1) \
        || { tail -40 "$WORK/install.log"; die "cargo pgrx install failed"; }
    # released install scripts, so older versions can be installed and upgraded
    cp "$ROOT"/sql/released/rls_audit--*.sql "$("$PG_CONFIG" --sharedir)/extension/"
}

# cluster_start NAME [extra postgresql.conf lines...]
# Sets CLUSTER_SOCK, CLUSTER_PORT and CLUSTER_DATA for the started cluster.
cluster_start() {
    local name=$1; shift
    CLUSTER_DATA=$WORK/$name/data
    CLUSTER_SOCK=$WORK/$name/sock
    case $name in
        demo) CLUSTER_PORT=54371 ;;
        test) CLUSTER_PORT=54372 ;;
        *)    CLUSTER_PORT=54373 ;;
    esac
    install -d -o postgres -g postgres "$WORK/$name" "$CLUSTER_SOCK"
    if [ ! -f "$CLUSTER_DATA/PG_VERSION" ]; then
        log "initdb $CLUSTER_DATA"
        sudo -u postgres "$PG_BIN/initdb" -D "$CLUSTER_DATA" -U postgres --auth=trust \
            -E UTF8 --locale=C --no-sync >"$WORK/$name/initdb.log" 2>&1 \
            || { cat "$WORK/$name/initdb.log"; die "initdb failed"; }
    fi
    {
        echo "listen_addresses = ''"
        echo "unix_socket_directories = '$CLUSTER_SOCK'"
        echo "port = $CLUSTER_PORT"
        echo "fsync = off"
        echo "lc_messages = 'C'"
        local line
        for line in "$@"; do echo "$line"; done
    } >"$CLUSTER_DATA/rls_audit.conf.new"
    chown postgres:postgres "$CLUSTER_DATA/rls_audit.conf.new"
    grep -q "include_if_exists = 'rls_audit.conf'" "$CLUSTER_DATA/postgresql.conf" \
        || echo "include_if_exists = 'rls_audit.conf'" >>"$CLUSTER_DATA/postgresql.conf"
    local running=0
    sudo -u postgres "$PG_BIN/pg_ctl" -D "$CLUSTER_DATA" status >/dev/null 2>&1 && running=1
    if [ $running = 1 ] && cmp -s "$CLUSTER_DATA/rls_audit.conf.new" "$CLUSTER_DATA/rls_audit.conf"; then
        # already up with the same settings; restart anyway so a freshly
        # installed rls_audit.so is the one every new backend loads
        sudo -u postgres "$PG_BIN/pg_ctl" -D "$CLUSTER_DATA" -w -m fast restart \
            -l "$WORK/$name/server.log" >/dev/null
    else
        mv "$CLUSTER_DATA/rls_audit.conf.new" "$CLUSTER_DATA/rls_audit.conf"
        [ $running = 1 ] && sudo -u postgres "$PG_BIN/pg_ctl" -D "$CLUSTER_DATA" -w -m fast stop >/dev/null
        sudo -u postgres "$PG_BIN/pg_ctl" -D "$CLUSTER_DATA" -w -l "$WORK/$name/server.log" start >/dev/null \
            || { tail -20 "$WORK/$name/server.log"; die "cluster $name did not start"; }
    fi
    rm -f "$CLUSTER_DATA/rls_audit.conf.new"
    export PGHOST=$CLUSTER_SOCK PGPORT=$CLUSTER_PORT PGUSER=postgres
}

cluster_stop() {
    local name=$1
    local data=$WORK/$name/data
    [ -f "$data/PG_VERSION" ] || return 0
    sudo -u postgres "$PG_BIN/pg_ctl" -D "$data" -w -m fast stop >/dev/null 2>&1 || true
}

# recreate_db NAME: a fresh, empty database
recreate_db() {
    psql -X -q -d postgres -v ON_ERROR_STOP=1 \
        -c "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)" -c "CREATE DATABASE \"$1\""
}
