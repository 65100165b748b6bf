#!/usr/bin/env python3
"""Embed the submission page (web/src), the JavaScript it needs from web/node_modules and the
codename word list in ghostdropd as C byte arrays, each with its content type and a gzip
version (server/webassets.h, served by server/api_web.c; docs/OPERATOR.md "The web page").

Every input is named on the command line by web/meson.build; a missing one stops the build,
and so does a vendor file whose SHA-256 is not the one web/vendor.sha256 pins (the page must
never serve code nobody checked). The output depends on the inputs only: gzip with mtime 0,
so two builds of a commit embed the same bytes.

  --version V          replaces @GD_VERSION@ in web/src files (the asset path /s/V/)
  --src NAME           a file of --srcdir (index.html is the page at /; the others assets)
  --vendor NAME=PATH   PATH under --vendor-dir, served as NAME, checked against --vendor-sha
  --wordlist FILE      the EFF list, checked as scripts/gen-wordlist.py does: wordlist.js

index.html keeps @GD_NEWSROOM@, which ghostdropd replaces at start-up with its newsroom key;
its gzip is therefore cut there into raw deflate pieces, each ending on a byte boundary, so
the daemon puts the key between them as stored blocks (webassets.h)."""
import argparse
import gzip
import hashlib
import importlib.util
import json
import os
import re
import sys
import zlib

PROG = "gen-webassets"
NEWSROOM = b"@GD_NEWSROOM@"
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}


def fail(msg):
    sys.exit(f"{PROG}: {msg}")


def read_words(path):
    """The word list through scripts/gen-wordlist.py's own check (one check, not a copy)."""
    here = os.path.dirname(os.path.abspath(__file__))
    spec = importlib.util.spec_from_file_location("gen_wordlist",
                                                  os.path.join(here, "gen-wordlist.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.read_words(path, PROG)


def content_type(name):
    ext = os.path.splitext(name)[1]
    if ext not in TYPES:
        fail(f"{name}: no content type for '{ext}' files")
    return TYPES[ext]


def gz(data):
    return gzip.compress(data, compresslevel=9, mtime=0)


def deflate_piece(data):
    """Raw deflate of data ending byte-aligned and not final (a full flush), so that pieces
    and stored blocks can follow one another."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15, 9)
    return c.compress(data) + c.flush(zlib.Z_FULL_FLUSH)


def c_bytes(name, data):
    out = [f"static const unsigned char {name}[{max(len(data), 1)}] = {{"]
    for i in range(0, len(data), 20):
        out.append("\t" + "".join(f"{b}," for b in data[i:i + 20]))
    if not data:
        out.append("\t0,")
    out.append("};")
    return "\n".join(out) + "\n"


def vendor_hashes(path):
    pinned = {}
    for line in open(path, encoding="ascii"):
        m = re.fullmatch(r"([0-9a-f]{64})  (\S+)\n?", line)
        if m is None:
            fail(f"{path}: not a sha256sum line: {line!r}")
        pinned[m.group(2)] = m.group(1)
    return pinned


def main():
    ap = argparse.ArgumentParser(prog=PROG)
    ap.add_argument("--version", required=True)
    ap.add_argument("--srcdir", required=True)
    ap.add_argument("--vendor-dir", required=True)
    ap.add_argument("--vendor-sha", required=True)
    ap.add_argument("--wordlist", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--src", action="append", default=[])
    ap.add_argument("--vendor", action="append", default=[])
    a = ap.parse_args()
    if not re.fullmatch(r"[0-9A-Za-z.+~-]+", a.version):
        fail(f"version '{a.version}' cannot be a path segment")
    if "index.html" not in a.src:
        fail("index.html must be listed (--src index.html)")

    assets = []  # (served name, bytes)
    for name in a.src:
        path = os.path.join(a.srcdir, name)
        if not os.path.isfile(path):
            fail(f"{path} is missing: web/meson.build lists it (create it, or take it off "
                 "the list)")
        data = open(path, "rb").read().replace(b"@GD_VERSION@", a.version.encode())
        left = data.replace(NEWSROOM, b"") if name == "index.html" else data
        m = re.search(rb"@GD_[A-Z_]+@", left)
        if m is not None:
            fail(f"{path}: unknown placeholder {m.group().decode()}")
        assets.append((name, data))

    pinned = vendor_hashes(a.vendor_sha)
    for spec in a.vendor:
        name, _, rel = spec.partition("=")
        if not name.startswith("vendor/") or not rel:
            fail(f"--vendor {spec}: expected vendor/NAME=PATH")
        path = os.path.join(a.vendor_dir, rel)
        if not os.path.isfile(path):
            fail(f"{path} is missing: run scripts/web-deps")
        data = open(path, "rb").read()
        digest = hashlib.sha256(data).hexdigest()
        if rel not in pinned:
            fail(f"{rel} is not pinned in {a.vendor_sha}")
        if digest != pinned[rel]:
            fail(f"{path} has sha256 {digest}, {a.vendor_sha} pins {pinned[rel]}: refusing to "
                 "serve it (run scripts/web-deps)")
        assets.append((name, data))

    words = read_words(a.wordlist)
    wl = "export const WORDS = [\n" + ",\n".join(json.dumps(w) for w in words) + "\n];\n"
    assets.append(("wordlist.js", wl.encode("ascii")))

    names = [n for n, _ in assets]
    if len(set(names)) != len(names):
        fail("an asset name is listed twice")
    part = r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*"
    for n in names:  # a C string and a URL path as they are, matched byte for byte
        if not re.fullmatch(f"{part}(/{part})*", n):
            fail(f"asset name '{n}': only letters, digits, '_', '-', and '.' or '/' between them")

    out = ["/* Generated by scripts/gen-webassets.py from web/src, web/node_modules (checked "
           "against\n * web/vendor.sha256) and the EFF word list. Do not edit. */",
           '#include "webassets.h"', ""]
    rows = []
    for i, (name, data) in enumerate(assets):
        if name == "index.html":
            continue
        out.append(c_bytes(f"a{i}", data))
        z = gz(data)
        keep = len(z) < len(data)
        if keep:
            out.append(c_bytes(f"z{i}", z))
        rows.append(f'\t{{"{name}", "{content_type(name)}", a{i}, {len(data)}, '
                    + (f"z{i}, {len(z)}" if keep else "NULL, 0") + "},")
    out.append("const gd_web_asset gd_web_assets[] = {\n" + "\n".join(rows) + "\n};")
    out.append(f"const size_t gd_web_n_assets = {len(rows)};\n")

    page = dict(assets)["index.html"]
    parts = page.split(NEWSROOM)
    for i, p in enumerate(parts):
        out.append(c_bytes(f"p{i}", p))
        out.append(c_bytes(f"d{i}", deflate_piece(p)))
    prow = ",\n".join(f"\t{{p{i}, {len(p)}, d{i}, {len(deflate_piece(p))}}}"
                      for i, p in enumerate(parts))
    out.append("const gd_web_piece gd_web_page[] = {\n" + prow + ",\n};")
    out.append(f"const size_t gd_web_page_n = {len(parts)};")
    out.append(f'const char gd_web_version[] = "{a.version}";\n')

    tmp = a.out + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(out))
    os.replace(tmp, a.out)


if __name__ == "__main__":
    main()
