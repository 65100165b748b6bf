// ghostdrop protocol in JavaScript for the submission page: docs/PROTOCOL.md §1-§9 and §11.3,
// byte for byte what the C library (crypto/*.c) does; tests/web/vectors.mjs replays
// tests/vectors against it. An ES module without imports: the page injects libsodium.js
// (`sodium`, after `await sodium.ready`), noble's `argon2idAsync` and `blake2b`, and the EFF
// word list (`words`, 7776 words in list order). NEVER sodium.crypto_pwhash: libsodium.js
// without WebAssembly has a fixed 80 MiB heap and returns a wrong key for 256 MiB.
//
// The API is the one of /work/notes/web17.md ("gdproto.js (lane B)"), with these additions
// (nothing there changed):
// - GdError codes also include 'inval' (a caller's mistake: a wrong argument, more or fewer
//   attachment bytes than declared), as the C library's GD_ERR_INVAL.
// - fingerprintGroups(pk) returns an array of strings ('gdnk1' then groups of 4 and 5) whose
//   toString() joins them with spaces, so both `el.textContent = groups` and `.join()` work.
// - serverUrlCheck(url) returns true or false (no throw).
// - openEnvelope also returns ackKey and keyIndex; keys may be Uint8Array secret keys or
//   {sk, pk} objects. openReply also returns pk (the journalist key that wrote it).
// - Extras: powParse(challenge72), codenameWordsCount(text, canonical) (the number the CLI
//   compares with 4), manifestDecode(bytes), parseJson(bytes) (the strict parser), hex helpers.
// - createProto also takes argon2Seed (optional): async (pass, salt, {t, m, p, dkLen},
//   onProgress) -> Uint8Array(32), the Argon2id of deriveCodename computed elsewhere (the page's
//   kdfworker.js), or null to compute it here with argon2idAsync; the rest of §7.3 stays here.

export function createProto({ sodium, argon2idAsync, blake2b, words, argon2Seed = null }) {
	if (!sodium || !argon2idAsync || !blake2b || !words || words.length !== 7776)
		throw new Error('gdproto: sodium, argon2idAsync, blake2b and the 7776 words are needed');

	// ---- errors (PROTOCOL.md §10) ----
	class GdError extends Error {
		constructor(code, message, detail = {}) {
			super(message || code);
			this.name = 'GdError';
			this.code = code;
			this.detail = detail;
		}
	}
	const fail = (code, message, detail) => {
		throw new GdError(code, message, detail);
	};

	// ---- constants ----
	const CTX = {
		keystring: 'ghostdrop/v1/newsroom-key',
		bundle: 'ghostdrop/v1/bundle',
		header: 'ghostdrop/v1/envelope-header',
		ack: 'ghostdrop/v1/ack',
		submission: 'ghostdrop/v1/submission',
		salt: 'ghostdrop/v1/codename-salt',
		mailboxId: 'ghostdrop/v1/mailbox-id',
		mailboxAuth: 'ghostdrop/v1/mailbox-auth',
		powWork: 'ghostdrop/v1/pow-work',
		upload: 'ghostdrop/v1/upload',
	};
	const KDF_ENVELOPE = 'gdenvel1';
	const KDF_CODENAME = 'gdcodnm1';
	const KDF_SEAL = 'gdseal01';
	const CLOCK_SKEW = 7200;
	const BUNDLE_MAX_AGE = 31 * 86400;
	const BUNDLE_MAX_JSON = 65536;
	const TIME_MAX = 253402300799n;
	const INT53_MAX = 9007199254740991n;
	const PAD_FLOOR = 16384;
	const ENV_CHUNK = 65536;
	const SS_ABYTES = 17;
	const ENV_MAX_RECIPIENTS = 32;
	const ENV_MAX_MANIFEST = 262144;
	const ENV_MAX_ATTACHMENTS = 256;
	const ENV_MAX_TEXT = 131072;
	const ENV_MAX_PLAINTEXT = 2 ** 36;
	const REPLY_PAD_FLOOR = 1024;
	const REPLY_MAX_TEXT = 65536;
	const POW_MAX_BITS = 40;

	// ---- bytes ----
	const te = new TextEncoder();
	const utf8 = (s) => te.encode(s);
	const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
	const utf8Lenient = new TextDecoder('utf-8', { ignoreBOM: true });
	function concat(...parts) {
		let n = 0;
		for (const p of parts) n += p.length;
		const out = new Uint8Array(n);
		let o = 0;
		for (const p of parts) {
			out.set(p, o);
			o += p.length;
		}
		return out;
	}
	function u32le(v) {
		const b = new Uint8Array(4);
		new DataView(b.buffer).setUint32(0, v >>> 0, true);
		return b;
	}
	function u64le(v) {
		// v: a Number up to 2^53 - 1 or a BigInt below 2^64
		const b = new Uint8Array(8);
		new DataView(b.buffer).setBigUint64(0, BigInt(v), true);
		return b;
	}
	const getU32 = (b, o) => new DataView(b.buffer, b.byteOffset, b.length).getUint32(o, true);
	const getU64 = (b, o) => new DataView(b.buffer, b.byteOffset, b.length).getBigUint64(o, true);
	function bytesEqual(a, b) {
		if (a.length !== b.length) return false;
		let d = 0;
		for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
		return d === 0;
	}
	const ctxBytes = (ctx) => utf8(ctx + '\0');
	// BLAKE2b-N(ctx || 0x00 || data), libsodium's crypto_generichash (small inputs)
	const hashCtx = (outLen, ctx, data, key = null) =>
		sodium.crypto_generichash(outLen, concat(ctxBytes(ctx), data), key);
	const kdf = (len, id, ctx, key) => sodium.crypto_kdf_derive_from_key(len, id, ctx, key);
	const wipe = (...bufs) => {
		for (const b of bufs) if (b instanceof Uint8Array) sodium.memzero(b);
	};
	function isU8(x, len) {
		return x instanceof Uint8Array && (len === undefined || x.length === len);
	}
	function needU8(x, len, what) {
		if (!isU8(x, len)) fail('inval', `${what}: expected ${len ?? ''} bytes`);
		return x;
	}
	const hex = {
		encode: (u8) => Array.from(u8, (x) => x.toString(16).padStart(2, '0')).join(''),
		decode(s) {
			if (s.length % 2 || /[^0-9a-f]/.test(s)) fail('format', 'bad hex');
			const out = new Uint8Array(s.length / 2);
			for (let i = 0; i < out.length; i++) out[i] = parseInt(s.substr(2 * i, 2), 16);
			return out;
		},
	};

	// ---- base64url, no padding, canonical (§2) ----
	const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
	const B64_INDEX = new Map([...B64].map((c, i) => [c, i]));
	const b64u = {
		encode(u8) {
			let s = '';
			let i = 0;
			for (; i + 3 <= u8.length; i += 3) {
				const v = (u8[i] << 16) | (u8[i + 1] << 8) | u8[i + 2];
				s += B64[v >> 18] + B64[(v >> 12) & 63] + B64[(v >> 6) & 63] + B64[v & 63];
			}
			if (u8.length - i === 1) {
				const v = u8[i] << 16;
				s += B64[v >> 18] + B64[(v >> 12) & 63];
			} else if (u8.length - i === 2) {
				const v = (u8[i] << 16) | (u8[i + 1] << 8);
				s += B64[v >> 18] + B64[(v >> 12) & 63] + B64[(v >> 6) & 63];
			}
			return s;
		},
		// Canonical only: the alphabet, no padding or whitespace, unused low bits zero; with
		// len, exactly that many bytes. Throws 'format'.
		decode(str, len) {
			if (typeof str !== 'string' || str.length % 4 === 1) fail('format', 'bad base64url');
			const out = new Uint8Array(Math.floor((str.length * 3) / 4));
			let acc = 0,
				bits = 0,
				o = 0;
			for (const c of str) {
				const v = B64_INDEX.get(c);
				if (v === undefined) fail('format', 'bad base64url');
				acc = ((acc << 6) | v) & 0xfff;
				bits += 6;
				if (bits >= 8) {
					bits -= 8;
					out[o++] = (acc >> bits) & 255;
				}
			}
			if (bits > 0 && (acc & ((1 << bits) - 1)) !== 0)
				fail('format', 'non-canonical base64url');
			if (len !== undefined && o !== len) fail('format', 'wrong length');
			return out.subarray(0, o);
		},
	};

	// ---- strict JSON (§1: Jansson with JSON_REJECT_DUPLICATES, no \u0000) ----
	// Objects become Maps, integers BigInts, reals JReal, so that the rules below can tell an
	// integer from a real and check ranges exactly, as Jansson's json_is_integer does.
	class JReal {
		constructor(v) {
			this.value = v;
		}
	}
	const MAX_DEPTH = 2048; // Jansson's JSON_PARSER_MAX_DEPTH
	const INT64_MIN = -(2n ** 63n);
	const INT64_MAX = 2n ** 63n - 1n;
	const NUM_RE = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
	function parseJson(bytes) {
		const bad = () => fail('format', 'malformed JSON');
		let s;
		try {
			s = utf8Strict.decode(bytes);
		} catch {
			bad();
		}
		let i = 0;
		const ws = () => {
			for (;;) {
				const c = s.charCodeAt(i);
				if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
				else return;
			}
		};
		const hex4 = () => {
			const h = s.substr(i, 4);
			if (!/^[0-9a-fA-F]{4}$/.test(h)) bad();
			i += 4;
			return parseInt(h, 16);
		};
		const str = () => {
			i++; // opening quote
			let out = '';
			let run = i;
			for (;;) {
				if (i >= s.length) bad();
				const c = s.charCodeAt(i);
				if (c === 0x22) {
					out += s.slice(run, i);
					i++;
					return out;
				}
				if (c < 0x20) bad();
				if (c !== 0x5c) {
					i++;
					continue;
				}
				out += s.slice(run, i);
				i++;
				const e = s[i++];
				if (e === '"') out += '"';
				else if (e === '\\') out += '\\';
				else if (e === '/') out += '/';
				else if (e === 'b') out += '\b';
				else if (e === 'f') out += '\f';
				else if (e === 'n') out += '\n';
				else if (e === 'r') out += '\r';
				else if (e === 't') out += '\t';
				else if (e === 'u') {
					const u = hex4();
					if (u === 0) bad(); // \u0000: refused (no JSON_ALLOW_NUL)
					if (u >= 0xd800 && u <= 0xdbff) {
						if (s[i] !== '\\' || s[i + 1] !== 'u') bad();
						i += 2;
						const l = hex4();
						if (l < 0xdc00 || l > 0xdfff) bad();
						out += String.fromCharCode(u, l);
					} else if (u >= 0xdc00 && u <= 0xdfff) {
						bad();
					} else {
						out += String.fromCharCode(u);
					}
				} else bad();
				run = i;
			}
		};
		const value = (depth) => {
			if (depth > MAX_DEPTH) bad();
			ws();
			const c = s[i];
			if (c === '{') {
				i++;
				const m = new Map();
				ws();
				if (s[i] === '}') {
					i++;
					return m;
				}
				for (;;) {
					ws();
					if (s[i] !== '"') bad();
					const k = str();
					if (m.has(k)) bad(); // duplicate key
					ws();
					if (s[i++] !== ':') bad();
					m.set(k, value(depth + 1));
					ws();
					const d = s[i++];
					if (d === '}') return m;
					if (d !== ',') bad();
				}
			}
			if (c === '[') {
				i++;
				const a = [];
				ws();
				if (s[i] === ']') {
					i++;
					return a;
				}
				for (;;) {
					a.push(value(depth + 1));
					ws();
					const d = s[i++];
					if (d === ']') return a;
					if (d !== ',') bad();
				}
			}
			if (c === '"') return str();
			if (s.startsWith('true', i)) {
				i += 4;
				return true;
			}
			if (s.startsWith('false', i)) {
				i += 5;
				return false;
			}
			if (s.startsWith('null', i)) {
				i += 4;
				return null;
			}
			NUM_RE.lastIndex = i;
			const m = NUM_RE.exec(s);
			if (m === null) bad();
			i += m[0].length;
			if (m[1] === undefined && m[2] === undefined) {
				const v = BigInt(m[0]);
				if (v < INT64_MIN || v > INT64_MAX) bad(); // "too big integer"
				return v;
			}
			const r = Number(m[0]);
			if (!Number.isFinite(r)) bad(); // "real number overflow"
			return new JReal(r);
		};
		ws();
		if (s[i] !== '{' && s[i] !== '[') bad(); // Jansson: '[' or '{' expected
		const v = value(1);
		ws();
		if (i !== s.length) bad();
		if (!(v instanceof Map)) bad(); // gd_json_parse: must be an object
		return v;
	}
	const isObj = (v) => v instanceof Map;
	const isStr = (v) => typeof v === 'string';
	const isInt = (v) => typeof v === 'bigint';
	const byteLen = (s) => utf8(s).length;
	function onlyKeys(m, allowed) {
		for (const k of m.keys()) if (!allowed.includes(k)) fail('format', `unknown field ${k}`);
	}
	function getInt(m, key, min, max) {
		const v = m.get(key);
		if (!isInt(v) || v < min || v > max) fail('format', `bad ${key}`);
		return Number(v);
	}
	function getB64(m, key, n) {
		const v = m.get(key);
		if (!isStr(v)) fail('format', `bad ${key}`);
		return b64u.decode(v, n);
	}

	// ---- signatures with a context (§1) ----
	const signCtx = (ctx, msg, sk) => sodium.crypto_sign_detached(concat(ctxBytes(ctx), msg), sk);
	function verifyCtx(sig, ctx, msg, pk) {
		let ok = false;
		try {
			ok = sodium.crypto_sign_verify_detached(sig, concat(ctxBytes(ctx), msg), pk);
		} catch {
			ok = false;
		}
		if (!ok) fail('signature', 'signature verification failed');
	}

	// ---- newsroom key string (§3) ----
	const B32 = 'abcdefghijklmnopqrstuvwxyz234567';
	const isCSpace = (c) => c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';
	const keyChecksum = (pk) => hashCtx(32, CTX.keystring, pk).subarray(0, 4);
	function newsroomKeyString(pk) {
		needU8(pk, 32, 'newsroom key');
		const raw = concat(pk, keyChecksum(pk));
		let out = 'gdnk1',
			acc = 0,
			bits = 0;
		for (const x of raw) {
			acc = ((acc << 8) | x) & 0xffff;
			bits += 8;
			while (bits >= 5) {
				out += B32[(acc >> (bits - 5)) & 31];
				bits -= 5;
			}
		}
		if (bits > 0) out += B32[(acc << (5 - bits)) & 31];
		return out;
	}
	function parseNewsroomKey(str) {
		if (typeof str !== 'string') fail('format', 'not a newsroom key');
		let a = 0,
			b = str.length;
		while (a < b && isCSpace(str[a])) a++;
		while (b > a && isCSpace(str[b - 1])) b--;
		const s = str.slice(a, b);
		if (s.length !== 63 || s.slice(0, 5).replace(/[A-Z]/g, (c) => c.toLowerCase()) !== 'gdnk1')
			fail('format', 'not a newsroom key');
		const raw = new Uint8Array(36);
		let acc = 0,
			bits = 0,
			o = 0;
		for (let i = 5; i < s.length; i++) {
			let c = s[i];
			if (c >= 'A' && c <= 'Z') c = c.toLowerCase();
			const v = B32.indexOf(c);
			if (v < 0 || c.length !== 1) fail('format', 'not a newsroom key');
			acc = (acc << 5) | v;
			bits += 5;
			if (bits >= 8) {
				if (o >= 36) fail('format', 'not a newsroom key');
				raw[o++] = (acc >> (bits - 8)) & 255;
				bits -= 8;
				acc &= (1 << bits) - 1;
			}
		}
		if (o !== 36 || acc !== 0) fail('format', 'not a newsroom key');
		const pk = raw.slice(0, 32);
		if (!bytesEqual(keyChecksum(pk), raw.subarray(32)))
			fail('checksum', 'newsroom key checksum mismatch (a typo?)');
		return pk;
	}
	function fingerprintGroups(pk) {
		const s = newsroomKeyString(pk);
		const groups = [s.slice(0, 5)];
		let i = 5;
		for (let g = 0; g < 12; g++, i += 4) groups.push(s.slice(i, i + 4));
		for (; i < s.length; i += 5) groups.push(s.slice(i, i + 5));
		groups.toString = () => groups.join(' ');
		return groups;
	}

	// ---- server URLs (§5.2, gd_server_url_check) ----
	const isDigit = (c) => c >= '0' && c <= '9';
	const isLhex = (c) => isDigit(c) || (c >= 'a' && c <= 'f');
	// a decimal number at s[i..], no leading zero, 1..5 digits, in lo..hi: its length, or 0
	function dec(s, i, n, lo, hi) {
		let k = 0,
			v = 0;
		while (k < n && k < 6 && isDigit(s[i + k])) v = v * 10 + (s.charCodeAt(i + k++) - 48);
		if (k === 0 || k > 5 || (k > 1 && s[i] === '0') || v < lo || v > hi) return 0;
		return k;
	}
	function ipv4Valid(s, i0, n) {
		let i = 0;
		for (let part = 0; part < 4; part++) {
			if (part > 0 && (i >= n || s[i0 + i++] !== '.')) return false;
			const k = dec(s, i0 + i, n - i, 0, 255);
			if (k === 0) return false;
			i += k;
		}
		return i === n;
	}
	function ipv6Valid(s, i0, n) {
		let i = 0,
			groups = 0,
			gap = false;
		const at = (k) => s[i0 + k];
		if (n >= 2 && at(0) === ':' && at(1) === ':') {
			gap = true;
			i = 2;
			if (i === n) return true;
		}
		for (;;) {
			let k = 0;
			while (i + k < n && k < 5 && isLhex(at(i + k))) k++;
			if (i + k < n && at(i + k) === '.') {
				if (!ipv4Valid(s, i0 + i, n - i)) return false;
				groups += 2;
				break;
			}
			if (k === 0 || k > 4) return false;
			groups++;
			i += k;
			if (i === n) break;
			if (at(i++) !== ':' || i === n) return false;
			if (at(i) === ':') {
				if (gap) return false;
				gap = true;
				if (++i === n) break;
			}
		}
		return gap ? groups <= 7 : groups === 8;
	}
	function hostNameValid(s, i0, n) {
		let label = 0;
		if (n === 0) return false;
		for (let i = 0; i < n; i++) {
			const c = s[i0 + i];
			if (c === '.') {
				if (label === 0) return false;
				label = 0;
			} else if ((c >= 'a' && c <= 'z') || isDigit(c) || c === '-') {
				if (++label > 63) return false;
			} else return false;
		}
		return label > 0;
	}
	function serverUrlCheck(url) {
		if (typeof url !== 'string' || byteLen(url) > 255) return false;
		const len = url.length;
		let start, end;
		if (url.startsWith('http://')) start = 7;
		else if (url.startsWith('https://')) start = 8;
		else return false;
		if (start < len && url[start] === '[') {
			const close = url.indexOf(']', start);
			if (close < 0 || !ipv6Valid(url, start + 1, close - start - 1)) return false;
			end = close + 1;
		} else {
			end = start;
			while (end < len && url[end] !== ':') end++;
			if (!hostNameValid(url, start, end - start)) return false;
		}
		if (end === len) return true;
		return url[end] === ':' && end + 1 !== len && dec(url, end + 1, len - end - 1, 1, 65535) === len - end - 1;
	}
	function bundleListsServer(bundle, url) {
		let n = url.length;
		while (n > 0 && url[n - 1] === '/') n--;
		// tolower of the C locale: ASCII letters only
		const canon = url.slice(0, n).replace(/[A-Z]/g, (c) => c.toLowerCase());
		if (!serverUrlCheck(canon)) return false;
		return bundle.servers.includes(canon);
	}

	// ---- key bundle (§5) ----
	function nameValid(name) {
		const n = byteLen(name);
		if (n === 0 || n > 64 || name[0] === '.' || name[0] === ' ' || name[name.length - 1] === ' ')
			return false;
		return /^[A-Za-z0-9 ._-]*$/.test(name);
	}
	const JOURNALIST_KEYS = ['name', 'x25519', 'not_before', 'not_after', 'verify_only'];
	function journalistFromJson(o) {
		if (!isObj(o)) fail('format', 'journalist not an object');
		onlyKeys(o, JOURNALIST_KEYS);
		const name = o.get('name'),
			vo = o.get('verify_only');
		if (!isStr(name) || byteLen(name) >= 65 || (vo !== undefined && typeof vo !== 'boolean'))
			fail('format', 'bad journalist');
		if (!nameValid(name)) fail('format', 'bad journalist name');
		const pk = getB64(o, 'x25519', 32);
		const notBefore = getInt(o, 'not_before', 0n, TIME_MAX);
		const notAfter = getInt(o, 'not_after', 0n, TIME_MAX);
		if (notAfter <= notBefore) fail('format', 'empty journalist window');
		return { name, pk, not_before: notBefore, not_after: notAfter, verify_only: vo === true };
	}
	const BUNDLE_KEYS = ['bundle_version', 'created', 'expires', 'newsroom', 'servers', 'journalists'];
	function bundleParse(json) {
		const o = parseJson(json);
		onlyKeys(o, BUNDLE_KEYS);
		const version = getInt(o, 'bundle_version', 1n, INT53_MAX);
		const created = getInt(o, 'created', 0n, TIME_MAX);
		const expires = getInt(o, 'expires', 0n, TIME_MAX);
		const nr = o.get('newsroom'),
			servers = o.get('servers'),
			js = o.get('journalists');
		if (!isStr(nr) || byteLen(nr) >= 65 || !Array.isArray(servers) || servers.length > 16 ||
		    !Array.isArray(js) || js.length > 64)
			fail('format', 'bad bundle');
		for (const v of servers) if (!isStr(v) || byteLen(v) > 255) fail('format', 'bad server');
		const journalists = js.map(journalistFromJson);
		// bundle_check (§5.2)
		if (expires <= created || servers.length < 1 || journalists.length < 1 ||
		    (nr !== '' && !nameValid(nr)))
			fail('format', 'bad bundle');
		servers.forEach((u, i) => {
			if (!serverUrlCheck(u) || servers.indexOf(u) !== i) fail('format', 'bad server');
		});
		journalists.forEach((j, i) => {
			if (j.not_after > expires) fail('format', 'journalist key outlives the bundle');
			for (let k = 0; k < i; k++)
				if (bytesEqual(j.pk, journalists[k].pk)) fail('format', 'duplicate journalist key');
		});
		return { version, created, expires, newsroom: nr, servers: [...servers], journalists };
	}
	function verifyBundle(bytes, rootPk, { now = Date.now() / 1000, minVersion = 0 } = {}) {
		needU8(bytes, undefined, 'bundle');
		needU8(rootPk, 32, 'root key');
		now = Math.floor(now);
		const len = bytes.length;
		if (len < 4 || !bytesEqual(bytes.subarray(0, 4), utf8('GDKB'))) fail('format', 'not a bundle');
		if (len < 9 + 64) fail('truncated', 'bundle truncated');
		if (bytes[4] !== 1) fail('version', 'unsupported bundle version');
		const jlen = getU32(bytes, 5);
		if (jlen > BUNDLE_MAX_JSON) fail('too_large', 'bundle too large');
		if (len < 9 + jlen + 64) fail('truncated', 'bundle truncated');
		if (len > 9 + jlen + 64) fail('trailing', 'bytes after the bundle');
		// the signature before a single JSON byte is parsed
		verifyCtx(bytes.subarray(9 + jlen), CTX.bundle, bytes.subarray(0, 9 + jlen), rootPk);
		const b = bundleParse(bytes.subarray(9, 9 + jlen));
		if (b.version < minVersion) fail('rollback', 'bundle older than one seen before');
		if (now > b.expires + CLOCK_SKEW || now < b.created - CLOCK_SKEW ||
		    now > b.created + BUNDLE_MAX_AGE + CLOCK_SKEW)
			fail('expired', 'bundle expired or not yet valid');
		for (const j of b.journalists) {
			j.in_window = now >= j.not_before - CLOCK_SKEW && now <= j.not_after + CLOCK_SKEW;
			j.valid = !j.verify_only && j.in_window;
		}
		b.recipients = b.journalists.filter((j) => j.valid).map((j) => j.pk);
		b.replyKeys = b.journalists
			.filter((j) => j.in_window)
			.map((j) => ({ pk: j.pk, name: j.name, older: j.verify_only }));
		if (b.recipients.length === 0) fail('no_key', 'no valid encryption key in the bundle');
		return b;
	}

	// ---- padding (§6.4) ----
	const floorLog2 = (x) => {
		let e = 0;
		while (2 ** (e + 1) <= x) e++;
		return e;
	};
	function padme(len) {
		if (len < 2) return len;
		const e = floorLog2(len);
		const z = e - (floorLog2(e) + 1);
		const step = 2 ** z;
		return Math.ceil(len / step) * step;
	}
	const pad = (len) => (len <= PAD_FLOOR ? PAD_FLOOR : padme(len));
	const envelopeHeaderSize = (n) => 14 + 80 * n + 24 + 32 + 32;
	const envelopeSize = (n, padded) =>
		envelopeHeaderSize(n) + padded + SS_ABYTES * Math.ceil(padded / ENV_CHUNK);
	const paddedValid = (p) => p >= PAD_FLOOR && p <= pad(ENV_MAX_PLAINTEXT) && pad(p) === p;

	// ---- manifest (§6.2) ----
	// Jansson's json_dumps(JSON_COMPACT | JSON_SORT_KEYS) string form
	function jsonString(s) {
		let out = '"';
		for (const ch of s) {
			const c = ch.codePointAt(0);
			if (ch === '"') out += '\\"';
			else if (ch === '\\') out += '\\\\';
			else if (c === 8) out += '\\b';
			else if (c === 12) out += '\\f';
			else if (c === 10) out += '\\n';
			else if (c === 13) out += '\\r';
			else if (c === 9) out += '\\t';
			else if (c < 0x20) out += '\\u' + c.toString(16).toUpperCase().padStart(4, '0');
			else out += ch;
		}
		return out + '"';
	}
	// a string that is valid UTF-8 once encoded (no lone surrogate) and holds no NUL
	function textOk(s) {
		if (typeof s !== 'string' || s.includes('\0')) return false;
		return !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);
	}
	function manifestCheck(m) {
		if ((m.kind !== 'testimony' && m.kind !== 'followup') || m.attachments.length > ENV_MAX_ATTACHMENTS ||
		    (m.kind === 'followup' && !m.has_source) || byteLen(m.text) > ENV_MAX_TEXT)
			fail('format', 'bad manifest');
		let total = 0;
		for (const a of m.attachments) {
			const nl = byteLen(a.name);
			if (nl === 0 || nl > 255 || byteLen(a.type) > 127 || a.size > ENV_MAX_PLAINTEXT)
				fail('format', 'bad attachment');
			total += a.size;
			if (total > ENV_MAX_PLAINTEXT) fail('too_large', 'attachments over 64 GiB');
		}
	}
	function encodeManifest({ kind, id, text = '', attachments = [], source = null }) {
		needU8(id, 16, 'submission id');
		if (!textOk(text) || !Array.isArray(attachments)) fail('format', 'bad text');
		const atts = attachments.map((a) => {
			if (!textOk(a.name) || !textOk(a.type ?? '') || !Number.isSafeInteger(a.size) || a.size < 0)
				fail('format', 'bad attachment');
			return { name: a.name, type: a.type ?? '', size: a.size };
		});
		const m = { kind, text, attachments: atts, has_source: !!source };
		manifestCheck(m);
		const fields = [];
		fields.push(
			'"attachments":[' +
				atts
					.map((a) => `{"name":${jsonString(a.name)},"size":${a.size},"type":${jsonString(a.type)}}`)
					.join(',') +
				']',
		);
		fields.push(`"id":"${b64u.encode(id)}"`);
		if (source) fields.push(`"identity_pk":"${b64u.encode(needU8(source.identity_pk, 32, 'identity_pk'))}"`);
		fields.push(`"kind":${jsonString(kind)}`);
		if (source) {
			fields.push(`"mailbox_id":"${b64u.encode(needU8(source.mailbox_id, 16, 'mailbox_id'))}"`);
			fields.push(`"reply_pk":"${b64u.encode(needU8(source.reply_pk, 32, 'reply_pk'))}"`);
		}
		fields.push(`"text":${jsonString(text)}`);
		fields.push('"v":1');
		const out = utf8('{' + fields.join(',') + '}');
		if (out.length > ENV_MAX_MANIFEST) {
			wipe(out);
			fail('too_large', 'manifest too large');
		}
		return out;
	}
	const MANIFEST_KEYS = ['v', 'kind', 'id', 'text', 'attachments', 'reply_pk', 'identity_pk', 'mailbox_id'];
	function manifestDecode(bytes) {
		const o = parseJson(bytes);
		onlyKeys(o, MANIFEST_KEYS);
		const v = getInt(o, 'v', 0n, 1000n);
		if (v !== 1) fail('version', 'unsupported manifest version');
		const kind = o.get('kind'),
			text = o.get('text'),
			atts = o.get('attachments');
		if (!isStr(kind) || !isStr(text) || !Array.isArray(atts) || atts.length > ENV_MAX_ATTACHMENTS ||
		    byteLen(text) > ENV_MAX_TEXT)
			fail('format', 'bad manifest');
		if (kind !== 'testimony' && kind !== 'followup') fail('format', 'bad kind');
		const id = getB64(o, 'id', 16);
		const hasReply = o.has('reply_pk'),
			hasId = o.has('identity_pk'),
			hasMb = o.has('mailbox_id');
		if (hasReply !== hasId || hasReply !== hasMb) fail('format', 'source fields not together');
		const m = { v, kind, id, text, attachments: [], has_source: hasReply };
		if (hasReply) {
			m.reply_pk = getB64(o, 'reply_pk', 32);
			m.identity_pk = getB64(o, 'identity_pk', 32);
			m.mailbox_id = getB64(o, 'mailbox_id', 16);
		}
		for (const a of atts) {
			if (!isObj(a)) fail('format', 'bad attachment');
			onlyKeys(a, ['name', 'type', 'size']);
			const name = a.get('name'),
				type = a.get('type');
			if (!isStr(name) || byteLen(name) >= 256 || !isStr(type) || byteLen(type) >= 128)
				fail('format', 'bad attachment');
			m.attachments.push({ name, type, size: getInt(a, 'size', 0n, INT53_MAX) });
		}
		manifestCheck(m);
		return m;
	}

	// ---- envelope (§6) ----
	const ENV_MAGIC = utf8('GDEV');
	function subkeys(fileKey) {
		return {
			mac: kdf(32, 1, KDF_ENVELOPE, fileKey),
			payload: kdf(32, 2, KDF_ENVELOPE, fileKey),
			ack: kdf(32, 3, KDF_ENVELOPE, fileKey),
		};
	}
	const headerMac = (hdr, key) => hashCtx(32, CTX.header, hdr, key);
	const ackHash = (ackKey) => hashCtx(32, CTX.ack, ackKey);
	const submissionMessage = (mac, manifest) => concat(mac, u32le(manifest.length), manifest);
	const TAG_MESSAGE = () => sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
	const TAG_FINAL = () => sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL;

	// crypto_box_seal's exact construction with the ephemeral key pair made from eseed
	function boxSealSeeded(m, pk, eseed) {
		const e = sodium.crypto_box_seed_keypair(eseed);
		const nonce = sodium.crypto_generichash(24, concat(e.publicKey, pk), null);
		const c = concat(e.publicKey, sodium.crypto_box_easy(m, nonce, pk, e.privateKey));
		wipe(e.privateKey);
		return c;
	}

	function createSeal({ recipients, kind, id, text = '', attachments = [], keys = null, seed = null }) {
		const n = Array.isArray(recipients) ? recipients.length : 0;
		if (n < 1 || n > ENV_MAX_RECIPIENTS) fail('inval', 'between 1 and 32 recipients');
		recipients.forEach((pk) => needU8(pk, 32, 'recipient key'));
		if (seed !== null) needU8(seed, 32, 'seal seed');
		if (keys !== null) needU8(keys.identity_sk, 64, 'identity_sk');
		const manifest = encodeManifest({ kind, id, text, attachments, source: keys });
		let content = 4 + manifest.length + 64;
		for (const a of attachments) content += a.size;
		if (content > ENV_MAX_PLAINTEXT) {
			wipe(manifest);
			fail('too_large', 'more than 64 GiB');
		}
		const padded = pad(content);
		const fileKey = seed === null ? sodium.randombytes_buf(32) : kdf(32, 1, KDF_SEAL, seed);
		const k = subkeys(fileKey);
		const hlen = envelopeHeaderSize(n);
		const hdr = new Uint8Array(hlen);
		hdr.set(ENV_MAGIC, 0);
		hdr[4] = 1;
		hdr[5] = n;
		hdr.set(u64le(padded), 6);
		let p = 14;
		for (let i = 0; i < n; i++, p += 80) {
			if (seed === null) {
				hdr.set(sodium.crypto_box_seal(fileKey, recipients[i]), p);
			} else {
				const eseed = kdf(32, 16 + i, KDF_SEAL, seed);
				hdr.set(boxSealSeeded(fileKey, recipients[i], eseed), p);
				wipe(eseed);
			}
		}
		wipe(fileKey);
		let state;
		if (seed === null) {
			const r = sodium.crypto_secretstream_xchacha20poly1305_init_push(k.payload);
			state = r.state;
			hdr.set(r.header, p);
		} else {
			// init_push draws the header and sets the state from it exactly as init_pull does
			// from a given one: the same state, from a header of our choosing (as envelope.c)
			const h = kdf(24, 2, KDF_SEAL, seed);
			state = sodium.crypto_secretstream_xchacha20poly1305_init_pull(h, k.payload);
			hdr.set(h, p);
		}
		p += 24;
		hdr.set(ackHash(k.ack), p);
		p += 32;
		const mac = headerMac(hdr.subarray(0, p), k.mac);
		hdr.set(mac, p);
		const sig = keys === null ? new Uint8Array(64) : signCtx(CTX.submission, submissionMessage(mac, manifest), keys.identity_sk);

		const pt = new Uint8Array(ENV_CHUNK);
		let fill = 0,
			pushed = 0,
			done = false;
		let pending = [hdr];
		const flush = (tag) => {
			pending.push(sodium.crypto_secretstream_xchacha20poly1305_push(state, pt.subarray(0, fill), null, tag));
			fill = 0;
		};
		// append plaintext; a full chunk goes out only when more follows (the last is FINAL)
		const push = (buf, zeros, len) => {
			let off = 0;
			while (len > 0) {
				if (fill === ENV_CHUNK) flush(TAG_MESSAGE());
				const m = Math.min(ENV_CHUNK - fill, len);
				if (zeros) pt.fill(0, fill, fill + m);
				else pt.set(buf.subarray(off, off + m), fill);
				fill += m;
				pushed += m;
				off += m;
				len -= m;
			}
		};
		const take = () => {
			const out = pending;
			pending = [];
			return out;
		};
		push(u32le(manifest.length), false, 4);
		push(manifest, false, manifest.length);
		push(sig, false, 64);
		wipe(manifest);
		return {
			size: envelopeSize(n, padded),
			padded,
			// attachment bytes, in manifest order, exactly the declared sizes in all
			write(u8) {
				needU8(u8, undefined, 'attachment bytes');
				if (done || u8.length > content - pushed) fail('inval', 'more bytes than the manifest declares');
				push(u8, false, u8.length);
				return take();
			},
			end() {
				if (done || pushed !== content) fail('inval', 'fewer bytes than the manifest declares');
				done = true;
				push(null, true, padded - pushed);
				flush(TAG_FINAL());
				wipe(pt, k.mac, k.payload, k.ack);
				return take();
			},
		};
	}

	function openEnvelope(bytes, journalistKeys) {
		needU8(bytes, undefined, 'envelope');
		const keyring = journalistKeys.map((k) =>
			isU8(k) ? { sk: k, pk: sodium.crypto_scalarmult_base(k) } : { sk: k.sk, pk: k.pk },
		);
		if (keyring.length < 1) fail('inval', 'no keys');
		const len = bytes.length;
		if (len < 4) fail('truncated', 'envelope truncated');
		if (!bytesEqual(bytes.subarray(0, 4), ENV_MAGIC)) fail('format', 'not an envelope');
		if (len < 14) fail('truncated', 'envelope truncated');
		if (bytes[4] !== 1) fail('version', 'unsupported envelope version');
		const n = bytes[5];
		if (n < 1 || n > ENV_MAX_RECIPIENTS) fail('format', 'bad recipient count');
		const hlen = envelopeHeaderSize(n);
		if (len < hlen) fail('truncated', 'envelope truncated');
		const hdr = bytes.subarray(0, hlen);
		// the first stanza that opens gives the file key, which must authenticate the header
		let k = null,
			keyIndex = -1;
		for (let i = 0; i < n && k === null; i++) {
			const stanza = hdr.subarray(14 + 80 * i, 14 + 80 * (i + 1));
			for (let j = 0; j < keyring.length; j++) {
				let fileKey;
				try {
					fileKey = sodium.crypto_box_seal_open(stanza, keyring[j].pk, keyring[j].sk);
				} catch {
					continue;
				}
				keyIndex = j;
				k = subkeys(fileKey);
				wipe(fileKey);
				break;
			}
		}
		if (k === null) fail('not_recipient', 'not addressed to any of these keys');
		if (!bytesEqual(headerMac(hdr.subarray(0, hlen - 32), k.mac), hdr.subarray(hlen - 32)))
			fail('header', 'envelope header authentication failed');
		const ssHeader = hdr.subarray(14 + 80 * n, 14 + 80 * n + 24);
		const ackKey = k.ack;
		if (!bytesEqual(ackHash(ackKey), hdr.subarray(14 + 80 * n + 24, 14 + 80 * n + 56)))
			fail('header', 'envelope header authentication failed (ack hash)');
		const mac = hdr.slice(hlen - 32);
		let state;
		try {
			state = sodium.crypto_secretstream_xchacha20poly1305_init_pull(ssHeader, k.payload);
		} catch {
			fail('header', 'envelope header authentication failed');
		}
		const padded = Number(getU64(hdr, 6));
		if (!paddedValid(padded)) fail('format', 'bad padded length');

		// the framing: u32 M || manifest || signature || attachments || zeros
		let stage = 0,
			mlenLe = new Uint8Array(4),
			mlen = 0,
			manifestBytes = null,
			sig = new Uint8Array(64),
			have = 0,
			manifest = null,
			att = 0,
			attLeft = 0,
			attachments = [],
			content = 0;
		const consume = (p) => {
			let off = 0;
			while (off < p.length) {
				const left = p.length - off;
				let m;
				if (stage === 0) {
					m = Math.min(4 - have, left);
					mlenLe.set(p.subarray(off, off + m), have);
					have += m;
					if (have === 4) {
						mlen = getU32(mlenLe, 0);
						if (mlen === 0 || mlen > ENV_MAX_MANIFEST) fail('format', 'bad manifest length');
						manifestBytes = new Uint8Array(mlen);
						have = 0;
						stage = 1;
					}
				} else if (stage === 1) {
					m = Math.min(mlen - have, left);
					manifestBytes.set(p.subarray(off, off + m), have);
					have += m;
					if (have === mlen) {
						have = 0;
						stage = 2;
					}
				} else if (stage === 2) {
					m = Math.min(64 - have, left);
					sig.set(p.subarray(off, off + m), have);
					have += m;
					if (have === 64) {
						manifest = manifestDecode(manifestBytes);
						if (manifest.has_source)
							verifyCtx(sig, CTX.submission, submissionMessage(mac, manifestBytes), manifest.identity_pk);
						else if (!bytesEqual(sig, new Uint8Array(64))) fail('format', 'signature without a source');
						content = 4 + mlen + 64;
						for (const a of manifest.attachments) content += a.size;
						if (pad(content) !== padded) fail('format', 'padding is not the bucket of the content');
						attachments = manifest.attachments.map((a) => new Uint8Array(a.size));
						att = 0;
						attLeft = manifest.attachments.length > 0 ? manifest.attachments[0].size : 0;
						have = 0;
						stage = 3;
					}
				} else if (stage === 3) {
					while (att < manifest.attachments.length && attLeft === 0) {
						att++;
						attLeft = att < manifest.attachments.length ? manifest.attachments[att].size : 0;
						have = 0;
					}
					if (att >= manifest.attachments.length) {
						stage = 4;
						continue;
					}
					m = Math.min(attLeft, left);
					attachments[att].set(p.subarray(off, off + m), have);
					have += m;
					attLeft -= m;
				} else {
					m = left;
					for (let i = off; i < off + m; i++) if (p[i] !== 0) fail('format', 'non-zero padding');
				}
				off += m;
			}
		};
		let consumed = 0,
			pos = hlen;
		for (;;) {
			const left = padded - consumed;
			const want = Math.min(left, ENV_CHUNK) + SS_ABYTES;
			const last = left <= ENV_CHUNK;
			const got = Math.min(want, len - pos);
			if (got < want) fail(got === 0 ? 'truncated' : 'payload', got === 0 ? 'envelope truncated' : 'envelope payload authentication failed');
			let r;
			try {
				r = sodium.crypto_secretstream_xchacha20poly1305_pull(state, bytes.subarray(pos, pos + want), null);
			} catch {
				r = false;
			}
			if (!r || r.tag !== (last ? TAG_FINAL() : TAG_MESSAGE())) fail('payload', 'envelope payload authentication failed');
			pos += want;
			consume(r.message);
			consumed += r.message.length;
			wipe(r.message);
			if (last) break;
		}
		wipe(k.mac, k.payload);
		if (stage < 3 || padded !== pad(content)) fail('format', 'bad framing');
		if (pos !== len) fail('trailing', 'bytes after the envelope');
		return { manifest, manifestBytes, attachments, ackKey, keyIndex };
	}

	// ---- codename (§7) ----
	const WORD_MAX = 32;
	const wordIndex = new Map(words.map((w, i) => [w, i]));
	const wordBytes = words.map((w) => utf8(w));
	const SEP_RE = /[ \t\n\v\f\r]+/;
	const splitWords = (s) => s.split(SEP_RE).filter((w) => w.length > 0);
	const asciiLower = (s) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());
	// optimal string alignment distance over bytes
	function editDistance(a, b) {
		const d = [];
		for (let i = 0; i <= a.length; i++) d.push(new Array(b.length + 1).fill(0));
		for (let i = 0; i <= a.length; i++) d[i][0] = i;
		for (let j = 0; j <= b.length; j++) d[0][j] = j;
		for (let i = 1; i <= a.length; i++)
			for (let j = 1; j <= b.length; j++) {
				let v = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] !== b[j - 1] ? 1 : 0));
				if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1] && d[i - 2][j - 2] + 1 < v)
					v = d[i - 2][j - 2] + 1;
				d[i][j] = v;
			}
		return d[a.length][b.length];
	}
	// gd_wordlist_nearest: the list word nearest to a typed word, ties to the earlier one
	function nearestWord(word) {
		let low = utf8(word).subarray(0, WORD_MAX);
		low = low.map((c) => (c >= 65 && c <= 90 ? c | 0x20 : c));
		let best = Infinity,
			found = null;
		for (let i = 0; i < words.length; i++) {
			const w = wordBytes[i];
			if (Math.abs(w.length - low.length) >= best) continue;
			const dist = editDistance(w, low);
			if (dist < best) {
				best = dist;
				found = words[i];
			}
		}
		return found;
	}
	function newCodename() {
		const out = [];
		for (let i = 0; i < 8; i++) out.push(words[sodium.randombytes_uniform(words.length)]);
		return out.join(' ');
	}
	function normaliseCodename(str) {
		if (typeof str !== 'string') fail('inval', 'codename: a string');
		const typed = splitWords(str);
		const out = [];
		for (let i = 0; i < typed.length && i < 8; i++) {
			const w = asciiLower(typed[i]);
			const idx = byteLen(w) <= WORD_MAX ? wordIndex.get(w) : undefined;
			if (idx === undefined)
				fail('word', 'codename word not in the word list', { position: i + 1, nearest: nearestWord(typed[i]) });
			out.push(words[idx]);
		}
		if (typed.length !== 8) fail('word', 'a codename has 8 words', { count: typed.length });
		return out.join(' ');
	}
	async function deriveCodename(canonical, rootPk, onProgress) {
		needU8(rootPk, 32, 'newsroom key');
		const salt = hashCtx(16, CTX.salt, rootPk);
		const pass = utf8(canonical);
		const opts = { t: 3, m: 262144, p: 1, dkLen: 32, maxmem: 2 ** 32 - 1 };
		if (onProgress) opts.onProgress = onProgress;
		// argon2Seed (the page's Web Worker) computes the same Argon2id elsewhere, or
		// answers null when it cannot (no worker): then noble's argon2idAsync here
		const params = { t: opts.t, m: opts.m, p: opts.p, dkLen: opts.dkLen };
		let seed = argon2Seed ? await argon2Seed(pass, salt, params, onProgress || null)
			: null;
		if (seed !== null && !(seed instanceof Uint8Array && seed.length === 32))
			fail('inval', 'argon2Seed: a Uint8Array(32) or null');
		if (seed === null)
			seed = await argon2idAsync(pass, salt, opts);
		wipe(pass);
		const sub = kdf(32, 1, KDF_CODENAME, seed);
		const reply = sodium.crypto_box_seed_keypair(sub);
		wipe(sub);
		const sub2 = kdf(32, 2, KDF_CODENAME, seed);
		const identity = sodium.crypto_sign_seed_keypair(sub2);
		wipe(sub2);
		const sub3 = kdf(32, 3, KDF_CODENAME, seed);
		const mailbox = sodium.crypto_sign_seed_keypair(sub3);
		wipe(sub3, seed);
		return {
			reply_pk: reply.publicKey,
			reply_sk: reply.privateKey,
			identity_pk: identity.publicKey,
			identity_sk: identity.privateKey,
			mailbox_pk: mailbox.publicKey,
			mailbox_sk: mailbox.privateKey,
			mailbox_id: hashCtx(16, CTX.mailboxId, mailbox.publicKey),
		};
	}
	// gd_codename_words_in_text: how many of the codename's words the text holds within any 16
	// consecutive pieces (runs of ASCII letters), as the CLI counts them
	function codenameWordsCount(text, canonical) {
		const WINDOW = 16;
		const isLetter = (c) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
		const isSpace = (c) => c === 32 || (c >= 9 && c <= 13);
		const cw = [];
		for (const w of splitWords(canonical)) {
			if (cw.length >= 8) break;
			const l = [...utf8(w)].filter(isLetter).slice(0, WORD_MAX).map((c) => c | 0x20);
			if (l.length > 0) cw.push(l);
		}
		const t = typeof text === 'string' ? utf8(text) : text;
		const low = [],
			piece = [],
			tok = [];
		let p = 0,
			tk = 0,
			gap = false,
			space = false;
		for (const c of t) {
			if (!isLetter(c)) {
				gap = true;
				space = space || isSpace(c);
				continue;
			}
			if (low.length > 0) {
				p += gap ? 1 : 0;
				tk += space ? 1 : 0;
			}
			gap = space = false;
			low.push(c | 0x20);
			piece.push(p);
			tok.push(tk);
		}
		const nl = low.length,
			nc = cw.length;
		if (nc === 0 || nl === 0) {
			for (const w of cw) w.fill(0);
			if (t !== text) wipe(t);
			return 0;
		}
		const starts = new Uint8Array(nl);
		for (let a = 0; a < nl; a++)
			for (let k = 0; k < nc; k++) {
				const L = cw[k].length;
				if (L <= nl - a && tok[a + L - 1] === tok[a] && cw[k].every((c, q) => low[a + q] === c)) starts[a] |= 1 << k;
			}
		const masks = new Array(WINDOW).fill(0);
		let last = 0,
			best = 0;
		for (let a = 0; a < nl; a++) {
			let m = 0;
			for (let k = 0; k < nc; k++) {
				if (!(starts[a] & (1 << k))) continue;
				const e = a + cw[k].length;
				const firstP = a === 0 || piece[a - 1] !== piece[a];
				const endP = e === nl || piece[e] !== piece[e - 1];
				const firstT = a === 0 || tok[a - 1] !== tok[a];
				const endT = e === nl || tok[e] !== tok[e - 1];
				let chained = e < nl && tok[e] === tok[a] && starts[e] !== 0;
				for (let j = 0; j < nc && !chained; j++)
					chained = cw[j].length <= a && tok[a - cw[j].length] === tok[a] && (starts[a - cw[j].length] & (1 << j)) !== 0;
				if ((firstP && endP && piece[a] === piece[e - 1]) || (firstT && endT) || chained) m |= 1 << k;
			}
			for (let q = last + 1; q <= piece[a] && q <= last + WINDOW; q++) masks[q % WINDOW] = 0;
			last = piece[a];
			masks[last % WINDOW] |= m;
			let all = 0;
			for (const x of masks) all |= x;
			let c = 0;
			for (; all; all &= all - 1) c++;
			if (c > best) best = c;
		}
		// wiped as gd_codename_words_in_text wipes them: they spell the codename
		low.fill(0);
		for (const w of cw) w.fill(0);
		if (t !== text) wipe(t);
		return best;
	}
	const codenameWordsIn = (text, canonical) => codenameWordsCount(text, canonical) >= 4;

	// ---- replies (§8) ----
	const replyBucket = (len) => (len <= REPLY_PAD_FLOOR ? REPLY_PAD_FLOOR : padme(len));
	function openReply(blob, replyKeys, keys) {
		needU8(blob, undefined, 'reply');
		const len = blob.length;
		if (len < 4 || !bytesEqual(blob.subarray(0, 4), utf8('GDRP'))) fail('format', 'not a reply');
		if (len < 29 + 16 + REPLY_PAD_FLOOR) fail('truncated', 'reply truncated');
		if (blob[4] !== 1) fail('version', 'unsupported reply version');
		const plen = len - 29 - 16;
		if (plen > 2 * REPLY_MAX_TEXT) fail('too_large', 'reply too large');
		let pt = null,
			from = null;
		for (const j of replyKeys) {
			try {
				pt = sodium.crypto_box_open_easy(blob.subarray(29), blob.subarray(5, 29), j.pk, keys.reply_sk);
			} catch {
				continue;
			}
			from = j;
			break;
		}
		if (pt === null) fail('forged', 'not written with any journalist key of the bundle (forged)');
		try {
			const tlen = getU32(pt, 36);
			if (tlen > REPLY_MAX_TEXT || 40 + tlen > plen || replyBucket(40 + tlen) !== plen || pt.subarray(40, 40 + tlen).includes(0))
				fail('format', 'bad reply');
			for (let i = 40 + tlen; i < plen; i++) if (pt[i] !== 0) fail('format', 'bad reply padding');
			if (!bytesEqual(pt.subarray(20, 36), keys.mailbox_id)) fail('format', 'reply for another mailbox');
			return {
				reply_id: pt.slice(0, 16),
				day: getU32(pt, 16),
				mailbox_id: pt.slice(20, 36),
				text: utf8Lenient.decode(pt.subarray(40, 40 + tlen)),
				author: from.name,
				older: !!from.older,
				pk: from.pk,
			};
		} finally {
			wipe(pt);
		}
	}

	// ---- proof of work (§9) ----
	const POW_PREFIX = ctxBytes(CTX.powWork);
	function powParse(ch) {
		needU8(ch, 72, 'challenge');
		if (ch[0] !== 1) fail('version', 'unsupported challenge version');
		if (ch[3] !== 0 || ch[6] !== 0 || ch[7] !== 0 || ch[2] > POW_MAX_BITS || getU64(ch, 32) > 2n ** 63n - 1n)
			fail('format', 'bad challenge');
		return {
			purpose: ch[1],
			bits: ch[2],
			backend: ch[4] | (ch[5] << 8),
			id: ch.slice(8, 24),
			declaredSize: Number(getU64(ch, 24)),
			expires: Number(getU64(ch, 32)),
		};
	}
	const powState = (ch) => blake2b.create({ dkLen: 32 }).update(POW_PREFIX).update(ch);
	function leadingZeros(h) {
		let n = 0;
		for (const x of h) {
			if (x === 0) {
				n += 8;
				continue;
			}
			return n + Math.clz32(x) - 24;
		}
		return n;
	}
	const powHash = (ch, counter) => powState(needU8(ch, 72, 'challenge')).update(u64le(counter)).digest();
	const powCheck = (ch, counter) => leadingZeros(powHash(ch, counter)) >= ch[2];
	// The work hash is one BLAKE2b block (22 + 72 + 8 = 102 bytes): powSolve compresses that
	// block itself, in 32-bit halves, only the counter's words changing (several times faster
	// than a generic hasher; checked against powHash by web_vectors).
	const SIGMA = [
		[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
		[14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
		[11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
		[7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
		[9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
		[2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
		[12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
		[13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
		[6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
		[10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
	].map((r) => r.map((x) => 2 * x));
	// BLAKE2b's IV as [lo, hi] 32-bit halves
	const IV32 = [
		0xf3bcc908, 0x6a09e667, 0x84caa73b, 0xbb67ae85, 0xfe94f82b, 0x3c6ef372, 0x5f1d36f1, 0xa54ff53a,
		0xade682d1, 0x510e527f, 0x2b3e6c1f, 0x9b05688c, 0xfb41bd6b, 0x1f83d9ab, 0x137e2179, 0x5be0cd19,
	];
	function workHasher(ch) {
		const block = new Uint8Array(128);
		block.set(POW_PREFIX, 0);
		block.set(ch, POW_PREFIX.length);
		const at = POW_PREFIX.length + 72; // the counter: bytes 94..101
		const m = new Uint32Array(block.buffer);
		const out = new Uint32Array(2);
		const h0lo = (IV32[0] ^ 0x01010020) >>> 0; // digest 32 bytes, no key
		const [i0l, i0h, i1l, i1h, i2l, i2h, i3l, i3h, i4l, i4h, i5l, i5h, i6l, i6h, i7l, i7h] = IV32;
		// the first 8 bytes of the digest of counter c, as [lo, hi]; the state in 32 local
		// halves and G written out: Safer's interpreter (no JIT) pays for every array access
		return (c) => {
			const clo = c % 4294967296,
				chi = Math.floor(c / 4294967296);
			block[at] = clo & 255;
			block[at + 1] = (clo >>> 8) & 255;
			block[at + 2] = (clo >>> 16) & 255;
			block[at + 3] = clo >>> 24;
			block[at + 4] = chi & 255;
			block[at + 5] = (chi >>> 8) & 255;
			block[at + 6] = (chi >>> 16) & 255;
			block[at + 7] = chi >>> 24;
			let v0l = h0lo, v0h = i0h, v1l = i1l, v1h = i1h, v2l = i2l, v2h = i2h, v3l = i3l, v3h = i3h;
			let v4l = i4l, v4h = i4h, v5l = i5l, v5h = i5h, v6l = i6l, v6h = i6h, v7l = i7l, v7h = i7h;
			let v8l = i0l, v8h = i0h, v9l = i1l, v9h = i1h, v10l = i2l, v10h = i2h, v11l = i3l, v11h = i3h;
			let v12l = (i4l ^ (POW_PREFIX.length + 80)) >>> 0, v12h = i4h; // t = 102 bytes
			let v13l = i5l, v13h = i5h;
			let v14l = ~i6l >>> 0, v14h = ~i6h >>> 0; // the last block
			let v15l = i7l, v15h = i7h;
			let lo, xl, xh;
			for (let r = 0; r < 12; r++) {
				const s = SIGMA[r % 10];
				// G(0, 4, 8, 12)
				lo = v0l + v4l + m[s[0]]; v0h = (v0h + v4h + m[s[0] + 1] + ((lo / 4294967296) | 0)) >>> 0; v0l = lo >>> 0;
				xl = v12l ^ v0l; v12l = (v12h ^ v0h) >>> 0; v12h = xl >>> 0;
				lo = v8l + v12l; v8h = (v8h + v12h + (lo > 4294967295 ? 1 : 0)) >>> 0; v8l = lo >>> 0;
				xl = v4l ^ v8l; xh = v4h ^ v8h; v4l = ((xl >>> 24) | (xh << 8)) >>> 0;
				v4h = ((xh >>> 24) | (xl << 8)) >>> 0; lo = v0l + v4l + m[s[1]]; v0h = (v0h + v4h + m[s[1] + 1] + ((lo / 4294967296) | 0)) >>> 0;
				v0l = lo >>> 0; xl = v12l ^ v0l; xh = v12h ^ v0h;
				v12l = ((xl >>> 16) | (xh << 16)) >>> 0; v12h = ((xh >>> 16) | (xl << 16)) >>> 0; lo = v8l + v12l;
				v8h = (v8h + v12h + (lo > 4294967295 ? 1 : 0)) >>> 0; v8l = lo >>> 0; xl = v4l ^ v8l;
				xh = v4h ^ v8h; v4l = ((xl << 1) | (xh >>> 31)) >>> 0; v4h = ((xh << 1) | (xl >>> 31)) >>> 0;
				// G(1, 5, 9, 13)
				lo = v1l + v5l + m[s[2]]; v1h = (v1h + v5h + m[s[2] + 1] + ((lo / 4294967296) | 0)) >>> 0; v1l = lo >>> 0;
				xl = v13l ^ v1l; v13l = (v13h ^ v1h) >>> 0; v13h = xl >>> 0;
				lo = v9l + v13l; v9h = (v9h + v13h + (lo > 4294967295 ? 1 : 0)) >>> 0; v9l = lo >>> 0;
				xl = v5l ^ v9l; xh = v5h ^ v9h; v5l = ((xl >>> 24) | (xh << 8)) >>> 0;
				v5h = ((xh >>> 24) | (xl << 8)) >>> 0; lo = v1l + v5l + m[s[3]]; v1h = (v1h + v5h + m[s[3] + 1] + ((lo / 4294967296) | 0)) >>> 0;
				v1l = lo >>> 0; xl = v13l ^ v1l; xh = v13h ^ v1h;
				v13l = ((xl >>> 16) | (xh << 16)) >>> 0; v13h = ((xh >>> 16) | (xl << 16)) >>> 0; lo = v9l + v13l;
				v9h = (v9h + v13h + (lo > 4294967295 ? 1 : 0)) >>> 0; v9l = lo >>> 0; xl = v5l ^ v9l;
				xh = v5h ^ v9h; v5l = ((xl << 1) | (xh >>> 31)) >>> 0; v5h = ((xh << 1) | (xl >>> 31)) >>> 0;
				// G(2, 6, 10, 14)
				lo = v2l + v6l + m[s[4]]; v2h = (v2h + v6h + m[s[4] + 1] + ((lo / 4294967296) | 0)) >>> 0; v2l = lo >>> 0;
				xl = v14l ^ v2l; v14l = (v14h ^ v2h) >>> 0; v14h = xl >>> 0;
				lo = v10l + v14l; v10h = (v10h + v14h + (lo > 4294967295 ? 1 : 0)) >>> 0; v10l = lo >>> 0;
				xl = v6l ^ v10l; xh = v6h ^ v10h; v6l = ((xl >>> 24) | (xh << 8)) >>> 0;
				v6h = ((xh >>> 24) | (xl << 8)) >>> 0; lo = v2l + v6l + m[s[5]]; v2h = (v2h + v6h + m[s[5] + 1] + ((lo / 4294967296) | 0)) >>> 0;
				v2l = lo >>> 0; xl = v14l ^ v2l; xh = v14h ^ v2h;
				v14l = ((xl >>> 16) | (xh << 16)) >>> 0; v14h = ((xh >>> 16) | (xl << 16)) >>> 0; lo = v10l + v14l;
				v10h = (v10h + v14h + (lo > 4294967295 ? 1 : 0)) >>> 0; v10l = lo >>> 0; xl = v6l ^ v10l;
				xh = v6h ^ v10h; v6l = ((xl << 1) | (xh >>> 31)) >>> 0; v6h = ((xh << 1) | (xl >>> 31)) >>> 0;
				// G(3, 7, 11, 15)
				lo = v3l + v7l + m[s[6]]; v3h = (v3h + v7h + m[s[6] + 1] + ((lo / 4294967296) | 0)) >>> 0; v3l = lo >>> 0;
				xl = v15l ^ v3l; v15l = (v15h ^ v3h) >>> 0; v15h = xl >>> 0;
				lo = v11l + v15l; v11h = (v11h + v15h + (lo > 4294967295 ? 1 : 0)) >>> 0; v11l = lo >>> 0;
				xl = v7l ^ v11l; xh = v7h ^ v11h; v7l = ((xl >>> 24) | (xh << 8)) >>> 0;
				v7h = ((xh >>> 24) | (xl << 8)) >>> 0; lo = v3l + v7l + m[s[7]]; v3h = (v3h + v7h + m[s[7] + 1] + ((lo / 4294967296) | 0)) >>> 0;
				v3l = lo >>> 0; xl = v15l ^ v3l; xh = v15h ^ v3h;
				v15l = ((xl >>> 16) | (xh << 16)) >>> 0; v15h = ((xh >>> 16) | (xl << 16)) >>> 0; lo = v11l + v15l;
				v11h = (v11h + v15h + (lo > 4294967295 ? 1 : 0)) >>> 0; v11l = lo >>> 0; xl = v7l ^ v11l;
				xh = v7h ^ v11h; v7l = ((xl << 1) | (xh >>> 31)) >>> 0; v7h = ((xh << 1) | (xl >>> 31)) >>> 0;
				// G(0, 5, 10, 15)
				lo = v0l + v5l + m[s[8]]; v0h = (v0h + v5h + m[s[8] + 1] + ((lo / 4294967296) | 0)) >>> 0; v0l = lo >>> 0;
				xl = v15l ^ v0l; v15l = (v15h ^ v0h) >>> 0; v15h = xl >>> 0;
				lo = v10l + v15l; v10h = (v10h + v15h + (lo > 4294967295 ? 1 : 0)) >>> 0; v10l = lo >>> 0;
				xl = v5l ^ v10l; xh = v5h ^ v10h; v5l = ((xl >>> 24) | (xh << 8)) >>> 0;
				v5h = ((xh >>> 24) | (xl << 8)) >>> 0; lo = v0l + v5l + m[s[9]]; v0h = (v0h + v5h + m[s[9] + 1] + ((lo / 4294967296) | 0)) >>> 0;
				v0l = lo >>> 0; xl = v15l ^ v0l; xh = v15h ^ v0h;
				v15l = ((xl >>> 16) | (xh << 16)) >>> 0; v15h = ((xh >>> 16) | (xl << 16)) >>> 0; lo = v10l + v15l;
				v10h = (v10h + v15h + (lo > 4294967295 ? 1 : 0)) >>> 0; v10l = lo >>> 0; xl = v5l ^ v10l;
				xh = v5h ^ v10h; v5l = ((xl << 1) | (xh >>> 31)) >>> 0; v5h = ((xh << 1) | (xl >>> 31)) >>> 0;
				// G(1, 6, 11, 12)
				lo = v1l + v6l + m[s[10]]; v1h = (v1h + v6h + m[s[10] + 1] + ((lo / 4294967296) | 0)) >>> 0; v1l = lo >>> 0;
				xl = v12l ^ v1l; v12l = (v12h ^ v1h) >>> 0; v12h = xl >>> 0;
				lo = v11l + v12l; v11h = (v11h + v12h + (lo > 4294967295 ? 1 : 0)) >>> 0; v11l = lo >>> 0;
				xl = v6l ^ v11l; xh = v6h ^ v11h; v6l = ((xl >>> 24) | (xh << 8)) >>> 0;
				v6h = ((xh >>> 24) | (xl << 8)) >>> 0; lo = v1l + v6l + m[s[11]]; v1h = (v1h + v6h + m[s[11] + 1] + ((lo / 4294967296) | 0)) >>> 0;
				v1l = lo >>> 0; xl = v12l ^ v1l; xh = v12h ^ v1h;
				v12l = ((xl >>> 16) | (xh << 16)) >>> 0; v12h = ((xh >>> 16) | (xl << 16)) >>> 0; lo = v11l + v12l;
				v11h = (v11h + v12h + (lo > 4294967295 ? 1 : 0)) >>> 0; v11l = lo >>> 0; xl = v6l ^ v11l;
				xh = v6h ^ v11h; v6l = ((xl << 1) | (xh >>> 31)) >>> 0; v6h = ((xh << 1) | (xl >>> 31)) >>> 0;
				// G(2, 7, 8, 13)
				lo = v2l + v7l + m[s[12]]; v2h = (v2h + v7h + m[s[12] + 1] + ((lo / 4294967296) | 0)) >>> 0; v2l = lo >>> 0;
				xl = v13l ^ v2l; v13l = (v13h ^ v2h) >>> 0; v13h = xl >>> 0;
				lo = v8l + v13l; v8h = (v8h + v13h + (lo > 4294967295 ? 1 : 0)) >>> 0; v8l = lo >>> 0;
				xl = v7l ^ v8l; xh = v7h ^ v8h; v7l = ((xl >>> 24) | (xh << 8)) >>> 0;
				v7h = ((xh >>> 24) | (xl << 8)) >>> 0; lo = v2l + v7l + m[s[13]]; v2h = (v2h + v7h + m[s[13] + 1] + ((lo / 4294967296) | 0)) >>> 0;
				v2l = lo >>> 0; xl = v13l ^ v2l; xh = v13h ^ v2h;
				v13l = ((xl >>> 16) | (xh << 16)) >>> 0; v13h = ((xh >>> 16) | (xl << 16)) >>> 0; lo = v8l + v13l;
				v8h = (v8h + v13h + (lo > 4294967295 ? 1 : 0)) >>> 0; v8l = lo >>> 0; xl = v7l ^ v8l;
				xh = v7h ^ v8h; v7l = ((xl << 1) | (xh >>> 31)) >>> 0; v7h = ((xh << 1) | (xl >>> 31)) >>> 0;
				// G(3, 4, 9, 14)
				lo = v3l + v4l + m[s[14]]; v3h = (v3h + v4h + m[s[14] + 1] + ((lo / 4294967296) | 0)) >>> 0; v3l = lo >>> 0;
				xl = v14l ^ v3l; v14l = (v14h ^ v3h) >>> 0; v14h = xl >>> 0;
				lo = v9l + v14l; v9h = (v9h + v14h + (lo > 4294967295 ? 1 : 0)) >>> 0; v9l = lo >>> 0;
				xl = v4l ^ v9l; xh = v4h ^ v9h; v4l = ((xl >>> 24) | (xh << 8)) >>> 0;
				v4h = ((xh >>> 24) | (xl << 8)) >>> 0; lo = v3l + v4l + m[s[15]]; v3h = (v3h + v4h + m[s[15] + 1] + ((lo / 4294967296) | 0)) >>> 0;
				v3l = lo >>> 0; xl = v14l ^ v3l; xh = v14h ^ v3h;
				v14l = ((xl >>> 16) | (xh << 16)) >>> 0; v14h = ((xh >>> 16) | (xl << 16)) >>> 0; lo = v9l + v14l;
				v9h = (v9h + v14h + (lo > 4294967295 ? 1 : 0)) >>> 0; v9l = lo >>> 0; xl = v4l ^ v9l;
				xh = v4h ^ v9h; v4l = ((xl << 1) | (xh >>> 31)) >>> 0; v4h = ((xh << 1) | (xl >>> 31)) >>> 0;
			}
			out[0] = h0lo ^ v0l ^ v8l;
			out[1] = i0h ^ v0h ^ v8h;
			return out;
		};
	}
	// leading zero bits of the digest whose first 8 bytes are [lo, hi] (little-endian words)
	function zeros8(lo, hi) {
		for (let k = 0; k < 4; k++) {
			const x = (lo >>> (8 * k)) & 255;
			if (x !== 0) return 8 * k + Math.clz32(x) - 24;
		}
		for (let k = 0; k < 4; k++) {
			const x = (hi >>> (8 * k)) & 255;
			if (x !== 0) return 32 + 8 * k + Math.clz32(x) - 24;
		}
		return 64;
	}
	// the first counter start, start + step, ... (maxTries of them) that meets the
	// challenge's bits, or -1
	function powSolve(ch, start = 0, step = 1, maxTries = Infinity) {
		needU8(ch, 72, 'challenge');
		const bits = ch[2];
		const work = workHasher(ch);
		let c = start;
		for (let i = 0; i < maxTries; i++, c += step) {
			const h = work(c);
			if (zeros8(h[0], h[1]) >= bits && (bits <= 64 || powCheck(ch, c))) return c;
		}
		return -1;
	}
	const powFirst8 = (ch, counter) => Array.from(workHasher(needU8(ch, 72, 'challenge'))(counter));

	// ---- mailbox and uploads (§7.3, §11.3) ----
	const mailboxSign = (ch, sk) => signCtx(CTX.mailboxAuth, needU8(ch, 72, 'challenge'), needU8(sk, 64, 'mailbox_sk'));
	const chunkHash = (u8) => blake2b(u8, { dkLen: 32 });
	function uploadDigest(size, chunkHashes) {
		const h = blake2b.create({ dkLen: 32 }).update(ctxBytes(CTX.upload)).update(u64le(size));
		for (const c of chunkHashes) h.update(needU8(c, 32, 'chunk hash'));
		return h.digest();
	}

	return {
		GdError,
		b64u,
		hex,
		parseJson,
		parseNewsroomKey,
		newsroomKeyString,
		fingerprintGroups,
		serverUrlCheck,
		bundleListsServer,
		verifyBundle,
		newCodename,
		normaliseCodename,
		deriveCodename,
		codenameWordsIn,
		codenameWordsCount,
		randomId: () => sodium.randombytes_buf(16),
		pad,
		envelopeSize,
		encodeManifest,
		manifestDecode,
		createSeal,
		openEnvelope,
		openReply,
		powParse,
		powHash,
		powCheck,
		powSolve,
		_powFirst8: powFirst8,
		mailboxSign,
		chunkHash,
		uploadDigest,
	};
}
