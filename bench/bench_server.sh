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
# ours / redis as a ratio, and each server's CPU time per request (all its
# threads, user + system, over the benchmark run alone, divided by the
# requests: on a shared machine a steadier figure than requests/s, which
# waits on the benchmark client and on loopback round trips); never passes
# or fails on speed.
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

# CPU time (ns) of process $1 so far, every thread, user + system: the
# scheduler's ns counters where the kernel keeps them, else the clock ticks
# of /proc/PID/stat. 0 without /proc.
cpu_ns() {
    if [ -r "/proc/$1/schedstat" ]; then
        cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f\n", s }'
    elif [ -r "/proc/$1/stat" ]; then
        awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); printf "%.0f\n", ($12 + $13) * 1e9 / hz }' "/proc/$1/stat"
    else
        echo 0
    fi
}

# redis-benchmark -q prints "SET: 12345.67 requests per second, p50=..."
# (with a carriage-return progress line before it). Prints the requests/s
# and the server's (pid $4) CPU us per request over the run.
run_bench() { # $1 port, $2 pipeline, $3 test, $4 server pid
    c0=$(cpu_ns "$4")
    rps=$(redis-benchmark -h 127.0.0.1 -p "$1" -q -n "$N" -c 50 -P "$2" -t "$3" 2>/dev/null | tr '\r' '\n' |
        awk -F': ' '/requests per second/ { split($2, a, " "); print a[1]; exit }')
    c1=$(cpu_ns "$4")
    awk -v r="${rps:-0}" -v a="$c0" -v b="$c1" -v n="$N" 'BEGIN { printf "%s %.3f\n", r, (b - a) / 1000 / n }'
}

# The median of the numbers on stdin (one per line).
median() {
    sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# One row: ROUNDS rounds, each running the test on both servers back to
# back, ours first in odd rounds and redis first in even ones (on a shared
# machine the disk and CPU change from one second to the next: alternating
# keeps either server from always running in the other's wake). Prints the
# medians, their ratio, the lowest and highest ratio of one round, and the
# median CPU us per request of each server with their ratio.
run_row() { # $1 fsync, $2 pipeline, $3 test
    for f in o r x oc rc; do : >"$WORK/$f.txt"; done
    k=1
    while [ $k -le "$ROUNDS" ]; do
        if [ $((k % 2)) -eq 1 ]; then
            o=$(run_bench "$OURS_PORT" "$2" "$3" "$OURS_PID")
            r=$(run_bench "$REDIS_PORT" "$2" "$3" "$REDIS_PID")
        else
            r=$(run_bench "$REDIS_PORT" "$2" "$3" "$REDIS_PID")
            o=$(run_bench "$OURS_PORT" "$2" "$3" "$OURS_PID")
        fi
        echo "${o% *}" >>"$WORK/o.txt"
        echo "${r% *}" >>"$WORK/r.txt"
        echo "${o#* }" >>"$WORK/oc.txt"
        echo "${r#* }" >>"$WORK/rc.txt"
        awk -v o="${o% *}" -v r="${r% *}" 'BEGIN { printf "%.4f\n", (r > 0 ? o / r : 0) }' >>"$WORK/x.txt"
        k=$((k + 1))
    done
    o=$(median <"$WORK/o.txt")
    r=$(median <"$WORK/r.txt")
    oc=$(median <"$WORK/oc.txt")
    rc=$(median <"$WORK/rc.txt")
    lo=$(sort -g "$WORK/x.txt" | head -1)
    hi=$(sort -g "$WORK/x.txt" | tail -1)
    awk -v f="$1" -v p="$2" -v t="$3" -v o="$o" -v r="$r" -v lo="$lo" -v hi="$hi" -v oc="$oc" -v rc="$rc" \
        'BEGIN { printf "  %-9s %-4s %-6s %12.0f %12.0f %7.2fx   %.2f-%.2fx %9.2f %9.2f %7.2fx\n", f, p, toupper(t), o, r,
                 (r > 0 ? o / r : 0), lo, hi, oc, rc, (rc > 0 ? oc / rc : 0) }'
}

echo "bench_server: redis-benchmark -n $N -c 50 -t $TESTS, ours ($OURS) vs $(redis-server --version | cut -d' ' -f3)"
echo "  dir $BASE ($(df -T "$BASE" 2>/dev/null | awk 'NR==2 {print $2}')), cpu $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ //')"
echo "  medians of $ROUNDS alternating rounds (ours first, then redis first, ...); rounds: lowest-highest req/s ratio of one round;"
echo "  us/req: server CPU time (user + system, all threads) per request; cpu ratio below 1: ours uses less; load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
printf '  %-9s %-4s %-6s %12s %12s %8s   %-10s %9s %9s %8s\n' fsync P test "ours req/s" "redis req/s" ratio "rounds" \
    "ours us" "redis us" "cpu"
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
echo "  load average at the end: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
