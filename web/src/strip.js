// ghostdrop's submission page: JPEG and PNG metadata removed in the page, before sealing,
// by client/strip.c's rules exactly (the same bytes out for the same bytes in), found by
// content (magic bytes), never by name. Plain text named like text is checked as the CLI
// checks it (client/attach.c). Everything else is not cleaned: the UI says so per file.
//
// Memory: the file is read in 64 KiB pieces; the cleaned Blob is made of slices of the
// original (kept segments and chunks, by reference) and the few bytes rewritten (a JFIF
// header without its thumbnail, fill bytes dropped), so a large image is never held whole.
//
// No English here: `removed` holds keys and `note` a code; the UI maps them to strings.

const PIECE = 65536;

// What cleaning removed, most identifying first: client/strip.h's STRIP_F_ bits in order.
export const REMOVED_KEYS = ['gps', 'serial', 'author', 'copyright', 'camera', 'makernote',
	'dates', 'software', 'thumbnail', 'xmp', 'iptc', 'comment', 'text', 'exif', 'profile',
	'other', 'trailer'];
const F = {};
REMOVED_KEYS.forEach((k, i) => { F[k] = 1 << i; });

class Damaged extends Error {}

// The blob read forward in pieces; bytes known by their offset in the file.
class Reader {
	constructor(blob) {
		this.blob = blob;
		this.buf = new Uint8Array(0);
		this.base = 0; // the file offset of buf[0]
		this.pos = 0;
	}
	get offset() { return this.base + this.pos; }
	async more() {
		this.base += this.buf.length;
		this.pos = 0;
		if (this.base >= this.blob.size) {
			this.buf = new Uint8Array(0);
			return false;
		}
		const end = Math.min(this.blob.size, this.base + PIECE);
		this.buf = new Uint8Array(await this.blob.slice(this.base, end).arrayBuffer());
		return this.buf.length > 0;
	}
	// The next byte, or -1 at the end.
	async byte() {
		if (this.pos === this.buf.length && !(await this.more()))
			return -1;
		return this.buf[this.pos++];
	}
	// n bytes into a new array (or skipped when !keep); Damaged when the file ends first.
	async take(n, keep = true) {
		const out = keep ? new Uint8Array(n) : null;
		let o = 0;
		while (o < n) {
			if (this.pos === this.buf.length && !(await this.more()))
				throw new Damaged();
			const k = Math.min(n - o, this.buf.length - this.pos);
			if (out)
				out.set(this.buf.subarray(this.pos, this.pos + k), o);
			this.pos += k;
			o += k;
		}
		return out;
	}
}

// The cleaned output: ranges of the original (joined when contiguous) and literal bytes.
class Output {
	constructor(blob) {
		this.blob = blob;
		this.parts = [];
		this.from = -1;
		this.to = -1;
		this.size = 0;
	}
	copy(at, n) {
		this.size += n;
		if (at === this.to) {
			this.to += n;
			return;
		}
		this.flush();
		this.from = at;
		this.to = at + n;
	}
	bytes(u8) {
		this.flush();
		this.size += u8.length;
		this.parts.push(u8);
	}
	flush() {
		if (this.to > this.from)
			this.parts.push(this.blob.slice(this.from, this.to));
		this.from = this.to = -1;
	}
	result(type) {
		this.flush();
		return new Blob(this.parts, { type });
	}
}

function ascii(s) {
	const u = new Uint8Array(s.length);
	for (let i = 0; i < s.length; i++)
		u[i] = s.charCodeAt(i);
	return u;
}

function startsWith(p, s, at = 0) {
	if (p.length < at + s.length)
		return false;
	for (let i = 0; i < s.length; i++)
		if (p[at + i] !== s.charCodeAt(i))
			return false;
	return true;
}

function has(p, s) {
	const first = s.charCodeAt(0);
	for (let i = p.indexOf(first); i >= 0 && i + s.length <= p.length; i = p.indexOf(first, i + 1))
		if (startsWith(p, s, i))
			return true;
	return false;
}

// ---- what was left out (strip.c's exif_scan, xmp_scan, jpeg_found, png_found) ----

function exifIfd(t, be, off, depth) {
	const rd = (at, bytes) => {
		if (at + bytes > t.length)
			return 0;
		let v = 0;
		for (let i = 0; i < bytes; i++)
			v += t[at + i] * 2 ** (be ? 8 * (bytes - 1 - i) : 8 * i);
		return v;
	};
	let f = 0;
	const count = rd(off, 2);
	if (off === 0 || off + 2 > t.length || count === 0)
		return 0;
	for (let i = 0; i < count && off + 2 + 12 * (i + 1) <= t.length; i++) {
		const e = off + 2 + 12 * i;
		const tag = rd(e, 2), val = rd(e + 8, 4);
		if (tag === 0x010f || tag === 0x0110 || tag === 0xa434 || tag === 0xa433)
			f |= F.camera;
		else if (tag === 0x0131)
			f |= F.software;
		else if (tag === 0x0132 || tag === 0x9003 || tag === 0x9004 || tag === 0x9010 ||
			 tag === 0x9011 || tag === 0x9012)
			f |= F.dates;
		else if (tag === 0x013b || tag === 0x9c9d || tag === 0xa430)
			f |= F.author;
		else if (tag === 0x8298)
			f |= F.copyright;
		else if (tag === 0xa431 || tag === 0xa435)
			f |= F.serial;
		else if (tag === 0x927c)
			f |= F.makernote;
		else if (tag === 0x8825 && depth === 0)
			f |= rd(val, 2) > 0 ? F.gps : 0;
		else if (tag === 0x8769 && depth === 0)
			f |= exifIfd(t, be, val, 1);
	}
	if (depth === 0 && rd(off + 2 + 12 * count, 4) !== 0)
		f |= F.thumbnail;
	return f;
}

function exifScan(t) {
	const be = t.length >= 2 && t[0] === 0x4d && t[1] === 0x4d;
	if (t.length < 8 || !((t[0] === 0x49 && t[1] === 0x49) || be))
		return F.exif;
	const off = be ? ((t[4] << 24) >>> 0) + (t[5] << 16) + (t[6] << 8) + t[7]
		: t[4] + (t[5] << 8) + (t[6] << 16) + ((t[7] << 24) >>> 0);
	const f = exifIfd(t, be, off, 0);
	return f !== 0 ? f : F.exif;
}

function xmpScan(p) {
	let f = F.xmp;
	if (has(p, 'dc:creator') || has(p, 'Iptc4xmpCore:Creator') || has(p, 'Artist'))
		f |= F.author;
	if (has(p, 'exif:GPS'))
		f |= F.gps;
	if (has(p, 'SerialNumber'))
		f |= F.serial;
	if (has(p, 'CreatorTool'))
		f |= F.software;
	if (has(p, 'CreateDate') || has(p, 'ModifyDate') || has(p, 'DateCreated'))
		f |= F.dates;
	if (has(p, 'dc:rights'))
		f |= F.copyright;
	return f;
}

function jpegFound(m, p) {
	const n = p.length;
	if (m === 0xe1 && n >= 6 && startsWith(p, 'Exif\0\0'))
		return exifScan(p.subarray(6));
	if (m === 0xe1 && n >= 29 && startsWith(p, 'http://ns.adobe.com/xap/1.0/'))
		return xmpScan(p);
	if (m === 0xed)
		return F.iptc | (has(p, '\x1c\x02\x50') ? F.author : 0) |
			(has(p, '\x1c\x02\x74') ? F.copyright : 0);
	if (m === 0xe2 && n >= 12 && startsWith(p, 'ICC_PROFILE'))
		return F.profile;
	if (m === 0xfe)
		return F.comment;
	if (m === 0xe0 && n >= 14 && startsWith(p, 'JFIF\0'))
		return p[12] !== 0 && p[13] !== 0 ? F.thumbnail : 0;
	if (m === 0xe0 && n >= 5 && startsWith(p, 'JFXX'))
		return F.thumbnail;
	return F.other;
}

const PNG_TEXT_KEYS = [['Author', 'author'], ['Comment', 'comment'], ['Description', 'comment'],
	['Title', 'comment'], ['Copyright', 'copyright'], ['Creation Time', 'dates'],
	['date:create', 'dates'], ['date:modify', 'dates'], ['date:timestamp', 'dates'],
	['Software', 'software'], ['Source', 'camera'], ['Raw profile type exif', 'exif'],
	['Raw profile type APP1', 'exif']];

function pngFound(type, p) {
	if (type === 'tIME')
		return F.dates;
	if (type === 'eXIf')
		return p !== null ? exifScan(p) : F.exif;
	if (type === 'iCCP')
		return F.profile;
	if (type !== 'tEXt' && type !== 'zTXt' && type !== 'iTXt')
		return F.other;
	if (p === null)
		return F.text;
	const lim = Math.min(p.length, 80);
	let kl = p.subarray(0, lim).indexOf(0);
	if (kl < 0)
		kl = lim;
	if (kl === 17 && startsWith(p, 'XML:com.adobe.xmp'))
		return xmpScan(p);
	for (const [key, k] of PNG_TEXT_KEYS)
		if (kl === key.length && startsWith(p, key))
			return F[k];
	return F.text;
}

// ---- JPEG ----

function jpegKeep(m, p) {
	if (m >= 0xc0 && m <= 0xcf && m !== 0xc8)
		return true;
	if (m === 0xdb || m === 0xdd || m === 0xdc || m === 0xda || m === 0xdf)
		return true;
	if (m === 0xe0)
		return p.length >= 5 && startsWith(p, 'JFIF\0');
	if (m === 0xee)
		return p.length === 12 && startsWith(p, 'Adobe');
	return false;
}

async function stripJpeg(r, out) {
	let found = 0;
	if ((await r.byte()) !== 0xff || (await r.byte()) !== 0xd8)
		throw new Damaged();
	out.copy(0, 2);
	let m = -1, mAt = -1; // the marker, and its byte's offset (the 0xff before it: mAt - 1)
	for (;;) {
		if (m < 0) {
			if ((await r.byte()) !== 0xff)
				throw new Damaged();
			while ((m = await r.byte()) === 0xff)
				; // fill bytes
			if (m < 0)
				throw new Damaged();
			mAt = r.offset - 1;
		}
		if (m === 0xd9) {
			out.copy(mAt - 1, 2);
			if ((await r.byte()) >= 0)
				found |= F.trailer;
			return found;
		}
		if (m === 0x01 || (m >= 0xd0 && m <= 0xd7) || m === 0x00 || m === 0xd8)
			throw new Damaged();
		const lb = await r.take(2);
		const len = lb[0] << 8 | lb[1];
		if (len < 2)
			throw new Damaged();
		const seg = await r.take(len - 2);
		const keep = jpegKeep(m, seg);
		if (!keep || m === 0xe0)
			found |= jpegFound(m, seg);
		if (keep) {
			if (m === 0xe0 && seg.length >= 14) { // JFIF: no thumbnail
				const h = new Uint8Array(18);
				h.set([0xff, 0xe0, 0, 16]);
				h.set(seg.subarray(0, 12), 4);
				out.bytes(h);
			} else {
				out.copy(mAt - 1, 4 + seg.length);
			}
		}
		const cur = m;
		m = -1;
		if (cur !== 0xda)
			continue;
		// Entropy-coded data: copied as is, up to the next real marker (fill bytes dropped).
		for (;;) {
			if (r.pos === r.buf.length && !(await r.more()))
				throw new Damaged();
			const ff = r.buf.indexOf(0xff, r.pos);
			const end = ff < 0 ? r.buf.length : ff;
			if (end > r.pos)
				out.copy(r.base + r.pos, end - r.pos);
			r.pos = end;
			if (ff < 0)
				continue;
			r.pos++;
			let b;
			while ((b = await r.byte()) === 0xff)
				;
			if (b < 0)
				throw new Damaged();
			if (b === 0x00 || (b >= 0xd0 && b <= 0xd7)) {
				out.copy(r.offset - 2, 2);
				continue;
			}
			m = b;
			mAt = r.offset - 1;
			break;
		}
	}
}

// ---- PNG ----

const PNG_SIG = '\x89PNG\r\n\x1a\n';
const PNG_KEEP = new Set(['IHDR', 'PLTE', 'IDAT', 'IEND', 'tRNS', 'gAMA', 'cHRM', 'sRGB',
	'sBIT', 'bKGD', 'pHYs', 'hIST', 'acTL', 'fcTL', 'fdAT']);

async function stripPng(r, out) {
	let found = 0;
	if (!startsWith(await r.take(8), PNG_SIG))
		throw new Damaged();
	out.copy(0, 8);
	for (;;) {
		const at = r.offset;
		const h = await r.take(8);
		const len = h[0] * 2 ** 24 + (h[1] << 16) + (h[2] << 8) + h[3];
		if (len > 0x7fffffff)
			throw new Damaged();
		for (let i = 4; i < 8; i++)
			if (!((h[i] >= 0x41 && h[i] <= 0x5a) || (h[i] >= 0x61 && h[i] <= 0x7a)))
				throw new Damaged();
		const type = String.fromCharCode(h[4], h[5], h[6], h[7]);
		const keep = PNG_KEEP.has(type) || (h[4] >= 0x41 && h[4] <= 0x5a);
		if (!keep && len <= 65536) { // left out: looked at, to say what it was
			const data = await r.take(len);
			await r.take(4, false);
			found |= pngFound(type, data);
			continue;
		}
		if (!keep)
			found |= pngFound(type, null);
		await r.take(len + 4, false);
		if (keep)
			out.copy(at, 12 + len);
		if (type === 'IEND') {
			if ((await r.byte()) >= 0)
				found |= F.trailer;
			return found;
		}
	}
}

// ---- plain text (client/attach.c's text_content) ----

function invisible(cp, atStart) {
	return (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2060 && cp <= 0x2064) ||
		(cp === 0xfeff && !atStart) || (cp >= 0xe0000 && cp <= 0xe007f);
}

// 'text_ok', or why not: 'text_not' (not UTF-8 text: a document renamed?), 'text_rtf',
// 'text_control' (escapes that would act on a terminal), 'text_invisible' (watermarks).
async function textContent(blob) {
	let need = 0, lo = 0x80, hi = 0xbf, cp = 0, at = 0;
	let found = 'text_ok', other = 'text_ok';
	for (let off = 0; found === 'text_ok' && off < blob.size; off += PIECE) {
		const buf = new Uint8Array(await blob.slice(off, off + PIECE).arrayBuffer());
		if (at === 0) {
			const b = buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
			if (buf.length >= b + 5 && startsWith(buf, '{\\rtf', b))
				found = 'text_rtf';
		}
		for (let i = 0; found === 'text_ok' && i < buf.length; i++) {
			const b = buf[i];
			if (need > 0) {
				if (b < lo || b > hi)
					found = 'text_not';
				lo = 0x80;
				hi = 0xbf;
				cp = cp << 6 | (b & 0x3f);
				if (--need === 0 && found === 'text_ok' && other === 'text_ok') {
					if (cp >= 0x80 && cp <= 0x9f)
						other = 'text_control';
					else if (invisible(cp, at + i === 2))
						other = 'text_invisible';
				}
				continue;
			}
			if (b === 0)
				found = 'text_not';
			else if ((b < 0x20 && b !== 9 && b !== 10 && b !== 13) || b === 0x7f)
				other = other === 'text_ok' ? 'text_control' : other;
			else if (b < 0x80)
				continue;
			else if (b >= 0xc2 && b <= 0xdf) {
				need = 1;
				cp = b & 0x1f;
			} else if (b >= 0xe0 && b <= 0xef) {
				need = 2;
				cp = b & 0x0f;
				lo = b === 0xe0 ? 0xa0 : 0x80;
				hi = b === 0xed ? 0x9f : 0xbf;
			} else if (b >= 0xf0 && b <= 0xf4) {
				need = 3;
				cp = b & 0x07;
				lo = b === 0xf0 ? 0x90 : 0x80;
				hi = b === 0xf4 ? 0x8f : 0xbf;
			} else
				found = 'text_not';
		}
		at += buf.length;
	}
	if (found === 'text_ok' && need !== 0)
		found = 'text_not';
	return found !== 'text_ok' ? found : other;
}

// ---- names and types (client/attach.c) ----

function extOf(name) {
	const dot = name.lastIndexOf('.');
	return dot < 0 ? null : name.slice(dot + 1);
}

const TEXT_EXT = new Set(['txt', 'text', 'csv', 'tsv', 'md', 'markdown', 'json', 'jsonl',
	'ndjson', 'log', 'yaml', 'yml', 'srt', 'vtt']);

export function isTextName(name) {
	const e = extOf(name);
	return e !== null && TEXT_EXT.has(e.toLowerCase());
}

const MEDIA = { jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', pdf: 'application/pdf',
	txt: 'text/plain', csv: 'text/csv', tsv: 'text/tab-separated-values', md: 'text/markdown',
	json: 'application/json', log: 'text/plain', mp3: 'audio/mpeg', wav: 'audio/wav',
	mp4: 'video/mp4', zip: 'application/zip' };

// The manifest's media type: by content for JPEG and PNG, else by the name (as the CLI).
export function mediaType(name, kind) {
	if (kind === 'jpeg')
		return 'image/jpeg';
	if (kind === 'png')
		return 'image/png';
	const e = extOf(name);
	return (e !== null && Object.hasOwn(MEDIA, e.toLowerCase()) && MEDIA[e.toLowerCase()]) ||
		'application/octet-stream';
}

const KNOWN_EXT = new Set(['jpg', 'jpeg', 'png', 'gif', 'webp', 'heic', 'heif', 'tif', 'tiff',
	'bmp', 'svg', 'mp4', 'mov', 'm4v', 'mkv', 'webm', 'avi', 'mp3', 'm4a', 'wav', 'ogg', 'oga',
	'opus', 'flac', 'aac', 'pdf', 'odt', 'ods', 'odp', 'odg', 'doc', 'docx', 'xls', 'xlsx',
	'ppt', 'pptx', 'epub', 'txt', 'text', 'csv', 'tsv', 'md', 'markdown', 'json', 'jsonl',
	'ndjson', 'log', 'yaml', 'yml', 'srt', 'vtt', 'html', 'htm', 'xml', 'zip', 'tar', 'gz',
	'tgz', 'bz2', 'xz', '7z', 'eml', 'mbox']);

// "attachment-N.ext" (i from 0): a known extension lower-cased, else the detected type's.
export function neutralName(name, i, kind) {
	const dot = name.lastIndexOf('.');
	let ext = dot > 0 ? name.slice(dot + 1) : '';
	if (!/^[A-Za-z0-9]{1,8}$/.test(ext))
		ext = '';
	ext = ext.toLowerCase();
	if (!KNOWN_EXT.has(ext))
		ext = '';
	if (kind === 'jpeg' && ext !== 'jpeg')
		ext = 'jpg';
	else if (kind === 'png')
		ext = 'png';
	return `attachment-${i + 1}${ext ? '.' : ''}${ext}`;
}

// ---- the entry point ----

export async function detect(blob) {
	const m = new Uint8Array(await blob.slice(0, 8).arrayBuffer());
	if (m.length >= 3 && m[0] === 0xff && m[1] === 0xd8 && m[2] === 0xff)
		return 'jpeg';
	if (m.length === 8 && startsWith(m, PNG_SIG))
		return 'png';
	return 'other';
}

// One file made ready to seal. Returns {blob, kind, cleaned, removed, note, name, type}:
// - kind 'jpeg' | 'png': cleaned (blob: the cleaned bytes, removed: REMOVED_KEYS found); a
//   damaged image is refused: blob null, cleaned false, note 'damaged' (never sent uncleaned);
// - kind 'text' (named like text): blob as it is, cleaned false, note 'text_ok' (plain text,
//   nothing hidden), or 'text_not' | 'text_rtf' | 'text_control' | 'text_invisible' (cannot
//   be checked: the CLI refuses it without --keep-metadata);
// - kind 'other': blob as it is, cleaned false, note 'not_cleaned' (nothing here can clean it).
// name: the neutral name it travels under (attachment-N.ext, index i from 0); type: its
// manifest media type.
export async function cleanFile(blob, name, i = 0) {
	const kind = await detect(blob);
	const res = { blob, kind, cleaned: false, removed: [], note: null,
		name: neutralName(name, i, kind), type: mediaType(name, kind) };
	if (kind === 'other') {
		if (isTextName(name)) {
			res.kind = 'text';
			res.note = await textContent(blob);
		} else
			res.note = 'not_cleaned';
		return res;
	}
	const r = new Reader(blob), out = new Output(blob);
	let found;
	try {
		found = kind === 'jpeg' ? await stripJpeg(r, out) : await stripPng(r, out);
	} catch (e) {
		if (!(e instanceof Damaged))
			throw e;
		res.blob = null;
		res.note = 'damaged';
		return res;
	}
	res.blob = out.result(res.type);
	res.cleaned = true;
	res.removed = REMOVED_KEYS.filter((k) => (found & F[k]) !== 0);
	return res;
}
