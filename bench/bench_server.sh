#!/bin/sh
# bench_server.sh: resp_server beside a real redis-server in the same run.
#
#   redis-benchmark -q -n N -c 50 -t set,get,incr,lpush,hset  with -P 1 and -P 16,
#   under appendfsync everysec and always, against both servers
#
# Both servers on 127.0.0.1, on ports the OS picked, in their own directories
# under the bench directory (argument, $BENCH_DIR, else the current
# directory: on disk, so that "always" means a real fsync), each stopped by
# its pid on every exit path. redis-server runs with appendonly yes and no
# RDB saves, the setting the issue compares. Prints requests/s per row and
# ours / redis as a ratio; never passes or fails on speed.
#
#   BENCH_N (default 200000) requests per test; RESP_SERVER the binary
#   (default build/examples/resp_server).
set -u

N=${BENCH_N:-200000}
OURS=${RESP_SERVER:-build/examples/resp_server}
BASE=${1:-${BENCH_DIR:-.}}
TESTS=set,get,incr,lpush,hset

for p in redis-benchmark redis-server redis-cli; do
    if ! command -v "$p" >/dev/null 2>&1; then
        echo "bench_server: $p not installed: skipped"
        exit 0
    fi
done
if [ ! -x "$OURS" ]; then
    echo "bench_server: $OURS not built (make): skipped"
    exit 0
fi

WORK=$(mktemp -d "$BASE/bench_server.XXXXXX") || exit 1
WORK=$(cd "$WORK" && pwd)
OURS_PID=
REDIS_PID=
cleanup() {
    [ -n "$OURS_PID" ] && kill -9 "$OURS_PID" 2>/dev/null && wait "$OURS_PID" 2>/dev/null
    [ -n "$REDIS_PID" ] && kill -9 "$REDIS_PID" 2>/dev/null && wait "$REDIS_PID" 2>/dev/null
    OURS_PID=
    REDIS_PID=
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A port the OS hands out (bind port 0, read it back).
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Waits (at most 10 s) until the server on port $1 answers PING.
wait_ping() {
    i=0
    while [ $i -lt 100 ]; do
        if [ "$(redis-cli -p "$1" PING 2>/dev/null)" = "PONG" ]; then return 0; fi
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}

start_ours() { # $1 fsync policy
    rm -rf "$WORK/ours"
    mkdir -p "$WORK/ours"
    OURS_PORT=$(free_port)
    "$OURS" --dir "$WORK/ours" --port "$OURS_PORT" --appendfsync "$1" >"$WORK/ours.log" 2>&1 &
    OURS_PID=$!
    wait_ping "$OURS_PORT"
}

start_redis() { # $1 fsync policy
    rm -rf "$WORK/redis"
    mkdir -p "$WORK/redis"
    REDIS_PORT=$(free_port)
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$WORK/redis" --save "" --appendonly yes \
        --appendfsync "$1" --daemonize no --logfile "$WORK/redis.log" &
    REDIS_PID=$!
    wait_ping "$REDIS_PORT"
}

stop_both() {
    kill "$OURS_PID" "$REDIS_PID" 2>/dev/null
    wait "$OURS_PID" "$REDIS_PID" 2>/dev/null
    OURS_PID=
    REDIS_PID=
}

# redis-benchmark -q prints "SET: 12345.67 requests per second, p50=..."
# (with a carriage-return progress line before it): "TEST rps" per line.
run_bench() { # $1 port, $2 pipeline
    redis-benchmark -h 127.0.0.1 -p "$1" -q -n "$N" -c 50 -P "$2" -t "$TESTS" 2>/dev/null | tr '\r' '\n' |
        awk -F': ' '/requests per second/ { split($2, a, " "); print $1, a[1] }'
}

echo "bench_server: redis-benchmark -n $N -c 50 -t $TESTS, ours ($OURS) vs $(redis-server --version | cut -d' ' -f3)"
echo "  dir $BASE ($(df -T "$BASE" 2>/dev/null | awk 'NR==2 {print $2}')), cpu $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ //')"
printf '  %-9s %-4s %-6s %14s %14s %8s\n' fsync P test "ours req/s" "redis req/s" ratio
for fsync in everysec always; do
    if ! start_ours "$fsync" || ! start_redis "$fsync"; then
        echo "bench_server: a server did not start"
        exit 1
    fi
    for P in 1 16; do
        run_bench "$OURS_PORT" "$P" >"$WORK/o.txt"
        run_bench "$REDIS_PORT" "$P" >"$WORK/r.txt"
        paste -d' ' "$WORK/o.txt" "$WORK/r.txt" | while read -r t o t2 r; do
            awk -v f="$fsync" -v p="$P" -v t="$t" -v o="$o" -v r="$r" \
                'BEGIN { printf "  %-9s %-4s %-6s %14.0f %14.0f %7.2fx\n", f, p, t, o, r, (r > 0 ? o / r : 0) }'
        done
    done
    stop_both
done
