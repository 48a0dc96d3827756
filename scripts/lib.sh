#!/usr/bin/env bash
# Shared set-up for scripts/demo.sh and scripts/test.sh: installs what is
# missing (each step is skipped when already done), builds and installs the
# extension, and runs throwaway PostgreSQL clusters owned by `postgres` on a
# private port and Unix socket (no TCP). PostgreSQL 15 comes from Debian's
# packages; 18 is built once from PostgreSQL's source (Debian's
# postgresql-18 source package) into $WORK/pg18 and reused.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PGRX_VERSION=0.18.1
PG18_ORIG=postgresql-18_18.6.orig.tar.bz2
WORK=${RLS_AUDIT_WORK:-/var/tmp/rls_audit}
export PATH="$HOME/.cargo/bin:$PATH"

# use_pg MAJOR: the PostgreSQL the following steps use (PG_MAJOR, PG_BIN,
# PG_CONFIG); 15 is Debian's, 18 the one built from source
use_pg() {
    PG_MAJOR=$1
    case $PG_MAJOR in
        15) PG_BIN=/usr/lib/postgresql/15/bin ;;
        18) PG_BIN=$WORK/pg18/bin ;;
        *) die "PostgreSQL $PG_MAJOR is not set up here (15 or 18)" ;;
    esac
    PG_CONFIG=$PG_BIN/pg_config
    # pg_regress lives in the PGXS tree pg_config names
    PG_REGRESS=$("$PG_CONFIG" --pgxs 2>/dev/null | sed 's|/src/makefiles/pgxs.mk$||' || echo /nonexistent)/src/test/regress/pg_regress
    export PG_MAJOR PG_BIN PG_CONFIG PG_REGRESS
}

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Debian packages: the server and headers pgrx builds against, clang for
# bindgen, sudo to run clusters as `postgres`, pg_cron and pgTAP for tests.
ensure_packages() {
    local pkgs=("postgresql-$PG_MAJOR" "postgresql-server-dev-$PG_MAJOR" libclang-dev clang
                pkg-config sudo "postgresql-$PG_MAJOR-cron" "postgresql-$PG_MAJOR-pgtap" shellcheck)
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
    # pgrx keeps one list of PostgreSQLs: name every one that is set up
    local args=(--pg15 /usr/lib/postgresql/15/bin/pg_config) stale=0
    [ -x "$WORK/pg18/bin/pg_config" ] && args+=(--pg18 "$WORK/pg18/bin/pg_config")
    for ((i = 1; i < ${#args[@]}; i += 2)); do
        grep -qs "${args[i-1]#--} = \"${args[i]}\"" "$HOME/.pgrx/config.toml" || stale=1
    done
    if [ $stale = 1 ]; then
        log "cargo pgrx init ${args[*]}"
        cargo pgrx init "${args[@]}" >/dev/null
    fi
}

# PostgreSQL 18 from source, once: the postgresql-18 source package's
# upstream tarball from the Debian archive this machine's apt uses, checked
# against the sha256 in the archive's Sources index, built into $WORK/pg18
# with the contrib modules the tests and benches use (dblink,
# pg_stat_statements): about 3 minutes on 2 cores; later runs find it.
ensure_pg18() {
    [ -x "$WORK/pg18/bin/postgres" ] \
        && [ -f "$("$WORK/pg18/bin/pg_config" --pkglibdir)/dblink.so" ] && return 0
    local pkgs=(bison flex curl xz-utils bzip2) missing=() p
    for p in "${pkgs[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
    done
    if ((${#missing[@]})); then
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
    local mirror src=$WORK/src suite sum=""
    # (either file may be missing: deb822 .sources or the classic list)
    mirror=$(grep -m1 -h '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' || true)
    [ -n "$mirror" ] || mirror=$(grep -m1 -h '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' || true)
    [ -n "$mirror" ] || die "no Debian archive in apt's sources to fetch PostgreSQL 18's source from"
    mkdir -p "$src"
    for suite in sid forky trixie; do
        sum=$(curl -sf "$mirror/dists/$suite/main/source/Sources.xz" | xz -dc \
              | awk -v f="$PG18_ORIG" '$3 == f && length($1) == 64 { print $1; exit }') || true
        [ -n "$sum" ] && break
    done
    [ -n "$sum" ] || die "$PG18_ORIG is not in the archive's Sources indexes"
    log "building PostgreSQL 18 from $PG18_ORIG (sha256 $sum; about 3 minutes, once)"
    curl -sf -o "$src/$PG18_ORIG" "$mirror/pool/main/p/postgresql-18/$PG18_ORIG" \
        || die "could not download $PG18_ORIG"
    echo "$sum  $src/$PG18_ORIG" | sha256sum -c --quiet || die "$PG18_ORIG does not match its sha256"
    rm -rf "$src/pg18" && mkdir -p "$src/pg18"
    tar -xjf "$src/$PG18_ORIG" -C "$src/pg18" --strip-components=1
    (cd "$src/pg18" && ./configure --prefix="$WORK/pg18" --without-icu --without-readline --without-zlib \
        >"$src/pg18-configure.log" 2>&1 && make -j2 >"$src/pg18-make.log" 2>&1 \
        && make install >"$src/pg18-install.log" 2>&1 \
        && make -C contrib/dblink install >>"$src/pg18-install.log" 2>&1 \
        && make -C contrib/pg_stat_statements install >>"$src/pg18-install.log" 2>&1) \
        || { tail -20 "$src"/pg18-*.log; die "building PostgreSQL 18 failed"; }
    rm -rf "$src/pg18"
}

setup() {
    ensure_packages
    [ "${NEED_PG18:-0}" = 1 ] && ensure_pg18
    ensure_cargo_pgrx
}

# Build and install into the PostgreSQL of use_pg (needs root, as set-up does).
# install_extension [cargo pgrx install flags, e.g. --release]
# shellcheck disable=SC2120  # the flags are optional
install_extension() {
    log "building and installing rls_audit"
    (cd "$ROOT" && cargo pgrx install --pg-config "$PG_CONFIG" "$@" >"$WORK/install.log" 2>&1) \
        || { tail -40 "$WORK/install.log"; die "cargo pgrx install failed"; }
    # released install scripts, so older versions can be installed and upgraded
    cp "$ROOT"/sql/released/rls_audit--*.sql "$("$PG_CONFIG" --sharedir)/extension/"
}

# cluster_start NAME [extra postgresql.conf lines...]
# Sets CLUSTER_SOCK, CLUSTER_PORT, CLUSTER_DATA and CLUSTER_LOG for the started cluster.
cluster_start() {
    local name=$1; shift
    CLUSTER_DATA=$WORK/$name/data
    CLUSTER_SOCK=$WORK/$name/sock
    case $name in
        demo) CLUSTER_PORT=54371 ;;
        test) CLUSTER_PORT=54372 ;;
        demo18) CLUSTER_PORT=54375 ;;
        test18) CLUSTER_PORT=54376 ;;
        *)    CLUSTER_PORT=54373 ;;
    esac
    install -d -o postgres -g postgres "$WORK/$name" "$CLUSTER_SOCK"
    if [ ! -f "$CLUSTER_DATA/PG_VERSION" ]; then
        log "initdb $CLUSTER_DATA"
        # the log is root's on purpose (it lives next to root's other logs)
        # shellcheck disable=SC2024
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
    # the server log (scenarios compare rls_audit's event lines with it)
    CLUSTER_LOG=$WORK/$name/server.log
    export PGHOST=$CLUSTER_SOCK PGPORT=$CLUSTER_PORT PGUSER=postgres CLUSTER_LOG
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

use_pg "${PG_MAJOR:-15}"
