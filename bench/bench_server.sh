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
#   BENCH_N (default 200000) requests per test; BENCH_ROUNDS (default 3)
#   rounds per row, the figures their medians; RESP_SERVER the binary
#   (default build/examples/resp_server).
set -u

N=${BENCH_N:-200000}
ROUNDS=${BENCH_ROUNDS:-3}
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
# (with a carriage-return progress line before it): the requests/s.
run_bench() { # $1 port, $2 pipeline, $3 test
    redis-benchmark -h 127.0.0.1 -p "$1" -q -n "$N" -c 50 -P "$2" -t "$3" 2>/dev/null | tr '\r' '\n' |
        awk -F': ' '/requests per second/ { split($2, a, " "); print a[1]; exit }'
}

# The median of the numbers on stdin (one per line).
median() {
    sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# One row: ROUNDS rounds, each running the test on both servers back to
# back, ours first in odd rounds and redis first in even ones (on a shared
# machine the disk and CPU change from one second to the next: alternating
# keeps either server from always running in the other's wake). Prints the
# medians, their ratio, and the lowest and highest ratio of one round.
run_row() { # $1 fsync, $2 pipeline, $3 test
    : >"$WORK/o.txt"
    : >"$WORK/r.txt"
    : >"$WORK/x.txt"
    k=1
    while [ $k -le "$ROUNDS" ]; do
        if [ $((k % 2)) -eq 1 ]; then
            o=$(run_bench "$OURS_PORT" "$2" "$3")
            r=$(run_bench "$REDIS_PORT" "$2" "$3")
        else
            r=$(run_bench "$REDIS_PORT" "$2" "$3")
            o=$(run_bench "$OURS_PORT" "$2" "$3")
        fi
        echo "${o:-0}" >>"$WORK/o.txt"
        echo "${r:-0}" >>"$WORK/r.txt"
        awk -v o="${o:-0}" -v r="${r:-0}" 'BEGIN { printf "%.4f\n", (r > 0 ? o / r : 0) }' >>"$WORK/x.txt"
        k=$((k + 1))
    done
    o=$(median <"$WORK/o.txt")
    r=$(median <"$WORK/r.txt")
    lo=$(sort -g "$WORK/x.txt" | head -1)
    hi=$(sort -g "$WORK/x.txt" | tail -1)
    awk -v f="$1" -v p="$2" -v t="$3" -v o="$o" -v r="$r" -v lo="$lo" -v hi="$hi" \
        'BEGIN { printf "  %-9s %-4s %-6s %14.0f %14.0f %7.2fx   %.2f-%.2fx\n", f, p, toupper(t), o, r, (r > 0 ? o / r : 0), lo, hi }'
}

echo "bench_server: redis-benchmark -n $N -c 50 -t $TESTS, ours ($OURS) vs $(redis-server --version | cut -d' ' -f3)"
echo "  dir $BASE ($(df -T "$BASE" 2>/dev/null | awk 'NR==2 {print $2}')), cpu $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ //')"
echo "  medians of $ROUNDS alternating rounds (ours first, then redis first, ...); last column: lowest-highest ratio of one round"
printf '  %-9s %-4s %-6s %14s %14s %8s   %s\n' fsync P test "ours req/s" "redis req/s" ratio "rounds"
for fsync in everysec always; do
    if ! start_ours "$fsync" || ! start_redis "$fsync"; then
        echo "bench_server: a server did not start"
        exit 1
    fi
    for P in 1 16; do
        for t in $(echo "$TESTS" | tr ',' ' '); do
            run_row "$fsync" "$P" "$t"
        done
    done
    stop_both
done
