#!/usr/bin/env python3
"""The worker CLI's translations (po/) and the CLI in each language: tests/i18n.

usage: check_po.py SRCDIR GHOSTDROP GHOSTDROP_DESK LOCALEDIR

- every po/LANG.po of po/LINGUAS passes `msgfmt --check`, and its printf conversions are the
  msgid's (in order, or by position); a copy with a %s made %d, or a %s dropped, fails both
  (a self-test of the check, so a check that lets everything through fails too);
- every message of a pot extracted now from po/POTFILES.in is translated (not fuzzy, not
  empty) in every language, and po/ghostdrop.pot is that pot;
- the CLI, run under each language's locale (LANG=es_ES.UTF-8...), prints its help and its
  errors in that language, exactly as the catalogue says; --lang wins over LANG; the desk stays
  English; every help line fits 80 columns; an error to a pipe is one line, and on a terminal
  it wraps by display columns.
Fails (never skips) when a locale, a catalogue or a tool is missing.
"""
import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import tempfile
import termios
import unicodedata

SRC, GHOSTDROP, DESK, LOCALEDIR = sys.argv[1:5]
# The languages the issue ships, and the locale each is tested under.
REQUIRED = {'es': 'es_ES', 'pt_BR': 'pt_BR', 'fil': 'fil_PH', 'sw': 'sw_KE', 'fr': 'fr_FR'}
XGETTEXT_ARGS = ['--add-comments=TRANSLATORS', '--keyword=_', '--keyword=N_',
                 '--keyword=P_:1,2', '--from-code=UTF-8', '--flag=cli_die:2:c-format',
                 '--flag=fprintf:2:c-format', '--flag=printf:1:c-format',
                 '--flag=snprintf:3:c-format', '--flag=vsnprintf:3:c-format',
                 '--flag=vfprintf:2:c-format']
failures = []


def fail(msg):
    failures.append(msg)
    print('FAIL: ' + msg, flush=True)


# ---- PO files ----
# parse_po, conversions, conversion_problems...: scripts/po_check.py, the check the build runs
# (po/meson.build, scripts/gen-catalogues.py); the self-tests below prove it refuses.
sys.path.insert(0, os.path.join(SRC, 'scripts'))
from po_check import (CONV, UNSAFE, conversion_problems, conversions,  # noqa: E402,F401
                      parse_po, stray_percent, unquote)


def catalogue(entries):
    return {e['msgid']: e for e in entries if e['msgid'] != ''}


def msgfmt_check(path):
    r = subprocess.run(['msgfmt', '--check', '-o', os.devnull, path], capture_output=True,
                       text=True)
    return r.returncode, r.stderr


def linguas():
    with open(os.path.join(SRC, 'po', 'LINGUAS'), encoding='utf-8') as f:
        return [l.strip() for l in f if l.strip() and not l.startswith('#')]


def fresh_pot(tmp):
    out = os.path.join(tmp, 'fresh.pot')
    r = subprocess.run(['xgettext', *XGETTEXT_ARGS, '-f', 'po/POTFILES.in', '-o', out],
                       cwd=SRC, capture_output=True, text=True)
    if r.returncode != 0:
        fail('xgettext over po/POTFILES.in failed: ' + r.stderr)
        return []
    with open(out, encoding='utf-8') as f:
        return parse_po(f.read())


def read(path):
    with open(path, encoding='utf-8') as f:
        return f.read()


# ---- a check of the checks: a broken translation must fail them ----

def po_quote(s):
    return '"' + s.replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n') + '"'


def break_po(text, how):
    """A copy of a PO text with the first translated %s of a c-format message changed:
    'type' makes it %d, 'drop' removes it. None when there is no such message."""
    blocks = text.split('\n\n')
    for i, b in enumerate(blocks):
        be = parse_po(b)
        if len(be) != 1:
            continue
        e = be[0]
        if 'c-format' not in e['flags'] or e['plural'] is not None or 'fuzzy' in e['flags'] \
                or e['msgstr'][0] == '':
            continue
        tr = e['msgstr'][0]
        if how in ('extra', 'csi'):
            # a message printed as a format although its English has no %: a %S added, or a
            # terminal's CSI (U+009B) that would hide what follows
            if '%' in e['msgid']:
                continue
            new = tr + (' %S' if how == 'extra' else '\u009b8m')
        elif '%s' in tr and tr.count('%s') == tr.count('%'):
            new = tr.replace('%s', '%d' if how == 'type' else '', 1)
        else:
            continue
        lines = b.split('\n')
        k = next(j for j, l in enumerate(lines) if l.startswith('msgstr '))
        blocks[i] = '\n'.join(lines[:k] + ['msgstr ' + po_quote(new)])
        return '\n\n'.join(blocks)
    return None


SELF_TEST = {'type': 'a %s made %d', 'drop': 'a %s dropped',
             'extra': 'a %S added to a format without conversions',
             'csi': 'a CSI control character added'}


def self_test(tmp, sample_text, name):
    for how, what in SELF_TEST.items():
        broken = break_po(sample_text, how)
        if broken is None:
            fail('%s: no c-format message to break for the self-test (%s)' % (name, what))
            return
        p = os.path.join(tmp, 'broken-%s-%s.po' % (re.sub(r'\W', '_', name), how))
        with open(p, 'w', encoding='utf-8') as f:
            f.write(broken)
        rc, _ = msgfmt_check(p)
        if rc == 0 and how != 'csi':  # msgfmt has no opinion on control characters
            fail('self-test: msgfmt --check passed %s with %s' % (name, what))
        if not conversion_problems(parse_po(broken)):
            fail('self-test: the conversion check passed %s with %s' % (name, what))


def synthetic_po(pot_entries):
    """A catalogue translating every message as itself (plurals: two forms)."""
    q = po_quote
    out = ['msgid ""', 'msgstr ""', '"Content-Type: text/plain; charset=UTF-8\\n"',
           '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"', '"Language: xx\\n"', '']
    for e in pot_entries:
        if e['msgid'] == '':
            continue
        if e['flags']:
            out.append('#, ' + ', '.join(sorted(e['flags'])))
        out.append('msgid ' + q(e['msgid']))
        if e['plural'] is not None:
            out += ['msgid_plural ' + q(e['plural']), 'msgstr[0] ' + q(e['msgid']),
                    'msgstr[1] ' + q(e['plural'])]
        else:
            out.append('msgstr ' + q(e['msgid']))
        out.append('')
    return '\n'.join(out)


# ---- the program ----

def installed_locales():
    r = subprocess.run(['locale', '-a'], capture_output=True, text=True)
    return {l.strip().lower().replace('utf-8', 'utf8') for l in r.stdout.split('\n')}


def run(args, lang=None, extra=None, localedir=LOCALEDIR, prog=GHOSTDROP):
    env = {'PATH': os.environ.get('PATH', '/usr/bin:/bin'), 'GHOSTDROP_LOCALEDIR': localedir}
    for k in ('ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS'):
        if k in os.environ:
            env[k] = os.environ[k]
    if lang is not None:
        env['LANG'] = lang
    env.update(extra or {})
    r = subprocess.run([prog, *args], env=env, capture_output=True, timeout=30,
                       stdin=subprocess.DEVNULL)
    return r.returncode, r.stdout.decode('utf-8', 'replace'), r.stderr.decode('utf-8', 'replace')


def cformat(fmt, *args):
    """fmt with its %s/%d (or %N$s) replaced by args, as printf would for these."""
    it = iter(args)

    def sub(m):
        if m.group(3) == '%':
            return '%'
        return str(args[int(m.group(1)) - 1]) if m.group(1) else str(next(it))
    return CONV.sub(sub, fmt)


def columns(line):
    w = 0
    for ch in line:
        if unicodedata.combining(ch) or unicodedata.category(ch) in ('Mn', 'Me', 'Cf'):
            continue
        w += 2 if unicodedata.east_asian_width(ch) in ('W', 'F') else 1
    return w


# Messages of several lines whose first line follows "ghostdrop: " (fprintf, not cli_die),
# with the arguments of their widest use.
AFTER_PREFIX = {"the testimony contains %d of your codename's words: whoever\n"
                "reads it could read the newsroom's replies to you and write as you.\n": (8,)}
USAGE_ID = 'ghostdrop: send a testimony to a newsroom, anonymously, and read its replies.\n'
REQUIRED_ID = '--server URL and --newsroom KEY are required'
UNKNOWN_ID = 'unknown command; did you mean "%s"? (see ghostdrop help)'
TYPED_ID = ('--codename takes no value: type the codename at its prompt. If it was your '
            'codename, it is now in this terminal\'s history: run history -c and close the '
            'terminal')


def tr(cat, msgid):
    """The translation of msgid in cat (a prefix of a msgid for the help texts)."""
    for k, e in cat.items():
        if k == msgid or (msgid.endswith('\n') and k.startswith(msgid)):
            return e['msgstr'][0], k
    fail('no msgid %r in the pot' % msgid[:50])
    return msgid, msgid


def check_cli(lang, cat, loc):
    for msgid in (REQUIRED_ID, UNKNOWN_ID, TYPED_ID):
        if msgid not in cat or not cat[msgid]['msgstr'][0]:
            fail('%s: %r untranslated: the CLI is not checked in %s' % (lang, msgid, lang))
            return
    usage_tr, usage_id = tr(cat, USAGE_ID)
    if usage_tr == usage_id:
        fail('%s: the usage is not translated' % lang)
    # the usage, then the languages of --lang by their own names (never translated: a worker
    # who reads no English finds theirs in the English help)
    rc, en, err = run(['help'], 'C')
    tail = en[len(usage_id):] if en.startswith(usage_id) else ''
    if '--lang' not in tail or 'Español' not in tail or 'Kiswahili' not in tail:
        fail('the English help does not list the languages of --lang by their names: %r' % tail)
    rc, out, err = run(['help'], loc)
    if rc != 0 or out != usage_tr + tail:
        fail('%s: LANG=%s ghostdrop help is not the catalogue\'s usage and the languages '
             '(exit %d):\n%s' % (lang, loc, rc, out[:300]))
    expect = 'ghostdrop: ' + cat[REQUIRED_ID]['msgstr'][0] + '\n'
    rc, out, err = run(['submit'], loc)
    if rc != 2 or err != expect:
        fail('%s: LANG=%s ghostdrop submit: exit %d, %r, not %r' % (lang, loc, rc, err, expect))
    expect = 'ghostdrop: ' + cformat(cat[UNKNOWN_ID]['msgstr'][0], 'submit') + '\n'
    rc, out, err = run(['sbumit'], loc)
    if rc != 2 or err != expect:
        fail('%s: LANG=%s ghostdrop sbumit: exit %d, %r, not %r' % (lang, loc, rc, err, expect))
    # a long error to a pipe: one line, all of it
    expect = 'ghostdrop: ' + cat[TYPED_ID]['msgstr'][0] + '\n'
    rc, out, err = run(['replies', '--codename', 'x'], loc)
    if rc != 2 or err != expect:
        fail('%s: a long error to a pipe is not the one line %r: %r' % (lang, expect, err))
    # every help line within 80 columns, as the worker's terminal shows it
    for args in (['help'], ['help', 'submit'], ['help', 'replies']):
        rc, out, err = run(args, loc)
        for line in out.split('\n'):
            if columns(line) > 80:
                fail('%s: ghostdrop %s: a line of %d columns: %s' %
                     (lang, ' '.join(args), columns(line), line))
    # --lang wins over LANG (C, or another language), and en over the locale's
    for env_lang in ('C', 'fr_FR.UTF-8' if lang != 'fr' else 'es_ES.UTF-8'):
        for args in (['--lang', lang, 'submit'], ['submit', '--lang=' + lang]):
            rc, out, err = run(args, env_lang)
            if rc != 2 or err != 'ghostdrop: ' + cat[REQUIRED_ID]['msgstr'][0] + '\n':
                fail('%s: LANG=%s ghostdrop %s: %r' % (lang, env_lang, ' '.join(args), err))
    rc, out, err = run(['--lang', 'en', 'submit'], loc)
    if err != 'ghostdrop: ' + REQUIRED_ID + '\n':
        fail('%s: LANG=%s --lang en is not English: %r' % (lang, loc, err))


def check_wrap(tmp):
    """On a terminal, an error wraps by display columns: accented letters take one column, CJK
    two; each line as full as the words allow, none wider than the terminal."""
    d = os.path.join(tmp, 'wrap', 'es', 'LC_MESSAGES')
    os.makedirs(d)
    words = ['ñandú', 'acción', 'canción', 'información', '会议记录', 'está', 'también', 'qué']
    msg = ' '.join(words[i % len(words)] for i in range(40))
    po = os.path.join(tmp, 'wrap.po')
    with open(po, 'w', encoding='utf-8') as f:
        f.write('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
                'msgid "%s"\nmsgstr "%s"\n' % (REQUIRED_ID, msg))
    subprocess.run(['msgfmt', '-o', os.path.join(d, 'ghostdrop.mo'), po], check=True)
    width = 40
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack('HHHH', 24, width, 0, 0))
    env = {'PATH': os.environ.get('PATH', ''), 'LANG': 'es_ES.UTF-8',
           'GHOSTDROP_LOCALEDIR': os.path.join(tmp, 'wrap')}
    for k in ('ASAN_OPTIONS', 'UBSAN_OPTIONS'):
        if k in os.environ:
            env[k] = os.environ[k]
    p = subprocess.Popen([GHOSTDROP, 'submit'], stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=slave, env=env)
    os.close(slave)
    data = b''
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    p.wait(timeout=30)
    os.close(master)
    lines = data.decode('utf-8').replace('\r', '').rstrip('\n').split('\n')
    joined = ' '.join(l[2:] if i > 0 else l for i, l in enumerate(lines))
    if joined != 'ghostdrop: ' + msg:
        fail('wrapping changed the message: %r' % joined)
    for i, l in enumerate(lines):
        if columns(l) > width - 1:
            fail('wrapped line %d is %d columns on a %d-column terminal: %s' %
                 (i, columns(l), width, l))
        if i + 1 < len(lines):
            nxt = lines[i + 1][2:].split(' ')[0]
            if columns(l) + 1 + columns(nxt) <= width - 1:
                fail('wrapped line %d (%d columns) had room for %r: widths counted in bytes?'
                     % (i, columns(l), nxt))


def check_desk_english(cat_es, tmp):
    """The desk never calls setlocale: its messages from code shared with the worker
    (transport.c's URL check here, translated in es.po) stay English under a Spanish locale,
    where es.mo is found."""
    token = os.path.join(tmp, 'token')
    with open(token, 'w') as f:
        f.write('x\n')
    args = ['fetch', '--server', 'ftp://127.0.0.1:1', '--token-file', token, '--out',
            os.path.join(tmp, 'batch')]
    c = run(args, 'C', prog=DESK)
    es = run(args, 'es_ES.UTF-8', prog=DESK)
    if c != es:
        fail('the desk under LANG=es_ES.UTF-8 says %r, under C %r' % (es[2], c[2]))
    said = c[2].rstrip('\n').split(': ', 1)[-1]
    t = cat_es.get(said)
    if c[0] != 2 or t is None or t['msgstr'][0] in ('', said):
        fail('the desk\'s check is vacuous: %r (exit %d) is no message translated in es.po'
             % (c[2], c[0]))


def main():
    for tool in ('msgfmt', 'xgettext'):
        if subprocess.run(['which', tool], capture_output=True).returncode != 0:
            fail('%s is missing (gettext: scripts/deps.sh installs it)' % tool)
            return
    tmp = tempfile.mkdtemp(prefix='gd-i18n-')
    # every file with a marked message is one xgettext reads
    listed = {l.strip() for l in read(os.path.join(SRC, 'po', 'POTFILES.in')).split('\n')
              if l.strip() and not l.startswith('#')}
    for d in ('client', 'crypto'):
        for name in sorted(os.listdir(os.path.join(SRC, d))):
            path = d + '/' + name
            if name.endswith('.c') and path not in listed and \
                    re.search(r'\b[NP]?_\(\s*"', read(os.path.join(SRC, path))):
                fail('%s marks messages and po/POTFILES.in does not list it' % path)
    pot = fresh_pot(tmp)
    pot_ids = {(e['msgid'], e['plural']) for e in pot if e['msgid'] != ''}
    if len(pot_ids) < 100:
        fail('the extracted pot has only %d messages' % len(pot_ids))
    committed = parse_po(read(os.path.join(SRC, 'po', 'ghostdrop.pot')))
    stale = pot_ids ^ {(e['msgid'], e['plural']) for e in committed if e['msgid'] != ''}
    if stale:
        fail('po/ghostdrop.pot is not what POTFILES.in\'s files hold now (%d messages differ, '
             'e.g. %r): meson compile -C BUILD ghostdrop-pot' % (len(stale), sorted(stale)[0]))
    # the checks catch a broken translation (also before any .po exists)
    synth = synthetic_po(pot)
    p = os.path.join(tmp, 'synthetic.po')
    with open(p, 'w', encoding='utf-8') as f:
        f.write(synth)
    rc, err = msgfmt_check(p)
    if rc != 0 or conversion_problems(parse_po(synth)):
        fail('self-test: a catalogue translating every message as itself fails: ' + err)
    self_test(tmp, synth, 'a synthetic catalogue')

    langs = linguas()
    for lang in REQUIRED:
        if lang not in langs:
            fail('po/LINGUAS does not list %s' % lang)
    have = installed_locales()
    cats = {}
    for lang in langs:
        path = os.path.join(SRC, 'po', lang + '.po')
        if not os.path.exists(path):
            fail('po/LINGUAS lists %s, and po/%s.po is not there' % (lang, lang))
            continue
        text = read(path)
        rc, err = msgfmt_check(path)
        if rc != 0:
            fail('msgfmt --check po/%s.po:\n%s' % (lang, err))
        entries = parse_po(text)
        for b in conversion_problems(entries):
            fail('po/%s.po: %s' % (lang, b))
        self_test(tmp, text, 'po/%s.po' % lang)
        head = text[:text.find('msgid')]
        if 'native speaker' not in head.lower():
            fail('po/%s.po: its header does not say it needs review by a native speaker' % lang)
        cat = catalogue(entries)
        cats[lang] = cat
        missing = 0
        for e in pot:
            if e['msgid'] == '':
                continue
            t = cat.get(e['msgid'])
            why = ('missing' if t is None else 'fuzzy' if 'fuzzy' in t['flags'] else
                   'plural form missing' if e['plural'] is not None and t['plural'] is None
                   else 'empty' if any(s == '' for s in t['msgstr']) or not t['msgstr']
                   else None)
            if why:
                missing += 1
                if missing <= 5:
                    fail('po/%s.po: %s: %r' % (lang, why, e['msgid'][:70]))
        if missing > 5:
            fail('po/%s.po: %d messages untranslated in all' % (lang, missing))
        # a translation's lines fit 80 columns wherever the English's did
        for e in entries:
            if e['msgid'] == '' or '\n' not in e['msgid'].rstrip('\n'):
                continue
            if max(columns(l) for l in e['msgid'].split('\n')) > 80:
                continue
            for s in e['msgstr']:
                for l in s.split('\n'):
                    if columns(l) > 80:
                        fail('po/%s.po: a line of %d columns: %s' % (lang, columns(l), l))
        # messages of several lines printed after "ghostdrop: ": the first line has 11 less
        for msgid, args in AFTER_PREFIX.items():
            t = cat.get(msgid)
            if t is not None and t['msgstr'] and t['msgstr'][0]:
                first = cformat(t['msgstr'][0], *args).split('\n')[0]
                if columns('ghostdrop: ' + first) > 80:
                    fail('po/%s.po: "ghostdrop: %s" is %d columns (at most 80: the line '
                         'starts after "ghostdrop: ", so at most 69 of its own)' %
                         (lang, first, columns('ghostdrop: ' + first)))
        if not os.path.exists(os.path.join(LOCALEDIR, lang, 'LC_MESSAGES', 'ghostdrop.mo')):
            fail('%s: no %s/%s/LC_MESSAGES/ghostdrop.mo built (reconfigure the build dir after '
                 'adding po/%s.po: meson setup --reconfigure)' % (lang, LOCALEDIR, lang, lang))
            continue
        loc = REQUIRED.get(lang)
        if loc is None:
            continue
        if loc.lower() + '.utf8' not in have:
            fail('the locale %s.UTF-8 is not installed: scripts/test generates it '
                 '(localedef -i %s -f UTF-8 %s.UTF-8)' % (loc, loc, loc))
            continue
        check_cli(lang, cat, loc + '.UTF-8')
    # unknown --lang: exit 2, the languages listed
    rc, out, err = run(['--lang', 'de', 'help'], 'C')
    if rc != 2 or 'en es pt_BR fil sw fr' not in err or err.count('\n') != 1:
        fail('--lang de: exit %d, %r' % (rc, err))
    rc, out, err = run(['help', '--lang'], 'C')
    if rc != 2:
        fail('--lang without a value: exit %d, %r' % (rc, err))
    # without --lang, the environment's language where gettext alone would miss it: Tagalog is
    # our Filipino, Portugal's Portuguese gets Brazil's, a locale not generated here (es_MX,
    # sw_TZ: setlocale falls back to C) still gets its language, and so does LANGUAGE under C;
    # a language we do not have stays English
    for env, want in (({'LANG': 'tl_PH.UTF-8'}, 'fil'), ({'LANG': 'pt_PT.UTF-8'}, 'pt_BR'),
                      ({'LANG': 'es_MX.UTF-8'}, 'es'), ({'LC_ALL': 'sw_TZ.UTF-8'}, 'sw'),
                      ({'LANG': 'C', 'LANGUAGE': 'fr'}, 'fr'),
                      ({'LANG': 'de_DE.UTF-8'}, 'en'), ({'LANG': 'C'}, 'en')):
        if want != 'en' and want not in cats:
            continue
        msg = REQUIRED_ID if want == 'en' else cats[want][REQUIRED_ID]['msgstr'][0]
        rc, out, err = run(['submit'], None, env)
        if rc != 2 or err != 'ghostdrop: ' + msg + '\n':
            fail('%s: ghostdrop submit is not in %s: %r' % (env, want, err))
    if 'es_es.utf8' in have:
        check_wrap(tmp)
        if 'es' in cats:
            check_desk_english(cats['es'], tmp)
    else:
        fail('the locale es_ES.UTF-8 is not installed: scripts/test generates it')
    subprocess.run(['rm', '-rf', tmp])


main()
if failures:
    print('%d failure(s)' % len(failures))
    sys.exit(1)
print('ok')
