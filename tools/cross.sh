#!/usr/bin/env bash
# make cross: the whole test suite built for other CPUs and operating systems
# and run there: under qemu-user (s390x big-endian 64-bit, aarch64 with
# `-cpu max` so the PMULL and ARMv8 crypto paths run, armhf 32-bit ARM), as
# 32-bit x86 programs (i386: the x86-64 kernel runs them on the real CPU in
# 32-bit mode, or qemu-i386 where the kernel cannot: tools/runner32.sh), and as Windows programs
# (mingw-w64) under wine. Each target prints its own "<target>: N passed,
# N failed, N skipped"; the last line adds them up.
#
#   tools/cross.sh [target...]     targets: s390x aarch64 armhf i386 win64 (default: all)
#
# Toolchains: clang --target=<triple> with Debian's cross libc, libgcc and
# binutils packages (libc6-dev-<arch>-cross, libgcc-12-dev-<arch>-cross,
# binutils-<triple>), which, unlike gcc-<triple>, coexist with gcc-multilib
# (make test32). A target whose toolchain or runner is missing is reported as
# skipped with the reason, never as passed.
#
# The oracles: no target here links zlib or OpenSSL, so the tests are built
# with EPT_NO_ZLIB (a bitwise reference CRC-32) and EPT_NO_OPENSSL (OpenSSL's
# output committed under tests/data/golden/). Workloads are EPT_QUICK.
#
# Cross-platform files: every target reads the golden files under
# tests/data/golden/ (written on x86-64) byte for byte, and writes its own set
# to build-cross/<target>/export/; the host's test_golden then reads each of
# those back in the same run.
set -u
cd "$(dirname "$0")/.."
JOBS=${JOBS:-2} # make -j for the builds, and programs run at a time (tests/run.sh)
ALL="s390x aarch64 armhf i386 win64"
targets=${*:-$ALL}
total_pass=0; total_fail=0; total_skip=0
summary=()

have() { command -v "$1" >/dev/null 2>&1; }

# Per target: compiler (with its flags), the runner prefix, the executable
# suffix and the libraries. Sets CC_T, RUN_T, EXE_T, LIBS_T, WHY_T (non-empty:
# why the target cannot run here).
setup() {
  CC_T=""; RUN_T=""; EXE_T=""; LIBS_T="-lpthread -lm"; WHY_T=""
  local triple sysroot qemu cpu=""
  case $1 in
    s390x)   triple=s390x-linux-gnu;      qemu=qemu-s390x ;;
    aarch64) triple=aarch64-linux-gnu;    qemu=qemu-aarch64; cpu="-cpu max" ;;
    armhf)   triple=arm-linux-gnueabihf;  qemu=qemu-arm ;;
    i386)
      CC_T="gcc -m32 -march=i686"
      RUN_T=$(tools/runner32.sh 2>"$tmp/why") || WHY_T=$(cat "$tmp/why")
      return ;;
    win64)
      CC_T="x86_64-w64-mingw32-gcc"; EXE_T=".exe"; LIBS_T="-static -lbcrypt -lpthread"
      have $CC_T || { WHY_T="mingw-w64 not installed"; return; }
      local wine=""
      if have wine64; then wine=wine64; elif [ -x /usr/lib/wine/wine64 ]; then wine=/usr/lib/wine/wine64; fi
      [ -n "$wine" ] || { WHY_T="wine64 not installed"; return; }
      # A wine prefix of our own (not ~/.wine), created once (about 10 s).
      export WINEPREFIX="$PWD/build-cross/wineprefix" WINEDEBUG=-all
      mkdir -p "$WINEPREFIX"
      RUN_T="$wine"
      return ;;
    *) WHY_T="unknown target $1"; return ;;
  esac
  sysroot=/usr/$triple
  have clang || { WHY_T="clang not installed"; return; }
  have $qemu || { WHY_T="$qemu not installed (qemu-user)"; return; }
  [ -d "$sysroot/include" ] || { WHY_T="no $sysroot (libc6-dev-*-cross)"; return; }
  CC_T="clang --target=$triple"
  # clang 14 declares the ARMv8 crypto intrinsics only for a crypto build.
  [ "$1" = aarch64 ] && CC_T="$CC_T -march=armv8-a+crypto"
  RUN_T="$qemu $cpu -L $sysroot"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p build-cross
host_ok=1
for t in $targets; do
  echo "== cross: $t"
  setup "$t"
  if [ -n "$WHY_T" ]; then
    echo "$t: skipped: $WHY_T"
    summary+=("$t: skipped ($WHY_T)")
    total_skip=$((total_skip + 1))
    continue
  fi
  b=build-cross/$t
  rm -rf "$b/export" # a failed build must not leave an earlier run's files to be read back
  defs="-DEPT_NO_ZLIB -DEPT_NO_OPENSSL"
  if ! make --no-print-directory -j"$JOBS" BUILD="$b" CC="$CC_T" CFLAGS="-O2 -g" EXE="$EXE_T" \
       LDLIBS="$LIBS_T" LDLIBS_TEST="$LIBS_T" TEST_DEFS="$defs" \
       "$b/impl.o" "$b/ember-persist$EXE_T" \
       $(ls tests/*/test_*.c | sed -e "s|^tests/|$b/tests/|" -e "s|\.c\$|$EXE_T|") >"$tmp/build.log" 2>&1; then
    tail -n 30 "$tmp/build.log"
    echo "$t: 0 passed, 1 failed, 0 skipped (build failed)"
    summary+=("$t: build failed")
    total_fail=$((total_fail + 1))
    continue
  fi
  grep -E 'warning|error' "$tmp/build.log" | head -n 20
  # The ember-persist tool runs under the same runner (test_cli calls it).
  printf '#!/bin/sh\nexec %s %s "$@"\n' "$RUN_T" "$PWD/$b/ember-persist$EXE_T" > "$b/ember-persist.sh"
  chmod +x "$b/ember-persist.sh"
  mkdir -p "$b/export"
  progs=$(ls tests/*/test_*.c | sed -e "s|^tests/|$b/tests/|" -e "s|\.c\$|$EXE_T|")
  start=$SECONDS
  EPT_QUICK=1 EP_CLI="$b/ember-persist.sh" EPT_EXPORT_DIR="$b/export" EPT_TARGET="$t" \
    WRAP="$RUN_T" LABEL="$t: " JOBS="$JOBS" tests/run.sh $progs | tee "$tmp/run.log"
  line=$(grep -E "^$t: [0-9]+ passed" "$tmp/run.log" | tail -n 1)
  set -- $(echo "$line" | sed -E 's/^[^:]+: ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped.*/\1 \2 \3/')
  total_pass=$((total_pass + ${1:-0})); total_fail=$((total_fail + ${2:-1})); total_skip=$((total_skip + ${3:-0}))
  summary+=("$line ($((SECONDS - start)) s)")
done

# Files each target wrote, read back by the host build.
exports=()
for t in $targets; do [ -d "build-cross/$t/export" ] && [ -n "$(ls -A "build-cross/$t/export" 2>/dev/null)" ] && exports+=("$t"); done
if [ ${#exports[@]} -gt 0 ]; then
  echo "== cross: files written by ${exports[*]}, read on the host"
  make --no-print-directory -j"$JOBS" build/tests/file/test_golden >"$tmp/build.log" 2>&1 || { tail -n 20 "$tmp/build.log"; host_ok=0; }
  if [ $host_ok -eq 1 ]; then
    dirs=""
    for t in "${exports[@]}"; do dirs="$dirs${dirs:+:}build-cross/$t/export"; done
    EPT_IMPORT_DIRS="$dirs" LABEL="host reads targets' files: " tests/run.sh build/tests/file/test_golden | tee "$tmp/run.log"
    line=$(grep -E "^host reads targets' files: [0-9]+ passed" "$tmp/run.log" | tail -n 1)
    set -- $(echo "$line" | sed -E 's/^[^:]+: ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped.*/\1 \2 \3/')
    total_pass=$((total_pass + ${1:-0})); total_fail=$((total_fail + ${2:-1})); total_skip=$((total_skip + ${3:-0}))
    summary+=("$line")
  else
    total_fail=$((total_fail + 1)); summary+=("host read-back: build failed")
  fi
fi

echo "== cross summary"
for s in "${summary[@]}"; do echo "  $s"; done
echo "cross: ${total_pass} passed, ${total_fail} failed, ${total_skip} skipped"
[ "$total_fail" -eq 0 ]
