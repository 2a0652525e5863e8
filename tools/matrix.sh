#!/usr/bin/env bash
# Compiles ember_persist.h (implementation on) with every available compiler,
# language standard, word size and EP_NO_* option, warnings as errors.
# Cross targets (32-bit, mingw-w64) are used when their toolchain is installed.
set -u
cd "$(dirname "$0")/.."
WARN="-Wall -Wextra -Wpedantic -Wshadow -Wconversion -Werror"
OPTIONS=("" "-DEP_NO_ENCRYPTION" "-DEP_NO_SIMD" "-DEP_NO_OS_VFS" "-DEMBER_PERSIST_STATIC" "-DEP_SMALL_CRC" "-DEP_NO_WAL" "-DEP_NO_THREADS" "-DEP_NO_REDIS" "-DEP_NO_KEYSPACE" "-DEP_SMALL_AES -DEP_NO_ERROR_TEXT")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '#define EMBER_PERSIST_IMPLEMENTATION\n#include "ember_persist.h"\n#include "ember_persist.h"\nint main(void){return ep_version_number() == 0;}\n' > "$tmp/m.c"
cp "$tmp/m.c" "$tmp/m.cpp"
# A file that only includes the declarations may be strict C89 (the
# implementation needs C99): cheap to keep, since only EP_INLINE needed care.
printf '#include "ember_persist.h"\nint decl_only(void);\nint decl_only(void) { ep_bytes b = ep_bytes_of("x", 1); return (int)b.len; }\n' > "$tmp/d.c"
pass=0; fail=0; skipped=0
# MATRIX_QUICK=1 (CI): one C and one C++ standard per combination, half the
# compiles; make matrix alone runs all four.
C_STDS="c99 c11"; CXX_STDS="c++11 c++17"
[ "${MATRIX_QUICK:-0}" = 1 ] && { C_STDS="c99"; CXX_STDS="c++17"; }

# The compiles are independent: they run MATRIX_JOBS (default: the CPU count) at
# a time, each in its own output file; results are reported in order at the end.
jobs=${MATRIX_JOBS:-$(nproc 2>/dev/null || echo 2)}
n=0
try() { # label, compiler + flags..., source; output paths under $tmp are made per job
  local label=$1; shift
  n=$((n + 1))
  local args=() a
  for a in "$@"; do
    case "$a" in "$tmp/a.out" | "$tmp/a.exe" | "$tmp/d.o") a="$tmp/job$n.${a##*.}" ;; esac
    args+=("$a")
  done
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n 2>/dev/null || sleep 0.1; done
  printf '%s\n' "$label" > "$tmp/job$n.label"
  ( "${args[@]}" > "$tmp/job$n.log" 2>&1; echo $? > "$tmp/job$n.rc" ) &
}
collect() { # after every try: count and print the failures in order
  wait
  local i
  for ((i = 1; i <= n; i++)); do
    if [ "$(cat "$tmp/job$i.rc" 2>/dev/null)" = 0 ]; then pass=$((pass + 1)); else
      fail=$((fail + 1)); echo "FAIL matrix: $(cat "$tmp/job$i.label")"
      head -n 15 "$tmp/job$i.log" | sed 's/^/    /'; fi
  done
}
have_m32() { echo 'int main(void){return 0;}' > "$tmp/p.c"; "$1" -m32 "$tmp/p.c" -o "$tmp/p" >/dev/null 2>&1; }

for cc in gcc clang; do
  command -v $cc >/dev/null || { skipped=$((skipped + 1)); continue; }
  cxx=g++; [ $cc = clang ] && cxx=clang++
  bits="64"; have_m32 $cc && bits="64 32"
  for b in $bits; do
    for opt in "${OPTIONS[@]}"; do
      for std in $C_STDS; do
        try "$cc -std=$std -m$b $opt" $cc -std=$std -m$b $WARN $opt -I. "$tmp/m.c" -o "$tmp/a.out" -lpthread
      done
      for std in $CXX_STDS; do
        try "$cxx -std=$std -m$b $opt" $cxx -std=$std -m$b $WARN $opt -I. -x c++ "$tmp/m.cpp" -o "$tmp/a.out" -lpthread
      done
    done
  done
done
for cc in gcc clang; do
  command -v $cc >/dev/null || continue
  try "$cc -std=c89 -pedantic declarations only" $cc -std=c89 -pedantic $WARN -I. -c "$tmp/d.c" -o "$tmp/d.o"
done
if command -v x86_64-w64-mingw32-gcc >/dev/null; then
  for opt in "${OPTIONS[@]}"; do
    try "mingw-w64 c99 $opt" x86_64-w64-mingw32-gcc -std=c99 $WARN $opt -I. "$tmp/m.c" -o "$tmp/a.exe" -lbcrypt
    try "mingw-w64 c++17 $opt" x86_64-w64-mingw32-g++ -std=c++17 $WARN $opt -I. -x c++ "$tmp/m.cpp" -o "$tmp/a.exe" -lbcrypt
  done
else
  echo "matrix: mingw-w64 not installed, Windows build skipped"
fi
# Each part compiles on its own.
collect
if make -s parts >/dev/null 2>"$tmp/parts.err"; then pass=$((pass + 1)); else
  fail=$((fail + 1)); echo "FAIL matrix: make parts"; head -n 15 "$tmp/parts.err"; fi
echo "matrix: ${pass} passed, ${fail} failed"
[ "$fail" -eq 0 ]
