// The replay of tests/vectors by the page's protocol (web/src/gdproto.js): every check of
// web_vectors, in one function with no import, so that it runs the same in Node (vectors.mjs,
// which reads the files) and in Chromium (browser.mjs's case 'vectors', against the files the
// drop serves). Which vector files are replayed, and why the others are not: vectors.mjs.
//
//   await replayVectors({ createProto, sodium, argon2idAsync, blake2b, words }, docs, sink)
//
// docs: { module: the parsed tests/vectors/MODULE.json }; sink: { log, error (each check that
// fails), jit (printed), cpuSeconds (optional: a CPU clock, printed), argon2Only (one
// derivation, timed, and nothing else) }. Returns { checks, failures, wasm }.

// The vector files replayed (tests/vectors/MODULE.json)
export const MODULES = ['keystring', 'server_url', 'bundle', 'manifest', 'envelope', 'codename', 'reply', 'pow', 'http'];

export async function replayVectors({ createProto, sodium, argon2idAsync, blake2b, words }, docs, sink) {
	const { log, error, jit = true, cpuSeconds = null, argon2Only = false } = sink;
	const gd = createProto({ sodium, argon2idAsync, blake2b, words });
	const wasm = typeof WebAssembly !== 'undefined';

	let failures = 0,
		checks = 0;
	function ok(cond, what) {
		checks++;
		if (!cond) {
			failures++;
			error('FAIL', what);
		}
	}
	const hex = (u8) => Array.from(u8, (b) => b.toString(16).padStart(2, '0')).join('');
	const unhex = (s) => new Uint8Array((s.match(/../g) || []).map((x) => parseInt(x, 16)));
	const sha256 = async (u8) => hex(new Uint8Array(await crypto.subtle.digest('SHA-256', u8)));
	const concat = (list) => {
		const out = new Uint8Array(list.reduce((n, x) => n + x.length, 0));
		let o = 0;
		for (const x of list) {
			out.set(x, o);
			o += x.length;
		}
		return out;
	};
	const eq = (a, b) => {
		if (a.length !== b.length) return false;
		for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
		return true;
	};
	const EXPECT = {
		format_failure: 'format',
		checksum_failure: 'checksum',
		corrupt: 'checksum',
		signature_failure: 'signature',
		header_failure: 'header',
		payload_failure: 'payload',
		unknown_word: 'word',
		pow_failure: 'pow',
		purpose_failure: 'purpose',
	};
	const codeOf = (expect) => EXPECT[expect] ?? expect;
	// fn() must throw a GdError with this code; returns it
	function throwsCode(fn, code, what) {
		try {
			fn();
		} catch (e) {
			ok(e instanceof gd.GdError && e.code === code, `${what}: wanted ${code}, got ${e.code ?? e}`);
			return e;
		}
		ok(false, `${what}: wanted ${code}, got success`);
		return null;
	}
	function load(module) {
		const doc = docs[module];
		ok(doc.module === module && doc.vectors.length > 0, `${module}.json`);
		return doc.vectors;
	}
	// README: base + edits
	function applyEdits(buf, edits) {
		let b = Array.from(buf);
		for (const e of edits) {
			if (e.op === 'xor') b[e.at] ^= e.value;
			else if (e.op === 'set') b[e.at] = e.value;
			else if (e.op === 'truncate') b = b.slice(0, e.len);
			else if (e.op === 'delete') b.splice(e.at, e.len);
			else if (e.op === 'swap') {
				const x = b.slice(e.a, e.a + e.len),
					y = b.slice(e.b, e.b + e.len);
				b.splice(e.a, e.len, ...y);
				b.splice(e.b, e.len, ...x);
			} else if (e.op === 'append') b.push(...unhex(e.hex));
			else throw new Error('edit ' + e.op);
		}
		return new Uint8Array(b);
	}

	// Argon2id timing (printed, not asserted)
	const derived = new Map();
	async function derive(canonical, nrHex) {
		const key = canonical + '/' + nrHex;
		if (!derived.has(key)) {
			const t0 = performance.now(),
				cpu0 = cpuSeconds?.();
			let last = -1;
			const k = await gd.deriveCodename(canonical, unhex(nrHex), (p) => {
				ok(p >= last && p <= 1, 'progress grows within 0..1');
				last = p;
			});
			const s = ((performance.now() - t0) / 1000).toFixed(1);
			const cs = cpuSeconds ? `${(cpuSeconds() - cpu0).toFixed(1)} s of CPU; ` : '';
			log(`argon2id (t=3, 256 MiB) codename derivation: ${s} s (${cs}WebAssembly ${wasm ? 'on' : 'off'}, JIT ${jit ? 'on' : 'off'})`);
			ok(last === 1, 'progress reaches 1');
			derived.set(key, k);
		}
		return derived.get(key);
	}
	if (argon2Only) {
		await derive('zoom yo-yo abacus felt-tip zoologist able ablaze abide', '00'.repeat(32));
		return { checks, failures, wasm };
	}

	// ---- keystring.json (§3) ----
	for (const v of load('keystring')) {
		if (v.expect === 'success') {
			const pk = gd.parseNewsroomKey(v.string);
			ok(hex(pk) === v.pk, `keystring ${v.name}`);
			ok(gd.newsroomKeyString(pk) === v.string.trim().toLowerCase(), `keystring ${v.name} encodes back`);
			ok(hex(gd.parseNewsroomKey(`  ${v.string.toUpperCase()}\n`)) === v.pk, 'keystring: upper case, whitespace');
			const groups = gd.fingerprintGroups(pk);
			ok(groups.join('') === v.string && String(groups) === groups.join(' ') && groups.every((g) => g.length === 4 || g.length === 5), 'fingerprint groups');
			// every single-character substitution is refused (§3)
			let refused = 0;
			for (let i = 5; i < v.string.length; i++) {
				const c = v.string[i] === 'a' ? 'b' : 'a';
				try {
					gd.parseNewsroomKey(v.string.slice(0, i) + c + v.string.slice(i + 1));
				} catch (e) {
					refused += e.code === 'checksum' || e.code === 'format';
				}
			}
			ok(refused === v.string.length - 5, 'keystring: every substitution refused');
		} else throwsCode(() => gd.parseNewsroomKey(v.string), codeOf(v.expect), `keystring ${v.name}`);
	}

	// ---- server_url.json (§5.2) ----
	for (const v of load('server_url')) {
		if (v.given !== undefined) {
			ok(gd.serverUrlCheck(v.url), `server_url ${v.name}: listed url valid`);
			ok(gd.bundleListsServer({ servers: [v.url] }, v.given) === v.listed, `server_url ${v.name}`);
		} else ok(gd.serverUrlCheck(v.url) === (v.expect === 'success'), `server_url ${v.name}`);
	}

	// ---- bundle.json (§5) ----
	let validBundle = null;
	for (const v of load('bundle')) {
		const args = [unhex(v.bundle), unhex(v.root_pk), { now: v.now, minVersion: v.min_version }];
		if (v.expect === 'success') {
			const b = gd.verifyBundle(...args);
			ok(b.newsroom === 'The Daily Ledger', `bundle ${v.name}`);
			ok(b.recipients.length >= 1 && b.replyKeys.length >= b.recipients.length, `bundle ${v.name}: keys`);
			ok(gd.bundleListsServer(b, b.servers[0] + '/'), `bundle ${v.name}: lists its server`);
			validBundle = v;
		} else throwsCode(() => gd.verifyBundle(...args), codeOf(v.expect), `bundle ${v.name}`);
	}
	{
		// refusals the vectors lack: one JSON byte changed (signature), lengths, an older version
		const v = validBundle,
			b = unhex(v.bundle),
			rk = unhex(v.root_pk),
			opt = { now: v.now, minVersion: v.min_version };
		const t = b.slice();
		t[20] ^= 1;
		throwsCode(() => gd.verifyBundle(t, rk, opt), 'signature', 'bundle: tampered JSON');
		throwsCode(() => gd.verifyBundle(b.subarray(0, b.length - 1), rk, opt), 'truncated', 'bundle: truncated');
		throwsCode(() => gd.verifyBundle(new Uint8Array([...b, 0]), rk, opt), 'trailing', 'bundle: trailing');
		throwsCode(() => gd.verifyBundle(b, rk, { now: v.now, minVersion: 1e6 }), 'rollback', 'bundle: rollback');
		throwsCode(() => gd.verifyBundle(b, rk, { now: v.now + 40 * 86400, minVersion: 0 }), 'expired', 'bundle: 40 days later');
		const v2 = b.slice();
		v2[4] = 2;
		throwsCode(() => gd.verifyBundle(v2, rk, opt), 'version', 'bundle: format version 2');
	}

	// ---- strict JSON (§1) and the manifest encoder (Jansson's exact output) ----
	{
		const j = (s) => new TextEncoder().encode(s);
		for (const [s, what] of [
			['{"a":1,"a":2}', 'duplicate key'],
			['{"a":1,"\\u0061":2}', 'duplicate key written with an escape'],
			['{"a":"x\\u0000y"}', '\\u0000'],
			['{"a":"\\ud800"}', 'lone surrogate'],
			['{"a":01}', 'leading zero'],
			['{"a":1} x', 'trailing garbage'],
			['\ufeff{"a":1}', 'byte order mark'],
			['[1]', 'not an object'],
			['{"a":99999999999999999999}', 'integer beyond int64'],
			['{"a":"\t"}', 'raw control character'],
			['{"a":1e400}', 'real overflow'],
			['{"a":' + '['.repeat(3000) + ']'.repeat(3000) + '}', 'nesting deeper than Jansson allows'],
		])
			throwsCode(() => gd.parseJson(j(s)), 'format', `json: ${what}`);
		throwsCode(() => gd.parseJson(new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])), 'format', 'json: invalid UTF-8');
		const m = gd.parseJson(j('{"i":-0,"r":1.0,"s":"\\u00e9\\ud83d\\ude00","n":null}'));
		ok(m.get('i') === 0n && typeof m.get('r') !== 'bigint' && m.get('s') === 'é😀' && m.get('n') === null, 'json: values');
		const id = new Uint8Array(16).fill(0x33);
		const text = 'a\x01\x1f\x7f/"\\\b\f\n\r\t\u00e9\u2028 \u{1F600}';
		// what Jansson 2.14 writes for this text (json_dumps, JSON_COMPACT | JSON_SORT_KEYS)
		const want = '{"attachments":[],"id":"MzMzMzMzMzMzMzMzMzMzMw","kind":"testimony","text":"a\\u0001\\u001F\x7f/\\"\\\\\\b\\f\\n\\r\\t\u00e9\u2028 \u{1F600}","v":1}';
		ok(new TextDecoder().decode(gd.encodeManifest({ kind: 'testimony', id, text, attachments: [], source: null })) === want, 'manifest: Jansson escapes');
		throwsCode(() => gd.encodeManifest({ kind: 'testimony', id, text: 'a\0b' }), 'format', 'manifest: NUL in text');
		throwsCode(() => gd.encodeManifest({ kind: 'testimony', id, text: 'a\ud800b' }), 'format', 'manifest: lone surrogate');
		throwsCode(() => gd.encodeManifest({ kind: 'followup', id, text: '' }), 'format', 'manifest: follow-up without source');
		throwsCode(() => gd.encodeManifest({ kind: 'testimony', id, text: 'x'.repeat(131073) }), 'format', 'manifest: text over 128 KiB');
		throwsCode(
			() => gd.encodeManifest({ kind: 'testimony', id, attachments: [{ name: 'a', type: '', size: 2 ** 35 }, { name: 'b', type: '', size: 2 ** 35 + 1 }] }),
			'too_large',
			'manifest: over 64 GiB',
		);
	}

	// ---- manifest.json (§6.2) ----
	for (const v of load('manifest')) {
		const bytes = new TextEncoder().encode(v.json);
		if (v.expect === 'success') {
			const m = gd.manifestDecode(bytes);
			ok(m.kind === v.kind && m.attachments.length === v.attachments && m.has_source === v.has_source, `manifest ${v.name}`);
			const again = gd.encodeManifest({ kind: m.kind, id: m.id, text: m.text, attachments: m.attachments, source: m.has_source ? m : null });
			ok(eq(again, bytes), `manifest ${v.name}: encoder gives the same bytes`);
		} else throwsCode(() => gd.manifestDecode(bytes), codeOf(v.expect), `manifest ${v.name}`);
	}

	// ---- envelope.json (§6) ----
	const envVectors = load('envelope');
	let seededCases = 0;
	for (const v of envVectors) {
		const keys = v.keys.map((k) => ({ sk: unhex(k.sk), pk: unhex(k.pk) }));
		const bytes = v.base === undefined ? unhex(v.envelope) : applyEdits(unhex(envVectors.find((b) => b.name === v.base).envelope), v.edits);
		if (v.expect === 'success') {
			const r = gd.openEnvelope(bytes, keys);
			const all = concat(r.attachments);
			ok(r.manifest.text === v.text, `envelope ${v.name}: text`);
			ok((await sha256(all)) === v.data_sha256, `envelope ${v.name}: data`);
			ok(hex(r.ackKey) === v.ack_key, `envelope ${v.name}: ack key`);
			ok(r.keyIndex === v.key_index && r.manifest.has_source === v.has_source, `envelope ${v.name}: key index, source`);
			// also with secret keys alone (the public key computed)
			ok(hex(gd.openEnvelope(bytes, keys.map((k) => k.sk)).ackKey) === v.ack_key, `envelope ${v.name}: secret keys alone`);
		} else throwsCode(() => gd.openEnvelope(bytes, keys), codeOf(v.expect), `envelope ${v.name}`);
		if (v.seal !== undefined) {
			// sealed by C's gd_seal_new_seeded: the same inputs and seed give the same bytes here
			const s = v.seal;
			const identity = sodium.crypto_sign_seed_keypair(unhex(s.identity_seed));
			const source = { identity_pk: identity.publicKey, identity_sk: identity.privateKey, reply_pk: unhex(s.reply_pk), mailbox_id: unhex(s.mailbox_id) };
			const atts = s.attachments.map((a) => ({ name: a.name, type: a.type, size: a.data.length / 2, data: unhex(a.data) }));
			const seal = gd.createSeal({ recipients: s.recipients.map(unhex), kind: s.kind, id: unhex(s.id), text: s.text, attachments: atts, keys: source, seed: unhex(s.seed) });
			const out = [];
			for (const a of atts) for (let o = 0; o < a.data.length; o += 1000) out.push(...seal.write(a.data.subarray(o, o + 1000)));
			out.push(...seal.end());
			const mine = concat(out);
			ok(mine.length === seal.size && eq(mine, bytes), `envelope ${v.name}: sealed again byte for byte`);
			seededCases++;
		}
	}
	ok(seededCases > 0, 'envelope.json has a seeded seal case');

	// ---- round trips the vectors lack: createSeal -> openEnvelope ----
	function sealAll(opts, datas, piece = 7777) {
		const seal = gd.createSeal(opts);
		const out = [];
		for (const d of datas) {
			let off = 0,
				step = piece;
			while (off < d.length) {
				const k = Math.min(step, d.length - off);
				out.push(...seal.write(d.subarray(off, off + k)));
				off += k;
				step = ((step * 3) % 100003) + 1; // uneven pieces, crossing chunk boundaries
			}
		}
		out.push(...seal.end());
		const env = concat(out);
		ok(env.length === seal.size, `seal size ${env.length} = ${seal.size}`);
		return env;
	}
	const j1 = sodium.crypto_box_keypair(),
		j2 = sodium.crypto_box_keypair(),
		outsider = sodium.crypto_box_keypair();
	const idk = sodium.crypto_sign_keypair(),
		rk = sodium.crypto_box_keypair(),
		mbk = sodium.crypto_sign_keypair();
	const source = {
		identity_pk: idk.publicKey,
		identity_sk: idk.privateKey,
		reply_pk: rk.publicKey,
		reply_sk: rk.privateKey,
		mailbox_pk: mbk.publicKey,
		mailbox_sk: mbk.privateKey,
		mailbox_id: sodium.randombytes_buf(16),
	};
	{
		const sizes = [0, 1, 65535, 65536, 65537, 3 << 20];
		const datas = sizes.map((n) => {
			const d = new Uint8Array(n);
			for (let i = 0; i < n; i++) d[i] = (i * 7 + 1) & 255;
			return d;
		});
		const attachments = sizes.map((n, i) => ({ name: `attachment-${i + 1}.bin`, type: 'application/octet-stream', size: n }));
		for (const seeded of [false, true]) {
			const seed = seeded ? sodium.randombytes_buf(32) : null;
			const id = gd.randomId();
			const opts = { recipients: [j1.publicKey, j2.publicKey], kind: 'followup', id, text: 'Paid per task. é', attachments, keys: source, seed };
			const t0 = performance.now();
			const env = sealAll(opts, datas);
			const ms = performance.now() - t0;
			ok(env.length === gd.envelopeSize(2, gd.pad(4 + gd.encodeManifest({ ...opts, source }).length + 64 + sizes.reduce((a, b) => a + b))), 'envelopeSize');
			for (const [kr, idx] of [
				[[j1.privateKey], 0],
				[[outsider.privateKey, j2.privateKey], 1],
			]) {
				const r = gd.openEnvelope(env, kr);
				ok(r.keyIndex === idx && r.manifest.kind === 'followup' && r.manifest.text === 'Paid per task. é', `round trip (seed ${seeded}): manifest`);
				ok(r.attachments.length === sizes.length && r.attachments.every((a, i) => eq(a, datas[i])), `round trip (seed ${seeded}): attachments`);
				ok(hex(r.manifest.identity_pk) === hex(source.identity_pk) && hex(r.manifest.mailbox_id) === hex(source.mailbox_id), 'round trip: source');
			}
			if (seeded) {
				ok(eq(sealAll(opts, datas, 4096), env), 'seeded seal: the same bytes again, other pieces');
				ok(!eq(sealAll({ ...opts, seed: sodium.randombytes_buf(32) }, datas), env), 'another seed: other bytes');
			} else {
				ok(!eq(sealAll(opts, datas), env), 'unseeded seals differ');
				log(`seal of ${(env.length / 1048576).toFixed(1)} MiB to 2 keys: ${(ms / 1000).toFixed(2)} s (WebAssembly ${wasm ? 'on' : 'off'})`);
			}
		}
		// no reply keys, one recipient, no attachment: the 16 KiB bucket
		const anon = sealAll({ recipients: [j1.publicKey], kind: 'testimony', id: gd.randomId(), text: 'hello', attachments: [], keys: null }, []);
		ok(anon.length === gd.envelopeSize(1, 16384), 'anonymous text envelope is the 16 KiB bucket');
		const r = gd.openEnvelope(anon, [j1.privateKey]);
		ok(!r.manifest.has_source && r.manifest.text === 'hello', 'anonymous round trip');

		// refusals: tampered stanza, MAC, chunk; truncated; trailing; wrong key
		const small = sealAll({ recipients: [j1.publicKey, j2.publicKey], kind: 'testimony', id: gd.randomId(), text: 't', attachments: [attachments[4]], keys: source }, [datas[4]]);
		const h = 102 + 160;
		const flip = (at) => {
			const b = small.slice();
			b[at] ^= 0x40;
			return b;
		};
		throwsCode(() => gd.openEnvelope(flip(14 + 3), [j1.privateKey]), 'not_recipient', 'tampered own stanza');
		throwsCode(() => gd.openEnvelope(flip(14 + 80 + 3), [j1.privateKey]), 'header', 'tampered other stanza');
		throwsCode(() => gd.openEnvelope(flip(h - 1), [j1.privateKey]), 'header', 'tampered MAC');
		throwsCode(() => gd.openEnvelope(flip(h + 65553 + 10), [j1.privateKey]), 'payload', 'tampered chunk');
		throwsCode(() => gd.openEnvelope(small.subarray(0, h + 65553), [j1.privateKey]), 'truncated', 'truncated at a chunk boundary');
		throwsCode(() => gd.openEnvelope(small.subarray(0, small.length - 1), [j1.privateKey]), 'payload', 'truncated inside a chunk');
		throwsCode(() => gd.openEnvelope(small.subarray(0, 100), [j1.privateKey]), 'truncated', 'truncated header');
		throwsCode(() => gd.openEnvelope(new Uint8Array([...small, 0]), [j1.privateKey]), 'trailing', 'trailing byte');
		throwsCode(() => gd.openEnvelope(small, [outsider.privateKey]), 'not_recipient', 'wrong key');
		// the sealer refuses more or fewer bytes than declared
		const s = gd.createSeal({ recipients: [j1.publicKey], kind: 'testimony', id: gd.randomId(), text: '', attachments: [{ name: 'a', type: '', size: 3 }], keys: null });
		throwsCode(() => s.end(), 'inval', 'seal: fewer bytes than declared');
		throwsCode(() => s.write(new Uint8Array(4)), 'inval', 'seal: more bytes than declared');
		throwsCode(() => gd.createSeal({ recipients: [], kind: 'testimony', id: gd.randomId(), keys: null }), 'inval', 'seal: no recipient');
	}

	// ---- codename.json (§7) ----
	for (const v of load('codename')) {
		if (v.expect === 'success') {
			const c = gd.normaliseCodename(v.input);
			ok(c === v.canonical, `codename ${v.name}: canonical`);
			const k = await derive(c, v.newsroom_pk);
			ok(hex(k.reply_pk) === v.reply_pk && hex(k.identity_pk) === v.identity_pk && hex(k.mailbox_pk) === v.mailbox_pk && hex(k.mailbox_id) === v.mailbox_id, `codename ${v.name}: keys`);
			ok(k.reply_sk.length === 32 && k.identity_sk.length === 64 && k.mailbox_sk.length === 64, 'codename: secret key sizes');
		} else {
			const e = throwsCode(() => gd.normaliseCodename(v.input), codeOf(v.expect), `codename ${v.name}`);
			if (e && v.bad_word >= 0) ok(e.detail.position === v.bad_word + 1 && (v.suggestion === undefined || e.detail.nearest === v.suggestion), `codename ${v.name}: position, nearest`);
			if (e && v.bad_word < 0) ok(e.detail.count !== 8 && e.detail.position === undefined, `codename ${v.name}: count`);
		}
	}
	{
		const c = gd.newCodename();
		ok(c.split(' ').length === 8 && gd.normaliseCodename(c) === c, 'newCodename: 8 list words');
		const e = throwsCode(() => gd.normaliseCodename('zoom zoom zoom zoom zoom zoom zoom zoom zoom'), 'word', 'nine words');
		ok(e && e.detail.count === 9, 'nine words: count');
		const e2 = throwsCode(() => gd.normaliseCodename('zoom zoom zoom zooom zoom zoom zoom zoom zoom'), 'word', 'unknown word before a wrong count');
		ok(e2 && e2.detail.position === 4 && e2.detail.nearest === 'zoom', 'unknown word reported first');
		ok(gd.normaliseCodename('DROP-DOWN yoyo yo-yo t-shirt felt-tip zoom zoom zoom') === 'drop-down yoyo yo-yo t-shirt felt-tip zoom zoom zoom', 'hyphens belong to words');
		// the CLI's rule (gd_codename_words_in_text): 4 of the codename's words within 16 pieces
		const cn = 'zoom abacus felt-tip zoologist able ablaze abide yo-yo';
		ok(gd.codenameWordsIn('my codename is zoom abacus felttip zoologist', cn), 'words in text: 4');
		ok(!gd.codenameWordsIn('zoom abacus felt-tip', cn), 'words in text: 3');
		ok(gd.codenameWordsIn('ZoomAbacus_Zoologist-able', cn), 'words in text: chained');
		ok(!gd.codenameWordsIn('zoomed capable abacuses zoologists', cn), 'words inside longer words are not found');
		ok(!gd.codenameWordsIn('zoom ' + 'x '.repeat(20) + 'abacus ' + 'y '.repeat(20) + 'able ' + 'z '.repeat(20) + 'abide', cn), 'words in text: far apart');
		ok(gd.codenameWordsCount('yoyo zoom abacus felt tip', cn) === 3 && gd.codenameWordsCount('yoyo zoom abacus felt-tip', cn) === 4, 'words in text: count');
	}

	// ---- reply.json (§8) ----
	for (const v of load('reply')) {
		const k = await derive(gd.normaliseCodename(v.codename), v.newsroom_pk);
		// the bundle's journalists whose window holds now, in order (verifyBundle's replyKeys)
		const replyKeys = v.journalists
			.map((j, i) => ({ pk: unhex(j.pk), name: `j${i}`, older: j.verify_only, in: v.now >= j.not_before - 7200 && v.now <= j.not_after + 7200 }))
			.filter((j) => j.in);
		if (v.expect === 'success') {
			const r = gd.openReply(unhex(v.reply), replyKeys, k);
			ok(r.text === v.text && r.day === v.day && hex(r.reply_id) === v.reply_id && hex(r.mailbox_id) === v.mailbox_id, `reply ${v.name}: fields`);
			ok(r.author === `j${v.journalist}` && r.older === v.journalists[v.journalist].verify_only, `reply ${v.name}: author`);
			const t = new TextEncoder().encode(v.text);
			const pt = unhex(v.plaintext);
			ok(hex(pt.subarray(0, 40 + t.length)) === hex(r.reply_id) + hex(new Uint8Array(new Uint32Array([r.day]).buffer)) + v.mailbox_id + hex(new Uint8Array(new Uint32Array([t.length]).buffer)) + hex(t), `reply ${v.name}: plaintext`);
		} else throwsCode(() => gd.openReply(unhex(v.reply), replyKeys, k), codeOf(v.expect), `reply ${v.name}`);
	}
	{
		// a reply written here (as gd_reply_seal does) opens; forged, other mailbox, tampered refused
		const sealReply = (text, mailboxId, jsk, spk, pad) => {
			const t = new TextEncoder().encode(text);
			const pt = new Uint8Array(pad);
			pt.set(sodium.randombytes_buf(16));
			new DataView(pt.buffer).setUint32(16, 20800, true);
			pt.set(mailboxId, 20);
			new DataView(pt.buffer).setUint32(36, t.length, true);
			pt.set(t, 40);
			const nonce = sodium.randombytes_buf(24);
			return new Uint8Array([...new TextEncoder().encode('GDRP'), 1, ...nonce, ...sodium.crypto_box_easy(pt, nonce, spk, jsk)]);
		};
		const keys = [{ pk: j1.publicKey, name: 'Ana', older: false }];
		const blob = sealReply('Thank you.', source.mailbox_id, j1.privateKey, source.reply_pk, 1024);
		const r = gd.openReply(blob, keys, source);
		ok(r.text === 'Thank you.' && r.author === 'Ana' && !r.older, 'reply round trip');
		throwsCode(() => gd.openReply(sealReply('x', source.mailbox_id, outsider.privateKey, source.reply_pk, 1024), keys, source), 'forged', 'forged reply');
		throwsCode(() => gd.openReply(sealReply('x', sodium.randombytes_buf(16), j1.privateKey, source.reply_pk, 1024), keys, source), 'format', 'reply for another mailbox');
		throwsCode(() => gd.openReply(sealReply('x', source.mailbox_id, j1.privateKey, source.reply_pk, 2048), keys, source), 'format', 'reply padded past its bucket');
		const t = blob.slice();
		t[100] ^= 1;
		throwsCode(() => gd.openReply(t, keys, source), 'forged', 'tampered reply');
		throwsCode(() => gd.openReply(blob.subarray(0, 1068), keys, source), 'truncated', 'short reply');
	}

	// ---- pow.json (§9): the server's gd_pow_check, with the page's hash ----
	const powCtx = new TextEncoder().encode('ghostdrop/v1/pow-challenge\0');
	for (const v of load('pow')) {
		const ch = unhex(v.challenge);
		let got = 'success';
		const c = gd.powParse(ch);
		const mac = sodium.crypto_generichash(32, new Uint8Array([...powCtx, ...ch.subarray(0, 40)]), unhex(v.key));
		if (hex(mac) !== hex(ch.subarray(40))) got = 'pow_failure';
		else if (c.purpose !== v.purpose) got = 'purpose_failure';
		else if (v.now > c.expires) got = 'expired';
		else if (c.bits < v.min_bits || !gd.powCheck(ch, v.counter)) got = 'pow_failure';
		ok(got === v.expect, `pow ${v.name}: ${got}`);
		if (v.name === 'valid') {
			const t0 = performance.now();
			const found = gd.powSolve(ch, 0, 1, 1 << 20);
			const n = found + 1;
			const s = (performance.now() - t0) / 1000;
			ok(found >= 0 && found <= v.counter && gd.powCheck(ch, found), 'powSolve finds the first solution');
			ok(found === v.counter || !gd.powCheck(ch, v.counter) || found < v.counter, 'powSolve');
			const strided = gd.powSolve(ch, 1, 3, 1 << 20);
			ok(strided % 3 === 1 && gd.powCheck(ch, strided), 'powSolve with a stride');
			ok(gd.powSolve(ch, 0, 1, 0) === -1, 'powSolve gives up');
			ok(hex(gd.powHash(ch, v.counter)) === hex(blake2b(new Uint8Array([...new TextEncoder().encode('ghostdrop/v1/pow-work\0'), ...ch, ...new Uint8Array(new BigUint64Array([BigInt(v.counter)]).buffer)]), { dkLen: 32 })), 'powHash');
			// powSolve's own one-block BLAKE2b against powHash (noble), counters across 32 bits
			let same = 0;
			const cs = [0, 1, 255, 256, 65535, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 12345, 2 ** 53 - 1];
			for (let i = 0; i < 300; i++) cs.push(i * 7919);
			for (const c of cs) {
				const h = gd.powHash(ch, c);
				const dv = new DataView(h.buffer, h.byteOffset);
				same += gd._powFirst8(ch, c)[0] === dv.getUint32(0, true) && gd._powFirst8(ch, c)[1] === dv.getUint32(4, true);
			}
			ok(same === cs.length, 'powSolve hashes as powHash');
			const hard = ch.slice();
			hard[2] = 40; // never found in these tries: a rate
			const N = 50000,
				t1 = performance.now();
			ok(gd.powSolve(hard, 0, 1, N) === -1, 'powSolve: 40 bits not found in 50000 tries');
			const s1 = (performance.now() - t1) / 1000;
			log(`proof of work: ${N} hashes in ${s1.toFixed(2)} s (${(N / s1 / 1e6).toFixed(3)} Mhash/s a thread, JIT ${jit ? 'on' : 'off'}); the valid case: ${n} hashes`);
		}
	}

	// ---- http.json: what the page computes of those exchanges ----
	for (const v of load('http')) {
		const body = v.request.body_hex !== undefined ? unhex(v.request.body_hex) : null;
		const hashHdr = (v.request.headers.find((h) => h[0] === 'X-Ghostdrop-Hash') || [])[1];
		if (hashHdr !== undefined && body !== null)
			ok((gd.b64u.encode(gd.chunkHash(body)) === hashHdr) === (v.response.json?.error !== 'hash_mismatch'), `http ${v.name}: X-Ghostdrop-Hash`);
		if (v.root_pk !== undefined && v.response.body_hex !== undefined)
			ok(gd.verifyBundle(unhex(v.response.body_hex), unhex(v.root_pk), { now: v.now }).version >= 1, `http ${v.name}: bundle verifies`);
	}

	// ---- uploads and mailboxes (§11.3, §7.3) ----
	{
		const env = sodium.randombytes_buf(70000);
		const hashes = [gd.chunkHash(env.subarray(0, 65536)), gd.chunkHash(env.subarray(65536))];
		ok(hex(hashes[0]) === hex(sodium.crypto_generichash(32, env.subarray(0, 65536), null)), 'chunkHash is BLAKE2b-256');
		const ctx = new TextEncoder().encode('ghostdrop/v1/upload\0');
		const want = sodium.crypto_generichash(32, new Uint8Array([...ctx, ...new Uint8Array(new BigUint64Array([70000n]).buffer), ...hashes[0], ...hashes[1]]), null);
		ok(hex(gd.uploadDigest(70000, hashes)) === hex(want), 'uploadDigest');
		const ch = sodium.randombytes_buf(72);
		const sig = gd.mailboxSign(ch, source.mailbox_sk);
		ok(sodium.crypto_sign_verify_detached(sig, new Uint8Array([...new TextEncoder().encode('ghostdrop/v1/mailbox-auth\0'), ...ch]), source.mailbox_pk), 'mailboxSign');
		ok(gd.b64u.encode(gd.b64u.decode('MzMzMzMzMzMzMzMzMzMzMw', 16)) === 'MzMzMzMzMzMzMzMzMzMzMw', 'b64u');
		throwsCode(() => gd.b64u.decode('MzMzMzMzMzMzMzMzMzMzMx', 16), 'format', 'b64u: non-canonical');
		throwsCode(() => gd.b64u.decode('MzMz+zMz', 6), 'format', 'b64u: standard alphabet');
		ok(gd.pad(16384) === 16384 && gd.pad(16385) === 17408 && gd.pad(2 ** 36) === 2 ** 36 && gd.pad(1) === 16384, 'pad');
	}

	return { checks, failures, wasm };
}
