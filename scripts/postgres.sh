# A throwaway PostgreSQL cluster on loopback, for the test suites (sourced by scripts/test; developers can
# source it too: `source scripts/postgres.sh && start_postgres`, then `stop_postgres`).
#
# It installs Debian's PostgreSQL when it is missing, creates a cluster in a temporary directory on a free port
# (as the `postgres` user when run as root: initdb refuses root), waits until it answers, and exports
# RILL_TEST_DATABASE_URL. fsync is off: the cluster holds test data only and is removed afterwards.

pg_bin_dir() {
    local dir
    for dir in /usr/lib/postgresql/*/bin; do
        if [ -x "$dir/initdb" ]; then
            echo "$dir"
            return 0
        fi
    done
    return 1
}

install_postgres() {
    if pg_bin_dir >/dev/null; then
        return 0
    fi
    echo "installing PostgreSQL (Debian's package)" >&2
    if [ "$(id -u)" = "0" ]; then
        apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    else
        sudo apt-get update -qq >&2 && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    fi
}

# A port nothing listens on: random ones until a connection attempt is refused. Below the kernel's ephemeral
# range (32768 and up), so an outgoing connection's local port is never picked.
free_port() {
    local port
    for _ in $(seq 1 100); do
        port=$((20000 + RANDOM % 12000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    return 1
}

start_postgres() {
    install_postgres || return 1
    local bin
    bin=$(pg_bin_dir) || return 1
    PG_TEST_DIR=$(mktemp -d /tmp/rill-postgres.XXXXXX)
    PG_TEST_PORT=$(free_port) || return 1
    local as_owner=()
    if [ "$(id -u)" = "0" ]; then
        chown postgres "$PG_TEST_DIR"
        as_owner=(runuser -u postgres --)
    fi
    "${as_owner[@]}" "$bin/initdb" -D "$PG_TEST_DIR/data" -U rill --auth=trust --no-sync >/dev/null || return 1
    # A port free when picked can be taken before the server binds it: try a few.
    local attempt
    for attempt in 1 2 3 4 5; do
        if "${as_owner[@]}" "$bin/pg_ctl" -D "$PG_TEST_DIR/data" -l "$PG_TEST_DIR/log" -w -t 60 start -o \
            "-c listen_addresses=127.0.0.1 -p $PG_TEST_PORT -k $PG_TEST_DIR -c fsync=off -c synchronous_commit=on \
             -c full_page_writes=off -c max_connections=400 -c shared_buffers=128MB" >/dev/null; then
            break
        fi
        if [ "$attempt" = 5 ] || ! grep -q "could not bind\|could not create any TCP/IP sockets" "$PG_TEST_DIR/log"; then
            cat "$PG_TEST_DIR/log" >&2
            return 1
        fi
        echo "port $PG_TEST_PORT was taken; trying another" >&2
        PG_TEST_PORT=$(free_port) || return 1
    done
    export RILL_TEST_DATABASE_URL="postgres://rill@127.0.0.1:$PG_TEST_PORT/postgres"
    echo "PostgreSQL for the tests at $RILL_TEST_DATABASE_URL" >&2
}

stop_postgres() {
    if [ -n "${PG_TEST_DIR:-}" ] && [ -d "$PG_TEST_DIR/data" ]; then
        local bin as_owner=()
        bin=$(pg_bin_dir)
        if [ "$(id -u)" = "0" ]; then
            as_owner=(runuser -u postgres --)
        fi
        "${as_owner[@]}" "$bin/pg_ctl" -D "$PG_TEST_DIR/data" -m immediate stop >/dev/null 2>&1 || true
        rm -rf "$PG_TEST_DIR"
    fi
}
