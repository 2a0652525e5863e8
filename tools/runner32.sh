#!/usr/bin/env bash
# Prints how to run a 32-bit x86 program on this machine: nothing when the
# kernel runs them itself (x86-64 with IA-32 emulation), "qemu-i386" when it
# does not (some kernels are built without CONFIG_IA32_EMULATION: exec gives
# "Exec format error") and qemu-user is installed. Exits 1, with the reason on
# stderr, when gcc -m32 cannot build (no gcc-multilib) or nothing can run it.
# Used by make test32 and tools/cross.sh's i386 target: one place for the rule.
set -u
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo 'int main(void){return 0;}' > "$tmp/p.c"
if ! gcc -m32 -march=i686 "$tmp/p.c" -o "$tmp/p" 2>/dev/null; then
  echo "gcc -m32 cannot build (gcc-multilib)" >&2; exit 1
fi
if "$tmp/p" 2>/dev/null; then exit 0; fi
if command -v qemu-i386 >/dev/null 2>&1 && qemu-i386 "$tmp/p"; then echo "qemu-i386"; exit 0; fi
echo "this kernel does not run 32-bit x86 programs and qemu-i386 (qemu-user) is not installed" >&2
exit 1
