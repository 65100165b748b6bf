// ghostdrop's submission page: the drop's HTTP API (PROTOCOL.md §9, §11.3), as the CLI uses it
// (client/drop.c, upload.c, ghostdrop.c): limits, the signed bundle, proofs of work (in Web
// Workers, powworker.js), one-request submissions, resumable uploads streamed from File
// objects one chunk at a time, replies and their acknowledgement.
//
// Retry policy (client/drop.c's drop_send, one place: request()): a request is tried again,
// up to 4 attempts, 2, 4, 8 s apart, when the connection broke (once the drop answered in
// this page), when the proof of work is outdated (403 pow_outdated: a new challenge) and
// when a chunk is still arriving on another connection (503 chunk_pending). An upload's
// chunks and commit are more patient (upload.c's send_chunk): after a lost connection or a
// 503 overloaded/chunk_pending, tried again after 1, 2, 4, then every 5 s for up to 100 s,
// asking GET /v1/uploads/U first (a chunk it holds is not sent again). A drop that no longer
// knows the upload (404 upload_not_found: it restarted, or another daemon behind the onion
// address answered) gets the testimony again, sealed from the same seed under the same id
// (at most three times), so a copy it stored already is `already_stored`, never a second one.
//
// No English here: errors are ClientError with .code (the drop's JSON error code, 'network',
// 'malformed', 'file_changed', 'bundle_' + a §10 code); events carry codes and numbers.

const PATIENCE_MS = 100000; // upload.h's GD_UPLOAD_PATIENCE
const ATTEMPTS = 4; // drop.h's DROP_ATTEMPTS
const BACKOFF_MS = 1000; // DROP_BACKOFF_MS: attempt i waits BACKOFF_MS << i
const RESEALS = 3;
const DEPTH = 2; // chunks in flight at once (upload.c has SENDERS threads)
const SLICE = 8192; // proof-of-work tries between yields when solved in this thread
// What a drop's answers can make the page do: an answer is read up to 1 MiB (client/drop.c's
// largest, the mailbox's) and refused as 'malformed' beyond; a challenge of more than 40 bits
// is refused (gd.powParse: GD_POW_MAX_BITS, what the CLI accepts); max_submit is trusted up to
// server/config.c's maximum (max_submit_kb 65536: 64 MiB held in memory at most for one POST)
// and chunk_size up to its own (chunk_size_kb 16384).
const MAX_ANSWER = 1 << 20;
const MAX_SUBMIT = 64 << 20;
const MAX_CHUNK = 16 << 20;

export class ClientError extends Error {
	constructor(code, { status = 0, detail = null } = {}) {
		super(code);
		this.name = 'ClientError';
		this.code = code;
		this.status = status; // the HTTP status when the drop answered, else 0
		this.detail = detail;
	}
}

const transientStatus = (e) =>
	e.code === 'network' || (e.status === 503 && (e.code === 'chunk_pending' || e.code === 'overloaded'));

function concat(parts) {
	const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
	let o = 0;
	for (const p of parts) {
		out.set(p, o);
		o += p.length;
	}
	return out;
}

const isCount = (v, min, max) => Number.isSafeInteger(v) && v >= min && v <= max;

export function createClient({
	gd,
	base = '',
	workerUrl = new URL('./powworker.js', import.meta.url),
	threads = globalThis.navigator?.hardwareConcurrency || 2,
	fetch: fetchFn = null,
	patience = PATIENCE_MS,
	timeout = 120000,
}) {
	const doFetch = fetchFn || ((url, init) => globalThis.fetch(url, init));
	const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
	const b64 = (u8) => gd.b64u.encode(u8);
	let reached = false;
	let limitsCache = null;

	// One attempt: the parsed JSON answer (or bytes when raw) for a status in ok, else throws.
	// lost: {v} set when this POST's answer did not come back (it may have been stored).
	async function attempt(method, path, { body, headers = {}, ok = [200], raw = false, lost = null }) {
		let res, bytes;
		try {
			const init = { method, headers, credentials: 'omit', redirect: 'error', referrerPolicy: 'no-referrer' };
			if (body !== undefined)
				init.body = body;
			if (typeof AbortSignal !== 'undefined' && AbortSignal.timeout)
				init.signal = AbortSignal.timeout(timeout);
			res = await doFetch(base + path, init);
		} catch (e) {
			if (lost)
				lost.v = true;
			throw new ClientError('network', { detail: e?.cause?.code || e?.name || null });
		}
		try {
			bytes = await readCapped(res);
		} catch (e) {
			if (e instanceof ClientError)
				throw e;
			if (lost)
				lost.v = true;
			throw new ClientError('network', { detail: e?.cause?.code || e?.name || null });
		}
		reached = true;
		if (!ok.includes(res.status)) {
			let code = 'malformed';
			try {
				const o = JSON.parse(new TextDecoder().decode(bytes));
				if (typeof o?.error === 'string' && /^[a-z_]{1,64}$/.test(o.error))
					code = o.error;
			} catch {
				// not JSON: a proxy's page, say
			}
			throw new ClientError(code, { status: res.status });
		}
		if (raw)
			return bytes;
		try {
			const o = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
			if (o === null || typeof o !== 'object' || Array.isArray(o))
				throw new Error();
			return { status: res.status, ...o };
		} catch {
			throw new ClientError('malformed', { status: res.status });
		}
	}

	// An answer's bytes, at most MAX_ANSWER of them (more: 'malformed', the rest not read).
	async function readCapped(res) {
		const tooBig = () => new ClientError('malformed', { status: res.status });
		if (Number(res.headers?.get?.('content-length')) > MAX_ANSWER)
			throw tooBig();
		if (!res.body?.getReader) {
			const b = new Uint8Array(await res.arrayBuffer());
			if (b.length > MAX_ANSWER)
				throw tooBig();
			return b;
		}
		const reader = res.body.getReader(), parts = [];
		let n = 0;
		for (;;) {
			const { done, value } = await reader.read();
			if (done)
				return concat(parts);
			n += value.length;
			if (n > MAX_ANSWER) {
				reader.cancel().catch(() => {});
				throw tooBig();
			}
			parts.push(value);
		}
	}

	// One request under the retry policy. pow: {purpose, size, onProgress} makes each attempt
	// carry a new proof of work; body may be a function of the challenge's bytes (mailbox).
	async function request(method, path, opts = {}) {
		for (let i = 0; ; i++) {
			if (i > 0)
				await sleep(BACKOFF_MS << i);
			try {
				const headers = { ...(opts.headers || {}) };
				let body = opts.body;
				if (opts.pow) {
					const sol = await solvePow(opts.pow.purpose, opts.pow.size, opts.pow.onProgress);
					headers['X-Ghostdrop-PoW'] = sol;
					if (typeof body === 'function')
						body = body(gd.b64u.decode(sol.slice(0, sol.indexOf('.')), 72));
				}
				if (opts.json !== undefined || (body !== undefined && !(body instanceof Uint8Array))) {
					body = JSON.stringify(body !== undefined ? body : opts.json);
					headers['Content-Type'] = 'application/json';
				}
				return await attempt(method, path, { ...opts, headers, body });
			} catch (e) {
				if (!(e instanceof ClientError))
					throw e;
				const again = (e.code === 'network' && reached) ||
					(e.status === 403 && e.code === 'pow_outdated') ||
					(e.status === 503 && e.code === 'chunk_pending');
				if (!again || i + 1 >= ATTEMPTS)
					throw e;
			}
		}
	}

	// ---- proof of work ----

	function solveHere(ch, onProgress) {
		return new Promise((resolve) => {
			let c = 0;
			const step = () => {
				const r = gd.powSolve(ch, c, 1, SLICE);
				if (r >= 0) {
					onProgress(r - c + 1);
					resolve(r);
					return;
				}
				c += SLICE;
				onProgress(SLICE);
				setTimeout(step, 0);
			};
			step();
		});
	}

	// threads module workers, counters strided by their index; all terminated when one has
	// found. A worker that cannot start (an old browser, a page without worker-src) falls
	// back to this thread.
	function solveInWorkers(ch, n, onProgress) {
		return new Promise((resolve) => {
			const ws = [];
			let over = false;
			const stop = () => {
				over = true;
				for (const w of ws)
					w.terminate();
			};
			const failed = () => {
				if (over)
					return;
				stop();
				solveHere(ch, onProgress).then(resolve);
			};
			try {
				for (let i = 0; i < n; i++) {
					const w = new Worker(workerUrl, { type: 'module' });
					ws.push(w);
					w.onmessage = (ev) => {
						if (over)
							return;
						if (ev.data?.type === 'progress')
							onProgress(ev.data.tries);
						else if (ev.data?.type === 'found' && gd.powCheck(ch, ev.data.counter)) {
							stop();
							resolve(ev.data.counter);
						}
					};
					w.onerror = failed;
					w.postMessage({ challenge: ch, start: i, step: n });
				}
			} catch {
				failed();
			}
		});
	}

	// POST /v1/pow, then the search: 'CHALLENGE.COUNTER' for X-Ghostdrop-PoW.
	// onProgress({done, total}): hashes tried, and the expected number (2^bits).
	async function solvePow(purpose, size, onProgress = () => {}) {
		let q = `/v1/pow?purpose=${encodeURIComponent(purpose)}`;
		if (purpose === 'upload')
			q += `&size=${size}`;
		const o = await attempt('POST', q, { body: new Uint8Array(0) });
		let ch;
		try {
			ch = gd.b64u.decode(o.challenge, 72);
			gd.powParse(ch); // above 40 bits (the CLI's GD_POW_MAX_BITS): refused
		} catch {
			throw new ClientError('malformed', { status: o.status });
		}
		const total = 2 ** ch[2];
		let done = 0;
		const tick = (k) => {
			done += k;
			onProgress({ done, total });
		};
		const n = Number(threads) || 0;
		const counter = n > 0 && typeof Worker !== 'undefined' ? await solveInWorkers(ch, n, tick)
			: await solveHere(ch, tick);
		return `${o.challenge}.${counter}`;
	}

	// ---- the drop's limits and bundle ----

	async function limits() {
		if (limitsCache)
			return limitsCache;
		const o = await request('GET', '/v1/limits');
		if (!isCount(o.max_submit, 1, 2 ** 53) || !isCount(o.max_envelope, 1, 2 ** 53) ||
		    !isCount(o.chunk_size, 1024, MAX_CHUNK))
			throw new ClientError('malformed');
		// a larger envelope than MAX_SUBMIT goes through the upload API, a chunk at a time
		limitsCache = { max_submit: Math.min(o.max_submit, MAX_SUBMIT), max_envelope: o.max_envelope,
			chunk_size: o.chunk_size };
		return limitsCache;
	}

	async function bundle(rootPk) {
		const bytes = await request('GET', '/v1/bundle', { raw: true });
		let b;
		try {
			b = gd.verifyBundle(bytes, rootPk);
		} catch (e) {
			if (e instanceof gd.GdError)
				throw new ClientError(`bundle_${e.code}`, { detail: e.detail });
			throw e;
		}
		const origin = base || globalThis.location?.origin || '';
		if (!gd.bundleListsServer(b, origin))
			throw new ClientError('bundle_server');
		return b;
	}

	// ---- sending ----

	// Each file's bytes, read one piece (Blob.slice) at a time, sealed; out(ciphertext) gets
	// the envelope in order, header first. A file that changed size since it was chosen is
	// 'file_changed'.
	async function sealAll(seal, files, piece, out, onRead) {
		for (const f of files)
			for (let off = 0; off < f.blob.size; off += piece) {
				const n = Math.min(piece, f.blob.size - off);
				let u8;
				try {
					u8 = new Uint8Array(await f.blob.slice(off, off + n).arrayBuffer());
				} catch {
					throw new ClientError('file_unreadable');
				}
				if (u8.length !== n)
					throw new ClientError('file_changed');
				for (const c of seal.write(u8))
					await out(c);
				u8.fill(0);
				onRead(n);
			}
		for (const c of seal.end())
			await out(c);
	}

	async function sendOnce(seal, files, idB64, lim, onEvent, lost) {
		const parts = [];
		let read = 0;
		const total = files.reduce((n, f) => n + f.blob.size, 0);
		await sealAll(seal, files, lim.chunk_size, async (c) => { parts.push(c); }, (n) => {
			read += n;
			onEvent({ type: 'seal', done: read, total });
		});
		const body = concat(parts);
		const o = await request('POST', '/v1/submissions', {
			body,
			headers: { 'Content-Type': 'application/octet-stream', 'X-Ghostdrop-Id': idB64,
				'X-Ghostdrop-Hash': b64(gd.chunkHash(body)) },
			pow: { purpose: 'submit', onProgress: (p) => onEvent({ type: 'pow', ...p }) },
			ok: [201, 200],
			lost,
		});
		onEvent({ type: 'upload', done: body.length, total: body.length });
		return o;
	}

	// fn() under the upload's patience: tried again after 1, 2, 4, then every 5 s, up to
	// `patience` ms from the first failure, while it fails with a lost connection or a 503
	// that says retry. check() (after a lost connection): true when the drop holds the
	// work already; it fails with 'network' while the connection is still away.
	async function patiently(fn, check, ev, stop = { failed: null }) {
		let first = 0, wait = 1000, lost = false;
		for (;;) {
			let e;
			try {
				const r = await fn();
				if (lost)
					ev({ type: 'resumed' });
				return r;
			} catch (err) {
				if (!(err instanceof ClientError) || !transientStatus(err))
					throw err;
				e = err;
			}
			for (;;) {
				first = first || Date.now();
				if (Date.now() - first >= patience || stop.failed)
					throw e;
				lost = lost || e.code === 'network';
				ev({ type: 'retry', code: e.code, wait, waited: Date.now() - first, patience });
				await sleep(wait);
				wait = wait < 4000 ? wait * 2 : 5000;
				if (e.code !== 'network' || !check)
					break;
				try {
					if (await check()) {
						ev({ type: 'resumed' });
						return null;
					}
					break;
				} catch (err) {
					if (!(err instanceof ClientError) || !transientStatus(err))
						throw err;
					e = err;
				}
			}
		}
	}

	async function sendUpload(seal, files, idB64, lim, onEvent, lost) {
		const total = seal.size;
		const up = await request('POST', '/v1/uploads', {
			json: { id: idB64, size: total },
			pow: { purpose: 'upload', size: total, onProgress: (p) => onEvent({ type: 'pow', ...p }) },
			ok: [201, 200],
		});
		let ok = typeof up.upload === 'string' && isCount(up.chunk_size, 1024, 64 << 20);
		try {
			ok = ok && gd.b64u.decode(up.upload, 16).length === 16;
		} catch {
			ok = false;
		}
		if (!ok)
			throw new ClientError('malformed');
		const U = up.upload, cs = up.chunk_size, chunks = Math.ceil(total / cs);
		const status = async () => {
			const o = await attempt('GET', `/v1/uploads/${U}`, {});
			if (!Array.isArray(o.received))
				throw new ClientError('malformed');
			return o;
		};
		const hashes = [];
		let idx = 0, done = 0;
		const ev = (e) => onEvent({ ...e, done, total });
		const buf = new Uint8Array(cs);
		let fill = 0;
		// DEPTH chunks travel at once (the next one is sealed meanwhile, and a response's
		// round trip through Tor does not stall the upload); each holds its own bytes for its
		// retries; the first failure stops the others' waiting
		const inflight = [], stop = { failed: null };
		const flush = async () => {
			if (idx >= chunks)
				throw new ClientError('internal');
			const bytes = buf.subarray(0, fill), i = idx++;
			const h = gd.chunkHash(bytes);
			hashes.push(h);
			// the body is a Blob (a copy, kept for the retries): Chromium copies an ArrayBuffer
			// body on the page's thread before the request leaves, 30 to 300 ms a MiB (10 MiB
			// took 19 s, the PUTs themselves under 30 ms); a Blob's bytes it hands over as they are
			const chunk = new Blob([bytes], { type: 'application/octet-stream' });
			fill = 0;
			const p = patiently(
				() => attempt('PUT', `/v1/uploads/${U}/chunks/${i}`, {
					body: chunk,
					headers: { 'Content-Type': 'application/octet-stream', 'X-Ghostdrop-Hash': b64(h) },
					ok: [201, 200],
				}),
				async () => (await status()).received.includes(i),
				ev, stop).then(() => {
				done += chunk.size;
				onEvent({ type: 'upload', done, total });
			}, (e) => {
				stop.failed = stop.failed || e;
				throw e;
			});
			p.catch(() => {}); // awaited in order below: not an unhandled rejection meanwhile
			inflight.push(p);
			if (inflight.length >= DEPTH)
				await inflight.shift();
		};
		onEvent({ type: 'upload', done: 0, total });
		try {
			await sealAll(seal, files, cs, async (c) => {
				if (stop.failed)
					throw stop.failed;
				for (let o = 0; o < c.length;) {
					const n = Math.min(cs - fill, c.length - o);
					buf.set(c.subarray(o, o + n), fill);
					fill += n;
					o += n;
					if (fill === cs)
						await flush();
				}
			}, () => {});
			if (fill > 0)
				await flush();
			while (inflight.length > 0)
				await inflight.shift();
		} catch (e) {
			stop.failed = stop.failed || e;
			await Promise.allSettled(inflight); // nothing of this upload goes on behind the next
			throw e;
		} finally {
			buf.fill(0);
		}
		if (idx !== chunks || done !== total)
			throw new ClientError('internal');
		const digest = b64(gd.uploadDigest(total, hashes));
		onEvent({ type: 'commit', done, total });
		let o = null;
		while (o === null)
			o = await patiently(() => attempt('POST', `/v1/uploads/${U}/commit`, {
				body: JSON.stringify({ hash: digest }),
				headers: { 'Content-Type': 'application/json' },
				ok: [201, 200],
				lost,
			}), null, ev);
		return o;
	}

	// One testimony or follow-up: {id, status: 'stored' | 'already_stored'}. id (16 bytes) and
	// seed (32) given: those of an earlier send whose answer was lost (its error had
	// mayHaveArrived), so the same inputs seal to the same bytes and a copy the drop stored
	// is already_stored, not a second testimony; the caller's seed is not wiped here.
	// An error after a submission's POST or an upload's commit left without its answer has
	// .mayHaveArrived = true: the drop may hold the testimony.
	async function send({ bundle: b, text = '', files = [], keys = null, kind = 'testimony', onEvent = () => {},
		id: givenId = null, seed: givenSeed = null }) {
		const lim = await limits();
		if ((givenId !== null && !(givenId instanceof Uint8Array && givenId.length === 16)) ||
		    (givenSeed !== null && !(givenSeed instanceof Uint8Array && givenSeed.length === 32)))
			throw new ClientError('internal');
		const id = givenId !== null ? Uint8Array.from(givenId) : gd.randomId();
		const idB64 = b64(id);
		const seed = new Uint8Array(32);
		if (givenSeed !== null)
			seed.set(givenSeed);
		else
			globalThis.crypto.getRandomValues(seed);
		const lost = { v: false };
		if (!files.every((f) => f.blob instanceof Blob))
			throw new ClientError('file_refused'); // strip.js refused it (damaged): never sent
		const attachments = files.map((f) => ({ name: f.name, type: f.type, size: f.blob.size }));
		const seal = () => gd.createSeal({ recipients: b.recipients, kind, id, text, attachments, keys, seed });
		try {
			let s = seal();
			if (s.size > lim.max_envelope)
				throw new ClientError('envelope_too_large');
			let o;
			if (s.size <= lim.max_submit) {
				o = await sendOnce(s, files, idB64, lim, onEvent, lost);
			} else {
				for (let round = 0; ; round++) {
					try {
						o = await sendUpload(s, files, idB64, lim, onEvent, lost);
						break;
					} catch (e) {
						if (!(e instanceof ClientError) || e.code !== 'upload_not_found' || round >= RESEALS)
							throw e;
						onEvent({ type: 'retry', code: e.code, done: 0, total: s.size });
						s = seal(); // the same seed and id: the same bytes again
					}
				}
			}
			if (o.status !== 'stored' && o.status !== 'already_stored')
				throw new ClientError('malformed');
			return { id: idB64, status: o.status };
		} catch (e) {
			if (lost.v && e instanceof ClientError)
				e.mayHaveArrived = true;
			throw e;
		} finally {
			seed.fill(0);
		}
	}

	// ---- replies ----

	const mailboxBody = (keys, extra) => (ch) => ({
		mailbox_pk: b64(keys.mailbox_pk),
		signature: b64(gd.mailboxSign(ch, keys.mailbox_sk)),
		...extra,
	});

	// Every page of the mailbox: the replies that verify (§8) and the number that do not;
	// ids: every id read (junk included), for ack.
	async function replies(keys, b, onEvent = () => {}) {
		const out = [], ids = [];
		let forged = 0, cursor = null;
		for (let page = 0; page < 10000; page++) {
			const o = await request('POST', '/v1/mailbox/fetch', {
				body: mailboxBody(keys, cursor ? { cursor } : {}),
				pow: { purpose: 'mailbox', onProgress: (p) => onEvent({ type: 'pow', ...p }) },
			});
			if (!Array.isArray(o.replies) || (o.next !== undefined && typeof o.next !== 'string'))
				throw new ClientError('malformed');
			for (const r of o.replies) {
				if (typeof r?.id !== 'string') {
					forged++;
					continue;
				}
				ids.push(r.id);
				try {
					const m = gd.openReply(gd.b64u.decode(r.reply), b.replyKeys, keys);
					out.push({ id: r.id, text: m.text, author: m.author, older: m.older, day: m.day });
				} catch (e) {
					if (!(e instanceof gd.GdError))
						throw e;
					forged++;
				}
			}
			if (!o.next || o.replies.length === 0)
				break;
			cursor = o.next;
		}
		return { replies: out, forged, ids };
	}

	// Delete the replies read (at most 100 ids a request): the number deleted.
	async function ack(keys, ids, onEvent = () => {}) {
		let deleted = 0;
		for (let i = 0; i < ids.length; i += 100) {
			const o = await request('POST', '/v1/mailbox/ack', {
				body: mailboxBody(keys, { ids: ids.slice(i, i + 100) }),
				pow: { purpose: 'mailbox', onProgress: (p) => onEvent({ type: 'pow', ...p }) },
			});
			deleted += Number.isSafeInteger(o.deleted) ? o.deleted : 0;
		}
		return deleted;
	}

	return { limits, bundle, send, solvePow, replies, ack };
}
