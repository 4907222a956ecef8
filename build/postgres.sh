#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests and CI, on 127.0.0.1 only.
#   bash build/postgres.sh start DIR   makes a cluster in DIR (or starts the stopped one already there) on a free port,
#                                      waits until it accepts connections and prints its Npgsql connection string:
#                                      Host=127.0.0.1;Port=PORT;Username=postgres;Database=postgres
#   bash build/postgres.sh stop DIR    stops it (fast shutdown) and waits until its postmaster is gone; removes nothing.
# As root the server runs as the `postgres` user (initdb and postgres refuse root), otherwise as the caller. Debian's
# postgresql package is installed when no /usr/lib/postgresql/*/bin/initdb is found. Errors go to stderr with the
# reason; the exit status is then 1.
set -uo pipefail
source "$(dirname "$0")/debian-packages.sh"

fail() {
  echo "$0: $*" >&2
  exit 1
}

# The newest installed server's bin directory.
server_bin() {
  local initdb
  initdb=$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1)
  [ -n "$initdb" ] && dirname "$initdb"
}

# Runs a command as the cluster's owner, from / (which the postgres user can always enter).
as_owner() (
  cd /
  if [ "$(id -u)" -eq 0 ]; then
    exec runuser -u postgres -- "$@"
  else
    exec "$@"
  fi
)

# Line N of DIR/postmaster.pid (1: pid, 4: port), empty when the file is missing.
pid_file_line() {
  sed -n "$2p" "$1/postmaster.pid" 2>/dev/null
}

# Succeeds when the postmaster that DIR/postmaster.pid names is alive: its working directory is DIR. pg_ctl status is not
# enough: it counts a postmaster that died but is not reaped yet (a zombie) as running, and a stale pid file's recycled pid.
server_running() {
  local pid
  pid=$(pid_file_line "$1" 1)
  [ -n "$pid" ] && [ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" = "$1" ]
}

# A TCP port nothing on this host uses (listening or connected), below the ephemeral range so that no outgoing connection
# takes it before the server binds it. Two starts at once may still pick the same one: start retries on "in use".
free_port() {
  local low used port
  read -r low _ < /proc/sys/net/ipv4/ip_local_port_range
  used=$(tail -q -n +2 /proc/net/tcp /proc/net/tcp6 2>/dev/null | while read -r _ address _; do echo $((16#${address##*:})); done)
  while :; do
    port=$((10000 + (RANDOM * 32768 + RANDOM) % (low - 10000)))
    grep -qx "$port" <<< "$used" || { echo "$port"; return; }
  done
}

start() {
  local dir=$1 bin port attempt log logged output
  bin=$(server_bin) || { require_debian_packages "/usr/lib/postgresql/*/bin/initdb:postgresql" && bin=$(server_bin); } ||
    fail "no PostgreSQL server found under /usr/lib/postgresql/*/bin"
  mkdir -p "$dir" || fail "cannot make $dir"
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$dir" || fail "cannot give $dir to the postgres user"
    runuser -u postgres -- test -w "$dir" || fail "the postgres user cannot reach $dir: choose a directory under /tmp"
  fi
  chmod 700 "$dir"
  if server_running "$dir"; then
    fail "$dir already holds a running server (pid $(pid_file_line "$dir" 1), port $(pid_file_line "$dir" 4)): stop it first with: bash $0 stop $dir"
  fi
  if [ ! -e "$dir/PG_VERSION" ]; then
    output=$(as_owner "$bin/initdb" -D "$dir" -U postgres --auth=trust --encoding=UTF8 --no-locale 2>&1) ||
      fail "initdb failed in $dir:"$'\n'"$output"
    # Settings for a throwaway test cluster: no durability (fsync, synchronous commit and full page writes off make
    # it much faster, and a crash loses data nobody keeps); TCP on loopback only, and the socket in DIR, not /var/run.
    cat >> "$dir/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
    # Password-less access, over TCP from this host only.
    echo "host all all 127.0.0.1/32 trust" > "$dir/pg_hba.conf"
  fi
  log=$dir/server.log
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    logged=$(stat -c %s "$log" 2>/dev/null || echo 0)
    # -w waits until the server accepts connections or its postmaster has exited.
    if output=$(as_owner "$bin/pg_ctl" start -D "$dir" -l "$log" -o "-p $port" -w -t 60 2>&1); then
      "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -t 30 ||
        { stop "$dir" >/dev/null 2>&1; fail "the server in $dir started but does not answer on 127.0.0.1:$port"; }
      echo "Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
      return 0
    fi
    # A postmaster that did not get ready within the wait must not be left running.
    server_running "$dir" && stop "$dir" >/dev/null 2>&1
    tail -c +$((logged + 1)) "$log" 2>/dev/null | grep -q "Address already in use" || break
  done
  fail "the server in $dir did not start:"$'\n'"$output"$'\n'"The end of $log:"$'\n'"$(tail -n 20 "$log" 2>/dev/null)"
}

stop() {
  local dir=$1 bin pid output
  bin=$(server_bin) || fail "no PostgreSQL server found under /usr/lib/postgresql/*/bin"
  [ -e "$dir/PG_VERSION" ] || fail "$dir holds no PostgreSQL cluster"
  server_running "$dir" || { echo "$0: no server is running in $dir" >&2; return 0; }
  pid=$(pid_file_line "$dir" 1)
  output=$(as_owner "$bin/pg_ctl" stop -D "$dir" -m fast -w -t 60 2>&1) || {
    # Stop it hard rather than leave it running.
    as_owner "$bin/pg_ctl" stop -D "$dir" -m immediate -w -t 30 >/dev/null 2>&1
    fail "the fast shutdown of the server in $dir failed (then stopped with -m immediate):"$'\n'"$output"
  }
  # pg_ctl returns once the pid file is gone, which the postmaster removes just before it exits: wait for the exit
  # (a zombie counts as gone: its parent, whoever that is now, reaps it).
  local waited
  for ((waited = 0; waited < 1000; waited++)); do
    [ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" = "$dir" ] || return 0
    sleep 0.01
  done
  fail "the postmaster of $dir (pid $pid) is still alive 10 s after its pid file went away"
}

case "${1:-} $#" in
  "start 2") start "$(realpath -m "$2")" ;;
  "stop 2") stop "$(realpath -m "$2")" ;;
  *) fail "usage: $0 start|stop DIR" ;;
esac
