#!/usr/bin/env bash
# Runs every test program given (or build/tests/test_*), adds up their
# RESULT lines and ends with the harness line "N passed, N failed, N skipped".
# A program that crashes or prints no RESULT line counts as one failure.
# WRAP (e.g. "valgrind -q --error-exitcode=99", or tools/cross.sh's qemu or
# wine) prefixes each program. LABEL (e.g. "s390x: ") prefixes the total line.
# JOBS=N runs N programs at a time (default 1). Each program's output is
# buffered and printed whole, in the order given, so the log reads the same
# whatever N is. Programs may run side by side: each has its own scratch
# directory (ept_tmpdir: mkdtemp), servers ask the OS for a free port, and
# nothing writes a fixed path.
set -u
progs=()
for p in "$@"; do [ -x "$p" ] && progs+=("$p"); done
if [ $# -eq 0 ]; then
  for p in build/tests/test_*; do [ -x "$p" ] && progs+=("$p"); done
fi
jobs=${JOBS:-1}
case $jobs in ''|*[!0-9]*|0) jobs=1 ;; esac
out_dir=$(mktemp -d)
trap 'rm -rf "$out_dir"' EXIT

# Program i: its output in $out_dir/i.out; its exit code written to i.rc
# only once it has ended (renamed into place, so a reader never sees half).
run_one() {
  # The group's redirection also catches the shell's own "Segmentation
  # fault" line, so it lands in the program's output.
  { ${WRAP:-} "$2"; echo $? >"$out_dir/$1.rc.part"; } >"$out_dir/$1.out" 2>&1 </dev/null
  mv "$out_dir/$1.rc.part" "$out_dir/$1.rc"
}

total_pass=0
total_fail=0
total_skip=0
# Prints program i's output and adds its RESULT line to the totals.
report() {
  local p=$2 rc out res
  rc=$(cat "$out_dir/$1.rc")
  out=$(cat "$out_dir/$1.out")
  out=${out//$'\r'/} # Windows programs (under wine) end their lines with CR LF
  printf '%s\n' "$out" | grep -v '^RESULT '
  res=$(printf '%s\n' "$out" | grep '^RESULT ' | tail -n 1)
  rm -f "$out_dir/$1.out"
  if [ -z "$res" ]; then
    echo "FAIL $p: exited with $rc and no RESULT line"
    total_fail=$((total_fail + 1))
    return
  fi
  set -- $res
  total_pass=$((total_pass + $2))
  total_fail=$((total_fail + $3))
  total_skip=$((total_skip + ${4:-0}))
  if [ "$rc" -ne 0 ] && [ "$3" -eq 0 ]; then
    echo "FAIL $p: exit code $rc (sanitizer or valgrind report above)"
    total_fail=$((total_fail + 1))
  fi
}

n=${#progs[@]}
started=0  # programs launched
finished=0 # programs whose exit code is written (among the launched)
shown=0    # programs reported, in order
while [ $shown -lt $n ]; do
  while [ $((started - finished)) -lt $jobs ] && [ $started -lt $n ]; do
    run_one $started "${progs[$started]}" &
    started=$((started + 1))
  done
  if [ -f "$out_dir/$shown.rc" ]; then
    report $shown "${progs[$shown]}"
    shown=$((shown + 1))
    continue
  fi
  # Nothing to print yet: wait for any program to end, then recount.
  wait -n 2>/dev/null || sleep 0.05
  finished=0
  for ((i = 0; i < started; i++)); do [ -f "$out_dir/$i.rc" ] && finished=$((finished + 1)); done
done
wait
echo "${LABEL:-}${total_pass} passed, ${total_fail} failed, ${total_skip} skipped"
[ "$total_fail" -eq 0 ]
