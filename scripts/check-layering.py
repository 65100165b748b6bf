#!/usr/bin/env python3
"""Check ghostdrop's include layering (../shared/STYLE.md "Layout shows the architecture").

crypto/ may include system headers, sodium.h, jansson.h and its own headers: never libevent,
LMDB, or anything of server/ or client/. server/ and client/ never include each other's
headers. Inside server/, only http.c includes libevent and only store.c includes lmdb.h.
Usage: check-layering.py [ROOT]   (exit 1 and one line per violation)"""
import os
import re
import sys

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)


def sources(d):
    base = os.path.join(root, d)
    for dirpath, _, files in os.walk(base):
        for f in sorted(files):
            if f.endswith((".c", ".h")):
                yield os.path.join(dirpath, f)


def headers(d):
    return {os.path.basename(p) for p in sources(d) if p.endswith(".h")}


crypto_h, server_h, client_h = headers("crypto"), headers("server"), headers("client")
errors = []
for layer in ("crypto", "server", "client"):
    for path in sources(layer):
        rel = os.path.relpath(path, root)
        text = open(path, encoding="utf-8", errors="replace").read()
        for kind, name in INCLUDE.findall(text):
            base = os.path.basename(name)
            foreign = name.startswith("event2/") or name in ("event.h", "evhttp.h")
            if layer == "crypto":
                if foreign or name == "lmdb.h":
                    errors.append(f"{rel}: crypto/ must not include <{name}>")
                elif kind == '"' and base not in crypto_h and not name.endswith("wordlist.h"):
                    errors.append(f'{rel}: crypto/ includes "{name}" from outside crypto/')
                elif kind == "<" and name not in ("sodium.h", "jansson.h") and "/" not in name \
                        and not re.match(r"^[a-z0-9_]+\.h$", name):
                    errors.append(f"{rel}: crypto/ includes unexpected <{name}>")
            other = {"server": client_h - server_h - crypto_h,
                     "client": server_h - client_h - crypto_h}.get(layer, set())
            if kind == '"' and (base in other or ".." in name):
                errors.append(f'{rel}: {layer}/ must not include "{name}"')
            if layer == "server" and foreign and os.path.basename(path) != "http.c":
                errors.append(f"{rel}: only server/http.c may include <{name}>")
            if layer == "server" and name == "lmdb.h" and os.path.basename(path) != "store.c":
                errors.append(f"{rel}: only server/store.c may include <lmdb.h>")
for e in errors:
    print(e)
sys.exit(1 if errors else 0)
