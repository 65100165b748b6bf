#!/usr/bin/env python3
"""Issue 19: scripts/gen-catalogues.py embeds a catalogue only when client/catalogue.c can
answer exactly as gettext: it refuses a Plural-Forms expression other than po/'s two (n != 1,
n > 1), so a new language cannot silently get wrong plurals, a charset other than UTF-8 and a
message context; po/'s kind of catalogue passes.

usage: check_gen_catalogues.py GEN-CATALOGUES.PY"""
import os
import subprocess
import sys
import tempfile

GEN = sys.argv[1]
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
sys.exit(1 if failed else 0)
