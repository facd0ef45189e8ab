#!/usr/bin/env bash
# A throwaway PostgreSQL 15 + pgvector cluster for the tests, the same on a developer's machine and
# in CI (.ci/run). Installs Debian's server and headers and builds pgvector from the vendored
# tarball when they are missing, then starts a new cluster on a free loopback port.
#
#   eval "$(bash tools/pg-cluster.sh start)"   # stdout carries only the two export lines
#   bash tools/pg-cluster.sh stop              # stops $RAGBRIDGE_PG_DATA's cluster and deletes it
#
# RAGBRIDGE_PG_SHARED_BUFFERS sets the cluster's shared_buffers (default 128MB, enough for the
# tests; the 100k-chunk benchmark in docs/postgres.md used 1GB).
#
# Needs root or sudo: apt-get, `make install` and the cluster itself runs as the postgres user.
# Always uses /usr/lib/postgresql/15/bin: another pg_ctl or pg_config may come first on PATH.
set -euo pipefail

PG_BIN=/usr/lib/postgresql/15/bin
PG_SERVER_HEADERS=/usr/include/postgresql/15/server
PGVECTOR_VERSION=0.8.6
VECTOR_CONTROL=/usr/share/postgresql/15/extension/vector.control
DATABASE_NAME=ragbridge_test
SHARED_BUFFERS="${RAGBRIDGE_PG_SHARED_BUFFERS:-128MB}"
# Written into each cluster this script makes; `stop` deletes only folders that carry it.
MARKER_FILE=.ragbridge-pg-cluster

repo_root="$(cd "$(dirname "$0")/.." && pwd)"
PGVECTOR_TARBALL="${PGVECTOR_TARBALL:-$repo_root/../shared/vendor/pgvector-$PGVECTOR_VERSION.tar.gz}"

# stdout is kept for the export lines (fd 3); everything else goes to stderr.
exec 3>&1 1>&2

log() { echo "pg-cluster: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}

SUDO=()
choose_root_runner() {
  if [ "$(id -u)" = 0 ]; then
    return
  fi
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
    return
  fi
  die "not root and no sudo: installing PostgreSQL 15 and pgvector (apt-get, make install) and running" \
    "the cluster as the postgres user (runuser) need root. Run this script as root, or install sudo" \
    "and run it as a user allowed to use it."
}

as_root() { "${SUDO[@]}" "$@"; }
# From /, so that postgres is not told it cannot read the caller's working folder.
as_postgres() { (cd / && "${SUDO[@]}" runuser -u postgres -- "$@"); }

server_installed() {
  [ -x "$PG_BIN/postgres" ] && [ -x "$PG_BIN/initdb" ] && "$PG_BIN/pg_config" --version >/dev/null 2>&1 &&
    [ -d "$PG_SERVER_HEADERS" ]
}

ensure_server() {
  if server_installed; then
    log "PostgreSQL 15 server and headers present ($("$PG_BIN/pg_config" --version)); apt skipped"
    return
  fi
  local packages=(postgresql-15 postgresql-server-dev-15)
  command -v make >/dev/null 2>&1 || packages+=(make)
  command -v cc >/dev/null 2>&1 || packages+=(gcc libc6-dev)
  log "installing ${packages[*]} with apt-get"
  as_root apt-get update -qq
  # Node.js on these machines is not Debian's: an install that would replace it is refused.
  if as_root apt-get -s install --no-install-recommends "${packages[@]}" |
    grep -E '^Inst (nodejs|npm|nodejs-doc) '; then
    die "apt-get would install or replace nodejs/npm; refusing"
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
  server_installed || die "PostgreSQL 15 is still missing after apt-get install ($PG_BIN, $PG_SERVER_HEADERS)"
}

pgvector_installed() {
  [ -f "$VECTOR_CONTROL" ] && grep -Eq "^default_version *= *'$PGVECTOR_VERSION'" "$VECTOR_CONTROL" &&
    [ -f "$("$PG_BIN/pg_config" --pkglibdir)/vector.so" ]
}

ensure_pgvector() {
  if pgvector_installed; then
    log "pgvector $PGVECTOR_VERSION present; build skipped"
    return
  fi
  [ -f "$PGVECTOR_TARBALL" ] || die "pgvector tarball not found: $PGVECTOR_TARBALL (set PGVECTOR_TARBALL)"
  local build_dir
  build_dir="$(mktemp -d)"
  log "building pgvector $PGVECTOR_VERSION from $PGVECTOR_TARBALL in $build_dir"
  tar -xzf "$PGVECTOR_TARBALL" -C "$build_dir" --strip-components=1
  # OPTFLAGS="": no -march=native, so the installed library still loads if this machine is later
  # handed over on another CPU (pgvector picks its SIMD paths at run time). with_llvm=no: no JIT
  # bitcode, which the tests never use and which doubles the build time.
  local make_args=(-C "$build_dir" PG_CONFIG="$PG_BIN/pg_config" OPTFLAGS= with_llvm=no)
  make -s -j "$(nproc)" "${make_args[@]}" >/dev/null
  as_root make -s "${make_args[@]}" install >/dev/null
  as_root rm -rf "$build_dir"
  pgvector_installed || die "pgvector $PGVECTOR_VERSION is not installed after make install ($VECTOR_CONTROL)"
}

free_port() {
  if command -v node >/dev/null 2>&1; then
    node -e 'const s = require("net").createServer();
      s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
  elif command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
  else
    die "neither node nor python3 found to pick a free port"
  fi
}

# Settings in a file of their own, included from postgresql.conf, so that a plain
# `pg_ctl -D "$RAGBRIDGE_PG_DATA" start` (after a kill -9 test) comes back on the same port.
# fsync, synchronous_commit and full_page_writes keep their defaults: the crash tests need them.
write_settings() {
  local data_dir="$1" port="$2"
  as_postgres tee "$data_dir/ragbridge.conf" >/dev/null <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$data_dir'
unix_socket_permissions = 0700
shared_buffers = $SHARED_BUFFERS
max_connections = 200
EOF
}

init_cluster() {
  local data_dir="$1"
  as_root chown postgres:postgres "$data_dir"
  as_root chmod 700 "$data_dir"
  as_postgres "$PG_BIN/initdb" -D "$data_dir" -U postgres --auth-local=peer --auth-host=trust \
    -E UTF8 --locale=C.UTF-8 --no-instructions >/dev/null
  as_postgres tee "$data_dir/pg_hba.conf" >/dev/null <<'EOF'
# ragbridge test cluster (tools/pg-cluster.sh): trust over IPv4 loopback only; the socket lives in
# this folder and is for the postgres user.
local all postgres peer
host all all 127.0.0.1/32 trust
EOF
  echo "include 'ragbridge.conf'" | as_postgres tee -a "$data_dir/postgresql.conf" >/dev/null
  as_postgres touch "$data_dir/$MARKER_FILE"
}

# Sets PORT. A free port can be taken between the check and the bind, so a few are tried.
PORT=""
start_server() {
  local data_dir="$1" attempt
  for attempt in 1 2 3; do
    PORT="$(free_port)"
    write_settings "$data_dir" "$PORT"
    # 3>&-: the server must not hold the caller's $(...) pipe open.
    if as_postgres "$PG_BIN/pg_ctl" -D "$data_dir" -l "$data_dir/server.log" -w -t 60 start >/dev/null 3>&-; then
      return
    fi
    log "start on port $PORT failed (attempt $attempt); server.log ends:"
    as_root tail -n 5 "$data_dir/server.log" >&2 || true
  done
  die "PostgreSQL did not start in $data_dir"
}

cmd_start() {
  [[ "$SHARED_BUFFERS" =~ ^[0-9]+(kB|MB|GB|TB)?$ ]] ||
    die "RAGBRIDGE_PG_SHARED_BUFFERS must be a size such as 128MB or 1GB (got: $SHARED_BUFFERS)"
  choose_root_runner
  local t0=$SECONDS
  ensure_server
  log "apt step: $((SECONDS - t0))s"
  t0=$SECONDS
  ensure_pgvector
  log "pgvector step: $((SECONDS - t0))s"

  t0=$SECONDS
  NEW_DATA_DIR="$(mktemp -d /tmp/ragbridge-pg.XXXXXX)"
  local data_dir="$NEW_DATA_DIR" port
  # Until the exports are printed, a failure removes the half-made cluster.
  trap 'stop_cluster "$NEW_DATA_DIR" ours || true' EXIT
  init_cluster "$data_dir"
  start_server "$data_dir"
  port="$PORT"
  local psql=("$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres)
  "${psql[@]}" -d postgres -c "CREATE DATABASE $DATABASE_NAME"
  "${psql[@]}" -d "$DATABASE_NAME" -c "CREATE EXTENSION vector"
  local version
  version="$("${psql[@]}" -d "$DATABASE_NAME" -At -c "SELECT extversion FROM pg_extension WHERE extname = 'vector'")"
  [ "$version" = "$PGVECTOR_VERSION" ] || die "vector extension is $version, expected $PGVECTOR_VERSION"
  log "initdb + start: $((SECONDS - t0))s; PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}')" \
    "with pgvector $version on 127.0.0.1:$port, data in $data_dir"
  trap - EXIT

  echo "export DATABASE_URL=postgres://postgres@127.0.0.1:$port/$DATABASE_NAME" >&3
  echo "export RAGBRIDGE_PG_DATA=$data_dir" >&3
}

# stop_cluster DIR [ours]: "ours" when this run made DIR (before its marker may exist).
stop_cluster() {
  local data_dir="$1" ours="${2:-}"
  [ -d "$data_dir" ] || return 0
  if [ "$ours" != ours ] && ! as_root test -f "$data_dir/$MARKER_FILE"; then
    die "$data_dir was not made by tools/pg-cluster.sh ($MARKER_FILE missing); not deleting it"
  fi
  if as_postgres "$PG_BIN/pg_ctl" -D "$data_dir" status >/dev/null 2>&1; then
    as_postgres "$PG_BIN/pg_ctl" -D "$data_dir" -m fast -w stop >/dev/null
  fi
  as_root rm -rf "$data_dir"
  log "stopped and removed $data_dir"
}

cmd_stop() {
  local data_dir="${1:-${RAGBRIDGE_PG_DATA:-}}"
  [ -n "$data_dir" ] || die "RAGBRIDGE_PG_DATA is not set (or pass the cluster folder: stop DIR)"
  choose_root_runner
  stop_cluster "$data_dir"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop "${2:-}" ;;
  *)
    echo "usage: bash tools/pg-cluster.sh start | stop [DIR]"
    echo '  eval "$(bash tools/pg-cluster.sh start)"   # sets DATABASE_URL and RAGBRIDGE_PG_DATA'
    exit 2
    ;;
esac
