#!/usr/bin/env bash
# `npm run soak`: the short soak, as CI runs it. A Temporal cluster of its own (scripts/cluster.sh:
# PostgreSQL, four Temporal services, mTLS), then `bench/cluster-load.ts --profile=soak` (two
# workers, two APIs behind a balancer, chaos), then the cluster destroyed, whatever happened.
# Prints one report; exits non-zero when a ticket was lost, duplicated, echoed or stuck, a remote
# went over its budget, a chaos event did not run, or the cluster did not start.
#
#   npm run soak                       # about 5 minutes
#   npm run soak -- --tickets=100      # any bench/cluster-load.ts option overrides the profile's
#
# It shares nothing with `npm run cluster` or `npm test`: its cluster lives in a fresh temporary
# directory, PostgreSQL's data in another (one the `postgres` user can enter when this runs as
# root), on ports SOAK_PORT_BASE+32…+803 (default 18200: 18232–19003, below the ephemeral range
# that `npm test`'s servers and simulators take their ports from; the development cluster is on
# 17232–18003). Only the Temporal binaries are shared, from the cache outside the work tree
# (built once if missing, as `npm run cluster -- up` does). On failure the logs are kept and
# their directory is printed; on success everything is deleted.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SOAK_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ticket-bridge-soak-XXXXXX")
export TICKET_BRIDGE_CLUSTER_DIR=$SOAK_DIR/cluster
# Under /tmp whatever TMPDIR says: when this runs as root, PostgreSQL runs as `postgres`, which
# must be able to reach its data directory (cluster.sh makes it the owner of this one).
export TICKET_BRIDGE_CLUSTER_PG_DIR
TICKET_BRIDGE_CLUSTER_PG_DIR=$(mktemp -d /tmp/ticket-bridge-soak-pg-XXXXXX)
export CLUSTER_PORT_BASE=${SOAK_PORT_BASE:-18200}
# The load's run directory (process logs, report, verdicts) goes inside SOAK_DIR too.
export TMPDIR=$SOAK_DIR

load_pid=
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  # The load runs in a process group of its own (setsid): the group is it, the two APIs and
  # every worker it started, so nothing it spawned outlives the soak, even if it crashed.
  if [ -n "$load_pid" ] && kill -0 "$load_pid" 2>/dev/null; then
    kill -TERM -- "-$load_pid" 2>/dev/null || true
    sleep 2
    kill -KILL -- "-$load_pid" 2>/dev/null || true
  fi
  if [ "$rc" -ne 0 ] && [ -d "$TICKET_BRIDGE_CLUSTER_DIR/logs" ]; then cp -R "$TICKET_BRIDGE_CLUSTER_DIR/logs" "$SOAK_DIR/cluster-logs"; fi
  bash "$REPO/scripts/cluster.sh" destroy >/dev/null 2>&1 || echo "soak: cluster.sh destroy failed; processes may be left: see $SOAK_DIR" >&2
  rm -rf "$TICKET_BRIDGE_CLUSTER_PG_DIR"
  if [ "$rc" -eq 0 ]; then
    rm -rf "$SOAK_DIR"
  else
    rm -rf "$TICKET_BRIDGE_CLUSTER_DIR"
    echo "soak: FAILED (exit $rc); logs kept in $SOAK_DIR" >&2
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

started=$(date +%s)
bash "$REPO/scripts/cluster.sh" up >"$SOAK_DIR/cluster-up.log" 2>&1 || { cat "$SOAK_DIR/cluster-up.log" >&2; exit 2; }
echo "soak: cluster up on ports $((CLUSTER_PORT_BASE + 32))… in $(($(date +%s) - started)) s" >&2

cd "$REPO"
setsid node --import tsx bench/cluster-load.ts --profile=soak "$@" &
load_pid=$!
rc=0
wait "$load_pid" || rc=$?
load_pid=
echo "soak: took $(($(date +%s) - started)) s in all" >&2
exit "$rc"
