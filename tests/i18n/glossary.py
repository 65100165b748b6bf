#!/usr/bin/env python3
"""The glossaries hold (issue 18): po/glossary/LANG.md's table (| English | LANG | forms matched |
note |) says which stems a translation must use for a term; every web string
(web/src/lang-LANG.js) and every translated .po message (po/LANG.po) whose English holds the term
as a word must hold one of its forms (case-insensitive). And docs/WORKER.LANG.md: its header says
it awaits a native speaker's review, it has as many '## ' sections as docs/WORKER.md, and its
fenced code blocks are English's, byte for byte (commands and flags are a contract). The checks
first refuse copies made wrong on purpose. Usage: glossary.py SOURCE_ROOT"""

import json
import os
import re
import subprocess
import sys

LANGS = ['es', 'pt_BR', 'fil', 'sw', 'fr']
# "native speaker" in the header, in English or in the language
REVIEW = re.compile(r'nativ|natif|maternel|katutubo|mzawa|asili', re.I)


def glossary(path):
    """[(term, [forms])] from the markdown table."""
    rows = []
    for line in open(path, encoding='utf-8'):
        cells = [c.strip() for c in line.strip().strip('|').split('|')]
        if not line.lstrip().startswith('|') or len(cells) < 3:
            continue
        if cells[0].lower() == 'english' or set(cells[0]) <= set('-: '):
            continue
        term = re.sub(r'\(.*?\)', '', cells[0]).replace('`', '').strip().lower()
        forms = [f.strip().lower().replace('`', '') for f in cells[2].split(',') if f.strip()]
        if term and forms:
            rows.append((term, forms))
    return rows


def term_re(term):
    words = r'\s+'.join(re.escape(w) for w in term.split())
    plural = r'(?:s|es)?' if not term.endswith('y') else ''
    alt = '|' + re.escape(term[:-1]) + 'ies' if term.endswith('y') else ''
    return re.compile(r'(?<![\w-])(?:' + words + plural + alt + r')(?![\w-])', re.I)


def english_of(text):
    """English as read for terms: flags, format directives and placeholders left out."""
    text = re.sub(r'--?[a-z][a-z0-9-]*', ' ', text)
    text = re.sub(r'%[-#0-9.$]*[a-z]+', ' ', text)
    return re.sub(r'\{[a-z_]+\}', ' ', text)


def term_problems(rows, pairs, where):
    """pairs: [(id, english, translation)] -> sentences."""
    out = []
    for ident, en, tr in pairs:
        if not tr:
            continue
        e, low = english_of(en), tr.lower()
        for term, forms in rows:
            if term_re(term).search(e) and not any(f in low for f in forms):
                out.append(f'{where} {ident}: English has "{term}", the translation none of '
                           f'{forms}: {tr[:100]!r}')
    return out


def po_pairs(path):
    """[(msgid, msgid, msgstr)] of a .po file's translated, non-fuzzy messages."""
    entries, cur, key, fuzzy = [], {}, None, False

    def flush():
        nonlocal cur, fuzzy
        if cur.get('msgid') and not fuzzy:
            strs = [v for k, v in cur.items() if k.startswith('msgstr')]
            en = cur['msgid'] + ' ' + cur.get('msgid_plural', '')
            for s in strs:
                entries.append((cur['msgid'][:40], en, s))
        cur, fuzzy = {}, False

    def unq(s):
        return json.loads(s) if s.startswith('"') else s

    for line in open(path, encoding='utf-8'):
        line = line.strip()
        if line.startswith('#,') and 'fuzzy' in line:
            if cur:
                flush()
            fuzzy = True
        elif line.startswith('#') or not line:
            if 'msgstr' in ''.join(cur):
                flush()
        elif line.startswith('"'):
            cur[key] += unq(line)
        else:
            m = re.match(r'(msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(".*")$', line)
            if not m:
                continue
            if m.group(1) == 'msgid' and 'msgstr' in ''.join(cur):
                f = fuzzy
                flush()
                fuzzy = f
            key = m.group(1)
            cur[key] = unq(m.group(2))
    flush()
    return entries


def doc_problems(en_text, tr_text, where):
    out = []
    if not REVIEW.search('\n'.join(tr_text.splitlines()[:15])):
        out.append(f'{where}: its first 15 lines do not say it awaits a native speaker\'s review')
    sec = lambda t: [l for l in t.splitlines() if l.startswith('## ')]
    if len(sec(en_text)) != len(sec(tr_text)):
        out.append(f'{where}: {len(sec(tr_text))} "## " sections, English {len(sec(en_text))}')
    blocks = lambda t: re.findall(r'^```[^\n]*\n(.*?)^```', t, re.M | re.S)
    be, bt = blocks(en_text), blocks(tr_text)
    if len(be) != len(bt):
        out.append(f'{where}: {len(bt)} code blocks, English {len(be)}')
    for i, (a, b) in enumerate(zip(be, bt)):
        if a != b:
            out.append(f'{where}: code block {i + 1} differs from English\'s: {b[:80]!r}')
    return out


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else '.')
    dump = subprocess.run(['node', '--input-type=module', '-e',
                           'const m = await import(process.argv[1]); '
                           'console.log(JSON.stringify(m.STRINGS));',
                           os.path.join(root, 'web', 'src', 'strings.js')],
                          capture_output=True, text=True, check=True)
    strings = json.loads(dump.stdout)
    en = strings['en']
    en_doc = open(os.path.join(root, 'docs', 'WORKER.md'), encoding='utf-8').read()
    problems, counted = [], []

    # the checks refuse copies made wrong on purpose
    self_fail = []
    for lang in LANGS:
        gpath = os.path.join(root, 'po', 'glossary', f'{lang}.md')
        if not os.path.exists(gpath) or lang not in strings:
            continue
        rows = glossary(gpath)
        term, forms = next(r for r in rows if r[0] == 'testimony')
        key = next(k for k in en if term_re(term).search(english_of(en[k])))
        bad = strings[lang][key].lower()
        for f in forms:
            bad = bad.replace(f, 'xxx')
        if not term_problems(rows, [(key, en[key], bad)], 'self-test'):
            self_fail.append(f'{lang}: a string without "{term}" went unnoticed')
        break
    good = '# T\nRevisión por hablante nativo\n## a\n```\nghostdrop --server URL\n```\n## b\n'
    en_t = '# T\n## a\n```\nghostdrop --server URL\n```\n## b\n'
    if doc_problems(en_t, good, 'self-test'):
        self_fail.append(f'a good guide refused: {doc_problems(en_t, good, "self-test")}')
    for what, bad in [('a flag translated', good.replace('--server', '--servidor')),
                      ('a section dropped', good.replace('## b\n', '')),
                      ('no review header', good.replace('Revisión por hablante nativo', 'x'))]:
        if not doc_problems(en_t, bad, 'self-test'):
            self_fail.append(f'{what} went unnoticed')
    pe = po_pairs_text('msgid "the testimony"\nmsgstr "el texto"\n\n#, fuzzy\nmsgid "a reply"\n'
                       'msgstr "x"\n')
    if len(pe) != 1 or pe[0][2] != 'el texto':
        self_fail.append(f'the .po reader: {pe}')
    for s in self_fail:
        print(f'glossary: FAIL: self-test: {s}')

    for lang in LANGS:
        gpath = os.path.join(root, 'po', 'glossary', f'{lang}.md')
        if not os.path.exists(gpath):
            problems.append(f'{lang}: po/glossary/{lang}.md does not exist')
            continue
        rows = glossary(gpath)
        for need in ['testimony', 'newsroom', 'codename', 'proof of work', 'tor', 'journalist']:
            if not any(t == need for t, _ in rows):
                problems.append(f'{lang}: the glossary has no row for "{need}" with forms')
        n = 0
        if lang in strings:
            cat = strings[lang]
            problems += term_problems(rows, [(k, en[k], cat.get(k, '')) for k in en],
                                      f'{lang}: web')
            n += len(en)
        else:
            problems.append(f'{lang}: no web catalogue in strings.js')
        po = os.path.join(root, 'po', f'{lang}.po')
        if os.path.exists(po):
            pairs = po_pairs(po)
            problems += term_problems(rows, pairs, f'{lang}: po')
            n += len(pairs)
        else:
            problems.append(f'{lang}: po/{lang}.po does not exist')
        doc = os.path.join(root, 'docs', f'WORKER.{lang}.md')
        if os.path.exists(doc):
            problems += doc_problems(en_doc, open(doc, encoding='utf-8').read(),
                                     f'{lang}: docs/WORKER.{lang}.md')
        else:
            problems.append(f'{lang}: docs/WORKER.{lang}.md does not exist')
        counted.append(f'{lang} {len(rows)} terms over {n} strings')
    for p in problems:
        print(f'glossary: FAIL: {p}')
    print(f'glossary: {"; ".join(counted)}; {len(problems)} problems')
    return 1 if problems or self_fail else 0


def po_pairs_text(text):
    import tempfile
    with tempfile.NamedTemporaryFile('w', suffix='.po', delete=False, encoding='utf-8') as f:
        f.write(text)
    try:
        return po_pairs(f.name)
    finally:
        os.unlink(f.name)


if __name__ == '__main__':
    sys.exit(main())
