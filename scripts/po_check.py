#!/usr/bin/env python3
"""The check every translation of the worker CLI passes before it is built into a program:
each msgstr's printf conversions are its msgid's (in order, or by position), it adds no % the
msgid has not, and it holds no control character other than a newline (a CSI or an OSC can
hide, recolour or retitle a terminal) and no bidirectional override or isolate -- whether or
not its entry is marked c-format: msgfmt --check looks only at marked entries, and any message
may be passed as a printf format at run time. One module for the build and the tests:
po/meson.build runs it on every po/LANG.po (usage below), scripts/gen-catalogues.py on the .mo
files it embeds, tests/i18n/check_po.py on po/ and its self-tests.

usage: po_check.py LANG.po...  (compiles each with msgfmt and checks what the .mo holds, the
strings as the program gets them; exit 1 with one line per bad message)"""
import os
import re
import struct
import subprocess
import sys
import tempfile

# ---- PO files ----

_ESCAPES = {'n': '\n', 't': '\t', '"': '"', '\\': '\\', 'r': '\r', 'a': '\a', 'b': '\b',
            'f': '\f', 'v': '\v'}


def unquote(s):
    """The text of a PO string line, its C escapes decoded as msgfmt decodes them (also \\ooo
    and \\xhh: "\\033[8m" is an escape character, as in the .mo)."""
    s = s.strip()
    assert s.startswith('"') and s.endswith('"'), s
    out, i, s = bytearray(), 0, s[1:-1]
    while i < len(s):
        if s[i] == '\\' and i + 1 < len(s):
            c = s[i + 1]
            octal = re.match(r'[0-7]{1,3}', s[i + 1:i + 4])
            hexa = re.match(r'x([0-9a-fA-F]{1,2})', s[i + 1:i + 4])
            if octal:
                out.append(int(octal.group(), 8) & 0xFF)
                i += 1 + octal.end()
            elif hexa:
                out.append(int(hexa.group(1), 16))
                i += 1 + hexa.end()
            else:
                out += _ESCAPES.get(c, '\\' + c).encode('utf-8')
                i += 2
        else:
            out += s[i].encode('utf-8', 'surrogatepass')
            i += 1
    return out.decode('utf-8', 'replace')


def parse_po(text):
    """The entries of a PO file: dicts with msgid, plural, msgstr (list), flags, comments."""
    entries, cur, field = [], None, None

    def flush():
        if cur is not None and 'msgid' in cur:
            entries.append(cur)

    for line in text.split('\n'):
        if line.startswith('#~') or not line.strip():
            if not line.strip() and cur is not None and 'msgid' in cur:
                flush()
                cur, field = None, None
            continue
        if cur is None:
            cur = {'flags': set(), 'comments': [], 'msgstr': {}, 'plural': None}
        if line.startswith('#,'):
            cur['flags'] |= {f.strip() for f in line[2:].split(',')}
        elif line.startswith('#'):
            cur['comments'].append(line)
        elif line.startswith('msgctxt '):
            cur['ctxt'] = unquote(line[8:])
            field = ('ctxt',)
        elif line.startswith('msgid_plural '):
            cur['plural'] = unquote(line[13:])
            field = ('plural',)
        elif line.startswith('msgid '):
            if 'msgid' in cur:  # no blank line between entries
                flush()
                cur = {'flags': set(), 'comments': [], 'msgstr': {}, 'plural': None}
            cur['msgid'] = unquote(line[6:])
            field = ('msgid',)
        elif line.startswith('msgstr['):
            n = int(line[7:line.index(']')])
            cur['msgstr'][n] = unquote(line[line.index(']') + 1:])
            field = ('msgstr', n)
        elif line.startswith('msgstr '):
            cur['msgstr'][0] = unquote(line[7:])
            field = ('msgstr', 0)
        elif line.startswith('"'):
            if field[0] == 'msgstr':
                cur['msgstr'][field[1]] += unquote(line)
            else:
                cur[field[0]] += unquote(line)
    flush()
    for e in entries:
        e['msgstr'] = [e['msgstr'][k] for k in sorted(e['msgstr'])]
    return entries


# ---- .mo files ----

def read_mo(path):
    """[(original bytes, translation bytes)] of a GNU .mo file, in file order; ValueError when
    it is not one (or holds system-dependent strings, <PRIu64>...)."""
    with open(path, 'rb') as f:
        data = f.read()
    if len(data) < 28:
        raise ValueError('not a .mo file')
    magic = struct.unpack('<I', data[:4])[0]
    if magic == 0x950412DE:
        end = '<'
    elif magic == 0xDE120495:
        end = '>'
    else:
        raise ValueError(f'not a .mo file (magic {magic:#x})')
    rev, n, orig, trans = struct.unpack(end + '4I', data[4:20])
    if rev >> 16 != 0:
        raise ValueError(f'.mo major revision {rev >> 16} unknown')
    if rev & 0xFFFF and len(data) >= 48:
        nsysdep = struct.unpack(end + 'I', data[36:40])[0]
        if nsysdep:
            raise ValueError(f'{nsysdep} system-dependent strings (<PRIu64>...): not supported')

    def string(table, i):
        length, offset = struct.unpack(end + '2I', data[table + 8 * i:table + 8 * i + 8])
        if offset + length >= len(data) or data[offset + length] != 0:
            raise ValueError(f'string {i} out of bounds')
        return data[offset:offset + length]

    return [(string(orig, i), string(trans, i)) for i in range(n)]


def mo_entries(pairs):
    """The (original, translation) byte pairs of a .mo as parse_po's entries (a message
    context, before \\x04, is dropped; undecodable UTF-8 becomes U+FFFD)."""
    entries = []
    for orig, trans in pairs:
        ids = orig.split(b'\x04', 1)[-1].split(b'\0')
        ids = [b.decode('utf-8', 'replace') for b in ids]
        entries.append({'msgid': ids[0], 'plural': ids[1] if len(ids) > 1 else None,
                        'msgstr': [t.decode('utf-8', 'replace') for t in trans.split(b'\0')],
                        'flags': set(), 'comments': []})
    return entries


# ---- the check ----

CONV = re.compile(r"%(?:(\d+)\$)?[-+ #0']*(?:\*|\d+)?(?:\.(?:\*|\d+))?"
                  r"(hh|h|ll|l|L|q|j|z|t)?([diouxXeEfFgGaAcspn%])")


def conversions(s):
    """The printf conversions of s in the order of the arguments they take: [(length, conv)]."""
    plain, positional = [], {}
    for m in CONV.finditer(s):
        if m.group(3) == '%':
            continue
        conv = (m.group(2) or '', 'd' if m.group(3) == 'i' else m.group(3))
        if m.group(1):
            positional[int(m.group(1))] = conv
        else:
            plain.append(conv)
    if positional:
        if plain:
            return [('mixed', 'positional and plain')]
        return [positional.get(k, ('missing', str(k))) for k in range(1, max(positional) + 1)]
    return plain


def stray_percent(s):
    """The % signs of s that start no conversion CONV knows (%S, %C, %Is, %Zd...)."""
    i, bad = 0, []
    while True:
        i = s.find('%', i)
        if i < 0:
            return bad
        m = CONV.match(s, i)
        if m is None:
            bad.append(s[i:i + 4])
            i += 1
        else:
            i = m.end()


# What a translation must not hold: C0/C1 controls other than a newline (a CSI can hide or
# recolour text on a terminal) and the bidirectional overrides and isolates (they reorder it).
UNSAFE = re.compile('[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]')


def conversion_problems(entries):
    """Each msgstr whose conversions are not its msgid's, which adds a % the English has not
    (any message may be a printf format at run time), or which holds a control or bidi
    character: a list of messages."""
    bad = []
    for e in entries:
        if e['msgid'] == '' or 'fuzzy' in e['flags']:
            continue
        for n, tr in enumerate(e['msgstr']):
            if tr == '':
                continue
            src = e['msgid'] if n == 0 or e['plural'] is None else e['plural']
            if stray_percent(tr) or tr.count('%') != src.count('%'):
                bad.append('%r: msgstr[%d] %r has a %% the msgid has not (%s)' %
                           (e['msgid'][:60], n, tr[:60], stray_percent(tr) or 'count'))
            elif UNSAFE.search(tr) and not UNSAFE.search(src):
                bad.append('%r: msgstr[%d] %r holds a control or bidi character %r' %
                           (e['msgid'][:60], n, tr[:60], UNSAFE.search(tr).group()))
            elif conversions(tr) != conversions(src):
                bad.append('%r: msgstr[%d] %r has %s, the msgid %s' %
                           (e['msgid'][:60], n, tr[:60], conversions(tr), conversions(src)))
    return bad


def check_po_file(path):
    """The problems of a .po as the program would get it: compiled by msgfmt (which leaves
    fuzzy entries out and decodes the escapes), then checked."""
    with tempfile.TemporaryDirectory() as tmp:
        mo = os.path.join(tmp, 'check.mo')
        r = subprocess.run(['msgfmt', '-o', mo, path], capture_output=True, text=True)
        if r.returncode != 0:
            return ['msgfmt: ' + r.stderr.strip()]
        try:
            return conversion_problems(mo_entries(read_mo(mo)))
        except ValueError as e:
            return [str(e)]


def main():
    if len(sys.argv) < 2:
        sys.exit('usage: po_check.py LANG.po...')
    bad = 0
    for path in sys.argv[1:]:
        for b in check_po_file(path):
            bad += 1
            print(f'{path}: {b}', file=sys.stderr)
    if bad:
        sys.exit(f'po_check: {bad} translation(s) unsafe as a printf format or on a terminal')


if __name__ == '__main__':
    main()
