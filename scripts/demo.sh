#!/usr/bin/env bash
# The README's first command: set up everything on a fresh Debian machine,
# build and install rls_audit, start a throwaway PostgreSQL cluster and
# walk through the DBA's release: snapshot, a bad migration, what changed,
# the exact CREATE POLICY to put it back.
#
# usage: scripts/demo.sh [--pg 15|18] [--keep]   (--keep leaves the cluster running;
#        --pg 18 builds PostgreSQL 18 from source first, once)
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

keep=0
pg=15
while (($#)); do
    case $1 in
        --keep) keep=1; shift ;;
        --pg)
            case ${2:-} in 15|18) pg=$2 ;; *) die "usage: scripts/demo.sh [--pg 15|18] [--keep]" ;; esac
            shift 2 ;;
        *) die "usage: scripts/demo.sh [--pg 15|18] [--keep]" ;;
    esac
done

mkdir -p "$WORK"
[ "$pg" = 18 ] && export NEED_PG18=1
setup
use_pg "$pg"
export PATH="$PG_BIN:$PATH"
demo=demo; [ "$pg" = 15 ] || demo=demo$pg
install_extension
# preloaded: its hook records role, membership and owner statements too
cluster_start "$demo" "shared_preload_libraries = 'rls_audit'"
trap '[ $keep = 1 ] || cluster_stop $demo' EXIT
recreate_db rls_audit_demo
log "running demo/demo.sql"
psql -X -d rls_audit_demo -v ON_ERROR_STOP=1 -e -f "$ROOT/demo/demo.sql"
if [ $keep = 1 ]; then
    log "cluster left running; connect with:"
    echo "    psql -h $CLUSTER_SOCK -p $CLUSTER_PORT -U postgres rls_audit_demo"
else
    log "cluster stopped; run scripts/demo.sh --keep to keep it and connect with:"
    echo "    psql -h $CLUSTER_SOCK -p $CLUSTER_PORT -U postgres rls_audit_demo"
fi
