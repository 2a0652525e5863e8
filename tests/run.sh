#!/usr/bin/env bash
# Runs every test program given (or build/tests/test_*), adds up their
# RESULT lines and ends with the harness line "N passed, N failed, N skipped".
# A program that crashes or prints no RESULT line counts as one failure.
# WRAP (e.g. "valgrind -q --error-exitcode=99", or tools/cross.sh's qemu or
# wine) prefixes each program. LABEL (e.g. "s390x: ") prefixes the total line.
set -u
progs=("$@")
[ ${#progs[@]} -gt 0 ] || progs=(build/tests/test_*)
total_pass=0
total_fail=0
total_skip=0
for p in "${progs[@]}"; do
  [ -x "$p" ] || continue
  out=$(${WRAP:-} "$p" 2>&1)
  rc=$?
  out=${out//$'\r'/} # Windows programs (under wine) end their lines with CR LF
  printf '%s\n' "$out" | grep -v '^RESULT '
  res=$(printf '%s\n' "$out" | grep '^RESULT ' | tail -n 1)
  if [ -z "$res" ]; then
    echo "FAIL $p: exited with $rc and no RESULT line"
    total_fail=$((total_fail + 1))
    continue
  fi
  set -- $res
  total_pass=$((total_pass + $2))
  total_fail=$((total_fail + $3))
  total_skip=$((total_skip + ${4:-0}))
  if [ "$rc" -ne 0 ] && [ "$3" -eq 0 ]; then
    echo "FAIL $p: exit code $rc (sanitizer or valgrind report above)"
    total_fail=$((total_fail + 1))
  fi
done
echo "${LABEL:-}${total_pass} passed, ${total_fail} failed, ${total_skip} skipped"
[ "$total_fail" -eq 0 ]
