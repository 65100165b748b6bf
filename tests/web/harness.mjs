// The browser tests' harness: a fresh newsroom, journalist, bundle and drop made with the real
// programs of a build directory (ghostdrop-desk, ghostdropd) in a temporary directory, served
// on 127.0.0.1 only (a port the kernel picks); Debian's Chromium, headless, without
// WebAssembly, driven through puppeteer-core (web/node_modules, scripts/web-deps); and the
// clean-up of all of it, whatever happens: every child is killed and the temporary directory
// removed when the test ends, fails or runs out of time.
import { spawn, execFileSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CHROMIUM = process.env.GD_CHROMIUM || '/usr/bin/chromium';
const PASSPHRASE = 'correct horse battery staple, the browser tests';

const children = new Set(); // spawned processes still running
const cleanups = []; // functions run once at exit, last registered first
let tmpRoot = null;
let finished = false;

function killAll() {
	for (const c of children) {
		try {
			c.kill('SIGKILL');
		} catch {}
	}
	children.clear();
}

function cleanupSync() {
	if (finished)
		return;
	finished = true;
	while (cleanups.length) {
		try {
			cleanups.pop()();
		} catch {}
	}
	killAll();
	if (tmpRoot && !process.env.GD_WEB_KEEP)
		fs.rmSync(tmpRoot, { recursive: true, force: true });
}
process.on('exit', cleanupSync);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'])
	process.on(sig, () => {
		console.error(`web: ${sig}, cleaning up`);
		process.exit(1);
	});

export const randomFill = (buf) => randomFillSync(buf);

/* fn runs (synchronously) when the test ends, however it ends. */
export function atExit(fn) {
	cleanups.push(fn);
}

const T0 = Date.now();
export function log(...a) {
	console.log(`web: ${((Date.now() - T0) / 1000).toFixed(1)}s`, ...a);
}

export function fail(msg) {
	const e = new Error(msg);
	e.gdFail = true;
	throw e;
}

export function check(cond, msg) {
	if (!cond)
		fail(msg);
}

/* Runs main(build) with a deadline; exits 0 when it resolves, 1 with the reason otherwise. */
export function run(name, main, { timeoutS = 120 } = {}) {
	const build = path.resolve(process.argv[2] || '');
	if (!process.argv[2] || !fs.existsSync(path.join(build, 'server', 'ghostdropd'))) {
		console.error(`usage: node ${name}.mjs BUILD_DIR [CASE...] (a meson build with ghostdropd)`);
		process.exit(2);
	}
	const timer = setTimeout(() => {
		console.error(`web: ${name}: FAIL: not done in ${timeoutS} s`);
		process.exit(1);
	}, timeoutS * 1000);
	timer.unref();
	main(build, process.argv.slice(3)).then(() => stopDrops()).then(
		() => {
			console.log(`web: ${name}: ok`);
			process.exit(0);
		},
		(e) => {
			console.error(`web: ${name}: FAIL: ${e && e.gdFail ? e.message : (e && e.stack) || e}`);
			process.exit(1);
		});
}

export function tmpdir() {
	if (!tmpRoot) {
		tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'gd-web-'));
		fs.chmodSync(tmpRoot, 0o711); // as root the drop runs as nobody and must reach its data
	}
	return tmpRoot;
}

export function sleep(ms) {
	return new Promise((r) => setTimeout(r, ms));
}

/* A child process, killed at exit; resolves {code, stdout, stderr} (rejects on a failure
 * unless allowFail). */
export function runProc(cmd, args, { input, allowFail = false, timeoutS = 60 } = {}) {
	return new Promise((resolve, reject) => {
		const c = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
		children.add(c);
		let out = Buffer.alloc(0), err = '';
		c.stdout.on('data', (d) => (out = Buffer.concat([out, d])));
		c.stderr.on('data', (d) => (err += d));
		const t = setTimeout(() => c.kill('SIGKILL'), timeoutS * 1000);
		c.on('error', (e) => {
			clearTimeout(t);
			children.delete(c);
			reject(e);
		});
		c.on('close', (code, sig) => {
			clearTimeout(t);
			children.delete(c);
			const r = { code, stdout: out, stderr: err };
			if ((code !== 0 || sig) && !allowFail)
				reject(new Error(`${path.basename(cmd)} ${args.join(' ')}: exit ${code ?? sig}: ${err.trim()}`));
			else
				resolve(r);
		});
		if (input !== undefined)
			c.stdin.end(input);
		else
			c.stdin.end();
	});
}

/* Spawns a long-running child (killed at exit); its stderr goes to logFile. */
export function spawnBg(cmd, args, logFile) {
	const fd = fs.openSync(logFile, 'a');
	const c = spawn(cmd, args, { stdio: ['ignore', fd, fd] });
	fs.closeSync(fd);
	children.add(c);
	c.on('exit', () => children.delete(c));
	return c;
}

export async function waitFor(fn, what, timeoutMs = 10000, stepMs = 50) {
	const end = Date.now() + timeoutMs;
	for (;;) {
		const v = await fn();
		if (v)
			return v;
		if (Date.now() > end)
			fail(`${what}: not within ${timeoutMs / 1000} s`);
		await sleep(stepMs);
	}
}

const drops = [];

/* Every drop stopped as a daemon is (SIGTERM), its log read for a sanitizer's report (the
 * sanitizer builds run these tests too: a leak shows only at a clean exit). */
async function stopDrops() {
	for (const d of drops) {
		if (d.proc.exitCode !== null || d.proc.signalCode !== null)
			fail(`ghostdropd died during the test: ${d.log().slice(-2000)}`);
		const exited = new Promise((r) => d.proc.once('exit', (code, sig) => r(code ?? sig)));
		d.proc.kill('SIGTERM');
		const how = await Promise.race([exited, sleep(15000).then(() => 'timeout')]);
		const report = d.log().match(/(ERROR: \w+Sanitizer|runtime error:)[^]*/);
		check(!report, `ghostdropd under a sanitizer: ${report && report[0].slice(0, 3000)}`);
		check(how === 0, `ghostdropd did not exit cleanly on SIGTERM: ${how}`);
	}
}

/* A newsroom (its keys in DIR/desk, one journalist Ana) and a drop serving on 127.0.0.1, the
 * bundle signed for the drop's own address and any `servers` added later (publishBundle). */
export class Drop {
	static async start(build, { conf = {}, name = 'drop' } = {}) {
		const d = new Drop();
		d.build = build;
		d.dir = path.join(tmpdir(), name);
		fs.mkdirSync(d.dir);
		d.deskBin = path.join(build, 'client', 'ghostdrop-desk');
		d.dropBin = path.join(build, 'server', 'ghostdropd');
		d.gdBin = path.join(build, 'client', 'ghostdrop');
		d.pwFile = path.join(d.dir, 'pass');
		fs.writeFileSync(d.pwFile, PASSPHRASE + '\n');
		d.desk = path.join(d.dir, 'desk');
		d.data = path.join(d.dir, 'data');
		const pw = ['--passphrase-file', d.pwFile];
		d.newsroom = (await runProc(d.deskBin, ['newsroom', 'init', '--dir', d.desk, '--name',
			'Browser Test Ledger', ...pw])).stdout.toString().trim();
		await runProc(d.deskBin, ['journalist', 'add', '--dir', d.desk, 'Ana', ...pw]);
		await runProc(d.dropBin, ['init', '--data', d.data, '--newsroom', d.newsroom,
			'--listen', '127.0.0.1:0']);
		const settings = { pow_min_bits: 8, pow_max_bits: 12, map_size_mb: 1024, ...conf };
		fs.appendFileSync(path.join(d.data, 'ghostdropd.conf'),
			Object.entries(settings).map(([k, v]) => `${k} = ${v}\n`).join(''));
		d.tokenFile = path.join(d.dir, 'token');
		fs.writeFileSync(d.tokenFile,
			(await runProc(d.dropBin, ['token', 'add', '--data', d.data, '--name', 'courier'])).stdout);
		const user = [];
		if (process.getuid() === 0) { // ghostdropd refuses to serve as root, as it should
			execFileSync('chown', ['-R', 'nobody:nogroup', d.data]);
			fs.chmodSync(d.dir, 0o711);
			user.push('--user', 'nobody');
		}
		const portFile = path.join(d.data, 'port'); // written as nobody, when root
		d.logFile = path.join(d.dir, 'drop.log');
		d.proc = spawnBg(d.dropBin, ['serve', '--data', d.data, '--port-file', portFile, ...user],
			d.logFile);
		d.port = await waitFor(() => {
			if (d.proc.exitCode !== null)
				fail(`ghostdropd exited: ${fs.readFileSync(d.logFile, 'utf8')}`);
			const s = fs.existsSync(portFile) ? fs.readFileSync(portFile, 'utf8').trim() : '';
			return s ? Number(s) : 0;
		}, 'the drop to serve');
		drops.push(d);
		d.url = `http://127.0.0.1:${d.port}`;
		d.servers = [d.url];
		await d.publishBundle();
		return d;
	}

	/* Signs and publishes a bundle listing the drop's address and `extra` ones (a proxy in
	 * front of it, an onion address). */
	async publishBundle(extra = []) {
		this.servers = [...new Set([...this.servers, ...extra])];
		this.bundleFile = path.join(this.dir, `bundle-${Date.now()}.gdkb`);
		await runProc(this.deskBin, ['bundle', 'sign', '--dir', this.desk,
			...this.servers.flatMap((s) => ['--server', s]), '--out', this.bundleFile,
			'--passphrase-file', this.pwFile]);
		await runProc(this.dropBin, ['keys', 'publish', '--data', this.data, this.bundleFile]);
	}

	/* The courier fetches, the offline desk opens: returns [{dir, message, files: {name:
	 * Buffer}, manifest}] and the source folder names. */
	async fetchAndOpen(tag = 'batch') {
		const batch = path.join(this.dir, tag);
		const out = path.join(this.dir, tag + '-opened');
		await runProc(this.deskBin, ['fetch', '--server', this.url, '--token-file', this.tokenFile,
			'--clearnet', '--out', batch]);
		const r = await runProc(this.deskBin, ['open', '--dir', this.desk, batch, '--out', out,
			'--passphrase-file', this.pwFile, '--json'], { allowFail: true });
		if (r.code !== 0)
			fail(`ghostdrop-desk open: exit ${r.code}: ${r.stderr} ${r.stdout}`);
		const subs = [];
		for (const src of fs.readdirSync(out)) {
			if (src === 'ack' || src.startsWith('.'))
				continue;
			for (const f of fs.readdirSync(path.join(out, src))) {
				const dir = path.join(out, src, f);
				const files = {};
				for (const n of fs.readdirSync(dir))
					files[n] = fs.readFileSync(path.join(dir, n));
				subs.push({ source: src, dir, files,
					message: files['message.txt'],
					manifest: JSON.parse(files['manifest.json'].toString()) });
			}
		}
		return { subs, out, ackFile: path.join(out, 'ack') };
	}

	/* Ana replies to SOURCE; the courier pushes the reply to the drop. `tamper`: one byte of
	 * the reply's ciphertext flipped first (what a stolen courier token or the drop could do). */
	async reply(source, text, { tamper = false } = {}) {
		const msg = path.join(this.dir, `reply-${Date.now()}.txt`);
		const out = msg.replace(/\.txt$/, '.gdr');
		fs.writeFileSync(msg, text);
		await runProc(this.deskBin, ['reply', '--dir', this.desk, '--as', 'Ana', '--source', source,
			'--message-file', msg, '--out', out, '--passphrase-file', this.pwFile]);
		if (tamper) {
			const r = JSON.parse(fs.readFileSync(out, 'utf8'));
			const blob = Buffer.from(r.reply, 'base64url');
			blob[100] ^= 0x01; // inside the crypto_box (magic, version, nonce: 29 bytes)
			r.reply = blob.toString('base64url');
			fs.writeFileSync(out, JSON.stringify(r, Object.keys(r).sort()));
		}
		await runProc(this.deskBin, ['push', '--server', this.url, '--token-file', this.tokenFile,
			'--clearnet', out]);
		return out;
	}

	async stored() {
		const r = await runProc(this.dropBin, ['stats', '--data', this.data, '--json'],
			{ allowFail: true });
		return JSON.parse(r.stdout.toString());
	}

	log() {
		return fs.readFileSync(this.logFile, 'utf8');
	}
}

/* Another newsroom's keys (for a bundle that must not verify against the drop's key). */
export async function otherNewsroomBundle(build, servers) {
	const dir = path.join(tmpdir(), 'other-newsroom');
	fs.mkdirSync(dir);
	const deskBin = path.join(build, 'client', 'ghostdrop-desk');
	const pwFile = path.join(dir, 'pass');
	fs.writeFileSync(pwFile, PASSPHRASE + '\n');
	const pw = ['--passphrase-file', pwFile];
	const desk = path.join(dir, 'desk');
	await runProc(deskBin, ['newsroom', 'init', '--dir', desk, '--name', 'Impostor Ledger', ...pw]);
	await runProc(deskBin, ['journalist', 'add', '--dir', desk, 'Mallory', ...pw]);
	const out = path.join(dir, 'bundle.gdkb');
	await runProc(deskBin, ['bundle', 'sign', '--dir', desk,
		...servers.flatMap((s) => ['--server', s]), '--out', out, ...pw]);
	return fs.readFileSync(out);
}

let puppeteer = null;
function loadPuppeteer() {
	if (!puppeteer) {
		const req = createRequire(path.join(SRC, 'web', 'package.json'));
		try {
			puppeteer = req('puppeteer-core');
		} catch (e) {
			fail(`puppeteer-core is not installed in web/node_modules: run scripts/web-deps (${e.message})`);
		}
	}
	return puppeteer;
}

/* Headless Chromium, a profile of its own in the temporary directory, in one of two modes:
 * - 'safer' (Tor Browser's Safer level: no JIT, no WebAssembly): --js-flags=--jitless. In
 *   Chromium 156 this is the only switch that takes WebAssembly away (V8 no longer has
 *   --expose-wasm: --js-flags=--noexpose_wasm is ignored and WebAssembly stays); the page and
 *   its workers see typeof WebAssembly === 'undefined'. Argon2id runs ~20x slower there.
 * - 'nowasm' (the default, for the functional tests): the JIT on, WebAssembly removed from the
 *   page before any of its scripts runs, and the page's CSP checked to refuse compiling any
 *   (openPage), so the page's cryptography takes the JavaScript path as at Safer, in seconds.
 * `proxy` (socks5://HOST:PORT) sends every request through it, names resolved there. */
export async function launchBrowser({ proxy = null, mode = 'nowasm', extraArgs = [] } = {}) {
	if (!fs.existsSync(CHROMIUM))
		fail(`${CHROMIUM} is missing (Debian: apt-get install chromium; scripts/test installs it)`);
	const pp = loadPuppeteer();
	const profile = fs.mkdtempSync(path.join(tmpdir(), 'chromium-'));
	const args = [
		'--no-first-run', '--no-default-browser-check', '--disable-sync',
		'--disable-background-networking', '--disable-component-update',
		'--disable-domain-reliability', '--disable-breakpad', '--metrics-recording-only',
		'--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication',
		...extraArgs,
	];
	if (mode === 'safer')
		args.push('--js-flags=--jitless');
	if (process.getuid() === 0)
		args.push('--no-sandbox'); // Chromium refuses to sandbox as root (CI runs as root)
	if (proxy)
		args.push(`--proxy-server=${proxy}`,
			// every name through the proxy (Tor resolves the onion), none on this machine
			'--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1');
	const browser = await pp.launch({
		executablePath: CHROMIUM, headless: true, userDataDir: profile, args,
		handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false,
		protocolTimeout: 600000,
	});
	browser.gdMode = mode;
	const proc = browser.process();
	if (proc) {
		children.add(proc);
		proc.on('exit', () => children.delete(proc));
		// the whole group (renderers, GPU, zygote), not only the browser process
		cleanups.push(() => {
			try {
				process.kill(-proc.pid, 'SIGKILL');
			} catch {}
		});
	}
	return browser;
}

const WASM_KEY = 'gd-test-wasm'; // where 'nowasm' keeps WebAssembly for openPage's check

/* A page whose console errors and failed requests are logged (they explain a failure). */
export async function newPage(browser, { width = 1024, height = 768 } = {}) {
	const page = await browser.newPage();
	await page.setViewport({ width, height });
	if (browser.gdMode !== 'safer')
		await page.evaluateOnNewDocument((key) => {
			Object.defineProperty(window, Symbol.for(key), { value: globalThis.WebAssembly });
			delete globalThis.WebAssembly;
		}, WASM_KEY);
	page.on('console', (m) => {
		if (m.type() === 'error' || m.type() === 'warn' || process.env.GD_WEB_VERBOSE)
			console.log(`web: page console.${m.type()}: ${m.text()}`);
	});
	page.on('pageerror', (e) => console.log(`web: page error: ${e.message}`));
	return page;
}

/* The page as a worker opens it; checked to run without WebAssembly: none in the page, and
 * (mode 'nowasm') the page's CSP refuses to compile a module with the WebAssembly kept aside;
 * (mode 'safer') none in a worker either. */
export async function openPage(page, url) {
	const r = await page.goto(url, { waitUntil: 'load', timeout: 60000 });
	check(r && r.status() === 200, `GET ${url}: ${r && r.status()}`);
	const wasm = await page.evaluate(() => typeof WebAssembly);
	check(wasm === 'undefined', `WebAssembly is available in the page (${wasm})`);
	if (page.browser().gdMode === 'safer')
		return r;
	const csp = await page.evaluate(async (key) => {
		const W = window[Symbol.for(key)];
		if (!W)
			return 'the test lost WebAssembly';
		const empty = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]); // a valid empty module
		try {
			await W.instantiate(empty);
			return 'compiled';
		} catch (e) {
			return `refused: ${e.message}`;
		}
	}, WASM_KEY);
	check(csp.startsWith('refused'), `the page's CSP let WebAssembly run (${csp})`);
	return r;
}

/* A TCP proxy on 127.0.0.1 in front of PORT that the test can cut (every connection closed,
 * the port refused) and restore (listening again on the same port). */
export class CutProxy {
	static async start(targetPort) {
		const p = new CutProxy();
		p.target = targetPort;
		p.sockets = new Set();
		p.up = 0; // bytes client -> drop
		await p.listen(0);
		return p;
	}

	listen(port) {
		this.server = net.createServer((c) => {
			const s = net.connect(this.target, '127.0.0.1');
			this.sockets.add(c);
			this.sockets.add(s);
			c.on('data', (d) => (this.up += d.length));
			c.pipe(s);
			s.pipe(c);
			const done = () => {
				c.destroy();
				s.destroy();
				this.sockets.delete(c);
				this.sockets.delete(s);
			};
			c.on('error', done);
			s.on('error', done);
			c.on('close', done);
			s.on('close', done);
		});
		return new Promise((resolve, reject) => {
			this.server.once('error', reject);
			this.server.listen(port, '127.0.0.1', () => {
				this.port = this.server.address().port;
				this.url = `http://127.0.0.1:${this.port}`;
				resolve();
			});
		});
	}

	cut() {
		this.server.close();
		for (const s of this.sockets)
			s.destroy();
		this.sockets.clear();
	}

	async restore() {
		for (let i = 0;; i++) {
			try {
				return await this.listen(this.port);
			} catch (e) {
				if (i > 50)
					throw e;
				await sleep(100);
			}
		}
	}

	close() {
		this.cut();
	}
}

/* A small valid JPEG made by Chromium (a canvas), and the same with an APP1 Exif block that
 * has a camera make and a GPS position inserted after SOI: {clean, withGps, marker}. */
export async function makeGpsJpeg(browser) {
	const page = await browser.newPage();
	const b64 = await page.evaluate(() => {
		const c = document.createElement('canvas');
		c.width = 48;
		c.height = 32;
		const g = c.getContext('2d');
		g.fillStyle = '#c33';
		g.fillRect(0, 0, 48, 32);
		g.fillStyle = '#33c';
		g.fillRect(8, 8, 20, 12);
		return c.toDataURL('image/jpeg', 0.9).split(',')[1];
	});
	await page.close();
	const made = Buffer.from(b64, 'base64');
	check(made[0] === 0xff && made[1] === 0xd8, 'the canvas did not make a JPEG');
	// without the ICC profile (APP2) Chromium puts in: the clean image has nothing to remove
	const parts = [made.subarray(0, 2)];
	let i = 2;
	while (made[i] === 0xff && made[i + 1] !== 0xda) {
		const len = made.readUInt16BE(i + 2);
		if (made[i + 1] < 0xe1 || made[i + 1] > 0xef)
			parts.push(made.subarray(i, i + 2 + len));
		i += 2 + len;
	}
	parts.push(made.subarray(i));
	const clean = Buffer.concat(parts);
	const marker = 'GDCAMERA-7731';
	const exif = exifWithGps(marker, [51, 30, 2644], [0, 7, 3960]);
	const app1 = Buffer.alloc(4);
	app1.writeUInt16BE(0xffe1, 0);
	app1.writeUInt16BE(exif.length + 2, 2);
	const withGps = Buffer.concat([clean.subarray(0, 2), app1, exif, clean.subarray(2)]);
	return { clean, withGps, marker };
}

/* "Exif\0\0" + a little-endian TIFF: IFD0 {Make, GPSInfo} -> GPS IFD {N, lat, E, lon}. */
function exifWithGps(make, lat, lon) {
	const makeBytes = Buffer.from(make + '\0');
	const ifd0 = 8, n0 = 2;
	const gps = ifd0 + 2 + n0 * 12 + 4;
	const n1 = 4;
	const data = gps + 2 + n1 * 12 + 4;
	const latOff = data, lonOff = data + 24, makeOff = data + 48;
	const t = Buffer.alloc(makeOff + makeBytes.length);
	t.write('II', 0, 'latin1');
	t.writeUInt16LE(42, 2);
	t.writeUInt32LE(ifd0, 4);
	const entry = (at, tag, type, count, value) => {
		t.writeUInt16LE(tag, at);
		t.writeUInt16LE(type, at + 2);
		t.writeUInt32LE(count, at + 4);
		if (Buffer.isBuffer(value))
			value.copy(t, at + 8);
		else
			t.writeUInt32LE(value, at + 8);
	};
	t.writeUInt16LE(n0, ifd0);
	entry(ifd0 + 2, 0x010f, 2, makeBytes.length, makeOff); // Make
	entry(ifd0 + 14, 0x8825, 4, 1, gps); // GPSInfo
	t.writeUInt32LE(0, ifd0 + 26);
	t.writeUInt16LE(n1, gps);
	entry(gps + 2, 0x0001, 2, 2, Buffer.from('N\0'));
	entry(gps + 14, 0x0002, 5, 3, latOff);
	entry(gps + 26, 0x0003, 2, 2, Buffer.from('E\0'));
	entry(gps + 38, 0x0004, 5, 3, lonOff);
	t.writeUInt32LE(0, gps + 50);
	const rationals = (at, [d, m, s100]) => {
		t.writeUInt32LE(d, at);
		t.writeUInt32LE(1, at + 4);
		t.writeUInt32LE(m, at + 8);
		t.writeUInt32LE(1, at + 12);
		t.writeUInt32LE(s100, at + 16);
		t.writeUInt32LE(100, at + 20);
	};
	rationals(latOff, lat);
	rationals(lonOff, lon);
	makeBytes.copy(t, makeOff);
	return Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), t]);
}

/* The JPEG's segments before the scan: [{marker, data}]. */
export function jpegSegments(buf) {
	const segs = [];
	let i = 2;
	while (i + 4 <= buf.length && buf[i] === 0xff) {
		const m = buf[i + 1];
		const len = buf.readUInt16BE(i + 2);
		segs.push({ marker: m, data: buf.subarray(i + 4, i + 2 + len) });
		if (m === 0xda)
			break;
		i += 2 + len;
	}
	return segs;
}
