#!/usr/bin/env python3
"""Issue 19: scripts/gen-catalogues.py embeds a catalogue only when client/catalogue.c can
answer exactly as gettext: it refuses a Plural-Forms expression other than po/'s two (n != 1,
n > 1), so a new language cannot silently get wrong plurals, a charset other than UTF-8 and a
message context; po/'s kind of catalogue passes.
Issue 19 (review finding 3): the build refuses a translation that is not safe as a printf
format or on a terminal, whether or not its entry is marked c-format (msgfmt --check looks only
at marked ones): a conversion or a % the msgid has not (%n%s%s%s), or a control or bidi
character (an escape sequence, written \\033 or \\x1b in the .po). Both build paths:
gen-catalogues.py (the embedded catalogues) and scripts/po_check.py, which po/meson.build runs
on every po/LANG.po before the .mo files are built and installed.

usage: check_gen_catalogues.py GEN-CATALOGUES.PY PO-CHECK.PY"""
import os
import subprocess
import sys
import tempfile

GEN, PO_CHECK = sys.argv[1:3]
sys.path.insert(0, os.path.dirname(os.path.abspath(PO_CHECK)))
import po_check  # noqa: E402
PO = """msgid ""
msgstr ""
"Content-Type: text/plain; charset={charset}\\n"
"Plural-Forms: {forms}\\n"

{ctx}msgid "one file"
msgid_plural "%d files"
msgstr[0] "un fichier"
msgstr[1] "%d fichiers"
"""
CASES = [  # (Plural-Forms, charset, context, accepted)
    ("nplurals=2; plural=(n != 1);", "UTF-8", "", True),
    ("nplurals=2; plural=(n > 1);", "UTF-8", "", True),
    ("nplurals=2; plural=n != 1;", "UTF-8", "", False),  # not spelled as po/ spells it
    ("nplurals=2; plural=(n >= 1);", "UTF-8", "", False),
    ("nplurals=3; plural=(n==1 ? 0 : n%10>=2 && n%10<=4 ? 1 : 2);", "UTF-8", "", False),
    ("nplurals=1; plural=0;", "UTF-8", "", False),
    ("nplurals=2; plural=(n != 1);", "ISO-8859-1", "", False),
    ("nplurals=2; plural=(n != 1);", "UTF-8", 'msgctxt "menu"\n', False),
]
failed = 0
with tempfile.TemporaryDirectory() as tmp:
    for i, (forms, charset, ctx, ok) in enumerate(CASES):
        d = os.path.join(tmp, str(i), "xx", "LC_MESSAGES")
        os.makedirs(d)
        po, mo = os.path.join(d, "t.po"), os.path.join(d, "ghostdrop.mo")
        with open(po, "w", encoding="utf-8") as f:
            f.write(PO.format(forms=forms, charset=charset, ctx=ctx))
        if forms.startswith("nplurals=1"):  # one form only: msgfmt insists
            text = open(po).read().replace('msgstr[1] "%d fichiers"\n', "")
            open(po, "w").write(text)
        subprocess.run(["msgfmt", "-o", mo, po], check=True)
        r = subprocess.run([sys.executable, GEN, os.path.join(tmp, f"{i}.c"), mo],
                           capture_output=True, text=True)
        if (r.returncode == 0) != ok:
            failed += 1
            print(f"FAIL: {forms!r} {charset} {ctx!r}: exit {r.returncode}, expected "
                  f"{'success' if ok else 'a refusal'}: {r.stderr.strip()}")
        elif not ok:
            print(f"ok: refused {forms!r} {charset} {ctx.strip()!r}: {r.stderr.strip()}")

# Unmarked entries (no "#, c-format"): msgfmt --check accepts every one of these.
UNSAFE_PO = """msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\\n"

msgid "Your codename is in %s: move it somewhere safe.\\n"
msgstr "{tr}"
"""
UNSAFE_CASES = [  # (msgstr, accepted)
    ("Su nombre en clave está en %s: muévalo a un lugar seguro.\\n", True),
    ("Su nombre en clave está en %s: muévalo %n%s%s%s a un lugar seguro.\\n", False),
    ("Su nombre en clave está en %s: muévalo a un lugar seguro. %d\\n", False),
    ("Su nombre en clave está en %s: muévalo a un 100% lugar seguro.\\n", False),
    ("Su nombre en clave está en %d: muévalo a un lugar seguro.\\n", False),
    ("\\x1b]0;pwned\\x07\\x1b[2JSu nombre en clave está en %s.\\n", False),
    ("\\033[8mSu nombre en clave está en %s.\\n", False),
    ("Su nombre en clave está en %s.\u009b8m\\n", False),
    ("Su nombre en clave está en \u202e%s.\\n", False),
    ("Su nombre en clave está en %s.\\r\\n", False),
]
with tempfile.TemporaryDirectory() as tmp:
    for i, (tr, ok) in enumerate(UNSAFE_CASES):
        d = os.path.join(tmp, str(i), "es", "LC_MESSAGES")
        os.makedirs(d)
        po, mo = os.path.join(tmp, str(i), "es.po"), os.path.join(d, "ghostdrop.mo")
        PO_TEXT = UNSAFE_PO.format(tr=tr)
        with open(po, "w", encoding="utf-8") as f:
            f.write(PO_TEXT)
        r = subprocess.run(["msgfmt", "--check", "-o", mo, po], capture_output=True, text=True)
        if r.returncode != 0:
            failed += 1
            print(f"FAIL: msgfmt --check refused {tr!r} (the case tests nothing): {r.stderr}")
            continue
        # tests/i18n/check_po.py reads the .po itself (po_check.parse_po): \\033 is an escape
        if (not po_check.conversion_problems(po_check.parse_po(PO_TEXT))) != ok:
            failed += 1
            print(f"FAIL: po_check.parse_po and conversion_problems {tr!r}: expected "
                  f"{'success' if ok else 'a refusal'}")
        for what, cmd in (("gen-catalogues.py", [sys.executable, GEN, mo + ".c", mo]),
                          ("po_check.py", [sys.executable, PO_CHECK, po])):
            r = subprocess.run(cmd, capture_output=True, text=True)
            if (r.returncode == 0) != ok:
                failed += 1
                print(f"FAIL: {what} {tr!r}: exit {r.returncode}, expected "
                      f"{'success' if ok else 'a refusal'}: {r.stderr.strip()}")
            elif not ok:
                print(f"ok: {what} refused {tr!r}: {r.stderr.strip()[:200]}")
sys.exit(1 if failed else 0)
