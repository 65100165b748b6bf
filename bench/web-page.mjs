// The submission page's figures (issue 17): its weight on the wire (each file the drop serves
// for it, gzip and identity), the time to seal and upload 10 MiB from the page in Chromium
// without WebAssembly against `ghostdrop submit` of the same file to the same drop, and the
// time the page takes to derive a codename's keys (Argon2id, 256 MiB, t=3, in JavaScript).
// Medians over --runs runs. Everything on 127.0.0.1, stopped at the end.
//
//   node bench/web-page.mjs BUILD_DIR [--runs N] [--mib M] [--safer-runs K] [--piece-kib P]
//   GD_BENCH_PARTS_ONLY=1 node bench/web-page.mjs BUILD_DIR   (only sealing and hashing)
//
// Chromium runs in two modes (tests/web/harness.mjs): 'nowasm' (the JIT on, WebAssembly
// removed from the page and refused by its CSP) and 'safer' (--js-flags=--jitless: no JIT and
// no WebAssembly at all, as Tor Browser's Safer level, which also turns the JIT off).
// --safer-runs 0 leaves the Safer figures out (its derivation alone takes minutes).
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import * as h from '../tests/web/harness.mjs';

const { check, log } = h;
const argv = process.argv.slice(3);
const opt = (name, dflt) => {
	const i = argv.indexOf(name);
	return i >= 0 ? Number(argv[i + 1]) : dflt;
};
const PIECE = opt('--piece-kib', 64) * 1024;
const RUNS = opt('--runs', 3), MIB = opt('--mib', 10), SAFER_RUNS = opt('--safer-runs', 1);
const ASSETS = ['app.js', 'gdproto.js', 'client.js', 'strings.js', 'strip.js', 'powworker.js',
	'kdfworker.js', 'style.css', 'wordlist.js', 'vendor/libsodium-sumo.js',
	'vendor/libsodium-wrappers.js', 'vendor/noble/argon2.js', 'vendor/noble/blake2.js',
	'vendor/noble/_blake.js', 'vendor/noble/_md.js', 'vendor/noble/_u64.js',
	'vendor/noble/utils.js'];

const median = (a) => {
	const s = [...a].sort((x, y) => x - y);
	return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const f1 = (x) => x.toFixed(1), f2 = (x) => x.toFixed(2);

/* bytes of a response on the wire: the status line and headers as sent, and the body */
function wire(url, gzip) {
	return new Promise((resolve, reject) => {
		const headers = gzip ? { 'accept-encoding': 'gzip' } : {};
		http.get(url, { headers }, (res) => {
			let head = `HTTP/1.1 ${res.statusCode} ${res.statusMessage}\r\n`;
			for (let i = 0; i < res.rawHeaders.length; i += 2)
				head += `${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}\r\n`;
			let body = 0;
			res.on('data', (c) => (body += c.length));
			res.on('end', () => resolve({ status: res.statusCode, head: head.length + 2, body,
				enc: res.headers['content-encoding'] || 'identity' }));
		}).on('error', reject);
	});
}

async function weight(d) {
	const page = await wire(d.url + '/', false);
	const html = await (await fetch(d.url + '/')).text();
	const version = html.match(/\/s\/([^/]+)\/app\.js/)[1];
	const rows = [];
	for (const name of ['/', ...ASSETS.map((a) => `/s/${version}/${a}`)]) {
		const id = await wire(d.url + name, false), gz = await wire(d.url + name, true);
		check(id.status === 200 && gz.status === 200 && gz.enc === 'gzip', `${name}: not served`);
		rows.push({ name: name === '/' ? '/ (index.html)' : name.replace(`/s/${version}/`, ''),
			id: id.body, gz: gz.body, head: gz.head });
	}
	check(page.status === 200, 'no page');
	const total = (k) => rows.reduce((s, r) => s + r[k], 0);
	console.log('\n| file | identity, bytes | gzip, bytes |\n|---|---:|---:|');
	for (const r of rows)
		console.log(`| ${r.name} | ${r.id} | ${r.gz} |`);
	console.log(`| **total bodies** | **${total('id')}** | **${total('gz')}** |`);
	console.log(`| headers, ${rows.length} responses | ${total('head')} | ${total('head')} |`);
	console.log(`\nOn the wire, gzip, everything the page loads: ${f1((total('gz') + total('head')) /
		1024)} KiB (${f1((total('id') + total('head')) / 1024)} KiB without gzip).`);
	return version;
}

/* One no-reply submission of FILE from the page: seconds from #send to "sent". */
async function pageSend(browser, d, file) {
	const page = await h.newPage(browser);
	await h.openPage(page, d.url + '/');
	await page.waitForFunction(() => !document.getElementById('modes').hidden,
		{ timeout: 120000 });
	await page.$eval('#testimony', (e) => {
		e.value = 'the benchmark';
		e.dispatchEvent(new Event('input', { bubbles: true }));
	});
	await (await page.$('#attachments')).uploadFile(file);
	await page.waitForSelector('#keep-1', { timeout: 60000 });
	await page.click('#keep-1');
	await page.click('#no-reply');
	const t0 = performance.now();
	await page.click('#send');
	await page.waitForFunction(() => {
		const s = document.getElementById('status');
		return s.className.includes('ok') || s.className.includes('error');
	}, { timeout: 1800000, polling: 100 });
	const secs = (performance.now() - t0) / 1000;
	const st = await page.$eval('#status', (e) => [e.className, e.textContent]);
	check(st[0].includes('ok'), `the page did not send: ${st[1]}`);
	await page.close();
	return secs;
}

async function cliSend(d, file) {
	const msg = path.join(d.dir, 'bench-msg.txt');
	fs.writeFileSync(msg, 'the benchmark\n');
	const t0 = performance.now();
	await h.runProc(d.gdBin, ['submit', '--server', d.url, '--newsroom', d.newsroom, '--clearnet',
		'--no-reply', '--keep-metadata', file, '--message-file', msg, file], { timeoutS: 600 });
	return (performance.now() - t0) / 1000;
}

/* The page's own code deriving a codename's keys: seconds. */
async function derive(browser, d, version) {
	const page = await h.newPage(browser);
	await h.openPage(page, d.url + '/');
	await page.waitForFunction(() => !document.getElementById('modes').hidden,
		{ timeout: 120000 });
	const secs = await page.evaluate(async (v) => {
		const base = `/s/${v}/`;
		const [proto, wl, argon2, blake2] = await Promise.all([import(base + 'gdproto.js'),
			import(base + 'wordlist.js'), import(base + 'vendor/noble/argon2.js'),
			import(base + 'vendor/noble/blake2.js')]);
		const gd = proto.createProto({ sodium: window.sodium, argon2idAsync: argon2.argon2idAsync,
			blake2b: blake2.blake2b, words: wl.WORDS });
		const meta = document.querySelector('meta[name="ghostdrop-newsroom"]').content;
		const root = gd.parseNewsroomKey(meta);
		const code = gd.normaliseCodename(gd.newCodename());
		const t0 = performance.now();
		await gd.deriveCodename(code, root, () => {});
		return (performance.now() - t0) / 1000;
	}, version);
	await page.close();
	return secs;
}

/* Where the page's time goes: sealing MIB MiB alone (the envelope's stream encryption, in
 * 64 KiB writes, no network) and hashing it in upload chunks (BLAKE2b-256 per 1 MiB, noble). */
async function parts(browser, d, version) {
	const page = await h.newPage(browser);
	await h.openPage(page, d.url + '/');
	await page.waitForFunction(() => !document.getElementById('modes').hidden,
		{ timeout: 120000 });
	const r = await page.evaluate(async (v, mib, PIECE) => {
		const base = `/s/${v}/`;
		const [proto, wl, argon2, blake2] = await Promise.all([import(base + 'gdproto.js'),
			import(base + 'wordlist.js'), import(base + 'vendor/noble/argon2.js'),
			import(base + 'vendor/noble/blake2.js')]);
		const gd = proto.createProto({ sodium: window.sodium, argon2idAsync: argon2.argon2idAsync,
			blake2b: blake2.blake2b, words: wl.WORDS });
		const root = gd.parseNewsroomKey(
			document.querySelector('meta[name="ghostdrop-newsroom"]').content);
		const b = gd.verifyBundle(new Uint8Array(await (await fetch('/v1/bundle')).arrayBuffer()),
			root);
		const size = mib << 20, piece = new Uint8Array(PIECE);
		for (let i = 0; i < piece.length; i += 65536)
			crypto.getRandomValues(piece.subarray(i, i + 65536));
		let t0 = performance.now();
		const seal = gd.createSeal({ recipients: b.recipients, kind: 'testimony',
			id: gd.randomId(), text: 'the benchmark', keys: null,
			attachments: [{ name: 'attachment-1.bin', type: 'application/octet-stream', size }] });
		let out = 0;
		for (let i = 0; i < size; i += piece.length)
			for (const c of seal.write(piece))
				out += c.length;
		for (const c of seal.end())
			out += c.length;
		const sealS = (performance.now() - t0) / 1000;
		const chunk = new Uint8Array(1 << 20);
		t0 = performance.now();
		for (let i = 0; i < mib; i++)
			gd.chunkHash(chunk);
		return { sealS, out, hashS: (performance.now() - t0) / 1000 };
	}, version, MIB, PIECE);
	await page.close();
	return r;
}

h.run('web-page bench', async (build) => {
	const d = await h.Drop.start(build, { conf: { max_uploads: 64 } });
	console.log(`# ghostdrop's submission page: figures (${new Date().toISOString().slice(0, 10)})`);
	console.log(`\n## Page weight (${d.url}, ghostdropd of ${build})`);
	const version = await weight(d);

	const file = path.join(h.tmpdir(), 'bench.bin');
	const buf = Buffer.alloc(MIB << 20);
	h.randomFill(buf);
	fs.writeFileSync(file, buf);
	const modes = [['nowasm', RUNS]];
	if (process.env.GD_BENCH_PARTS_ONLY) { // a quick look at where the time goes
		const browser = await h.launchBrowser();
		for (let i = 0; i < RUNS; i++) {
			const p = await parts(browser, d, version);
			console.log(`seal alone ${f2(p.sealS)} s, chunk hashes ${f2(p.hashS)} s`);
		}
		return;
	}
	if (SAFER_RUNS > 0)
		modes.push(['safer', SAFER_RUNS]);
	const res = {};
	const cli = [];
	for (const [mode, runs] of modes) {
		const browser = await h.launchBrowser({ mode });
		const sends = [], derives = [];
		for (let i = 0; i < runs; i++) { // alternating page and CLI, so noise hits both
			sends.push(await pageSend(browser, d, file));
			if (mode === 'nowasm')
				cli.push(await cliSend(d, file));
			log(`${mode} run ${i + 1}: page ${f2(sends.at(-1))} s` +
				(mode === 'nowasm' ? `, CLI ${f2(cli.at(-1))} s` : ''));
		}
		const seals = [], hashes = [];
		for (let i = 0; i < runs; i++) {
			const p = await parts(browser, d, version);
			seals.push(p.sealS);
			hashes.push(p.hashS);
			log(`${mode} seal alone ${f2(p.sealS)} s (${p.out} bytes), chunk hashes ${f2(p.hashS)} s`);
		}
		for (let i = 0; i < runs; i++) {
			derives.push(await derive(browser, d, version));
			log(`${mode} derivation ${i + 1}: ${f1(derives.at(-1))} s`);
		}
		res[mode] = { send: median(sends), derive: median(derives), runs, seal: median(seals),
			hash: median(hashes) };
		await browser.close();
	}
	const c = median(cli);
	console.log(`\n## ${MIB} MiB, sealed and uploaded (no codename; proof of work at ` +
		'pow_min_bits 8), and a codename derived\n');
	console.log('| medians | runs | seal + upload, s | MiB/s | vs the CLI | codename derivation, s |');
	console.log('|---|---:|---:|---:|---:|---:|');
	console.log(`| \`ghostdrop submit\` (C, libsodium) | ${RUNS} | ${f2(c)} | ${f1(MIB / c)} | 1 | |`);
	const label = { nowasm: 'page, Chromium, JIT on, no WebAssembly',
		safer: 'page, Chromium --jitless (as Safer: no JIT, no WebAssembly)' };
	for (const [mode] of modes) {
		const r = res[mode];
		console.log(`| ${label[mode]} | ${r.runs} | ${f2(r.send)} | ${f1(MIB / r.send)} | ` +
			`${f1(r.send / c)}x | ${f1(r.derive)} |`);
	}
	console.log(`\n| where the page's time goes (medians) | seal alone, s (MiB/s) | ` +
		'upload chunk hashes, s (MiB/s) |\n|---|---:|---:|');
	for (const [mode] of modes) {
		const r = res[mode];
		console.log(`| ${label[mode]} | ${f2(r.seal)} (${f1(MIB / r.seal)}) | ${f2(r.hash)} ` +
			`(${f1(MIB / r.hash)}) |`);
	}
}, { timeoutS: 7200 });
