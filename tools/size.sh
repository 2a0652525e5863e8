#!/usr/bin/env bash
# make size: text / data / bss of the library at -Os, per target and per
# configuration, printed as a Markdown table (the README's "Platforms and
# sizes" table comes from here).
#
#   whole        the implementation object as compiled (every function kept)
#   subsets      the parts a small target calls, measured after the linker
#                drops the rest: the implementation is compiled with
#                -ffunction-sections -fdata-sections next to a list of the
#                functions the subset uses (tools/size_probe.c), then
#                `ld -r --gc-sections` keeps what those reach. The C library
#                functions it calls (memcpy, vsnprintf, ...) are not counted,
#                nor is the probe's own table of roots (ep_size_roots).
#
# Targets: x86-64 (gcc), aarch64 and armhf (clang --target, Thumb-2 for
# armhf as Debian builds it), Cortex-M4 and Cortex-M0+ (arm-none-eabi-gcc
# -mthumb; EP_NO_OS_VFS there: no OS). A target whose compiler is missing
# prints "-". Last, examples/embedded_store.c compiled and linked for
# Cortex-M4 with newlib nano (the whole program, libc included).
set -u
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

TARGETS="x86-64 aarch64 armhf cortex-m4 cortex-m0plus"
have() { command -v "$1" >/dev/null 2>&1; }

# cc, ld and size commands and the target's own defines.
tool() { # target, what (cc|ld|size|defs)
  case $1:$2 in
    x86-64:cc) echo "gcc" ;;
    x86-64:ld) echo "ld" ;;
    x86-64:size) echo "size" ;;
    aarch64:cc) echo "clang --target=aarch64-linux-gnu" ;;
    aarch64:ld) echo "aarch64-linux-gnu-ld" ;;
    aarch64:size) echo "aarch64-linux-gnu-size" ;;
    armhf:cc) echo "clang --target=arm-linux-gnueabihf -mthumb" ;;
    armhf:ld) echo "arm-linux-gnueabihf-ld" ;;
    armhf:size) echo "arm-linux-gnueabihf-size" ;;
    cortex-m4:cc) echo "arm-none-eabi-gcc -mthumb -mcpu=cortex-m4 -mfloat-abi=hard -mfpu=fpv4-sp-d16" ;;
    cortex-m0plus:cc) echo "arm-none-eabi-gcc -mthumb -mcpu=cortex-m0plus" ;;
    cortex-m*:ld) echo "arm-none-eabi-ld" ;;
    cortex-m*:size) echo "arm-none-eabi-size" ;;
    cortex-m*:defs) echo "-DEP_NO_OS_VFS -DEP_NO_THREADS" ;;
    *:defs) echo "" ;;
  esac
}

available() { # target
  local cc ld
  cc=$(tool "$1" cc); ld=$(tool "$1" ld)
  have "${cc%% *}" && have "$ld" && have "$(tool "$1" size)" || return 1
  [ "$1" != aarch64 ] || [ -d /usr/aarch64-linux-gnu/include ] || return 1
  [ "$1" != armhf ] || [ -d /usr/arm-linux-gnueabihf/include ] || return 1
}

# One cell: "text / data / bss" (text in KiB), or "-" if it does not build.
measure() { # target, subset (whole|core|core_gcm|core_recover), extra defines...
  local t=$1 subset=$2; shift 2
  local cc ld sz defs o=$tmp/$t-$subset.o
  cc=$(tool "$t" cc); ld=$(tool "$t" ld); sz=$(tool "$t" size); defs=$(tool "$t" defs)
  if [ "$subset" = whole ]; then
    printf '#define EMBER_PERSIST_IMPLEMENTATION\n#include "ember_persist.h"\n' > "$tmp/whole.c"
    $cc -std=c99 -Os $defs "$@" -I. -c "$tmp/whole.c" -o "$o" 2>"$tmp/err" || { echo "-"; return; }
  else
    $cc -std=c99 -Os -ffunction-sections -fdata-sections $defs "$@" -DEP_SIZE_SUBSET_$subset -I. \
      -c tools/size_probe.c -o "$tmp/p.o" 2>"$tmp/err" || { echo "-"; return; }
    $ld -r --gc-sections -u ep_size_roots "$tmp/p.o" -o "$o" 2>>"$tmp/err" || { echo "-"; return; }
  fi
  # The roots table is read-only data (text) or, where it needs relocating
  # (PIE defaults), data: taken off the column size counts it in.
  local sym="" nm=${sz%size}nm
  [ "$subset" = whole ] || sym=$($nm -S "$o" | awk '$4 == "ep_size_roots" { print $2, $3 }')
  $sz "$o" | awk -v sym="$sym" 'function hex(s,  i, n) { n = 0; s = tolower(s)
      for (i = 1; i <= length(s); i++) n = n * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1; return n }
    NR == 2 { t = $1; d = $2; split(sym, a, " ")
      if (a[2] ~ /^[Rr]$/) t -= hex(a[1]); else if (a[2] ~ /^[Dd]$/) d -= hex(a[1])
      printf "%.1f KiB / %d / %d", t / 1024, d, $3 }'
}

row() { # label, subset, defines...
  local label=$1 subset=$2; shift 2
  local line="| $label |" t
  for t in $TARGETS; do
    if available "$t"; then line="$line $(measure "$t" "$subset" "$@") |"; else line="$line - |"; fi
  done
  echo "$line"
}

echo "Library size at -Os: text (KiB) / data / bss (bytes)."
echo
echo "| configuration | x86-64 | aarch64 | armhf (Thumb-2) | Cortex-M4 | Cortex-M0+ |"
echo "|---|---|---|---|---|---|"
SMALL="-DEP_SMALL_CRC -DEP_NO_SIMD"
FLASH="-DEP_NO_OS_VFS $SMALL -DEP_NO_WAL -DEP_NO_REDIS -DEP_NO_KEYSPACE"
row "whole library" whole
row "whole, \`EP_NO_ENCRYPTION\`" whole -DEP_NO_ENCRYPTION
row "whole, \`EP_NO_WAL\`" whole -DEP_NO_WAL
row "whole, \`EP_NO_REDIS\`" whole -DEP_NO_REDIS
row "whole, \`EP_NO_KEYSPACE\` (also leaves out the store, maintain, the Redis loader)" whole -DEP_NO_KEYSPACE
row "whole, \`EP_NO_ENCRYPTION EP_SMALL_CRC EP_NO_SIMD\`" whole -DEP_NO_ENCRYPTION $SMALL
row "whole, \`EP_SMALL_AES EP_SMALL_CRC EP_NO_SIMD EP_NO_WAL EP_NO_REDIS EP_NO_KEYSPACE\`, own vfs" whole \
  $FLASH -DEP_SMALL_AES
row "the same, \`EP_NO_ENCRYPTION EP_NO_ERROR_TEXT\`" whole $FLASH -DEP_NO_ENCRYPTION -DEP_NO_ERROR_TEXT
row "AOF + snapshot writers and readers, own vfs, small CRC, no encryption" core \
  -DEP_NO_OS_VFS -DEP_NO_ENCRYPTION $SMALL
row "the same, \`EP_NO_ERROR_TEXT\`" core -DEP_NO_OS_VFS -DEP_NO_ENCRYPTION $SMALL -DEP_NO_ERROR_TEXT
row "the same as the first subset with the bitsliced AES-256-GCM (v3 files)" core_gcm -DEP_NO_OS_VFS $SMALL
row "the same with \`EP_SMALL_AES\`" core_gcm -DEP_NO_OS_VFS $SMALL -DEP_SMALL_AES
row "the first subset plus recovery through the visitor API" core_recover \
  -DEP_NO_OS_VFS -DEP_NO_ENCRYPTION $SMALL
row "the same, \`EP_NO_KEYSPACE\` (the keyspace-mode branch no longer links the keyspace)" core_recover \
  -DEP_NO_OS_VFS -DEP_NO_ENCRYPTION $SMALL -DEP_NO_KEYSPACE
echo
if available cortex-m4; then
  cc=$(tool cortex-m4 cc)
  if $cc -std=c99 -Os -ffunction-sections -fdata-sections -Wl,--gc-sections --specs=nano.specs --specs=nosys.specs \
       -I. examples/embedded_store.c -o "$tmp/embedded_store.elf" 2>"$tmp/err"; then
    arm-none-eabi-size "$tmp/embedded_store.elf" | awk 'NR == 2 {
      printf "examples/embedded_store.c linked for Cortex-M4 (newlib nano, libc included): text %d, data %d, bss %d bytes\n", $1, $2, $3 }'
  else
    echo "examples/embedded_store.c: Cortex-M4 link FAILED"; cat "$tmp/err"; exit 1
  fi
else
  echo "examples/embedded_store.c: arm-none-eabi-gcc not installed, Cortex-M4 link skipped"
fi
