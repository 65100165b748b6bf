#!/usr/bin/env python3
"""Check ghostdrop's include layering as allowlists (../shared/STYLE.md "Layout shows the
architecture"; Tor's .may_include files do the same).

Every .c and .h file under crypto/, server/, client/, bench/ and tests/ has a role, taken from
its folder (and, for a few named files, from its name). A role says which system headers and
which project headers the file may include; anything else is a violation. A new file gets its
folder's default role without being named here, so it is covered from its first line. No
file includes a .c file: sources are linked (the fuzz targets link the parsers they reach).

  crypto/   libsodium, Jansson and the C library; its own headers. No I/O library, no socket.
  server/   the C library and POSIX files, libsodium, Jansson; server/ headers and crypto's
            public ones (never crypto/internal.h). One foreign library, one owner: libevent and
            sockets only in http.c, lmdb.h only in store.c, seccomp only in sandbox.c.
  client/   offline by default: what ghostdrop-desk open/reply/keys/bundle runs. Never the
            network code (sockets, name lookup, libevent, transport.h, socks5.h, drop.h,
            upload.h). Only the files in NETWORK_FILES speak to a drop.
  bench/    public headers of crypto and client, sockets and LMDB (it measures them).
  tests/    any system header; every project header but crypto's private ones.

Usage: check-layering.py [--expect FILE] [ROOT]
  Without --expect: one line per violation, exit 1 if there is any.
  With --expect (for the fixtures in tests/layering-bad): exit 0 only if the violations found
  are exactly the lines of FILE, so a fixture proves that its rule fires."""
import fnmatch
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)
FOLDERS = ("crypto", "server", "client", "bench", "tests")

# System headers, by what they give access to.
C_LIB = {"assert.h", "ctype.h", "errno.h", "float.h", "inttypes.h", "limits.h", "locale.h",
         "math.h", "stdalign.h", "stdarg.h", "stdatomic.h", "stdbool.h", "stddef.h", "stdint.h",
         "stdio.h", "stdlib.h", "stdnoreturn.h", "string.h", "time.h", "wchar.h", "wctype.h",
         "sys/types.h"}
POSIX_FILES = {"unistd.h", "fcntl.h", "strings.h", "sys/stat.h", "dirent.h", "libgen.h",
               "pthread.h", "signal.h", "sys/statvfs.h", "sys/statfs.h", "sys/vfs.h",
               "sys/mman.h"}
PROCESS = {"getopt.h", "pwd.h", "grp.h", "sys/prctl.h", "sys/resource.h", "sys/wait.h",
           "malloc.h", "termios.h"}
NETWORK = {"sys/socket.h", "sys/un.h", "netdb.h", "arpa/inet.h", "netinet/in.h",
           "netinet/tcp.h", "poll.h", "sys/select.h", "sys/epoll.h", "ifaddrs.h", "event2/*",
           "event.h", "evhttp.h", "curl/*"}
CRYPTO_LIBS = {"sodium.h", "jansson.h"}

# Project headers: crypto's public ones (all others in crypto/ are private to it), and the
# client's network code, which the offline desk must never include.
CRYPTO_PUBLIC = {"gdcrypto.h", "bytes.h"}
NETWORK_FILES = {"transport", "socks5", "upload", "drop", "ghostdrop", "desk_courier"}


def role(folder, name):
    """(system headers allowed, predicate over (folder, header) for project headers)"""
    stem = os.path.splitext(name)[0]
    crypto_public = lambda f, h: f == "crypto" and h in CRYPTO_PUBLIC
    if folder == "crypto":
        return C_LIB | CRYPTO_LIBS, lambda f, h: f == "crypto"
    if folder == "server":
        system = C_LIB | POSIX_FILES | PROCESS | CRYPTO_LIBS
        system |= {"http": NETWORK, "store": {"lmdb.h"},
                   "sandbox": {"seccomp.h", "sys/ioctl.h"}}.get(stem, set())
        return system, lambda f, h: f == "server" or crypto_public(f, h)
    if folder == "client":
        # gettext: the worker's messages in its language (client/i18n.h)
        system = C_LIB | POSIX_FILES | PROCESS | CRYPTO_LIBS | {"libintl.h"}
        # the scratch folder's lock (flock), the terminal's width (TIOCGWINSZ)
        system |= {"attach": {"sys/file.h"}, "progress": {"sys/ioctl.h"},
                   "cli": {"sys/ioctl.h"}}.get(stem, set())
        if stem in NETWORK_FILES:
            return system | NETWORK, lambda f, h: f == "client" or crypto_public(f, h)
        offline = lambda f, h: (f == "client" and os.path.splitext(h)[0] not in NETWORK_FILES)
        return system, lambda f, h: offline(f, h) or crypto_public(f, h)
    if folder == "bench":
        system = C_LIB | POSIX_FILES | PROCESS | NETWORK | CRYPTO_LIBS | {"lmdb.h"}
        return system, lambda f, h: f in ("bench", "client") or crypto_public(f, h)
    # tests/: anything the system has; every project file but crypto's private headers.
    return {"*"}, lambda f, h: f != "crypto" or h in CRYPTO_PUBLIC


def allowed(name, patterns):
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


def main(argv):
    expect = None
    if len(argv) >= 2 and argv[0] == "--expect":
        expect, argv = argv[1], argv[2:]
    root = argv[0] if argv else os.path.join(os.path.dirname(__file__), "..")
    files = []  # (folder, path relative to root)
    for folder in FOLDERS:
        for dirpath, dirs, names in os.walk(os.path.join(root, folder)):
            dirs[:] = sorted(d for d in dirs if folder != "tests" or d != "layering-bad")
            files += [(folder, os.path.relpath(os.path.join(dirpath, n), root))
                      for n in sorted(names) if n.endswith((".c", ".h"))]
    by_base = {}  # header base name -> folders holding it (the include paths are the folders)
    for folder, rel in files:
        by_base.setdefault(os.path.basename(rel), set()).add(folder)

    errors = []
    for folder, rel in files:
        system, project = role(folder, os.path.basename(rel))
        text = open(os.path.join(root, rel), encoding="utf-8", errors="replace").read()
        for kind, name in INCLUDE.findall(text):
            if kind == "<":
                if not allowed(name, system):
                    errors.append(f"{rel}: {folder}/ may not include <{name}>")
                continue
            if name.endswith(".c"):  # a source file is linked, never included
                errors.append(f'{rel}: includes the source file "{name}" (link it instead)')
                continue
            target = os.path.normpath(os.path.join(os.path.dirname(rel), name))
            if os.path.exists(os.path.join(root, target)):
                owners = {target.split(os.sep)[0]}
            else:
                owners = by_base.get(os.path.basename(name), set())
            base = os.path.basename(name)
            if not owners:
                errors.append(f'{rel}: "{name}" is no header of this tree')
            elif not all(project(f, base) for f in owners):
                where = "/, ".join(sorted(owners))
                errors.append(f'{rel}: {folder}/ may not include "{name}" (from {where}/)')
    if expect is None:
        for e in errors:
            print(e)
        return 1 if errors else 0
    want = [line.strip() for line in open(expect, encoding="utf-8") if line.strip()]
    for e in sorted(set(errors) ^ set(want)):
        print(("unexpected: " if e in errors else "not caught: ") + e)
    return 0 if sorted(errors) == sorted(want) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
