// The page's HTTP client (web/src/client.js) from Node against a real ghostdropd, opened by the
// real desk: node --noexpose_wasm client.mjs BUILD_DIR WORDLIST
// - a text testimony with a new codename, in one request;
// - a 3 MiB attachment through the upload API (64 KiB chunks), with one PUT failing before it
//   left, one whose answer was lost after the drop stored it (the client asks GET /v1/uploads/U
//   and does not send it again), and a commit whose answer is lost and then the upload
//   forgotten (404 upload_not_found): sealed again from the same seed under the same id, so
//   the drop answers already_stored (another byte would be id_conflict), never a second copy;
// - the desk fetches and opens both, byte-identical; Ana's reply read with client.replies, a
//   tampered reply counted as forged; ack deletes both; a follow-up reaches the same source.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createRequire } from 'node:module';
import { webcrypto } from 'node:crypto';
import { Drop, SRC, check, fail, log, run, runProc } from './harness.mjs';
import { createProto } from '../../web/src/gdproto.js';
import { createClient, ClientError } from '../../web/src/client.js';
import { cleanFile } from '../../web/src/strip.js';
import { argon2idAsync } from '../../web/node_modules/@noble/hashes/argon2.js';
import { blake2b } from '../../web/node_modules/@noble/hashes/blake2.js';

// libsodium.js first tries WebAssembly and, without it, rejects a promise nobody awaits before
// falling back to its JavaScript module: harmless in a browser, fatal in Node (as vectors.mjs).
process.on('unhandledRejection', (e) => {
	if (String(e).includes('WebAssembly'))
		return;
	console.error('unhandled rejection:', e);
	process.exit(1);
});

async function proto(wordlist) {
	const sodium = createRequire(path.join(SRC, 'web', 'package.json'))('libsodium-wrappers-sumo');
	await sodium.ready;
	const words = fs.readFileSync(wordlist, 'ascii').split('\n').filter(Boolean).map((l) => l.split('\t')[1]);
	const gd = createProto({ sodium, argon2idAsync, blake2b, words });
	gd.__test = { sodium };
	return gd;
}

// Node's fetch parses HTTP with llhttp in WebAssembly, which --noexpose_wasm takes away: the
// page's fetch here is this small one on node:http (what client.js uses of it: method,
// headers, a body of bytes or a string; status and arrayBuffer). A broken connection is a
// TypeError, as fetch's.
async function httpFetch(url, init = {}) {
	if (init.body instanceof Blob) // client.js sends upload chunks as Blobs
		init = { ...init, body: new Uint8Array(await init.body.arrayBuffer()) };
	return new Promise((resolve, reject) => {
		const body = init.body === undefined ? null : typeof init.body === 'string' ? Buffer.from(init.body) : Buffer.from(init.body.buffer, init.body.byteOffset, init.body.byteLength);
		const req = http.request(url, { method: init.method || 'GET', headers: { ...(init.headers || {}), 'Content-Length': body ? body.length : 0 }, agent }, (res) => {
			const parts = [];
			res.on('data', (d) => parts.push(d));
			res.on('end', () => {
				const b = Buffer.concat(parts);
				resolve({ status: res.statusCode, arrayBuffer: async () => b.buffer.slice(b.byteOffset, b.byteOffset + b.length) });
			});
			res.on('error', () => reject(new TypeError('fetch failed')));
		});
		req.on('error', () => reject(new TypeError('fetch failed')));
		req.setTimeout(60000, () => req.destroy());
		req.end(body);
	});
}
const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

const json = (status, o) => ({ status, arrayBuffer: async () => new TextEncoder().encode(JSON.stringify(o)).buffer });

run('client', async (build, [wordlist]) => {
	check(wordlist && fs.existsSync(wordlist), 'usage: client.mjs BUILD_DIR WORDLIST');
	if (!globalThis.crypto)
		globalThis.crypto = webcrypto;
	const gd = await proto(wordlist);
	const d = await Drop.start(build, { conf: { chunk_size_kb: 64, max_submit_kb: 64, pow_min_bits: 6, pow_max_bits: 10 } });
	const rootPk = gd.parseNewsroomKey(d.newsroom);

	// every request seen, and the faults to inject: a function of (method, path, n-th time)
	const seen = [];
	let fault = null;
	let putsNow = 0, putsMax = 0; // chunks in flight at once
	// a chunk's body as bytes, not a Blob: Chromium copies an ArrayBuffer body on the page's
	// thread (30 to 300 ms a MiB, 10 MiB took 19 s in bench/web-page.mjs), a Blob's it does not
	let putsBytes = 0;
	const fetchThrough = async (url, init) => {
		const p = new URL(url).pathname;
		const k = `${init.method} ${p}`;
		const nth = seen.filter((s) => s === k).length;
		seen.push(k);
		const f = fault && fault(init.method, p, nth);
		if (f === 'before')
			throw new TypeError('fetch failed (injected: the connection broke before the request left)');
		const put = init.method === 'PUT';
		putsBytes += put && !(init.body instanceof Blob);
		putsNow += put;
		putsMax = Math.max(putsMax, putsNow);
		const res = await httpFetch(url, init).finally(() => { putsNow -= put; });
		if (f === 'after') {
			await res.arrayBuffer();
			throw new TypeError('fetch failed (injected: the answer was lost)');
		}
		if (f === 'gone') {
			await res.arrayBuffer();
			return json(404, { error: 'upload_not_found', message: 'injected' });
		}
		return res;
	};
	const client = createClient({ gd, base: d.url, threads: 0, fetch: fetchThrough });

	// the bundle: verified, and refused for another address or another newsroom key
	const lim = await client.limits();
	
	check(lim.chunk_size === 65536 && lim.max_submit === 65536, `limits ${JSON.stringify(lim)}`);
	const b = await client.bundle(rootPk);
	check(b.recipients.length === 1 && b.servers.includes(d.url), 'the bundle');
	const elsewhere = createClient({ gd, base: 'http://drop.example', threads: 0,
		fetch: (u, init) => httpFetch(u.replace('http://drop.example', d.url), init) });
	for (const [c, key, want] of [[elsewhere, rootPk, 'bundle_server'],
		[client, new Uint8Array(32).fill(9), 'bundle_signature']]) {
		const e = await c.bundle(key).then(() => null, (x) => x);
		check(e instanceof ClientError && e.code === want, `bundle refused: ${e && e.code}, not ${want}`);
	}

	// a source's keys as §7.3 makes them from a codename, from random seeds instead of
	// Argon2id's (tests/web/vectors.mjs checks the derivation; here it would be 10-25 s of
	// this machine for nothing the drop or the desk can tell apart)
	const { sodium } = gd.__test;
	const reply = sodium.crypto_box_seed_keypair(sodium.randombytes_buf(32));
	const identity = sodium.crypto_sign_seed_keypair(sodium.randombytes_buf(32));
	const mailbox = sodium.crypto_sign_seed_keypair(sodium.randombytes_buf(32));
	const keys = { reply_pk: reply.publicKey, reply_sk: reply.privateKey, identity_pk: identity.publicKey,
		identity_sk: identity.privateKey, mailbox_pk: mailbox.publicKey, mailbox_sk: mailbox.privateKey,
		mailbox_id: sodium.crypto_generichash(16, new Uint8Array([...new TextEncoder().encode('ghostdrop/v1/mailbox-id'), 0, ...mailbox.publicKey]), null) };

	// 1. a text testimony, in one request
	const text = 'We label 400 images an hour and are paid for 6 of our 9 hours. ✓';
	const events = [];
	const r1 = await client.send({ bundle: b, text, keys, onEvent: (e) => events.push(e) });
	check(r1.status === 'stored', `text: ${JSON.stringify(r1)}`);
	check(seen.includes('POST /v1/submissions') && !seen.includes('POST /v1/uploads'), 'one request');
	check(events.some((e) => e.type === 'pow'), 'pow events');

	// 2. 3 MiB through the upload API, with a connection lost twice and an upload forgotten
	const big = new Uint8Array(3 << 20);
	for (let o = 0; o < big.length; o += 65536)
		webcrypto.getRandomValues(big.subarray(o, o + 65536));
	// the file is only ever read one upload chunk at a time (Blob.slice), never whole
	const sliced = [];
	class File1 extends Blob {
		slice(a, b) {
			sliced.push(b - a);
			return super.slice(a, b);
		}
		arrayBuffer() { fail('the whole file read at once'); }
		stream() { fail('the whole file streamed at once'); }
		text() { fail('the whole file read at once'); }
	}
	const att = await cleanFile(new File1([big]), 'minutes.bin', 0);
	check(att.kind === 'other' && att.name === 'attachment-1', `cleanFile: ${att.kind} ${att.name}`);
	let commits = 0;
	const fired = new Set(); // each fault once, in the first upload only
	const once = (what) => !fired.has(what) && fired.add(what);
	fault = (method, p) => {
		if (method === 'PUT' && p.endsWith('/chunks/3') && once('3'))
			return 'before';
		if (method === 'PUT' && p.endsWith('/chunks/7') && once('7'))
			return 'after';
		if (method === 'POST' && p.endsWith('/commit') && commits++ === 0)
			return 'gone'; // stored by the drop, then an answer that says it forgot the upload
		return null;
	};
	seen.length = 0;
	events.length = 0;
	const t0 = Date.now();
	const r2 = await client.send({ bundle: b, text: 'the minutes, attached', files: [{ blob: att.blob, name: att.name, type: att.type }],
		keys: null, onEvent: (e) => events.push(e) });
	log(`3 MiB sent in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${r2.status}`);
	fault = null;
	check(r2.status === 'already_stored', `re-sealed from the same seed: ${JSON.stringify(r2)}`);
	const count = (k) => seen.filter((s) => s.startsWith(k)).length;
	const creates = count('POST /v1/uploads') - count('POST /v1/uploads/');
	check(creates === 2, `two uploads (the second after upload_not_found): ${creates}`);
	const puts = (i) => seen.filter((s) => s.startsWith('PUT ') && s.endsWith(`/chunks/${i}`)).length;
	check(puts(3) === 3, `chunk 3: failed once, sent again, then once in the re-sealed upload: ${puts(3)}`);
	check(puts(7) === 2, `chunk 7: stored, answer lost, not sent again (GET said so): ${puts(7)}`);
	check(sliced.length > 96 && Math.max(...sliced) <= 65536, `read in slices of at most a chunk: ${sliced.length}, ${Math.max(...sliced)}`);
	check(putsMax === 2, `two chunks in flight at once, never more: ${putsMax}`);
	check(putsBytes === 0, `every chunk's body a Blob: ${putsBytes} were bytes`);
	check(count('GET /v1/uploads/') >= 2, 'GET /v1/uploads/U after each lost connection');
	for (const t of ['retry', 'resumed', 'upload', 'commit', 'pow'])
		check(events.some((e) => e.type === t), `a ${t} event`);
	const up = events.filter((e) => e.type === 'upload');
	check(up.at(-1).done === up.at(-1).total && up.at(-1).total > big.length, 'upload progress to the end');

	// 3. the desk opens both, byte-identical
	const opened = await d.fetchAndOpen('batch1');
	check(opened.subs.length === 2, `two submissions at the desk, not three: ${opened.subs.length}`);
	const s1 = opened.subs.find((s) => s.message && s.message.toString() === text);
	check(s1, 'the text testimony opened');
	const s2 = opened.subs.find((s) => Object.values(s.files).some((f) => f.length === big.length));
	check(s2, 'the attachment opened');
	const got = Object.entries(s2.files).find(([, f]) => f.length === big.length);
	check(Buffer.from(big).equals(got[1]), 'the attachment byte-identical');
	check(got[0].startsWith('attachment-1'), `its name: ${got[0]}`);
	check(s2.manifest.attachments[0].name === 'attachment-1', 'manifest name');

	// 4. replies: Ana's, and a tampered one (forged)
	const gdr = await d.reply(s1.source, 'Thank you. Could we talk about the idle time?');
	const o = JSON.parse(fs.readFileSync(gdr, 'utf8'));
	const blob = gd.b64u.decode(o.reply);
	blob[blob.length - 20] ^= 1;
	const bad = gdr.replace(/\.gdr$/, '-tampered.gdr');
	fs.writeFileSync(bad, JSON.stringify({ mailbox_id: o.mailbox_id, reply: gd.b64u.encode(blob) }));
	await runProc(d.deskBin, ['push', '--server', d.url, '--token-file', d.tokenFile, '--clearnet', bad]);
	const rep = await client.replies(keys, b);
	check(rep.replies.length === 1 && rep.forged === 1 && rep.ids.length === 2,
		`replies: ${rep.replies.length} good, ${rep.forged} forged, ${rep.ids.length} ids`);
	check(rep.replies[0].text === 'Thank you. Could we talk about the idle time?' && rep.replies[0].author === 'Ana',
		`the reply: ${JSON.stringify(rep.replies[0])}`);
	check((await client.ack(keys, rep.ids)) === 2, 'ack deleted both');
	const after = await client.replies(keys, b);
	check(after.replies.length === 0 && after.forged === 0, 'the mailbox empty after ack');

	// 5. a follow-up with the codename reaches the same source at the desk
	const r3 = await client.send({ bundle: b, text: 'A follow-up: yes, Tuesday.', keys, kind: 'followup' });
	check(r3.status === 'stored', 'follow-up');
	const opened2 = await d.fetchAndOpen('batch2');
	const s3 = opened2.subs.find((s) => s.message && s.message.toString() === 'A follow-up: yes, Tuesday.');
	check(s3 && s3.source === s1.source, `the follow-up's source: ${s3 && s3.source} vs ${s1.source}`);

	// 6. the drop's error codes come through as ClientError codes
	const e = await client.send({ bundle: b, text: 'x'.repeat(10), keys, kind: 'followup',
		files: [{ blob: new Blob([new Uint8Array(10)]), name: 'a', type: '' }] }).then(() => null, (x) => x);
	check(e === null, `a small follow-up with a file: ${e && e.code}`);
	const c2 = createClient({ gd, base: d.url, threads: 0, fetch: async (u, init) => {
		if (init.method === 'POST' && new URL(u).pathname === '/v1/submissions')
			return json(507, { error: 'storage_full', message: 'injected' });
		return httpFetch(u, init);
	} });
	const full = await c2.send({ bundle: b, text: 'x', keys: null }).then(() => null, (x) => x);
	check(full instanceof ClientError && full.code === 'storage_full' && full.status === 507, `storage_full: ${full && full.code}`);

	// 7. pow_outdated: a new challenge, and the same request again
	seen.length = 0;
	let outdated = 0;
	const c3 = createClient({ gd, base: d.url, threads: 0, fetch: async (u, init) => {
		if (init.method === 'POST' && new URL(u).pathname === '/v1/submissions' && outdated++ === 0)
			return json(403, { error: 'pow_outdated', message: 'injected' });
		return fetchThrough(u, init);
	} });
	check((await c3.send({ bundle: b, text: 'after pow_outdated', keys: null })).status === 'stored', 'after pow_outdated');
	check(outdated === 2 && seen.filter((s) => s === 'POST /v1/pow').length === 2, `pow_outdated: a second challenge (${outdated})`);

	// a connection lost while asking for a challenge: asked again (drop.c's policy)
	let powLost = 0;
	const c4 = createClient({ gd, base: d.url, threads: 0, fetch: async (u, init) => {
		if (new URL(u).pathname === '/v1/pow' && powLost++ === 0)
			throw new TypeError('fetch failed (injected)');
		return httpFetch(u, init);
	} });
	check((await c4.send({ bundle: b, text: 'after a lost challenge', keys: null })).status === 'stored', 'after a lost challenge');
	check(powLost === 2, `the challenge asked again: ${powLost}`);
	const damaged = await c4.send({ bundle: b, text: 'x', keys: null, files: [{ blob: null, name: 'attachment-1.jpg', type: 'image/jpeg' }] })
		.then(() => null, (x) => x);
	check(damaged instanceof ClientError && damaged.code === 'file_refused', 'a file strip.js refused is not sent');

	// 7b. the answer to POST /v1/submissions lost after the drop stored it, every time: the
	// error says it may have arrived; the same inputs sent again with the same id and seed are
	// already_stored, and the desk gets one testimony
	check(!full.mayHaveArrived, 'an answered refusal is not mayHaveArrived');
	const lostText = 'stored, but its answer lost';
	const id7 = gd.randomId(), seed7 = new Uint8Array(32);
	globalThis.crypto.getRandomValues(seed7);
	const c7 = createClient({ gd, base: d.url, threads: 0, fetch: async (u, init) => {
		const res = await httpFetch(u, init);
		if (init.method === 'POST' && new URL(u).pathname === '/v1/submissions') {
			await res.arrayBuffer();
			throw new TypeError('fetch failed (injected: the answer was lost)');
		}
		return res;
	} });
	const lostErr = await c7.send({ bundle: b, text: lostText, keys, kind: 'followup', id: id7, seed: seed7 })
		.then(() => null, (x) => x);
	check(lostErr instanceof ClientError && lostErr.code === 'network' && lostErr.mayHaveArrived === true,
		`lost answer: ${lostErr && lostErr.code}, mayHaveArrived ${lostErr && lostErr.mayHaveArrived}`);
	check(seed7.some((x) => x !== 0), 'the caller\'s seed is left to the caller');
	const again7 = await client.send({ bundle: b, text: lostText, keys, kind: 'followup', id: id7, seed: seed7 });
	check(again7.status === 'already_stored' && again7.id === gd.b64u.encode(id7), `sent again: ${again7.status}`);
	const opened3 = await d.fetchAndOpen('batch3');
	const n7 = opened3.subs.filter((s) => s.message && s.message.toString() === lostText).length;
	check(n7 === 1, `one copy of the lost-answer testimony at the desk: ${n7}`);

	// 7c. a hostile drop's answers: more than 1 MiB, a challenge above the CLI's 40 bits, a
	// max_submit above server/config.c's maximum (64 MiB)
	const hostile = (over) => createClient({ gd, base: d.url, threads: 0, fetch: async (u, init) => {
		const r = over(new URL(u).pathname);
		return r || httpFetch(u, init);
	} });
	const huge = await hostile((p) => p === '/v1/limits' && json(200, { max_submit: 70000, max_envelope: 1 << 30,
		chunk_size: 65536, pad: 'x'.repeat((1 << 20) + 1) })).limits().then(() => null, (x) => x);
	check(huge instanceof ClientError && huge.code === 'malformed', `an answer over 1 MiB: ${huge && huge.code}`);
	const bigLim = await hostile((p) => p === '/v1/limits' && json(200, { max_submit: 2 ** 40, max_envelope: 2 ** 41,
		chunk_size: 65536 })).limits();
	check(bigLim.max_submit === 64 << 20, `max_submit trusted up to 64 MiB: ${bigLim.max_submit}`);
	const ch41 = new Uint8Array(72);
	ch41.set([1, 1, 41]);
	const pow41 = await hostile((p) => p === '/v1/pow' && json(200, { challenge: gd.b64u.encode(ch41) }))
		.solvePow('submit', 0).then(() => null, (x) => x);
	check(pow41 instanceof ClientError && pow41.code === 'malformed', `a 41-bit challenge: ${pow41 && pow41.code}`);

	// 8. powworker.js as the page's Web Workers run it (here a stand-in Worker that runs the
	// module in this thread): strided counters, every worker terminated, the drop accepts it
	const dir = fs.mkdtempSync(path.join(d.dir, 'powworker-'));
	for (const f of ['powworker.js', 'gdproto.js'])
		fs.copyFileSync(path.join(SRC, 'web', 'src', f), path.join(dir, f));
	fs.mkdirSync(path.join(dir, 'vendor'));
	fs.symlinkSync(path.join(SRC, 'web', 'node_modules', '@noble', 'hashes'), path.join(dir, 'vendor', 'noble'));
	globalThis.self = { onmessage: null, postMessage: null };
	await import(path.join(dir, 'powworker.js'));
	const made = [];
	globalThis.Worker = class {
		constructor(url, opts) {
			check(String(url).endsWith('/powworker.js') && opts?.type === 'module', `new Worker(${url})`);
			made.push(this);
		}
		postMessage(m) {
			setTimeout(() => {
				if (this.dead)
					return;
				this.start = m.start;
				this.step = m.step;
				self.postMessage = (r) => this.dead || this.onmessage({ data: r });
				self.onmessage({ data: m });
			}, 0);
		}
		terminate() {
			this.dead = true;
		}
	};
	try {
		const cw = createClient({ gd, base: d.url, threads: 3, fetch: httpFetch });
		let tries = 0;
		const sol = await cw.solvePow('submit', 0, (p) => { tries = p.done; });
		const [chB64, ctr] = sol.split('.');
		check(gd.powCheck(gd.b64u.decode(chB64, 72), Number(ctr)), 'the workers\' solution checks');
		check(made.length === 3 && made.every((w) => w.dead), 'three workers, all terminated');
		check(made[0].step === 3 && Number(ctr) % 3 === made[0].start, 'counters strided by the worker index');
		check(tries > 0, 'progress from the workers');
		made.length = 0;
		check((await cw.send({ bundle: b, text: 'with the workers\' proof', keys: null })).status === 'stored', 'sent with the workers');
	} finally {
		delete globalThis.Worker;
	}
	if (!d.log().includes('serving'))
		fail('the drop log');
}, { timeoutS: 240 });
