#!/bin/sh
# Full sync of N keys to a real redis-server replica: from our resp_server,
# beside redis-server -> redis-server on the same data in the same run.
# Prints both times and the ratio (never pass/fail on speed).
#
#   bench/bench_repl.sh [N]        N keys (default 1000000), every type
#
# Servers: 127.0.0.1, ports the OS picked, a temporary directory each,
# stopped by pid on every exit path. Needs redis-server, redis-cli, python3.
set -eu
N=${1:-1000000}
SERVER=${RESP_SERVER:-${EP_RESP_SERVER:-build/examples/resp_server}}
for p in redis-server redis-cli python3; do
    command -v $p >/dev/null 2>&1 || { echo "bench_repl: $p not installed: skipped"; exit 0; }
done
[ -x "$SERVER" ] || { echo "bench_repl: $SERVER not built (make)"; exit 1; }
T=$(mktemp -d)
PIDS=""
cleanup() {
    for p in $PIDS; do kill "$p" 2>/dev/null || true; done
    for p in $PIDS; do wait "$p" 2>/dev/null || true; done
    rm -rf "$T"
}
trap cleanup EXIT INT TERM
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now_ms() { python3 -c 'import time; print(int(time.time()*1000))'; }

# the data set, as RESP commands (one of six types per key, a sixth with a TTL)
python3 - "$N" > "$T/data.resp" <<'EOF'
import sys
n = int(sys.argv[1]); w = sys.stdout.buffer.write
def cmd(*a):
    b = [b"*%d\r\n" % len(a)]
    for x in a:
        x = x if isinstance(x, bytes) else str(x).encode()
        b.append(b"$%d\r\n%s\r\n" % (len(x), x))
    w(b"".join(b))
for i in range(n):
    k = "k:%d" % i; t = i % 6
    if t == 0: cmd("SET", k, "value-%d" % i)
    elif t == 1: cmd("SET", k, i * 7, "EX", 100000 + i % 1000)
    elif t == 2: cmd("RPUSH", k, "a%d" % i, "b", "c")
    elif t == 3: cmd("HSET", k, "f1", "v%d" % i, "f2", "x")
    elif t == 4: cmd("SADD", k, "m%d" % i, "n", "o")
    else: cmd("ZADD", k, 1.5, "a", i, "b")
EOF

start_redis() { # dir port [args...]
    d=$1; p=$2; shift 2
    mkdir -p "$d"
    redis-server --port "$p" --bind 127.0.0.1 --dir "$d" --save '' --appendonly no --daemonize no \
        --logfile "$d/log" "$@" &
    PIDS="$PIDS $!"
    i=0; until redis-cli -p "$p" ping >/dev/null 2>&1; do i=$((i+1)); [ $i -lt 200 ] || exit 1; sleep 0.05; done
}
# until the replica on port $1 finished its sync (bounded: 600 s)
wait_synced() {
    i=0
    while :; do
        info=$(redis-cli -p "$1" info replication 2>/dev/null | tr -d '\r')
        case "$info" in *master_link_status:up*master_sync_in_progress:0*) return 0 ;; esac
        i=$((i+1)); [ $i -lt 60000 ] || { echo "bench_repl: sync did not finish"; exit 1; }
        sleep 0.01
    done
}

# no 5 s wait for more replicas before a diskless transfer (the default): the fair comparison
PA=$(free_port); start_redis "$T/a" "$PA" --repl-diskless-sync-delay 0
redis-cli -p "$PA" --pipe < "$T/data.resp" >/dev/null
PO=$(free_port)
mkdir -p "$T/o"
"$SERVER" --dir "$T/o" --port "$PO" >/dev/null 2>&1 &
PIDS="$PIDS $!"
i=0; until redis-cli -p "$PO" ping >/dev/null 2>&1; do i=$((i+1)); [ $i -lt 200 ] || exit 1; sleep 0.05; done
redis-cli -p "$PO" --pipe < "$T/data.resp" >/dev/null
echo "bench_repl: $N keys; master dbsize: redis $(redis-cli -p "$PA" dbsize), ours $(redis-cli -p "$PO" dbsize)"

P1=$(free_port); t0=$(now_ms); start_redis "$T/r1" "$P1" --replicaof 127.0.0.1 "$PA"; wait_synced "$P1"; t1=$(now_ms)
P2=$(free_port); t2=$(now_ms); start_redis "$T/r2" "$P2" --replicaof 127.0.0.1 "$PO"; wait_synced "$P2"; t3=$(now_ms)
RR=$((t1 - t0)); OR=$((t3 - t2))
echo "full sync to a redis-server replica: redis-server -> redis-server $RR ms (dbsize $(redis-cli -p "$P1" dbsize)), resp_server -> redis-server $OR ms (dbsize $(redis-cli -p "$P2" dbsize))"
python3 -c "print('ratio (redis time / ours; >= 1.0 means ours is no slower): %.2fx' % ($RR / max($OR, 1)))"
