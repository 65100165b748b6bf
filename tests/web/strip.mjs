// The page's metadata removal (web/src/strip.js) against client/strip.c, byte for byte:
// node --noexpose_wasm strip.mjs STRIP_REF SAMPLES_DIR
// STRIP_REF is tests/web/strip_ref (client/strip.c on one file); SAMPLES_DIR tests/samples.
// Every case is cleaned by both; the bytes, the refusal of a damaged file and what was
// removed must be the same. Then the metadata is asserted gone and the image data kept.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanFile, neutralName, mediaType, REMOVED_KEYS } from '../../web/src/strip.js';

const [stripRef, samples] = process.argv.slice(2);
assert.ok(stripRef && samples, 'usage: strip.mjs STRIP_REF SAMPLES_DIR');
const tmp = mkdtempSync(join(tmpdir(), 'gd-webstrip-'));
const enc = new TextEncoder();
const cat = (...parts) => {
	const u = parts.map((p) => (typeof p === 'string' ? Uint8Array.from(p, (c) => c.charCodeAt(0)) : Uint8Array.from(p)));
	const out = new Uint8Array(u.reduce((n, p) => n + p.length, 0));
	let o = 0;
	for (const p of u) {
		out.set(p, o);
		o += p.length;
	}
	return out;
};
const be16 = (n) => [n >> 8, n & 0xff];
const be32 = (n) => [n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
const le16 = (n) => [n & 0xff, n >> 8];
const le32 = (n) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24];
const has = (u8, s) => Buffer.from(u8).includes(Buffer.from(typeof s === 'string' ? enc.encode(s) : s));

// ---- the files ----

const seg = (m, body) => cat([0xff, m], be16(body.length + 2), body);
// TIFF (little-endian): IFD0 {Make, GPS pointer, EXIF pointer} -> IFD1 (thumbnail); GPS IFD
// with one entry; EXIF IFD with DateTimeOriginal and a body serial number.
function tiff() {
	const ifd0 = 8, gps = ifd0 + 2 + 3 * 12 + 4, exif = gps + 2 + 12 + 4, ifd1 = exif + 2 + 2 * 12 + 4;
	const ent = (tag, type, count, val) => [...le16(tag), ...le16(type), ...le32(count), ...le32(val)];
	return cat('II', le16(42), le32(ifd0),
		le16(3), ent(0x010f, 2, 4, 0x00746847), ent(0x8825, 4, 1, gps), ent(0x8769, 4, 1, exif), le32(ifd1),
		le16(1), ent(0x0001, 2, 2, 0x4e), le32(0),
		le16(2), ent(0x9003, 2, 4, 0x32303236), ent(0xa431, 2, 4, 0x31324e53), le32(0),
		le16(1), ent(0x0103, 3, 1, 6), le32(0));
}
function entropy(n, seed) {
	let x = seed >>> 0;
	const rnd = () => (x = (x * 1103515245 + 12345) >>> 0) >>> 16;
	const out = [];
	while (out.length < n) {
		const b = rnd() & 0xff;
		if (b !== 0xff) {
			out.push(b);
			continue;
		}
		const k = rnd() % 8;
		if (k < 5)
			out.push(0xff, 0x00); // a stuffed 0xff
		else if (k < 7)
			out.push(0xff, 0xd0 + (rnd() % 8)); // a restart marker
		else
			out.push(0xff, 0xff, 0xff, 0x00); // fill bytes: dropped by the cleaning
	}
	return out;
}
function jpeg({ scan = 300, seed = 1, trailer = true } = {}) {
	return cat([0xff, 0xd8],
		seg(0xe0, cat('JFIF\0', [1, 1, 0, 0, 1, 0, 1, 1, 1], [1, 2, 3])), // a 1x1 thumbnail
		seg(0xe1, cat('Exif\0\0', tiff())),
		seg(0xe1, cat('http://ns.adobe.com/xap/1.0/\0', '<x:xmpmeta><dc:creator>Jane Worker</dc:creator><exif:GPSLatitude>48</exif:GPSLatitude><xmp:CreateDate>2026</xmp:CreateDate></x:xmpmeta>')),
		seg(0xed, cat('Photoshop 3.0\0', [0x1c, 0x02, 0x50, 0, 4], 'Jane')),
		seg(0xe2, cat('ICC_PROFILE\0', [1, 1], 'profile')),
		seg(0xfe, "jane's laptop"),
		seg(0xee, cat('Adobe', [0, 100, 0, 0, 0, 0, 1])),
		[0xff, 0xff], seg(0xdb, cat([0], new Array(64).fill(1))), // fill bytes before a marker
		seg(0xc0, [8, 0, 16, 0, 16, 1, 1, 0x11, 0]),
		seg(0xc4, cat([0], new Array(16).fill(0), [])),
		seg(0xda, [1, 1, 0, 0, 63, 0]), entropy(scan, seed),
		seg(0xda, [1, 1, 0, 0, 63, 0]), entropy(scan >> 1, seed + 1), // a second (progressive) scan
		seg(0xe1, cat('Exif\0\0', 'MM')), // metadata between scans
		[0xff, 0xd9], trailer ? 'TRAILER Jane Worker' : []);
}
const CRC = new Int32Array(256).map((_, n) => {
	let c = n;
	for (let k = 0; k < 8; k++)
		c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
	return c;
});
const crc32 = (u8) => {
	let c = -1;
	for (const b of u8)
		c = CRC[(c ^ b) & 0xff] ^ (c >>> 8);
	return (c ^ -1) >>> 0;
};
const chunk = (type, data, badCrc = false) => {
	const td = cat(type, data);
	return cat(be32(td.length - 4), td, be32((crc32(td) ^ (badCrc ? 1 : 0)) >>> 0));
};
function png({ idat = 5000, badCrc = false, trailer = true } = {}) {
	const big = new Uint8Array(70000).fill(0x41); // a text chunk too large to look into
	return cat('\x89PNG\r\n\x1a\n',
		chunk('IHDR', cat(be32(16), be32(16), [8, 2, 0, 0, 0])),
		chunk('tEXt', cat('Author\0', 'Jane Worker')),
		chunk('zTXt', cat('Comment\0', [0], 'x\x9c')),
		chunk('iTXt', cat('XML:com.adobe.xmp\0', [0, 0], '\0\0', '<dc:creator>Jane Worker</dc:creator><exif:GPSLatitude/>')),
		chunk('eXIf', tiff()),
		chunk('tIME', [7, 234, 11, 1, 9, 15, 0]),
		chunk('tEXt', cat('date:create\0', '2026-11-01')),
		chunk('tEXt', cat('Lens\0', 'SN-1234567')),
		chunk('iCCP', cat('icc\0', [0], 'x')),
		chunk('pHYs', [0, 0, 11, 19, 0, 0, 11, 19, 1]),
		chunk('vpAg', [0, 0, 0, 16]),
		chunk('iTXt', big),
		chunk('IDAT', Uint8Array.from({ length: idat }, (_, i) => (i * 7) & 0xff), badCrc),
		chunk('IDAT', [1, 2, 3]),
		chunk('IEND', []), trailer ? 'TRAILER Jane Worker' : []);
}

// ---- both cleanings, compared ----

let n = 0;
async function both(name, bytes, fileName = 'photo.jpg') {
	const inPath = join(tmp, `in-${n}`), outPath = join(tmp, `out-${n}`);
	n++;
	writeFileSync(inPath, bytes);
	const r = spawnSync(stripRef, [inPath, outPath], { encoding: 'utf8' });
	assert.equal(r.status, 0, `${name}: strip_ref failed: ${r.stderr}`);
	const [kind, rc, found] = r.stdout.trim().split(' ').map(Number);
	const c = { kind: ['other', 'jpeg', 'png'][kind], ok: rc === 0, found,
		bytes: new Uint8Array(readFileSync(outPath)) };
	const js = await cleanFile(new Blob([bytes]), fileName);
	if (js.kind !== 'text')
		assert.equal(js.kind, c.kind, `${name}: kind`);
	if (c.kind !== 'other') {
		assert.equal(js.cleaned, c.ok, `${name}: strip.c ${c.ok ? 'cleans' : 'refuses'} it`);
		if (c.ok) {
			const out = new Uint8Array(await js.blob.arrayBuffer());
			assert.equal(out.length, c.bytes.length, `${name}: cleaned size`);
			assert.ok(Buffer.from(out).equals(Buffer.from(c.bytes)), `${name}: cleaned bytes differ`);
			const bits = REMOVED_KEYS.filter((_, i) => (c.found & (1 << i)) !== 0);
			assert.deepEqual(js.removed, bits, `${name}: what was removed`);
		} else {
			assert.equal(js.blob, null, `${name}: a damaged image is not sent`);
			assert.equal(js.note, 'damaged');
		}
	}
	return { c, js, out: js.blob ? new Uint8Array(await js.blob.arrayBuffer()) : null };
}

const SECRETS = ['Jane', 'GhostCam', 'SN-1234567', "jane's laptop", 'label queue', 'Exif',
	'http://ns.adobe.com', 'Photoshop', 'Model X', 'TRAILER', 'ICC_PROFILE', 'tEXt', 'iTXt',
	'zTXt', 'tIME', 'eXIf', 'iCCP', 'vpAg'];
const clean = (name, out) => {
	for (const s of SECRETS)
		assert.ok(!has(out, s), `${name}: ${s} survived`);
};

// The samples made with exiftool (tests/samples/README.md).
{
	const orig = new Uint8Array(readFileSync(join(samples, 'exif-gps.jpg')));
	const { js, out } = await both('exif-gps.jpg', orig);
	assert.ok(has(orig, 'Jane Worker'));
	clean('exif-gps.jpg', out);
	for (const k of ['gps', 'serial', 'author', 'camera', 'dates', 'thumbnail', 'xmp', 'iptc', 'comment'])
		assert.ok(js.removed.includes(k), `exif-gps.jpg: ${k} not said`);
	// the scan, SOS to EOI, byte for byte
	const lastSos = (u) => Buffer.from(u).lastIndexOf(Buffer.from([0xff, 0xda]));
	assert.ok(Buffer.from(orig.subarray(lastSos(orig))).equals(Buffer.from(out.subarray(lastSos(out)))));
	assert.equal(js.name, 'attachment-1.jpg');
	assert.equal(js.type, 'image/jpeg');
}
{
	const orig = new Uint8Array(readFileSync(join(samples, 'text-exif.png')));
	const { js, out } = await both('text-exif.png', orig, 'scan.PNG');
	clean('text-exif.png', out);
	assert.ok(js.removed.includes('author') && js.removed.includes('xmp'), js.removed.join());
	assert.equal(js.name, 'attachment-1.png');
}

// Made here: every kind of segment and chunk strip.c knows, fill bytes, trailers.
{
	const f = jpeg();
	const { js, out } = await both('jpeg: EXIF GPS, XMP, IPTC, ICC, COM, JFIF thumbnail', f);
	clean('jpeg', out);
	assert.deepEqual(js.removed, ['gps', 'serial', 'author', 'camera', 'dates', 'thumbnail', 'xmp',
		'iptc', 'comment', 'exif', 'profile', 'trailer']);
	assert.ok(has(out, 'JFIF') && has(out, 'Adobe'), 'JFIF and Adobe kept');
	assert.ok(!has(out, [0xff, 0xff]), 'fill bytes dropped');
	assert.equal(Buffer.from(out).indexOf(Buffer.from([0xff, 0xd9])), out.length - 2);
}
{
	const { js, out } = await both('png: tEXt, zTXt, iTXt, eXIf, tIME, iCCP, vendor, trailer', png());
	clean('png', out);
	assert.deepEqual(js.removed, ['gps', 'serial', 'author', 'camera', 'dates', 'thumbnail', 'xmp',
		'comment', 'text', 'profile', 'other', 'trailer']);
	for (const t of ['IHDR', 'pHYs', 'IDAT', 'IEND'])
		assert.ok(has(out, t), `${t} kept`);
}
// A large scan and a large IDAT: pieces of 64 KiB cut through segments and markers.
for (let s = 0; s < 3; s++)
	await both(`jpeg: a long scan (${s})`, jpeg({ scan: 200000 + s * 7, seed: 10 + s, trailer: s === 1 }));
await both('png: a large IDAT', png({ idat: 150001, trailer: false }), 'a.png');
// A text chunk of 64 KiB is looked into; one byte more is not (strip.c's buffer).
for (const [len, said] of [[65536, 'software'], [65537, 'text']]) {
	const body = cat('Software\0', new Uint8Array(len - 9).fill(0x61));
	const f = cat('\x89PNG\r\n\x1a\n', chunk('IHDR', cat(be32(1), be32(1), [8, 0, 0, 0, 0])),
		chunk('tEXt', body), chunk('IDAT', [1]), chunk('IEND', []));
	assert.deepEqual((await both(`png: a text chunk of ${len}`, f)).js.removed, [said]);
}
// A bad CRC is strip.c's matter too: it copies kept chunks as they are (no check), like here.
await both('png: bad CRC', png({ badCrc: true }), 'x.png');
// Damaged: a length past the end, a truncated file, no marker where one belongs.
{
	const p = png();
	const bad = Uint8Array.from(p);
	bad.set(be32(0x100000), 8); // IHDR's length: past the end of the file
	const { js } = await both('png: bad chunk length', bad, 'x.png');
	assert.equal(js.cleaned, false);
	const neg = Uint8Array.from(p);
	neg.set(be32(0x80000000), 8);
	assert.equal((await both('png: length over 2^31', neg)).js.note, 'damaged');
	const type = Uint8Array.from(p);
	type[12] = 0x31; // "1HDR": not a chunk type
	assert.equal((await both('png: bad chunk type', type)).js.note, 'damaged');
	for (const cut of [9, 20, 33, 100, p.length - 30, p.length - 19 - 12])
		assert.equal((await both(`png: truncated at ${cut}`, p.subarray(0, cut))).js.note, 'damaged');
	const j = jpeg({ trailer: false });
	for (const cut of [3, 4, 5, 30, 200, j.length - 200, j.length - 1])
		assert.equal((await both(`jpeg: truncated at ${cut}`, j.subarray(0, cut))).js.note, 'damaged');
	for (const b of [[0xff, 0xd8, 0xff, 0xc0, 0, 1], [0xff, 0xd8, 0xff, 0xda, 0, 2, 0x12, 0x34],
		[0xff, 0xd8, 0xff, 0xd0, 0, 4, 0, 0], [0xff, 0xd8, 0xff, 0x00, 0, 4], [0xff, 0xd8, 0xff, 0xd8]])
		assert.equal((await both(`jpeg: ${b}`, Uint8Array.from(b))).js.note, 'damaged');
}
// Random damage: flipped bytes and cuts, whatever strip.c does, strip.js does the same.
{
	let x = 7;
	const rnd = (m) => ((x = (x * 1103515245 + 12345) >>> 0) >>> 8) % m;
	const bases = [jpeg({ scan: 2000 }), png({ idat: 300 })];
	for (let i = 0; i < 120; i++) {
		const f = Uint8Array.from(bases[i % 2]);
		for (let k = 1 + rnd(4); k > 0; k--)
			f[3 + rnd(f.length - 3)] = rnd(3) === 0 ? 0xff : rnd(256);
		await both(`random damage ${i}`, rnd(4) === 0 ? f.subarray(0, rnd(f.length)) : f);
	}
}

// Not an image: not cleaned, said; text checked as the CLI checks it.
{
	const pdf = await cleanFile(new Blob(['%PDF-1.7 /Author (Jane)']), 'Report Jane.PDF', 2);
	assert.deepEqual([pdf.kind, pdf.cleaned, pdf.note, pdf.name, pdf.type],
		['other', false, 'not_cleaned', 'attachment-3.pdf', 'application/pdf']);
	assert.equal(await pdf.blob.text(), '%PDF-1.7 /Author (Jane)');
	const jpgNamedPng = await cleanFile(new Blob([jpeg()]), 'x.png');
	assert.deepEqual([jpgNamedPng.kind, jpgNamedPng.name, jpgNamedPng.type], ['jpeg', 'attachment-1.jpg', 'image/jpeg']);
	const t = async (body, name = 'notes.txt') => (await cleanFile(new Blob([body]), name)).note;
	assert.equal(await t('We label 400 images an hour.\r\n\tÜber ✓\n'), 'text_ok');
	assert.equal(await t('\ufeffBOM at the start is fine'), 'text_ok');
	assert.equal(await t('a zero\u200bwidth space'), 'text_invisible');
	assert.equal(await t('tag\u{e0041}'), 'text_invisible');
	assert.equal(await t('escape \x1b[2J'), 'text_control');
	assert.equal(await t('c1 \u0085'), 'text_control');
	assert.equal(await t('{\\rtf1 \\author Jane}'), 'text_rtf');
	assert.equal(await t(new Uint8Array([0x61, 0, 0x62])), 'text_not');
	assert.equal(await t(new Uint8Array([0x61, 0xc3])), 'text_not');
	assert.equal(await t(new Uint8Array([0xe0, 0x80, 0x80])), 'text_not'); // overlong
	assert.equal(await t(new Uint8Array([0xed, 0xa0, 0x80])), 'text_not'); // surrogate
	assert.equal(await t('x'.repeat(70000) + '\u200d'), 'text_invisible'); // past one piece
	assert.equal((await cleanFile(new Blob(['plain']), 'data.CSV')).kind, 'text');
	assert.equal((await cleanFile(new Blob(['plain']), 'data.CSV')).type, 'text/csv');
}
// Neutral names: known extensions only (client/attach.c's neutral_name).
assert.equal(neutralName('scan.20261130', 0, 'other'), 'attachment-1');
assert.equal(neutralName('x.JaneDoe', 4, 'other'), 'attachment-5');
assert.equal(neutralName('Minutes.DOCX', 1, 'other'), 'attachment-2.docx');
assert.equal(neutralName('.txt', 0, 'other'), 'attachment-1');
assert.equal(neutralName('photo.jpeg', 0, 'jpeg'), 'attachment-1.jpeg');
assert.equal(neutralName('photo.gif', 0, 'jpeg'), 'attachment-1.jpg');
assert.equal(neutralName('noext', 0, 'png'), 'attachment-1.png');
assert.equal(mediaType('a.bin', 'other'), 'application/octet-stream');

rmSync(tmp, { recursive: true, force: true });
console.log(`strip.js: ${n} files cleaned exactly as client/strip.c cleans them`);
