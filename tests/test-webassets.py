#!/usr/bin/env python3
"""scripts/gen-webassets.py (issue 17): the same inputs give the same bytes, and it refuses a
vendor file that is not the pinned one, a listed file that is missing, a name that is not
plain path segments, an unknown placeholder and a word list that is not the EFF list.

Usage: test-webassets.py GENERATOR WEB_DIR WORDLIST"""
import os
import shutil
import subprocess
import sys
import tempfile

gen, web, wordlist = sys.argv[1:4]
VENDOR = "vendor/noble/_u64.js=@noble/hashes/_u64.js"
failures = []


def run(out, srcdir, vendor_dir, words=wordlist, src=("index.html", "style.css"),
        vendor=VENDOR):
    cmd = [sys.executable, gen, "--version", "9.9.9", "--srcdir", srcdir, "--vendor-dir",
           vendor_dir, "--vendor-sha", os.path.join(web, "vendor.sha256"), "--wordlist", words,
           "--out", out, "--vendor", vendor]
    for s in src:
        cmd += ["--src", s]
    return subprocess.run(cmd, capture_output=True, text=True)


def expect_refusal(name, p, words):
    if p.returncode == 0 or not any(w in p.stderr for w in words):
        failures.append(f"{name}: exit {p.returncode}, stderr {p.stderr.strip()!r}")


with tempfile.TemporaryDirectory() as t:
    src, mods = os.path.join(web, "src"), os.path.join(web, "node_modules")
    a, b = os.path.join(t, "a.c"), os.path.join(t, "b.c")
    for out in (a, b):
        p = run(out, src, mods)
        if p.returncode != 0:
            sys.exit(f"the generator failed on the tree: {p.stderr}")
    if open(a, "rb").read() != open(b, "rb").read():
        failures.append("two runs on the same inputs differ")
    if "9.9.9" not in open(a).read():
        failures.append("the version is not in the output")

    # a vendor file one byte off the pinned one
    bad = os.path.join(t, "node_modules")
    os.makedirs(os.path.join(bad, "@noble/hashes"))
    data = bytearray(open(os.path.join(mods, "@noble/hashes/_u64.js"), "rb").read())
    data[-2] ^= 1
    open(os.path.join(bad, "@noble/hashes/_u64.js"), "wb").write(data)
    expect_refusal("tampered vendor file", run(os.path.join(t, "c.c"), src, bad),
                   ["refusing to serve it"])

    # a listed file that is not there
    expect_refusal("missing file", run(os.path.join(t, "d.c"), src, mods,
                                       src=("index.html", "nosuch.js")), ["is missing"])

    # a name that is not one path of plain segments
    expect_refusal("name with ..", run(os.path.join(t, "g.c"), src, mods,
                                       vendor="vendor/../x.js=@noble/hashes/_u64.js"),
                   ["only letters, digits"])

    # a placeholder the generator does not know (a typo would reach the browser)
    odd = os.path.join(t, "src")
    os.makedirs(odd)
    shutil.copy(os.path.join(src, "index.html"), odd)
    open(os.path.join(odd, "style.css"), "w").write("/* @GD_VERSON@ */\n")
    expect_refusal("unknown placeholder", run(os.path.join(t, "e.c"), odd, mods),
                   ["unknown placeholder @GD_VERSON@"])

    # another word list: gen-wordlist.py's check, reached through the generator
    words = os.path.join(t, "words.txt")
    lines = open(wordlist).read().splitlines()
    lines[0] = lines[0].replace("abacus", "abacas")
    open(words, "w").write("\n".join(lines) + "\n")
    expect_refusal("another word list", run(os.path.join(t, "f.c"), src, mods, words=words),
                   ["codenames would change meaning"])

    if not os.path.exists(os.path.join(t, "a.c")) or any(
            os.path.exists(os.path.join(t, f)) for f in ("c.c", "d.c", "e.c", "f.c", "g.c")):
        failures.append("a refused run left an output file")

for f in failures:
    print("FAIL:", f)
sys.exit(1 if failures else 0)
