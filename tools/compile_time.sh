#!/usr/bin/env bash
# make compile-time: what the single header costs a user's build, with gcc
# and clang, best of N runs (N = $RUNS, default 15) so a loaded machine
# shows less noise:
#   floor          a file that includes only <stdio.h> (compiler start-up)
#   declarations   a file that includes ember_persist.h without the
#                  implementation, at -O0 (target: under 60 ms, like stb)
#   implementation the file with EMBER_PERSIST_IMPLEMENTATION, at -O0 and -O2
# Printed as a Markdown table with each figure's ratio to the floor.
set -u
cd "$(dirname "$0")/.."
RUNS=${RUNS:-15}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '#include <stdio.h>\nint main(void) { return 0; }\n' > "$tmp/floor.c"
printf '#include "ember_persist.h"\nint main(void) { return ep_version_number() == 0; }\n' > "$tmp/decl.c"
printf '#define EMBER_PERSIST_IMPLEMENTATION\n#include "ember_persist.h"\n' > "$tmp/impl.c"

# Best wall time in ms of RUNS compiles (-c, output discarded).
best() { # compiler flags... file
  python3 - "$RUNS" "$@" <<'EOF'
import subprocess, sys, time
runs = int(sys.argv[1]); cmd = sys.argv[2:] + ["-c", "-o", "/dev/null"]
best = None
for _ in range(runs):
    t = time.perf_counter()
    if subprocess.run(cmd).returncode != 0:
        print("fail"); sys.exit(0)
    d = (time.perf_counter() - t) * 1000
    best = d if best is None or d < best else best
print("%.0f" % best)
EOF
}

echo "Compile time, best of $RUNS (ms; in brackets: times the floor)."
echo
echo "| compiler | floor (stdio.h only) | declarations only, -O0 | implementation -O0 | implementation -O2 |"
echo "|---|---|---|---|---|"
for cc in gcc clang; do
  command -v $cc >/dev/null || { echo "| $cc | not installed | | | |"; continue; }
  f=$(best $cc -std=c99 -O0 "$tmp/floor.c")
  d=$(best $cc -std=c99 -O0 -I. "$tmp/decl.c")
  i0=$(best $cc -std=c99 -O0 -I. "$tmp/impl.c")
  i2=$(best $cc -std=c99 -O2 -I. "$tmp/impl.c")
  ratio() { awk -v a="$1" -v b="$f" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "-" }'; }
  echo "| $cc $($cc -dumpversion) | $f | $d ($(ratio "$d")) | $i0 ($(ratio "$i0")) | $i2 ($(ratio "$i2")) |"
done
echo
echo "Header: $(wc -l < ember_persist.h) lines, $(( $(wc -c < ember_persist.h) / 1024 )) KiB."
