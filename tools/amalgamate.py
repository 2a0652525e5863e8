#!/usr/bin/env python3
"""Build ember_persist.h from the parts in src/.

The manifest below is the include order. Declaration parts (.h) go under the
header's include guard; implementation parts (.c) go under the implementation
guard, so the header can be included any number of times, and once more with
EMBER_PERSIST_IMPLEMENTATION defined (stb / dr_wav style).

Each part may `#include "layer/other_part.h"` so it compiles on its own; those
internal includes are dropped here (each part is inlined exactly once, in
manifest order). System includes are kept where they stand.

Usage:
  tools/amalgamate.py           write ember_persist.h
  tools/amalgamate.py --check   exit 1 if the committed header differs
  tools/amalgamate.py --stdout  print the header instead of writing it
  tools/amalgamate.py --check-layers
                                fail if a part includes one from a higher layer
                                (src/<layer>/, LAYERS below) or is not listed
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "ember_persist.h")

INTRO = "src/intro.txt"          # the manual: top comment of the header

# The layers, lowest first (../shared/DESIGN.md). A part in src/<layer>/ may
# include parts of its own layer and of layers before it, never after it:
# --check-layers (run by `make parts`) fails on such an include.
LAYERS = ["base", "check", "crypto", "vfs", "codec", "file", "store", "recover"]

DECLARATIONS = [                 # public API, in layer order
    "src/base/base.h",
    "src/check/crc.h",
    "src/check/crc64.h",
    "src/check/phash.h",
    "src/crypto/crypto.h",
    "src/vfs/vfs.h",
    "src/codec/codec_aof.h",
    "src/codec/codec_snap.h",
    "src/codec/codec_wal.h",
    "src/codec/codec_resp.h",
    "src/codec/lzf.h",
    "src/codec/codec_rdb.h",
    "src/codec/aof_build.h",
    "src/codec/codec_trailer.h",
    "src/file/keyfile.h",
    "src/file/aof.h",
    "src/file/snapshot.h",
    "src/file/checkpoint.h",
    "src/file/wal.h",
    "src/file/recordlog.h",
    "src/file/probe.h",
    "src/file/repair.h",
    "src/file/rdb.h",
    "src/file/resp_aof.h",
    "src/file/aof_manifest.h",
    "src/store/keyspace.h",
    "src/recover/recovery.h",
    "src/recover/wal_recover.h",
    "src/recover/maintain.h",
    "src/recover/redis.h",
    "src/recover/redis_map.h",
    "src/recover/wal_map.h",
    "src/recover/redis_persist.h",
    "src/recover/store.h",
]
IMPLEMENTATION = [               # private helpers first, then layer order
    "src/base/internal.h",
    "src/base/base.c",
    "src/base/thread.h",
    "src/base/thread.c",
    "src/check/crc_internal.h",
    "src/check/crc.c",
    "src/check/crc64.c",
    "src/check/phash.c",
    "src/crypto/crypto.c",
    "src/vfs/vfs.c",
    "src/vfs/vfs_posix.c",
    "src/vfs/vfs_win32.c",
    "src/vfs/vfs_mem.c",
    "src/codec/codec_aof.c",
    "src/codec/codec_snap.c",
    "src/codec/codec_resp.c",
    "src/codec/lzf.c",
    "src/codec/codec_rdb.c",
    "src/codec/aof_build.c",
    "src/codec/codec_wal.c",
    "src/codec/codec_trailer.c",
    "src/file/stream.h",
    "src/file/stream.c",
    "src/file/keyfile.c",
    "src/file/aof.c",
    "src/file/snapshot.c",
    "src/file/checkpoint.c",
    "src/file/wal_internal.h",
    "src/file/wal_read.c",
    "src/file/wal.c",
    "src/file/recordlog.c",
    "src/file/probe.c",
    "src/file/repair.c",
    "src/file/rdb.c",
    "src/file/rdb_write.c",
    "src/file/resp_aof.c",
    "src/file/aof_manifest.c",
    "src/store/keyspace.c",
    "src/recover/recover_internal.h",
    "src/recover/recovery.c",
    "src/recover/wal_recover.c",
    "src/recover/maintain.c",
    "src/recover/redis_load.c",
    "src/recover/redis_map.c",
    "src/recover/wal_map.c",
    "src/recover/redis_persist.c",
    "src/recover/store.c",
]
LICENSE = "src/LICENSE.txt"

LOCAL_INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"\s*$')


def read(rel):
    with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
        return f.read()


def known_parts():
    """Parts by the name other parts include them with: "layer/file.h"."""
    return {os.path.relpath(p, "src") for p in DECLARATIONS + IMPLEMENTATION}


def layer_of(rel):
    """The layer folder of a path relative to src/ ("file/aof.c" -> "file")."""
    return rel.split("/", 1)[0]


def check_layers(override=None):
    """Every part listed, every listed part present, and no include upwards.
    override maps a part to a text used instead of the file's (the selftest)."""
    override = override or {}
    problems = []
    listed = set(DECLARATIONS + IMPLEMENTATION)
    for dirpath, _, files in os.walk(os.path.join(ROOT, "src")):
        for name in files:
            rel = os.path.relpath(os.path.join(dirpath, name), ROOT)
            if name.endswith((".c", ".h")) and rel not in listed:
                problems.append(f"{rel}: not in the manifest of tools/amalgamate.py")
    for rel in sorted(listed):
        layer = layer_of(os.path.relpath(rel, "src"))
        if layer not in LAYERS:
            problems.append(f"{rel}: not in a layer folder ({', '.join(LAYERS)})")
            continue
        text = override.get(rel)
        for n, line in enumerate((text if text is not None else read(rel)).splitlines(), 1):
            m = LOCAL_INCLUDE.match(line)
            if not m:
                continue
            target = layer_of(m.group(1))
            if target not in LAYERS:
                problems.append(f"{rel}:{n}: includes {m.group(1)!r}, which is in no layer")
            elif LAYERS.index(target) > LAYERS.index(layer):
                problems.append(f"{rel}:{n}: layer {layer!r} includes {m.group(1)!r} from the higher layer {target!r}")
    return problems


def inline_part(rel):
    """Return a part's text with internal includes removed and markers added."""
    parts = known_parts()
    lines = []
    for line in read(rel).splitlines():
        m = LOCAL_INCLUDE.match(line)
        if m:
            if m.group(1) not in parts:
                raise SystemExit(f"{rel}: includes unknown local file {m.group(1)!r}")
            continue
        lines.append(line.rstrip())
    while lines and not lines[-1]:
        lines.pop()
    body = "\n".join(lines)
    return f"/* ---- begin {rel} ---- */\n{body}\n/* ---- end {rel} ---- */\n"


def comment_block(text):
    out = ["/*"]
    for line in text.rstrip("\n").splitlines():
        out.append((" " + line).rstrip())
    out.append("*/")
    return "\n".join(out) + "\n"


def build():
    chunks = [comment_block(read(INTRO))]
    chunks.append("/* Generated by tools/amalgamate.py from src/. Do not edit here. */\n")
    chunks.append("#ifndef EMBER_PERSIST_H\n#define EMBER_PERSIST_H\n")
    for rel in DECLARATIONS:
        chunks.append(inline_part(rel))
    chunks.append("#endif /* EMBER_PERSIST_H */\n")
    chunks.append("#if defined(EMBER_PERSIST_IMPLEMENTATION) && !defined(EMBER_PERSIST_IMPLEMENTATION_DONE)\n"
                  "#define EMBER_PERSIST_IMPLEMENTATION_DONE\n")
    for rel in IMPLEMENTATION:
        chunks.append(inline_part(rel))
    chunks.append("#endif /* EMBER_PERSIST_IMPLEMENTATION */\n")
    chunks.append(comment_block(read(LICENSE)))
    return "\n".join(chunks)


def main(argv):
    if "--check-layers" in argv:
        problems = check_layers()
        for p in problems:
            print(p, file=sys.stderr)
        print(f"layers: {len(problems)} problem(s)" if problems else "layers: every include goes down or sideways")
        return 1 if problems else 0
    if "--check-layers-selftest" in argv:
        # The rule must catch an upward include: base including recovery.
        bad = read("src/base/base.c") + '\n#include "recover/recovery.h"\n'
        caught = check_layers({"src/base/base.c": bad})
        ok = any("src/base/base.c" in p and "higher layer" in p for p in caught)
        print("layers selftest: an upward include is " + ("caught" if ok else "NOT caught"))
        return 0 if ok else 1
    text = build()
    if "--stdout" in argv:
        sys.stdout.write(text)
        return 0
    if "--check" in argv:
        try:
            with open(OUT, encoding="utf-8") as f:
                current = f.read()
        except FileNotFoundError:
            print("ember_persist.h is missing; run tools/amalgamate.py", file=sys.stderr)
            return 1
        if current != text:
            print("ember_persist.h is stale: run tools/amalgamate.py and commit it", file=sys.stderr)
            return 1
        print("ember_persist.h is up to date")
        return 0
    with open(OUT, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
