#!/usr/bin/env bash
# A real Temporal cluster on PostgreSQL, on this machine's loopback, built from published sources:
# the production shape docker-compose.yml describes, without Docker.
#
#   scripts/cluster.sh up                  # build what is missing (once), start everything
#   scripts/cluster.sh status              # each process, and whether the frontend answers
#   scripts/cluster.sh env                 # the TEMPORAL_* variables the bridge connects with
#   scripts/cluster.sh pids                # "<part> <pid>" of each running process (measurements)
#   scripts/cluster.sh restart <part>      # postgresql | frontend | history | matching | worker
#   scripts/cluster.sh stop <part>         # one part down (chaos runs), `up` brings it back
#   scripts/cluster.sh down                # stop every process (data kept)
#   scripts/cluster.sh destroy             # down, then delete the data, certificates and config
#
# (`npm run cluster -- up` is the same.) What runs:
#   - Debian's PostgreSQL (/usr/lib/postgresql/*/bin), its own data directory, 127.0.0.1 only,
#     as the `postgres` user when this runs as root (PostgreSQL refuses to run as root);
#   - Temporal Server 1.29.1 (`go install go.temporal.io/server/cmd/server@v1.29.1`, the version
#     inside the Temporal CLI 1.5.1 that `npm start` and the tests run) as four processes:
#     frontend, history, matching and the internal worker, with 4 history shards;
#   - its schemas applied with temporal-sql-tool (`go install …/cmd/tools/sql@v1.29.1`) from the
#     schema files of the same module, in the same three steps as docker-compose.yml's
#     `temporal-schema` service (create, setup-schema -v 0.0, update-schema);
#   - mTLS on the frontend (a client certificate is required) and between the services, with a
#     CA, a server and a client certificate generated here by openssl;
#   - the `default` namespace (24 h retention) and the ticket workflow's Keyword search
#     attributes, created when missing by the Temporal CLI, as compose's `temporal-setup` does.
#
# Everything lives outside the work tree: the binaries in $CACHE/temporal-server/<version>, the
# cluster (certificates, config, logs, pid files, the database password) in $CLUSTER_DIR; the
# PostgreSQL data in $CLUSTER_DIR/postgresql, or /var/lib/ticket-bridge-cluster/postgresql when
# running as root (the `postgres` user cannot enter root's home). $CACHE is $TICKET_BRIDGE_CACHE,
# else $XDG_CACHE_HOME/ticket-bridge, else ~/.cache/ticket-bridge (as for the Temporal CLI).
#
# Ports (loopback only; CLUSTER_PORT_BASE, default 17200, moves them all): PostgreSQL base+32,
# frontend gRPC base+33 (HTTP base+43), history base+34, matching base+35, worker base+39,
# membership base+733…739, Prometheus metrics base+800…803.
#
# Idempotent: `up` starts only what is not running and creates only what is missing; `down`
# stops exactly the processes whose pid files it wrote (and checks each pid is still ours).
set -euo pipefail

TEMPORAL_SERVER_VERSION=1.29.1
SERVICES=(history matching frontend worker)

CACHE=${TICKET_BRIDGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ticket-bridge}
BIN_DIR=$CACHE/temporal-server/$TEMPORAL_SERVER_VERSION
SERVER_BIN=$BIN_DIR/temporal-server
SQL_TOOL=$BIN_DIR/temporal-sql-tool
SCHEMA_DIR=$BIN_DIR/schema/postgresql/v12
CLUSTER_DIR=${TICKET_BRIDGE_CLUSTER_DIR:-$CACHE/cluster}
BASE=${CLUSTER_PORT_BASE:-17200}
PG_PORT=$((BASE + 32))
FRONTEND_PORT=$((BASE + 33))
FRONTEND_HTTP_PORT=$((BASE + 43))
NAMESPACE=default
RETENTION=24h
# The ticket workflow's search attributes (src/workflows/search-attributes.ts), all Keyword.
SEARCH_ATTRIBUTES=(TicketStatus TicketSource CrmTicketId TicketPaused TicketFingerprints)

grpc_port() { case $1 in frontend) echo $((BASE + 33)) ;; history) echo $((BASE + 34)) ;; matching) echo $((BASE + 35)) ;; worker) echo $((BASE + 39)) ;; esac; }
membership_port() { echo $(($(grpc_port "$1") + 700)); }
metrics_port() { case $1 in frontend) echo $((BASE + 800)) ;; history) echo $((BASE + 801)) ;; matching) echo $((BASE + 802)) ;; worker) echo $((BASE + 803)) ;; esac; }

die() { echo "cluster: $*" >&2; exit 1; }
say() { echo "cluster: $*"; }

# --- PostgreSQL: who runs it and where --------------------------------------------------------

PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ "$(id -u)" = 0 ]; then
  PG_USER=postgres
  PG_ROOT=${TICKET_BRIDGE_CLUSTER_PG_DIR:-/var/lib/ticket-bridge-cluster}
else
  PG_USER=$(id -un)
  PG_ROOT=${TICKET_BRIDGE_CLUSTER_PG_DIR:-$CLUSTER_DIR}
fi
PG_DATA=$PG_ROOT/postgresql
PG_LOG=$PG_ROOT/postgresql.log
PG_SOCKET_DIR=$PG_ROOT/socket

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u "$PG_USER" -- "$@"; else "$@"; fi
}

require_tools() {
  [ -n "$PG_BIN" ] && [ -x "$PG_BIN/pg_ctl" ] || die "PostgreSQL is missing (no /usr/lib/postgresql/*/bin/pg_ctl): apt-get install -y postgresql"
  command -v openssl >/dev/null || die "openssl is missing: apt-get install -y openssl"
  if [ "$(id -u)" = 0 ]; then
    id "$PG_USER" >/dev/null 2>&1 || die "running as root needs the '$PG_USER' user to run PostgreSQL (Debian's postgresql package creates it)"
    command -v runuser >/dev/null || die "runuser is missing (util-linux): needed to run PostgreSQL as '$PG_USER'"
  fi
  find_temporal_cli >/dev/null || die "the Temporal CLI is missing: run \`npm run temporal:install\` (or set TEMPORAL_CLI)"
}

find_temporal_cli() {
  if [ -n "${TEMPORAL_CLI:-}" ]; then [ -x "$TEMPORAL_CLI" ] && echo "$TEMPORAL_CLI" && return 0; return 1; fi
  if command -v temporal >/dev/null 2>&1; then command -v temporal; return 0; fi
  local cached=$CACHE/temporal-cli/1.5.1/temporal
  [ -x "$cached" ] && echo "$cached" && return 0
  return 1
}

# --- The server and its SQL tool, built once from the published module ------------------------

install_server() {
  if [ -x "$SERVER_BIN" ] && [ -x "$SQL_TOOL" ] && [ -d "$SCHEMA_DIR" ]; then return 0; fi
  command -v go >/dev/null || die "Temporal Server $TEMPORAL_SERVER_VERSION is not built and Go is missing to build it: install Go (https://go.dev/dl)"
  mkdir -p "$BIN_DIR"
  # A fresh directory, then renames: an interrupted build never leaves a half-written binary.
  local gobin
  gobin=$(mktemp -d "$BIN_DIR/build-XXXXXX")
  say "building Temporal Server $TEMPORAL_SERVER_VERSION and temporal-sql-tool from their Go source (once per machine, several minutes; log: $BIN_DIR/build.log)"
  # Neither module has a `replace` directive, so `go install pkg@version` builds them as published.
  (cd "$gobin" && CGO_ENABLED=0 GOBIN=$gobin go install \
    "go.temporal.io/server/cmd/server@v$TEMPORAL_SERVER_VERSION" \
    "go.temporal.io/server/cmd/tools/sql@v$TEMPORAL_SERVER_VERSION") >"$BIN_DIR/build.log" 2>&1 ||
    { rm -rf "$gobin"; die "go install failed; see $BIN_DIR/build.log"; }
  # The schemas ship in the module source; copied beside the binaries so a `go clean -modcache`
  # does not take them away.
  local module
  module=$(go env GOMODCACHE)/go.temporal.io/server@v$TEMPORAL_SERVER_VERSION
  rm -rf "$gobin/schema" && mkdir -p "$gobin/schema" && cp -R "$module/schema/postgresql" "$gobin/schema/" && chmod -R u+w "$gobin/schema"
  rm -rf "$BIN_DIR/schema" && mv "$gobin/schema" "$BIN_DIR/schema"
  mv "$gobin/sql" "$SQL_TOOL"
  mv "$gobin/server" "$SERVER_BIN"
  rmdir "$gobin"
}

# --- Certificates -----------------------------------------------------------------------------

make_certs() {
  local dir=$CLUSTER_DIR/tls
  [ -s "$dir/client.pem" ] && [ -s "$dir/server.pem" ] && [ -s "$dir/ca.pem" ] && return 0
  say "generating a CA, a server and a client certificate in $dir"
  mkdir -p "$dir" && chmod 700 "$dir"
  (
    cd "$dir"
    umask 077
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 825 -subj "/CN=ticket-bridge cluster CA" \
      -keyout ca.key -out ca.pem -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    # The server certificate serves the frontend and the internode links, and the services present
    # it as their client certificate to each other: both extended key usages.
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr 2>/dev/null
    printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
      "extendedKeyUsage=serverAuth,clientAuth" "subjectAltName=DNS:localhost,IP:127.0.0.1" >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 825 -extfile server.ext -out server.pem 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=ticket-bridge" -keyout client.key -out client.csr 2>/dev/null
    printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" "extendedKeyUsage=clientAuth" >client.ext
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 825 -extfile client.ext -out client.pem 2>/dev/null
    rm -f ./*.csr ./*.ext ca.srl
    # The CA key is not needed once the certificates exist.
    rm -f ca.key
  )
}

# --- PostgreSQL -------------------------------------------------------------------------------

db_password() {
  local file=$CLUSTER_DIR/postgres-password
  if [ ! -s "$file" ]; then (umask 077 && openssl rand -hex 24 >"$file"); fi
  cat "$file"
}

pg_running() { [ -f "$PG_DATA/PG_VERSION" ] && as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; }

# The superuser is named after the OS user that runs PostgreSQL, which local (peer) auth requires.
psql_admin() { as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U "$PG_USER" -d postgres "$@"; }

start_postgresql() {
  if [ ! -f "$PG_DATA/PG_VERSION" ]; then
    say "initdb $PG_DATA (as $PG_USER)"
    mkdir -p "$PG_ROOT"
    [ "$(id -u)" = 0 ] && chown "$PG_USER" "$PG_ROOT" && chmod 700 "$PG_ROOT"
    as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U "$PG_USER" --auth-local=peer --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$CLUSTER_DIR/logs/initdb.log" 2>&1 ||
      die "initdb failed; see $CLUSTER_DIR/logs/initdb.log"
    as_pg mkdir -p "$PG_SOCKET_DIR"
  fi
  if pg_running; then
    say "postgresql already running on 127.0.0.1:$PG_PORT"
  else
    port_free "$PG_PORT" || die "port $PG_PORT (PostgreSQL) is taken by another process; set CLUSTER_PORT_BASE to move the cluster's ports"
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 \
      -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $PG_SOCKET_DIR -c max_connections=200" start >/dev/null ||
      die "PostgreSQL did not start; see $PG_LOG"
    say "postgresql running on 127.0.0.1:$PG_PORT"
  fi
  # The role Temporal connects as: created once, its password (re)set from the password file.
  local password
  password=$(db_password)
  psql_admin -c "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'temporal') THEN CREATE ROLE temporal LOGIN CREATEDB; END IF; END \$\$;"
  psql_admin -c "ALTER ROLE temporal PASSWORD '$password';"
}

stop_postgresql() {
  if pg_running; then
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >/dev/null
    say "postgresql stopped"
  fi
}

# The same three steps as docker-compose.yml's `temporal-schema` service, for both databases.
migrate_schemas() {
  local password
  password=$(db_password)
  sql_tool() { SQL_PASSWORD=$password "$SQL_TOOL" --plugin postgres12 --ep 127.0.0.1 -p "$PG_PORT" -u temporal "$@"; }
  local db dir
  for pair in temporal:temporal temporal_visibility:visibility; do
    db=${pair%%:*}
    dir=${pair##*:}
    if ! psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
      sql_tool --db "$db" create >>"$CLUSTER_DIR/logs/schema.log" 2>&1 || die "creating database $db failed; see $CLUSTER_DIR/logs/schema.log"
    fi
    # setup-schema -v 0.0 is a no-op on a database that has a version; update-schema applies
    # only the versions that are missing.
    sql_tool --db "$db" setup-schema -v 0.0 >>"$CLUSTER_DIR/logs/schema.log" 2>&1 || die "setup-schema of $db failed; see $CLUSTER_DIR/logs/schema.log"
    sql_tool --db "$db" update-schema -d "$SCHEMA_DIR/$dir/versioned" >>"$CLUSTER_DIR/logs/schema.log" 2>&1 ||
      die "update-schema of $db failed; see $CLUSTER_DIR/logs/schema.log"
  done
  say "schemas of temporal and temporal_visibility up to date"
}

# --- Temporal services ------------------------------------------------------------------------

write_config() {
  local service=$1 dir=$CLUSTER_DIR/config/$service password
  password=$(db_password)
  mkdir -p "$dir"
  # One config directory per service: the same file but for the metrics port (the server has a
  # single, process-wide metrics listener).
  (umask 077 && cat >"$dir/production.yaml") <<EOF
# Written by scripts/cluster.sh; rewritten on every \`up\`.
log:
  stdout: true
  level: warn
persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  numHistoryShards: 4
  datastores:
    postgres-default:
      sql:
        pluginName: postgres12
        databaseName: temporal
        connectAddr: "127.0.0.1:$PG_PORT"
        connectProtocol: tcp
        user: temporal
        password: "$password"
        maxConns: 20
        maxIdleConns: 20
        maxConnLifetime: 1h
    postgres-visibility:
      sql:
        pluginName: postgres12
        databaseName: temporal_visibility
        connectAddr: "127.0.0.1:$PG_PORT"
        connectProtocol: tcp
        user: temporal
        password: "$password"
        maxConns: 10
        maxIdleConns: 10
        maxConnLifetime: 1h
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1
  pprof:
    port: 0
  metrics:
    prometheus:
      framework: tally
      timerType: histogram
      listenAddress: "127.0.0.1:$(metrics_port "$service")"
  # mTLS everywhere, one CA: the frontend and the internode links require a client certificate
  # signed by it; the services (and the internal worker) present the server certificate as theirs.
  tls:
    internode: &mtls
      server:
        certFile: $CLUSTER_DIR/tls/server.pem
        keyFile: $CLUSTER_DIR/tls/server.key
        requireClientAuth: true
        clientCaFiles: [$CLUSTER_DIR/tls/ca.pem]
      client: &trust-ca
        serverName: localhost
        rootCaFiles: [$CLUSTER_DIR/tls/ca.pem]
    frontend: *mtls
    systemWorker:
      certFile: $CLUSTER_DIR/tls/server.pem
      keyFile: $CLUSTER_DIR/tls/server.key
      client: *trust-ca
services:
  frontend:
    rpc: { grpcPort: $(grpc_port frontend), membershipPort: $(membership_port frontend), bindOnIP: 127.0.0.1, httpPort: $FRONTEND_HTTP_PORT }
  history:
    rpc: { grpcPort: $(grpc_port history), membershipPort: $(membership_port history), bindOnIP: 127.0.0.1 }
  matching:
    rpc: { grpcPort: $(grpc_port matching), membershipPort: $(membership_port matching), bindOnIP: 127.0.0.1 }
  worker:
    rpc: { grpcPort: $(grpc_port worker), membershipPort: $(membership_port worker), bindOnIP: 127.0.0.1 }
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: "127.0.0.1:$FRONTEND_PORT"
      httpAddress: "127.0.0.1:$FRONTEND_HTTP_PORT"
dcRedirectionPolicy:
  policy: noop
dynamicConfigClient:
  filepath: $CLUSTER_DIR/config/dynamicconfig.yaml
  pollInterval: 10s
EOF
}

write_dynamic_config() {
  # docker/temporal/dynamicconfig.yaml is the compose stack's; the cluster runs the same file.
  local repo
  repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  mkdir -p "$CLUSTER_DIR/config"
  cp "$repo/docker/temporal/dynamicconfig.yaml" "$CLUSTER_DIR/config/dynamicconfig.yaml"
}

pid_file() { echo "$CLUSTER_DIR/run/$1.pid"; }

# The pid in the file, if that process is alive and still the one we started (a pid can be reused).
live_pid() {
  local file pid
  file=$(pid_file "$1")
  [ -f "$file" ] || return 1
  pid=$(cat "$file")
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$SERVER_BIN .*--service $1" || return 1
  echo "$pid"
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_service() {
  local service=$1
  if live_pid "$service" >/dev/null; then
    say "$service already running (pid $(live_pid "$service"))"
    return 0
  fi
  port_free "$(grpc_port "$service")" || die "port $(grpc_port "$service") ($service) is taken by another process; set CLUSTER_PORT_BASE to move the cluster's ports"
  mkdir -p "$CLUSTER_DIR/run" "$CLUSTER_DIR/logs"
  # setsid: a process group of its own, so a Ctrl-C in this terminal does not reach it; `down` stops it.
  setsid "$SERVER_BIN" --root "$CLUSTER_DIR" --config "config/$service" --env production --allow-no-auth start --service "$service" \
    >>"$CLUSTER_DIR/logs/$service.log" 2>&1 </dev/null &
  echo $! >"$(pid_file "$service")"
  say "$service started (pid $!, log $CLUSTER_DIR/logs/$service.log)"
}

stop_service() {
  local service=$1 pid
  pid=$(live_pid "$service") || { rm -f "$(pid_file "$service")"; return 0; }
  kill -TERM "$pid"
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "$service did not stop in 20 s: SIGKILL"
    kill -KILL "$pid"
  fi
  rm -f "$(pid_file "$service")"
  say "$service stopped"
}

# On a fresh database every service writes the cluster's metadata record at start, and two doing
# it at once fail one of them ("failed to initialize current cluster metadata"): one in four soak
# runs lost its frontend that way. So the first service starts alone until the record exists.
wait_for_cluster_metadata() {
  for _ in $(seq 1 60); do
    psql_admin -d temporal -tAc "SELECT 1 FROM cluster_metadata_info LIMIT 1" 2>/dev/null | grep -q 1 && return 0
    live_pid "${SERVICES[0]}" >/dev/null || die "${SERVICES[0]} exited; see $CLUSTER_DIR/logs/${SERVICES[0]}.log"
    sleep 1
  done
  die "${SERVICES[0]} did not write the cluster metadata within 60 s; see $CLUSTER_DIR/logs/${SERVICES[0]}.log"
}

temporal_cli() {
  local tls=$CLUSTER_DIR/tls
  "$(find_temporal_cli)" --address "127.0.0.1:$FRONTEND_PORT" --tls-cert-path "$tls/client.pem" --tls-key-path "$tls/client.key" \
    --tls-ca-path "$tls/ca.pem" --tls-server-name localhost "$@"
}

wait_for_frontend() {
  for _ in $(seq 1 90); do
    temporal_cli operator cluster health >/dev/null 2>&1 && return 0
    live_pid frontend >/dev/null || die "the frontend exited; see $CLUSTER_DIR/logs/frontend.log"
    sleep 1
  done
  die "the frontend did not answer within 90 s; see $CLUSTER_DIR/logs/*.log"
}

# The same steps as docker-compose.yml's `temporal-setup` service.
setup_namespace() {
  local out
  if temporal_cli operator namespace describe --namespace "$NAMESPACE" >/dev/null 2>&1; then
    :
  elif out=$(temporal_cli operator namespace create --namespace "$NAMESPACE" --retention "$RETENTION" 2>&1); then
    say "namespace $NAMESPACE created"
  elif [[ $out == *"already exists"* ]]; then
    # The describe failed for another reason: a frontend that has just come back (a soak's
    # cluster restart, PostgreSQL a moment ago) can fail it while the namespace is there.
    :
  else
    die "creating namespace $NAMESPACE failed: $out"
  fi
  local existing="" missing=() name
  # A new namespace reaches the frontend's cache within seconds; listing fails until then.
  for _ in $(seq 1 30); do
    existing=$(temporal_cli operator search-attribute list --namespace "$NAMESPACE" --output json 2>/dev/null) && break
    sleep 1
  done
  for name in "${SEARCH_ATTRIBUTES[@]}"; do
    case $existing in *"\"$name\""*) ;; *) missing+=(--name "$name" --type Keyword) ;; esac
  done
  if [ ${#missing[@]} -gt 0 ]; then temporal_cli operator search-attribute create --namespace "$NAMESPACE" "${missing[@]}" >/dev/null; fi
  existing=$(temporal_cli operator search-attribute list --namespace "$NAMESPACE" --output json)
  for name in "${SEARCH_ATTRIBUTES[@]}"; do
    case $existing in *"\"$name\""*) ;; *) die "search attribute $name is still missing" ;; esac
  done
  say "namespace $NAMESPACE with search attributes ${SEARCH_ATTRIBUTES[*]} ready"
}

# The server name: the certificate names both localhost and 127.0.0.1, but Node's TLS (the API's
# client) warns when SNI would be an IP address (RFC 6066 allows host names only).
print_env() {
  local tls=$CLUSTER_DIR/tls
  cat <<EOF
export TEMPORAL_ADDRESS=127.0.0.1:$FRONTEND_PORT
export TEMPORAL_NAMESPACE=$NAMESPACE
export TEMPORAL_TLS_CERT_PATH=$tls/client.pem
export TEMPORAL_TLS_KEY_PATH=$tls/client.key
export TEMPORAL_TLS_CA_PATH=$tls/ca.pem
export TEMPORAL_TLS_SERVER_NAME=localhost
EOF
}

# --- Commands ---------------------------------------------------------------------------------

up() {
  require_tools
  install_server
  mkdir -p "$CLUSTER_DIR/logs" "$CLUSTER_DIR/run" && chmod 700 "$CLUSTER_DIR"
  make_certs
  start_postgresql
  migrate_schemas
  write_dynamic_config
  local service
  for service in "${SERVICES[@]}"; do write_config "$service"; done
  start_service "${SERVICES[0]}"
  wait_for_cluster_metadata
  for service in "${SERVICES[@]:1}"; do start_service "$service"; done
  wait_for_frontend
  setup_namespace
  say "up: frontend on 127.0.0.1:$FRONTEND_PORT (mTLS); connect the bridge with: eval \"\$(scripts/cluster.sh env)\""
}

down() {
  local i
  # The reverse of the start order: the frontend and worker first, history last.
  for ((i = ${#SERVICES[@]} - 1; i >= 0; i--)); do stop_service "${SERVICES[$i]}"; done
  [ -n "$PG_BIN" ] && stop_postgresql
  say "down"
}

status() {
  local service pid rc=0
  if [ -n "$PG_BIN" ] && pg_running; then say "postgresql running on 127.0.0.1:$PG_PORT ($PG_DATA)"; else say "postgresql stopped"; rc=1; fi
  for service in "${SERVICES[@]}"; do
    if pid=$(live_pid "$service"); then say "$service running (pid $pid, port $(grpc_port "$service"))"; else say "$service stopped"; rc=1; fi
  done
  if [ -d "$CLUSTER_DIR/tls" ] && find_temporal_cli >/dev/null && temporal_cli operator cluster health >/dev/null 2>&1; then
    say "frontend 127.0.0.1:$FRONTEND_PORT answers (mTLS)"
  else
    say "frontend 127.0.0.1:$FRONTEND_PORT does not answer"
    rc=1
  fi
  return $rc
}

part_command() {
  local verb=$1 part=${2:-}
  case $part in
    postgresql)
      stop_postgresql
      if [ "$verb" = restart ]; then start_postgresql; fi
      ;;
    frontend | history | matching | worker)
      stop_service "$part"
      if [ "$verb" = restart ]; then start_service "$part"; fi
      ;;
    *) die "$verb what? one of: postgresql ${SERVICES[*]}" ;;
  esac
  return 0
}

case ${1:-} in
  up) up ;;
  down) down ;;
  status) status ;;
  pids)
    if [ -n "$PG_BIN" ] && pg_running; then echo "postgresql $(head -1 "$PG_DATA/postmaster.pid")"; fi
    for service in "${SERVICES[@]}"; do if pid=$(live_pid "$service"); then echo "$service $pid"; fi; done
    ;;
  env) [ -s "$CLUSTER_DIR/tls/client.pem" ] || die "no cluster yet: run scripts/cluster.sh up"; print_env ;;
  restart | stop) require_tools; part_command "$1" "${2:-}" ;;
  destroy)
    down
    rm -rf "$CLUSTER_DIR"
    [ "$PG_ROOT" != "$CLUSTER_DIR" ] && rm -rf "$PG_ROOT"
    say "destroyed (binaries kept in $BIN_DIR)"
    ;;
  *) die "usage: scripts/cluster.sh up|down|status|env|pids|restart <part>|stop <part>|destroy" ;;
esac
