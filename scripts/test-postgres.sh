#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL cluster:
#   scripts/test-postgres.sh COMMAND [ARGS...]
# The command sees TEST_POSTGRES_URL (postgres://portal@127.0.0.1:PORT/postgres; tests create their
# own databases in it). The cluster and its folder are removed afterwards, also when the command
# fails or the script is interrupted, and the script exits with the command's status.
# TEST_POSTGRES_PORT is the first port tried (default 25432, below the kernel's ephemeral range, where an
# outgoing connection can hold a port without listening on it); the next 20 are tried if it is busy.
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 COMMAND [ARGS...]" >&2
    exit 2
fi

# Debian's postgresql package keeps the server programs out of PATH, one folder per major version.
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ] || [ ! -x "$bin/pg_ctl" ]; then
    echo "$0: no PostgreSQL server in /usr/lib/postgresql/*/bin (the postgresql package installs one)" >&2
    exit 1
fi
major=$(basename "$(dirname "$bin")")

# PostgreSQL refuses to run as root, so root runs it as an unprivileged user.
server_user=
as_server=()
if [ "$(id -u)" -eq 0 ]; then
    if id -u postgres >/dev/null 2>&1; then server_user=postgres; else server_user=nobody; fi
    as_server=(runuser -u "$server_user" --)
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/portal-pg.XXXXXXXX")
data=$dir/data
started=
child=

# Runs a server program as the server's user, from the cluster's folder (which that user can enter).
server() {
    (cd "$dir" && ${as_server[@]+"${as_server[@]}"} "$@")
}

cleanup() {
    trap - INT TERM
    if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then
        kill -TERM "$child" 2>/dev/null || true
        wait "$child" 2>/dev/null || true
    fi
    if [ -n "$started" ]; then
        server "$bin/pg_ctl" -D "$data" -m immediate stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    echo "PostgreSQL cluster in $dir removed" >&2
}
trap cleanup EXIT
# A signal ends the script, which runs cleanup, with the usual 128+N status.
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -n "$server_user" ]; then
    chown "$server_user" "$dir"
fi

if ! server "$bin/initdb" -D "$data" --auth=trust --username=portal --encoding=UTF8 --locale=C --no-sync \
    >"$dir/initdb.log" 2>&1; then
    echo "$0: initdb failed:" >&2
    cat "$dir/initdb.log" >&2
    exit 1
fi

port_busy() {
    # Something accepts connections there (bash's /dev/tcp: no other tool needed).
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}
first_port=${TEST_POSTGRES_PORT:-25432}
if ! [[ $first_port =~ ^[0-9]+$ ]] || [ "$first_port" -lt 1 ] || [ "$first_port" -gt 65515 ]; then
    echo "$0: TEST_POSTGRES_PORT must be a port number (1 to 65515), not '$first_port'" >&2
    exit 1
fi
port=
for candidate in $(seq "$first_port" $((first_port + 20))); do
    if ! port_busy "$candidate"; then
        port=$candidate
        break
    fi
done
if [ -z "$port" ]; then
    echo "$0: ports $first_port to $((first_port + 20)) on 127.0.0.1 are all busy" >&2
    exit 1
fi

# Durability off: the cluster lives only as long as the command.
started=yes
if ! server "$bin/pg_ctl" -D "$data" -w -t 60 -l "$dir/server.log" \
    -o "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400 -c shared_buffers=128MB" \
    start >/dev/null; then
    echo "$0: PostgreSQL did not start; its log:" >&2
    cat "$dir/server.log" >&2 || true
    exit 1
fi

echo "PostgreSQL $major on 127.0.0.1:$port (throwaway, in $dir)" >&2
export TEST_POSTGRES_URL="postgres://portal@127.0.0.1:$port/postgres"

# In the background so that a signal to this script is handled at once (bash runs traps only
# between commands); `wait` returns early on a signal and cleanup ends the command. Without job
# control a background command would ignore Ctrl-C and read /dev/null: env restores the one, <&0
# the other.
env --default-signal=INT,QUIT "$@" <&0 &
child=$!
status=0
wait "$child" || status=$?
child=
exit "$status"
