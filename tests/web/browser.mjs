// The submission page in a real browser (issue 17): Debian's Chromium, headless, without
// WebAssembly, against a drop made with the real programs of the build directory.
// Usage: node browser.mjs BUILD_DIR CASE   (CASE: one of the keys of CASES below)
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';
import * as h from './harness.mjs';
import { LANGUAGES, STRINGS } from '../../web/src/strings.js'; // the page's words, to find them shown

const S = STRINGS.en;
const { check, fail, log } = h;
const TESTIMONY = 'We label 400 images an hour — paid for 6 of our 9 hours.\n' +
	'Línea 2: «pausas» de 3 minutos; 第三行.\n\tEnd.\n';

// The headers of docs/OPERATOR.md / the design, on the page and every asset.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; worker-src 'self'; base-uri 'none'; form-action 'none'; " +
	"frame-ancestors 'none'";
const PAGE_HEADERS = {
	'content-security-policy': CSP,
	'referrer-policy': 'no-referrer',
	'x-content-type-options': 'nosniff',
	'cache-control': 'no-store',
	'x-frame-options': 'DENY',
	'cross-origin-opener-policy': 'same-origin',
	'cross-origin-resource-policy': 'same-origin',
	'permissions-policy': 'camera=(), microphone=(), geolocation=()',
};
const ASSETS = ['app.js', 'gdproto.js', 'client.js', 'strings.js', 'strip.js', 'powworker.js',
	'kdfworker.js', 'style.css', 'lang-es.js', 'lang-pt_BR.js', 'lang-fil.js', 'lang-sw.js',
	'lang-fr.js', 'wordlist.js', 'vendor/libsodium-sumo.js',
	'vendor/libsodium-wrappers.js', 'vendor/noble/argon2.js', 'vendor/noble/blake2.js',
	'vendor/noble/_blake.js', 'vendor/noble/_md.js', 'vendor/noble/_u64.js',
	'vendor/noble/utils.js'];
const TYPES = { js: 'text/javascript', css: 'text/css', html: 'text/html' };

function checkPageHeaders(what, hd, { gzip }) {
	for (const [k, v] of Object.entries(PAGE_HEADERS))
		check(hd[k] === v, `${what}: ${k} is ${JSON.stringify(hd[k])}, wanted ${JSON.stringify(v)}`);
	check(!('set-cookie' in hd), `${what} sets a cookie: ${hd['set-cookie']}`);
	const p = what.split(' ')[0];
	const ext = p.endsWith('/') ? 'html' : p.split('.').pop();
	check((hd['content-type'] || '').startsWith(TYPES[ext]),
		`${what}: content-type ${hd['content-type']}, wanted ${TYPES[ext]}`);
	check(/accept-encoding/i.test(hd.vary || ''), `${what}: no Vary: Accept-Encoding`);
	if (gzip !== undefined)
		check((hd['content-encoding'] === 'gzip') === gzip,
			`${what}: content-encoding ${hd['content-encoding']} when gzip is ${gzip ? '' : 'not '}accepted`);
}

/* The page loaded, its bundle verified: the write and come-back modes are offered. */
async function ready(page) {
	await page.waitForFunction(() => {
		const st = document.getElementById('status');
		return !document.getElementById('modes').hidden ||
			(st && st.className.includes('error'));
	}, { timeout: 60000 });
	const st = await statusText(page);
	check(await page.$eval('#modes', (e) => !e.hidden), `the page did not become ready: ${st}`);
}

async function statusText(page) {
	return page.$eval('#status', (e) => e.textContent.trim());
}

async function statusClass(page) {
	return page.$eval('#status', (e) => e.className);
}

async function noSideScroll(page, where) {
	const w = await page.evaluate(() => [document.documentElement.scrollWidth,
		document.documentElement.clientWidth, window.innerWidth]);
	check(w[0] <= 360, `${where}: the page is ${w[0]} px wide at 360 (scrolls sideways)`);
}

/* A visible element, at least 44x44 px if it is something to touch. */
async function visible(page, sel) {
	return page.$eval(sel, (e) => {
		const r = e.getBoundingClientRect();
		return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden';
	});
}

async function setTestimony(page, text) {
	await page.$eval('#testimony', (e, v) => {
		e.value = v;
		e.dispatchEvent(new Event('input', { bubbles: true }));
	}, text);
}

/* Waits until the status says one of `texts` (or an error): returns the status. */
async function waitStatus(page, texts, timeout = 240000) {
	await page.waitForFunction((texts) => {
		const st = document.getElementById('status');
		const s = st.textContent;
		return texts.some((t) => s.includes(t)) || st.className.includes('error');
	}, { timeout, polling: 200 }, texts);
	return statusText(page);
}

/* Sends what the form holds; returns the codename shown (or '' without one). */
async function send(page, { expect = [S.sent], timeout = 240000 } = {}) {
	await page.click('#send');
	const st = await waitStatus(page, expect, timeout);
	check(expect.some((t) => st.includes(t)), `after #send the status says: ${st}`);
	return page.$eval('#codename', (e) => e.textContent.trim());
}

async function drop(build, opts) {
	const d = await h.Drop.start(build, opts);
	log(`drop on ${d.url}`);
	return d;
}

/* ---- (a) the headers on every response, no cookie, no request elsewhere ---- */
async function headers(build) {
	const d = await drop(build);
	const browser = await h.launchBrowser();
	const page = await h.newPage(browser);
	const origin = d.url;
	const seen = new Map(), elsewhere = [];
	const onRequest = (r) => {
		const u = r.url();
		if (!u.startsWith(origin + '/') && !/^(data|blob):/.test(u))
			elsewhere.push(u);
	};
	const onResponse = (r) => seen.set(new URL(r.url()).pathname, r.headers());
	page.on('request', onRequest);
	page.on('response', onResponse);
	// (puppeteer reports the workers' requests too: powworker.js and its imports)
	await h.openPage(page, origin + '/');
	await ready(page);
	// a submission without a codename: the proof of work's workers load powworker.js
	await setTestimony(page, 'headers test: a short testimony');
	await page.click('#no-reply');
	await send(page, { expect: [S.sent_no_reply] });
	check((await d.stored()).submissions === 1, 'the submission was not stored');

	const version = [...seen.keys()].find((p) => p.startsWith('/s/')).split('/')[2];
	const want = ['/', ...ASSETS.map((a) => `/s/${version}/${a}`)];
	// (kdfworker.js only when a codename's keys are made: the followup case)
	for (const p of want.filter((p) => !p.endsWith('/kdfworker.js')))
		check(seen.has(p), `Chromium did not load ${p} (seen: ${[...seen.keys()].join(' ')})`);
	let n = 0;
	for (const [p, hd] of seen) {
		check(!('set-cookie' in hd), `${p} sets a cookie`);
		if (p === '/' || p.startsWith('/s/')) {
			checkPageHeaders(p, hd, { gzip: true }); // Chromium accepts gzip
			n++;
		}
	}
	check(elsewhere.length === 0, `requests to other origins: ${elsewhere.join(' ')}`);
	const cookies = await browser.cookies();
	check(cookies.length === 0, `cookies set: ${JSON.stringify(cookies)}`);
	check(await page.evaluate(() => document.cookie) === '', 'document.cookie is not empty');

	// the same files without gzip (a client that does not accept it), and gzip the same bytes
	for (const p of want) {
		const plain = await get(origin + p, {});
		const gz = await get(origin + p, { 'accept-encoding': 'gzip' });
		check(plain.status === 200 && gz.status === 200, `${p}: ${plain.status} ${gz.status}`);
		checkPageHeaders(`${p} (identity)`, plain.headers, { gzip: false });
		checkPageHeaders(`${p} (gzip)`, gz.headers, { gzip: true });
		check(zlib.gunzipSync(gz.body).equals(plain.body), `${p}: gzip and identity differ`);
	}
	log(`headers checked on ${n} responses in Chromium and ${want.length * 2} from Node; ` +
		'no cookie, no other origin');
}

function get(url, headers) {
	return new Promise((resolve, reject) => {
		http.get(url, { headers }, (res) => {
			const parts = [];
			res.on('data', (c) => parts.push(c));
			res.on('end', () => resolve({ status: res.statusCode, headers: res.headers,
				body: Buffer.concat(parts) }));
		}).on('error', reject);
	});
}

/* ---- (b) 360x640: nothing scrolls sideways, on each screen ---- */
async function layout(build) {
	const d = await drop(build);
	const browser = await h.launchBrowser();
	const page = await h.newPage(browser, { width: 360, height: 640 });
	await h.openPage(page, d.url + '/');
	await noSideScroll(page, 'loading');
	await ready(page);
	await noSideScroll(page, 'write');
	await keyCheck(page, d);
	for (const sel of ['#send', '#mode-write', '#mode-back']) {
		const box = await (await page.$(sel)).boundingBox();
		check(box && box.height >= 44 && box.width >= 44,
			`${sel} is ${box && box.width}x${box && box.height}: under 44 px to touch`);
	}
	// a long line without spaces (a pasted URL), and files with long names in the report
	await setTestimony(page, 'https://example.org/' + 'a'.repeat(300) + '\n' + 'word '.repeat(400));
	const jpeg = await h.makeGpsJpeg(browser);
	const dir = h.tmpdir();
	const long = path.join(dir, 'IMG_20261201_123456_a_very_long_name_from_the_phone_camera.jpg');
	fs.writeFileSync(long, jpeg.withGps);
	const other = path.join(dir, 'Quarterly-report-of-the-labelling-team-draft-v7-final.odt');
	fs.writeFileSync(other, 'not an image');
	const video = path.join(dir, 'VID_20261130_meeting.mp4');
	fs.writeFileSync(video, 'not a video either');
	await (await page.$('#attachments')).uploadFile(long, other, video);
	await page.waitForFunction(() => document.querySelectorAll('#file-report li').length === 4 &&
		!document.getElementById('file-report').textContent.includes('…'), { timeout: 20000 });
	await noSideScroll(page, 'write, with the file report');
	// refused: a file that cannot be cleaned and was not ticked
	await page.click('#send');
	await page.waitForFunction(() => document.getElementById('status').className.includes('error'),
		{ timeout: 20000 });
	await noSideScroll(page, 'write, refused');
	await fileAdvice(page, [other, video].map((f) => path.basename(f)));
	// come back with a codename: a mistyped one
	await page.click('#mode-back');
	await page.type('#codename-input', 'abacus abdomen abdominal abide abiding ability ablaze xyzzyq');
	await page.click('#codename-open');
	await page.waitForFunction(() => document.getElementById('status').className.includes('error'),
		{ timeout: 20000 });
	check((await statusText(page)).length > 0, 'no message for a mistyped codename');
	await noSideScroll(page, 'come back, a word mistyped');
	await codenameSeparators(page);
	// sent without a codename
	await page.click('#mode-write');
	await page.click('#remove-2');
	await page.click('#remove-2');
	await page.click('#no-reply');
	await send(page, { expect: [S.sent_no_reply] });
	await focusOn(page, 'write-heading', 'sending started');
	await noSideScroll(page, 'sent');
	log('360x640: no sideways scroll on the write, report, refusal, codename and sent screens');
}

/* A codename whose words are joined by - , . ; / : the page says to separate them with spaces,
 * not "did you mean" a wrong word; list words with a hyphen (t-shirt, yo-yo) stay words. */
async function codenameSeparators(page) {
	const attempt = async (text) => {
		await page.$eval('#codename-input', (e) => { e.value = ''; });
		await page.type('#codename-input', text);
		await page.click('#codename-open');
		await page.waitForFunction(() => document.getElementById('status').className
			.includes('error'), { timeout: 20000 });
		return statusText(page);
	};
	for (const typed of ['abacus-abdomen abdominal abide abiding ability ablaze able',
		'abacus, abdomen, abdominal, abide, abiding, ability, ablaze, able',
		'abacus.abdomen.abdominal.abide abiding;ability/ablaze-t-shirt']) {
		const st = await attempt(typed);
		check(st === S.codename_separators, `${JSON.stringify(typed)}: the status says ${
			JSON.stringify(st)}`);
	}
	const st = await attempt('t-shirt yo-yo drop-down felt-tip abacus abdomen abide xyzzyq');
	check(st !== S.codename_separators && st.includes('8'),
		`list words with a hyphen, the 8th mistyped: the status says ${JSON.stringify(st)}`);
	await page.$eval('#codename-input', (e) => { e.value = ''; });
}

/* Where the focus is after a screen changed under it (not lost to BODY), and the one live
 * region (#status) still where it was (after the key panel): only a visible copy moves. */
async function focusOn(page, id, when) {
	const f = await page.evaluate(() => ({ id: document.activeElement.id,
		tag: document.activeElement.tagName,
		after: document.getElementById('status').previousElementSibling.id,
		live: document.querySelectorAll('[aria-live]').length }));
	check(f.id === id, `${when}: the focus is on ${f.tag}#${f.id}, wanted #${id}`);
	check(f.after === 'key' && f.live === 1,
		`${when}: #status moved (after #${f.after}) or ${f.live} live regions`);
}

/* Files the page cannot clean: advice for their kind (a document: paste its text or send a
 * screenshot; a video: the device and place), and the refusal names every one still to be
 * decided by the worker's own file name. */
async function fileAdvice(page, names) {
	const what = await page.$$eval('#file-report .file-what', (l) => l.map((e) => e.textContent));
	check(what[1] === S.file_not_cleaned_doc, `an .odt document: ${JSON.stringify(what[1])}`);
	check(what[2] === S.file_not_cleaned_media, `an .mp4 video: ${JSON.stringify(what[2])}`);
	const st = await statusText(page);
	check(names.every((n) => st.includes(n)),
		`the refusal does not name ${names.join(' and ')}: ${JSON.stringify(st)}`);
}

/* The key pasted from the newsroom's website is compared by the page: same, DIFFERENT, not a
 * key; the prefix every newsroom shares (gdnk1) is dimmed in the fingerprint. */
async function keyCheck(page, d) {
	const other = (await h.runProc(d.deskBin, ['newsroom', 'init', '--dir',
		path.join(h.tmpdir(), 'other-desk'), '--name', 'Other', '--passphrase-file', d.pwFile]))
		.stdout.toString().trim();
	const result = async (text) => {
		await page.$eval('#key-check', (e, v) => {
			e.value = v;
			e.dispatchEvent(new Event('input', { bubbles: true }));
		}, text);
		return page.$eval('#key-check-result', (e) => (e.hidden ? '' : e.textContent.trim()));
	};
	let r = await result(`  ${d.newsroom}\n`);
	check(r === S.key_check_same, `the drop's own key pasted: ${JSON.stringify(r)}`);
	const grouped = await page.$eval('#fingerprint', (e) => e.textContent);
	r = await result(grouped);
	check(r === S.key_check_same, `the fingerprint's groups pasted: ${JSON.stringify(r)}`);
	r = await result(other);
	check(r === S.key_check_differs, `another newsroom's key pasted: ${JSON.stringify(r)}`);
	check(await page.$eval('#key', (e) => e.classList.contains('bad')), 'a different key: not red');
	r = await result(d.newsroom.slice(0, -1) + (d.newsroom.endsWith('a') ? 'b' : 'a'));
	check(r === S.key_check_not_key, `a key with a typo pasted: ${JSON.stringify(r)}`);
	r = await result('');
	check(r === '', `nothing pasted: ${JSON.stringify(r)}`);
	const dim = await page.$eval('#fingerprint', (e) => {
		const p = e.querySelector('.fp-prefix');
		return p && p.textContent === 'gdnk1' &&
			getComputedStyle(p).color !== getComputedStyle(e).color;
	});
	check(dim, 'the fingerprint\'s gdnk1 prefix is not dimmed');
}

/* ---- (c) JavaScript off: the explanation, no sideways scroll ---- */
async function nojs(build) {
	const d = await drop(build);
	const browser = await h.launchBrowser();
	const page = await h.newPage(browser, { width: 360, height: 640 });
	await page.setJavaScriptEnabled(false);
	const r = await page.goto(d.url + '/', { waitUntil: 'load' });
	check(r.status() === 200, `GET /: ${r.status()}`);
	const shown = await page.evaluate(() => {
		const n = document.querySelector('#nojs > *') || document.getElementById('nojs');
		const box = n.getBoundingClientRect();
		return { h: box.height, w: box.width, text: n.textContent };
	});
	check(shown.h > 100 && shown.w > 200, `#nojs is not shown (${shown.w}x${shown.h})`);
	check(/Safer/.test(shown.text) && /ghostdrop/.test(shown.text),
		'#nojs does not say to use Safer or the ghostdrop program');
	// no repository path for a worker to follow; the newsroom key, to compare or give the CLI
	check(!shown.text.includes('docs/') && /ask the newsroom for the ghostdrop program/
		.test(shown.text.replace(/\s+/g, ' ')), '#nojs sends the worker to a repository path');
	check(shown.text.includes(d.newsroom), '#nojs does not show the newsroom key');
	check(!(await visible(page, '#app').catch(() => false)), 'the app shows without JavaScript');
	check(!(await visible(page, '#send').catch(() => false)), 'a send button shows without JavaScript');
	await noSideScroll(page, 'JavaScript off');
	// the stylesheet applied (not blocked by the CSP): the explanation is styled by style.css
	const styled = await page.evaluate(() => document.styleSheets.length);
	check(styled >= 1, 'no stylesheet applied');
	// each translation folded under its language's own name, a 44 px line to tap; opened, all
	// of them still fit 360 px
	const folds = await page.evaluate(() => [...document.querySelectorAll('#nojs details')]
		.map((e) => ({ lang: e.lang, name: e.querySelector('summary').textContent.trim(),
			h: e.querySelector('summary').getBoundingClientRect().height, open: e.open })));
	for (const l of LANGUAGES.filter((x) => x.code !== 'en')) {
		const f = folds.find((x) => x.lang === l.tag || x.lang === l.code);
		check(f && f.name === l.name && f.h >= 44 && !f.open,
			`#nojs: ${l.code}'s explanation is not folded under "${l.name}" on a 44 px line: ${
				JSON.stringify(f)}`);
	}
	// one line at the top in each language, in view at 360x640, each a link (a fragment: no
	// request) to its translation, which it opens (<details> opened on fragment navigation)
	const pointers = await page.evaluate(() => [...document.querySelectorAll('#nojs .nojs-langs a')]
		.map((a) => ({ href: a.getAttribute('href'), lang: a.lang, text: a.textContent,
			bottom: a.getBoundingClientRect().bottom + window.scrollY,
			h: a.getBoundingClientRect().height })));
	const asked = [];
	page.on('request', (rq) => asked.push(rq.url()));
	for (const l of LANGUAGES.filter((x) => x.code !== 'en')) {
		const p = pointers.find((x) => x.lang === l.tag);
		check(p && p.bottom <= 640 && p.h >= 44 && p.text.includes(l.name),
			`#nojs: no line for ${l.code} in the first 640 px: ${JSON.stringify(pointers)}`);
		if (!p)
			continue;
		await page.evaluate(() => window.scrollTo(0, 0));
		await page.click(`#nojs .nojs-langs a[href="${p.href}"]`);
		await new Promise((r) => setTimeout(r, 300));
		const to = await page.evaluate((id) => {
			const t = document.getElementById(id);
			const d = t && t.closest('details');
			const r = t && t.getBoundingClientRect();
			return t && { open: d && d.open, lang: d && d.lang, top: r.top, h: r.height,
				text: t.textContent };
		}, p.href.slice(1));
		check(to && to.open && to.lang === l.tag && to.top >= 0 && to.top < 640 && to.h > 0,
			`#nojs: the ${l.code} line's link ${p.href} does not show its text: ${JSON.stringify(to)}`);
		await page.evaluate(() => document.querySelectorAll('#nojs details').forEach((e) => {
			e.open = false;
		}));
	}
	check(asked.length === 0, `#nojs: the language links made requests: ${asked.join(' ')}`);
	const shots = path.join(build, 'meson-logs', 'web-lang');
	fs.mkdirSync(shots, { recursive: true });
	await page.evaluate(() => window.scrollTo(0, 0));
	await page.screenshot({ path: path.join(shots, 'nojs-top.png') });
	const clip = await page.evaluate(() => {
		const all = [...document.querySelectorAll('#nojs details')].map((e) =>
			e.getBoundingClientRect());
		const y = all[0].top - 40 + window.scrollY;
		return { x: 0, y, width: 360, height: all[all.length - 1].bottom + window.scrollY - y + 40 };
	});
	await page.screenshot({ path: path.join(shots, 'nojs-folded.png'), clip });
	await page.evaluate(() => document.querySelectorAll('#nojs details').forEach((e) => {
		e.open = true;
	}));
	await noSideScroll(page, 'JavaScript off, every translation open');
	await (await page.$('#nojs details')).screenshot({ path: path.join(shots, 'nojs-open.png') });
	log('JavaScript off: the explanation is shown, nothing else; in each language folded');
}

/* ---- (c') Tor Browser's Safer level: no JIT, no WebAssembly in the engine ---- */
async function safer(build) {
	const d = await drop(build);
	const browser = await h.launchBrowser({ mode: 'safer' });
	const page = await h.newPage(browser, { width: 360, height: 640 });
	await h.openPage(page, d.url + '/');
	await ready(page);
	// jitless is the whole renderer's: the page's workers have no WebAssembly either
	await setTestimony(page, TESTIMONY);
	await page.click('#no-reply');
	const t0 = Date.now();
	await send(page, { expect: [S.sent_no_reply] });
	const { subs } = await d.fetchAndOpen();
	check(subs.length === 1 && subs[0].message.equals(Buffer.from(TESTIMONY)),
		'the testimony sent at Safer did not arrive as written');
	log(`at Safer (no JIT, no WebAssembly): bundle verified, proof of work, sealed and sent in ` +
		`${((Date.now() - t0) / 1000).toFixed(1)} s, opened at the desk`);
}

/* ---- (d) a testimony and a JPEG with GPS through the page, opened at the desk ---- */

async function submitJpeg(page, browser, { noReply = false } = {}) {
	const jpeg = await h.makeGpsJpeg(browser);
	const file = path.join(h.tmpdir(), 'IMG_4021.jpg');
	fs.writeFileSync(file, jpeg.withGps);
	await setTestimony(page, TESTIMONY);
	await (await page.$('#attachments')).uploadFile(file);
	await page.waitForFunction((s) => document.getElementById('file-report').textContent
		.includes(s), { timeout: 20000 }, S.meta_gps);
	if (noReply)
		await page.click('#no-reply');
	const codename = await send(page, { expect: [noReply ? S.sent_no_reply : S.sent] });
	return { jpeg, codename };
}

function checkOpened(sub, jpeg) {
	check(sub.message.equals(Buffer.from(TESTIMONY)),
		`the testimony arrived different: ${JSON.stringify(sub.message.toString())}`);
	const names = Object.keys(sub.files).filter((n) => !/^(message\.txt|manifest\.json)$/.test(n));
	check(names.length === 1 && /^attachment-1\.jpe?g$/.test(names[0]),
		`attachments: ${names.join(', ')}`);
	const got = sub.files[names[0]];
	check(!got.includes(Buffer.from('Exif\0\0', 'latin1')), 'the photo still has its Exif block');
	check(!got.includes(Buffer.from(jpeg.marker)), 'the photo still names the camera');
	check(!h.jpegSegments(got).some((s) => s.marker === 0xe1), 'the photo has an APP1 segment');
	// nothing else changed: the image the canvas made, byte for byte
	check(got.equals(jpeg.clean), `the photo differs from the image without its Exif block ` +
		`(${got.length} bytes, wanted ${jpeg.clean.length})`);
}

/* The codename shown: numbered 1-8 in one column, focus on its heading (not on the button that
 * clears it), and cleared only once two of its words, asked at random, are typed back. */
async function writtenDown(page, codename) {
	const words = codename.split(/\s+/);
	const focused = await page.evaluate(() => document.activeElement.id);
	check(focused === 'done-heading', `focus on #${focused} when the codename is shown`);
	const items = await page.$$eval('#codename li', (l) => l.map((e) => ({
		text: e.textContent.trim(), x: Math.round(e.getBoundingClientRect().left),
		style: getComputedStyle(e).listStyleType })));
	check(items.length === 8 && items.every((it, i) => it.text === words[i]),
		`the codename's words are not 8 list items in order: ${JSON.stringify(items)}`);
	check(items.every((it) => it.style === 'decimal' && it.x === items[0].x),
		`the codename's words are not numbered in one column: ${JSON.stringify(items)}`);
	const pos = await page.$$eval('#written-check input', (l) => l.map((e) =>
		Number(e.dataset.position)));
	check(pos.length === 2 && pos[0] !== pos[1] && pos.every((n) => n >= 1 && n <= 8),
		`two words asked back, got positions ${JSON.stringify(pos)}`);
	// nothing typed, then the second word wrong: the codename stays, the wrong one is named
	await page.click('#codename-written');
	check(await page.$eval('#codename', (e) => e.textContent.trim()) === codename,
		'one tap on "I wrote it down" cleared the codename');
	await page.type('#written-a', words[pos[0] - 1].toUpperCase());
	await page.type('#written-b', words[pos[1] - 1] === 'abacus' ? 'zoom' : 'abacus');
	await page.click('#codename-written');
	const st = await statusText(page);
	check(st.includes(S.written_differs.replace('{position}', pos[1])),
		`a wrong word ${pos[1]}: the status says ${JSON.stringify(st)}`);
	// said next to that word's field, in view at 360x640 (not above the codename, off screen)
	const seen = await page.evaluate(() => {
		const v = document.getElementById('status-view'), r = v.getBoundingClientRect();
		const f = document.getElementById('written-b').getBoundingClientRect();
		return { text: v.textContent, hidden: v.hidden, top: r.top, bottom: r.bottom,
			gap: Math.min(Math.abs(r.top - f.bottom), Math.abs(f.top - r.bottom)),
			inner: window.innerHeight };
	});
	check(!seen.hidden && seen.text === st && seen.top >= 0 && seen.bottom <= seen.inner &&
		seen.gap < 60, `a wrong word ${pos[1]}: its message is not shown by its field, in view: ` +
		JSON.stringify(seen));
	check(await page.$eval('#codename', (e) => e.textContent.trim()) === codename,
		'a wrong word typed back cleared the codename');
	await page.$eval('#written-b', (e) => { e.value = ''; });
	await page.type('#written-b', ` ${words[pos[1] - 1]} `);
	await page.click('#codename-written');
	check(await page.$eval('#codename', (e) => e.textContent) === '', 'the codename stays shown');
	check(await page.$$eval('#written-check input', (l) => l.every((e) => e.value === '')),
		'the words typed back stay in the fields');
}

async function submit(build) {
	const d = await drop(build);
	const browser = await h.launchBrowser();
	const page = await h.newPage(browser, { width: 360, height: 640 });
	await h.openPage(page, d.url + '/');
	await ready(page);
	const t0 = Date.now();
	const { jpeg, codename } = await submitJpeg(page, browser);
	log(`sent in ${((Date.now() - t0) / 1000).toFixed(1)} s (codename derivation included)`);
	check(codename.split(/\s+/).length === 8, `the codename shown is not 8 words: ${codename}`);
	await noSideScroll(page, 'the codename shown');
	const shots = path.join(build, 'meson-logs', 'web-lang');
	fs.mkdirSync(shots, { recursive: true });
	await (await page.$('#codename')).screenshot({ path: path.join(shots, 'codename.png') });
	const { subs } = await d.fetchAndOpen();
	check(subs.length === 1, `${subs.length} submissions opened, wanted 1`);
	checkOpened(subs[0], jpeg);
	check(subs[0].source !== 'no-reply', 'the submission has no source (no codename)');
	await writtenDown(page, codename);
	log('the testimony arrived byte-identical, the photo without its Exif/GPS block');
}

/* ---- (e) a large attachment, the connection cut in the middle, resumed ---- */
async function resume(build) {
	const d = await drop(build, { conf: { upload_idle_seconds: 600 } });
	const proxy = await h.CutProxy.start(d.port);
	await d.publishBundle([proxy.url]);
	const browser = await h.launchBrowser();
	const page = await h.newPage(browser);
	await h.openPage(page, proxy.url + '/');
	await ready(page);
	const size = 24 << 20;
	const big = Buffer.alloc(size);
	for (let i = 0; i < size; i += 65536)
		h.randomFill(big.subarray(i, i + 65536));
	const file = path.join(h.tmpdir(), 'recording.m4a.bin');
	fs.writeFileSync(file, big);
	await setTestimony(page, 'the recording of the meeting');
	await (await page.$('#attachments')).uploadFile(file);
	await page.waitForSelector('#keep-1', { timeout: 20000 });
	await page.click('#keep-1');
	await page.click('#no-reply');
	const said = new Set();
	const watch = setInterval(() => statusText(page).then((s) => said.add(s), () => {}), 200);
	await page.click('#send');
	const base = proxy.up;
	await h.waitFor(() => proxy.up - base > 10 << 20, 'the first 10 MiB through the proxy', 180000,
		100);
	proxy.cut();
	log(`cut after ${((proxy.up - base) / 1048576).toFixed(1)} MiB`);
	await h.sleep(3000);
	await proxy.restore();
	log('connection back');
	const st = await waitStatus(page, [S.sent_no_reply], 300000);
	clearInterval(watch);
	check(st.includes(S.sent_no_reply), `after the cut the status says: ${st}`);
	const sent = proxy.up - base;
	check([...said].some((s) => s.includes(S.retrying)), 'the page never said it was retrying');
	check(sent < size * 1.6, `${(sent / 1048576).toFixed(1)} MiB went through for 24 MiB: ` +
		'started over instead of resuming');
	const { subs } = await d.fetchAndOpen();
	check(subs.length === 1, `${subs.length} submissions, wanted 1`);
	const names = Object.keys(subs[0].files).filter((n) => n.startsWith('attachment-'));
	check(names.length === 1 && subs[0].files[names[0]].equals(big),
		`the 24 MiB attachment did not arrive intact (${names.join(', ')})`);
	log(`24 MiB resumed after a cut: ${(sent / 1048576).toFixed(1)} MiB through the proxy, ` +
		'opened intact');
}

/* ---- (f) a follow-up and a reply read with the codename ---- */
async function cliSubmission(d, text) {
	const msg = path.join(d.dir, `cli-${Date.now()}.txt`);
	fs.writeFileSync(msg, text);
	const codeFile = path.join(d.dir, 'codename');
	await h.runProc(d.gdBin, ['submit', '--server', d.url, '--newsroom', d.newsroom,
		'--clearnet', '--message-file', msg, '--codename-out', codeFile]);
	return fs.readFileSync(codeFile, 'utf8').trim();
}

// The codename field is no password field and in no <form>: password managers offer to save
// those whatever autocomplete says, which would put the codename on a shared device's disk. It
// is masked by CSS (-webkit-text-security: Chromium, Safari, Firefox 114+), shown on request.
async function noPasswordField(page) {
	const field = () => page.$eval('#codename-input', (e) => ({ type: e.type,
		form: e.form !== null || e.closest('form') !== null, ac: e.autocomplete,
		passwords: document.querySelectorAll('input[type=password]').length,
		mask: getComputedStyle(e).webkitTextSecurity }));
	const f = await field();
	check(f.type === 'text' && !f.form && f.ac === 'off' && f.passwords === 0,
		`the codename field: ${JSON.stringify(f)}`);
	check(f.mask === 'disc', `the codename not masked: ${f.mask}`);
	await page.click('#codename-show');
	check((await field()).mask === 'none', 'the codename not shown on request');
	await page.click('#codename-show');
	check((await field()).mask === 'disc', 'the codename not masked again');
}

/* The page stays responsive while the codename's keys are made (256 MiB of Argon2id, in
 * kdfworker.js): a 50 ms timer in the page notes the largest gap between its ticks from now
 * until the status has moved past the derivation, and the progress texts it saw. On the main
 * thread (noble's argon2idAsync yields only to microtasks) no tick ran for the whole
 * derivation. Call before the click that derives; await what it returns after. */
async function watchDerivation(page) {
	await page.evaluate((prefix) => {
		const st = document.getElementById('status');
		const w = { s0: st.textContent, last: performance.now(), maxGap: 0, shown: [],
			t0: null, t1: null, done: false };
		window.gdWatch = w;
		w.timer = setInterval(() => {
			const now = performance.now(), s = st.textContent;
			w.maxGap = Math.max(w.maxGap, now - w.last);
			w.last = now;
			if (s.includes(prefix)) {
				if (w.t0 === null)
					w.t0 = now;
				if (!w.shown.includes(s))
					w.shown.push(s);
			} else if (s !== w.s0 || w.t0 !== null) {
				w.t1 = now;
				w.done = true;
				clearInterval(w.timer);
			}
		}, 50);
	}, S.codename_deriving.split('{')[0]);
	return async (what) => {
		await page.waitForFunction(() => window.gdWatch.done,
			{ timeout: 240000, polling: 200 });
		const w = await page.evaluate(() => window.gdWatch);
		const took = w.t0 === null ? '?' : ((w.t1 - w.t0) / 1000).toFixed(1);
		const gap = (w.maxGap / 1000).toFixed(2);
		log(`${what}: the page's 50 ms timer waited at most ${gap} s while the keys were ` +
			`made (${took} s), ${w.shown.length} progress texts shown`);
		check(w.maxGap < 2000, `${what}: the page froze ${gap} s while the codename's ` +
			'keys were made');
		check(w.shown.length >= 2, `${what}: the progress was shown ${w.shown.length} ` +
			'times');
	};
}

async function openCodename(page, codename, beforeOpen = async () => {}) {
	await page.click('#mode-back');
	await noPasswordField(page);
	await page.type('#codename-input', codename);
	await beforeOpen();
	await page.focus('#codename-input');
	await page.keyboard.press('Enter'); // no <form>: the field's keydown handler opens it
	await page.waitForFunction(() => !document.getElementById('mailbox').hidden ||
		document.getElementById('status').className.includes('error'),
	{ timeout: 240000, polling: 200 });
}

/* Deleting the replies asks a second tap ("Yes, delete them"), looks unlike "Forget the
 * codename", and comes after it. */
async function ackConfirm(page) {
	const look = await page.evaluate(() => {
		const ack = document.getElementById('ack'), forget = document.getElementById('forget');
		return { after: Boolean(forget.compareDocumentPosition(ack) &
			Node.DOCUMENT_POSITION_FOLLOWING), ack: getComputedStyle(ack).backgroundColor,
		forget: getComputedStyle(forget).backgroundColor };
	});
	check(look.after, '"Delete these replies" comes before "Forget the codename"');
	check(look.ack !== look.forget, `"Delete" looks like "Forget" (${look.ack})`);
	await page.click('#ack');
	check(await page.$$eval('#replies li', (l) => l.length) === 1,
		'one tap on "Delete these replies" deleted them');
	const label = await page.$eval('#ack', (e) => e.textContent.trim());
	check(label === S.ack_confirm, `#ack after one tap says ${JSON.stringify(label)}`);
	await page.click('#ack');
	const st = await waitStatus(page, [S.acked], 120000);
	check(st.includes(S.acked), `after the second tap the status says ${JSON.stringify(st)}`);
	check(await page.$$eval('#replies li', (l) => l.length) === 0, 'the replies stay shown');
}

async function followup(build) {
	const d = await drop(build);
	// the first testimony with the CLI: the page must derive the same keys from its codename
	const codename = await cliSubmission(d, 'the first testimony, from the command line\n');
	const first = await d.fetchAndOpen('batch1');
	check(first.subs.length === 1, 'the CLI submission did not open');
	const source = first.subs[0].source;
	const replyText = 'Thank you. Which client was it? — Ana';
	await d.reply(source, replyText);

	const browser = await h.launchBrowser();
	const page = await h.newPage(browser, { width: 360, height: 640 });
	await h.openPage(page, d.url + '/');
	await ready(page);
	const t0 = Date.now();
	let responsive;
	await openCodename(page, codename.toUpperCase().replace(/ /g, '  '), async () => {
		responsive = await watchDerivation(page);
	});
	log(`codename derived and mailbox read in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
	await responsive('coming back with a codename');
	const replies = await page.$$eval('#replies li', (l) => l.map((e) => e.textContent));
	check(replies.length === 1 && replies[0].includes(replyText) && replies[0].includes('Ana'),
		`replies shown: ${JSON.stringify(replies)} (status: ${await statusText(page)})`);
	await noSideScroll(page, 'the replies');
	await focusOn(page, 'replies-heading', 'the replies shown');
	await ackConfirm(page);
	const follow = 'Follow-up: it was the shopping-site client, March to May.\n';
	await setTestimony(page, follow);
	await send(page, { expect: [S.sent_followup] });
	await focusOn(page, 'back-heading', 'the follow-up sent');
	const second = await d.fetchAndOpen('batch2');
	const sub = second.subs.find((s) => s.message.equals(Buffer.from(follow)));
	check(sub, `the follow-up did not arrive as sent (${second.subs.length} opened)`);
	check(sub.source === source, `the follow-up came as source ${sub.source}, not ${source}`);
	log('the reply was read with the CLI\'s codename; the follow-up arrived from the same source');
}

/* ---- (g) a bundle that does not verify; a tampered reply ---- */
async function refuse(build) {
	const d = await drop(build);
	const impostor = await h.otherNewsroomBundle(build, [d.url]);
	const browser = await h.launchBrowser();
	// 1. the drop serves a bundle signed by another newsroom key
	let page = await h.newPage(browser, { width: 360, height: 640 });
	await page.setRequestInterception(true);
	page.on('request', (r) => {
		if (r.isInterceptResolutionHandled())
			return;
		if (new URL(r.url()).pathname === '/v1/bundle')
			r.respond({ status: 200, contentType: 'application/octet-stream', body: impostor });
		else
			r.continue();
	});
	await h.openPage(page, d.url + '/');
	await page.waitForFunction(() => document.getElementById('status').className.includes('error'),
		{ timeout: 60000 });
	let st = await statusText(page);
	check(st.includes(S.bundle_signature) && st.includes(S.bundle_failed_title),
		`a bundle of another newsroom: the status says ${JSON.stringify(st)}`);
	check(!(await page.$eval('#modes', (e) => !e.hidden)), 'the page offers to send anyway');
	check(!(await visible(page, '#send').catch(() => false)), 'the send button is shown anyway');
	await noSideScroll(page, 'the bundle refused');
	await page.close();
	log('a bundle signed by another newsroom: refused, nothing offered');

	// 2. a reply changed on the way (one byte of its ciphertext)
	const codename = await cliSubmission(d, 'a testimony to be answered\n');
	const { subs } = await d.fetchAndOpen();
	await d.reply(subs[0].source, 'a genuine reply, then tampered with', { tamper: true });
	log('a reply tampered with at the drop (one byte of its ciphertext)');
	page = await h.newPage(browser, { width: 360, height: 640 });
	await h.openPage(page, d.url + '/');
	await ready(page);
	await openCodename(page, codename);
	st = await statusText(page);
	check(st.includes(S.replies_forged_one), `a tampered reply: the status says ${JSON.stringify(st)}`);
	check(await statusClass(page).then((c) => c.includes('error')), 'not shown as an error');
	const shown = await page.$$eval('#replies li', (l) => l.length);
	check(shown === 0, `${shown} replies shown, the tampered one among them`);
	log('a tampered reply: not shown, the page says it did not come from the newsroom');

	// 3. every answer to POST /v1/submissions lost after the drop stored it: the page says it may
	// have arrived (not "Nothing was stored"), and Send again with the same text is
	// already_stored: the desk gets one copy
	const lostText = 'a testimony whose answer was lost on the way back\n';
	page = await h.newPage(browser, { width: 360, height: 640 });
	const cdp = await page.createCDPSession();
	let cut = true, cutN = 0;
	cdp.on('Fetch.requestPaused', (e) => {
		const fail = cut && e.request.method === 'POST';
		cutN += fail;
		cdp.send(fail ? 'Fetch.failRequest' : 'Fetch.continueRequest', fail
			? { requestId: e.requestId, errorReason: 'ConnectionReset' } : { requestId: e.requestId })
			.catch(() => {});
	});
	await cdp.send('Fetch.enable', { patterns: [{ urlPattern: '*/v1/submissions', requestStage: 'Response' }] });
	await h.openPage(page, d.url + '/');
	await ready(page);
	await setTestimony(page, lostText);
	await page.click('#no-reply');
	await send(page, { expect: [S.err_may_have_arrived, S.err_nothing_sent] });
	st = await statusText(page);
	check(cutN >= 1 && st.includes(S.err_may_have_arrived) && !st.includes(S.err_nothing_sent),
		`an answer lost after the drop stored it (${cutN} cut): the status says ${JSON.stringify(st)}`);
	cut = false;
	await send(page, { expect: [S.sent_already, S.sent_no_reply] });
	check((await statusText(page)).includes(S.sent_already), 'sent again: not already_stored');
	const lostSubs = (await d.fetchAndOpen('batch-lost')).subs
		.filter((x) => x.message && x.message.equals(Buffer.from(lostText)));
	check(lostSubs.length === 1, `the testimony whose answer was lost: ${lostSubs.length} copies at the desk`);
	log('an answer lost after the drop stored it: "may have arrived", sent again: one copy');
	await restartedDrop(browser, d);
}

/* The drop forgets an upload mid-way (404 upload_not_found: it restarted): the page seals again
 * and starts over with a new proof of work, and says so, not that it continues. */
async function restartedDrop(browser, d) {
	const page = await h.newPage(browser, { width: 360, height: 640 });
	const cdp = await page.createCDPSession();
	let forgot = 0;
	cdp.on('Fetch.requestPaused', (e) => {
		const forget = forgot === 0 && e.request.method === 'PUT';
		forgot += forget;
		const body = Buffer.from(JSON.stringify({ error: 'upload_not_found',
			message: 'no such upload' })).toString('base64');
		cdp.send(forget ? 'Fetch.fulfillRequest' : 'Fetch.continueRequest', forget
			? { requestId: e.requestId, responseCode: 404, body, responseHeaders: [
				{ name: 'Content-Type', value: 'application/json' }] }
			: { requestId: e.requestId }).catch(() => {});
	});
	await cdp.send('Fetch.enable', { patterns: [{ urlPattern: '*/v1/uploads/*/chunks/*',
		requestStage: 'Request' }] });
	await h.openPage(page, d.url + '/');
	await ready(page);
	await page.evaluate(() => {
		window.gdSaid = [];
		new MutationObserver(() => window.gdSaid.push(document.getElementById('status')
			.textContent)).observe(document.getElementById('status'),
		{ childList: true, subtree: true, characterData: true });
	});
	const file = path.join(h.tmpdir(), 'notes.bin');
	fs.writeFileSync(file, crypto.randomBytes(1536 << 10));
	await setTestimony(page, 'sent again after the drop restarted');
	await (await page.$('#attachments')).uploadFile(file);
	await page.waitForSelector('#keep-1', { timeout: 20000 });
	await page.click('#keep-1');
	await page.click('#no-reply');
	await send(page, { expect: [S.sent_no_reply] });
	const said = await page.evaluate(() => window.gdSaid);
	check(forgot === 1, `the drop forgot ${forgot} uploads`);
	check(said.some((x) => x.includes(S.restarted)),
		`the page never said the drop restarted: ${JSON.stringify([...new Set(said)])}`);
	check(!said.some((x) => /where it stopped/.test(x)),
		'the page said it continues where it stopped, after starting over');
	log('the drop forgot the upload: the page said it sends again from the start, and sent it');
}

/* ---- (h) the same submission through the private Tor network, from the onion address ---- */
async function tor(build) {
	const testnet = path.join(h.SRC, '..', 'shared', 'tools', 'tor-testnet');
	check(fs.existsSync(testnet), `${testnet} not found: the Tor case needs the shared tool`);
	const d = await drop(build);
	const tn = path.join(h.tmpdir(), 'tn');
	h.atExit(() => {
		try {
			execFileSync(testnet, ['stop', tn], { stdio: 'ignore', timeout: 30000 });
		} catch {}
	});
	log('starting a private Tor network (about a minute)');
	const r = await h.runProc(testnet, ['start', tn, String(d.port)], { allowFail: true,
		timeoutS: 240 });
	check(r.code === 0, `tor-testnet did not start: ${r.stderr.split('\n').slice(-15).join('\n')}`);
	const env = Object.fromEntries(r.stdout.toString().trim().split('\n').map((l) =>
		l.split('=')));
	check(env.TOR_SOCKS && env.ONION, `tor-testnet said: ${r.stdout}`);
	const onion = `http://${env.ONION}`;
	await d.publishBundle([onion]);
	const browser = await h.launchBrowser({ proxy: `socks5://${env.TOR_SOCKS}`,
		// Tor Browser treats an onion address as a secure context; Chromium needs telling
		extraArgs: [`--unsafely-treat-insecure-origin-as-secure=${onion}`] });
	const page = await h.newPage(browser, { width: 360, height: 640 });
	const origin = new Set();
	page.on('request', (q) => origin.add(new URL(q.url()).origin));
	const t0 = Date.now();
	await h.openPage(page, onion + '/');
	await ready(page);
	log(`the page loaded and checked its bundle through the onion in ${((Date.now() - t0) / 1000)
		.toFixed(1)} s`);
	const { jpeg } = await submitJpeg(page, browser, { noReply: true });
	log(`sent through the onion in ${((Date.now() - t0) / 1000).toFixed(1)} s from the start`);
	check(origin.size === 1 && origin.has(onion), `requests went to ${[...origin].join(' ')}`);
	const { subs } = await d.fetchAndOpen();
	check(subs.length === 1, `${subs.length} submissions opened, wanted 1`);
	checkOpened(subs[0], jpeg);
	const logged = d.log().split('\n').filter((l) => !/listening on|serving/.test(l)).join('\n');
	check(!logged.includes('127.0.0.1') && !logged.includes('400 images'),
		`the drop's log names a client or the testimony: ${logged}`);
	log('through Tor: the testimony byte-identical, the photo without its Exif/GPS block');
}

/* ---- (v) every case of tests/vectors, replayed in the page by the files the drop serves ---- */
async function vectors(build) {
	// the same replay as web_vectors (vectors-replay.mjs), run by Node at the same time: the
	// page must make exactly as many checks, all passing
	const { MODULES } = await import('./vectors-replay.mjs');
	const replaySrc = fs.readFileSync(path.join(h.SRC, 'tests/web/vectors-replay.mjs'), 'utf8');
	const docs = Object.fromEntries(MODULES.map((m) =>
		[m, JSON.parse(fs.readFileSync(path.join(h.SRC, 'tests/vectors', m + '.json'), 'utf8'))]));
	const inNode = h.runProc(process.execPath,
		['--noexpose_wasm', path.join(h.SRC, 'tests/web/vectors.mjs'), h.SRC], { timeoutS: 300 });
	const d = await drop(build);
	const browser = await h.launchBrowser();
	const page = await h.newPage(browser);
	await h.openPage(page, d.url + '/');
	await ready(page);
	// the replay is a test file, not an asset: evaluated through DevTools (which the page's CSP
	// does not govern); what it tests, gdproto.js and its dependencies, is imported from the drop
	await page.evaluate(`window.gdReplayVectors = (() => {${replaySrc.replace(/^export /gm, '')}
		return replayVectors; })()`);
	const t0 = Date.now();
	const r = await page.evaluate(async (docs) => {
		const base = new URL('.', document.querySelector('script[type=module]').src).pathname;
		const [{ createProto }, { WORDS }, { argon2idAsync }, { blake2b }] = await Promise.all(
			['gdproto.js', 'wordlist.js', 'vendor/noble/argon2.js', 'vendor/noble/blake2.js']
				.map((n) => import(base + n)));
		await window.sodium.ready;
		const lines = [];
		const sink = { log: (...a) => lines.push(a.join(' ')), error: (...a) => lines.push(a.join(' ')) };
		const res = await window.gdReplayVectors(
			{ createProto, sodium: window.sodium, argon2idAsync, blake2b, words: WORDS }, docs, sink);
		return { ...res, lines, base };
	}, docs);
	for (const l of r.lines)
		log(`page: ${l}`);
	log(`in the page (${r.base}, WebAssembly ${r.wasm ? 'on' : 'off'}): ` +
		`${r.checks - r.failures}/${r.checks} checks passed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
	const node = (await inNode).stdout.toString();
	const m = /web_vectors: (\d+)\/(\d+) checks passed/.exec(node);
	check(m && m[1] === m[2], `web_vectors in Node did not pass: ${node}`);
	check(!r.wasm, 'the page had WebAssembly: not the path of Tor Browser at Safer');
	check(r.failures === 0, `${r.failures} of ${r.checks} checks failed in the page`);
	check(r.checks === Number(m[2]), `the page made ${r.checks} checks, Node ${m[2]}`);
	log(`tests/vectors in Chromium: ${r.checks} checks, as many as in Node, all passed`);
}

/* ---- (k) the page's languages (issue 18): for each, Accept-Language (and navigator.languages)
 * set through DevTools -> that language shown everywhere (every data-s text, the title, <html
 * lang>) at 360x640 without sideways scroll; then the selector switches a page holding a file
 * report and an error to every language with no request, status and report included. A
 * screenshot per language is kept in BUILD/meson-logs/web-lang/ for a human to look at. ---- */
const LANG_ASKED = { en: 'en-US,en', es: 'es-CO,es', pt_BR: 'pt-BR,pt', fil: 'fil-PH,tl',
	sw: 'sw-KE,sw', fr: 'fr-FR,fr' };

function tr(cat, key, vars = {}) {
	return cat[key].replace(/\{([a-z_]+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
}

/* Every visible data-s element says its key's text in cat; the title and <html lang> too. */
async function shownIn(page, code, where) {
	const cat = STRINGS[code], tag = LANGUAGES.find((l) => l.code === code).tag;
	const got = await page.evaluate(() => ({
		lang: document.documentElement.lang, title: document.title,
		sel: document.getElementById('lang').value,
		note: !document.getElementById('lang-note').hidden,
		texts: [...document.querySelectorAll('#app [data-s]')].filter((e) => e.offsetParent !== null)
			.map((e) => [e.dataset.s, e.textContent]),
		heading: document.getElementById('heading').textContent,
		send: document.getElementById('send').textContent,
		label: document.querySelector('label[for="lang"] [data-s="lang_label"]').textContent,
	}));
	check(got.lang === tag, `${where}: <html lang="${got.lang}">, wanted ${tag}`);
	check(got.title === cat.page_title, `${where}: title ${JSON.stringify(got.title)}`);
	check(got.sel === code, `${where}: the selector shows ${got.sel}`);
	check(got.note === (code !== 'en'), `${where}: the review note is ${got.note ? '' : 'not '}shown`);
	check(got.label === cat.lang_label, `${where}: the selector's label is ${JSON.stringify(got.label)}`);
	check(got.send === cat.send, `${where}: #send says ${JSON.stringify(got.send)}`);
	check(got.heading === cat.heading || got.heading.startsWith(cat.heading_named.split('{')[0]),
		`${where}: the heading is ${JSON.stringify(got.heading)}`);
	check(got.texts.length >= 10, `${where}: only ${got.texts.length} texts shown`);
	for (const [k, v] of got.texts)
		check(v === cat[k], `${where}: ${k} shows ${JSON.stringify(v)}, wanted ${JSON.stringify(cat[k])}`);
}

async function lang(build) {
	const d = await drop(build);
	const browser = await h.launchBrowser();
	const shots = path.join(build, 'meson-logs', 'web-lang');
	fs.mkdirSync(shots, { recursive: true });
	const codes = LANGUAGES.map((l) => l.code);
	for (const code of Object.keys(LANG_ASKED))
		check(Object.hasOwn(STRINGS, code), `${code}: not in strings.js's STRINGS`);
	for (const code of codes) {
		const page = await h.newPage(browser, { width: 360, height: 640 });
		const cdp = await page.createCDPSession();
		await cdp.send('Network.enable');
		const sent = [];
		cdp.on('Network.requestWillBeSentExtraInfo', (e) => {
			const hd = Object.fromEntries(Object.entries(e.headers).map(([k, v]) =>
				[k.toLowerCase(), v]));
			sent.push(hd['accept-language']);
		});
		const ua = await browser.userAgent();
		await cdp.send('Network.setUserAgentOverride', { userAgent: ua,
			acceptLanguage: LANG_ASKED[code] });
		await h.openPage(page, d.url + '/');
		await ready(page);
		const first = LANG_ASKED[code].split(',')[0];
		check(sent.length > 0 && sent.every((a) => a && a.startsWith(first)),
			`${code}: Accept-Language sent: ${JSON.stringify(sent.slice(0, 3))}, wanted ${first}...`);
		const nl = await page.evaluate(() => [...navigator.languages]);
		check(nl[0] === first, `${code}: navigator.languages is ${JSON.stringify(nl)}`);
		await shownIn(page, code, `${code} (asked ${LANG_ASKED[code]})`);
		// loaded: still at the top (the loading statuses scrolled it down 287-575 px), the
		// selector in view, its label in every language (Tor Browser asks pages for English)
		const top = await page.evaluate(() => {
			const r = document.getElementById('lang').getBoundingClientRect();
			return { y: window.scrollY, top: r.top, bottom: r.bottom,
				label: document.querySelector('label[for="lang"]').textContent };
		});
		check(top.y === 0 && top.top >= 0 && top.bottom <= 640, `${code}: after loading the page ` +
			`is scrolled ${top.y} px, #lang at ${top.top}..${top.bottom} of 640`);
		for (const l of codes)
			check(top.label.includes(STRINGS[l].lang_label), `${code}: the selector's label ` +
				`${JSON.stringify(top.label)} lacks ${l}'s ${JSON.stringify(STRINGS[l].lang_label)}`);
		const box = await (await page.$('#lang')).boundingBox();
		const head = await (await page.$('#heading')).boundingBox();
		check(box.height >= 44 && box.width >= 44 && box.x + box.width <= 360 && box.y < head.y,
			`${code}: #lang is ${box.width}x${box.height} at ${box.x},${box.y}: not a 44 px ` +
			'target at the top within 360 px');
		await noSideScroll(page, `${code}: write`);
		await page.screenshot({ path: path.join(shots, `top-${code}.png`) }); // as first seen
		await page.screenshot({ path: path.join(shots, `write-${code}.png`), fullPage: true });
		await page.click('#mode-back');
		await noSideScroll(page, `${code}: come back`);
		await shownIn(page, code, `${code}: come back`);
		await page.close();
	}

	// the selector, on a page holding a file report (a size) and an error (a refusal)
	const page = await h.newPage(browser, { width: 360, height: 640 });
	await h.openPage(page, d.url + '/');
	await ready(page);
	const doc = path.join(h.tmpdir(), 'report.odt');
	fs.writeFileSync(doc, 'not a document');
	await setTestimony(page, 'x'.repeat(1536));
	await (await page.$('#attachments')).uploadFile(doc);
	await page.waitForFunction(() => document.querySelectorAll('#file-report li').length === 2 &&
		!document.getElementById('file-report').textContent.includes('…'), { timeout: 20000 });
	await page.click('#send');
	await page.waitForFunction(() => document.getElementById('status').className.includes('error'),
		{ timeout: 20000 });
	const requests = [];
	page.on('request', (r) => requests.push(r.url()));
	for (const code of [...codes.slice(1), 'en']) {
		await page.select('#lang', code);
		const cat = STRINGS[code], tag = LANGUAGES.find((l) => l.code === code).tag;
		await shownIn(page, code, `switched to ${code}`);
		const n = new Intl.NumberFormat(tag, { minimumFractionDigits: 1, maximumFractionDigits: 1 })
			.format(1.5);
		const got = await page.evaluate(() => ({
			st: document.getElementById('status').textContent,
			view: document.getElementById('status-view').textContent,
			report: [...document.querySelectorAll('#file-report li')].map((e) => e.textContent),
			what: document.querySelector('#file-1 .file-what').textContent,
			keep: document.querySelector('#file-1 label.check').textContent,
		}));
		const wantMsg = tr(cat, 'file_message', { size: tr(cat, 'size_kib', { n }) });
		check(got.report[0] === wantMsg, `switched to ${code}: the report says ${
			JSON.stringify(got.report[0])}, wanted ${JSON.stringify(wantMsg)}`);
		check(got.what === cat.file_not_cleaned_doc, `switched to ${code}: the file's report is ${
			JSON.stringify(got.what)}`);
		check(got.keep === cat.file_keep_label, `switched to ${code}: ${JSON.stringify(got.keep)}`);
		const parts = cat.files_keep_needed.split('{names}');
		check(parts.every((p) => got.st.includes(p)) && got.st.includes('report.odt') &&
			got.view === got.st, `switched to ${code}: the status says ${JSON.stringify(got.st)}`);
	}
	await page.click('#mode-back');
	await page.type('#codename-input', 'abacus abdomen abdominal abide abiding ability ablaze');
	await page.click('#codename-open');
	await page.waitForFunction(() => document.getElementById('status').className.includes('error'),
		{ timeout: 20000 });
	for (const code of codes.slice(1)) {
		await page.select('#lang', code);
		const st = await statusText(page);
		check(st === tr(STRINGS[code], 'codename_wrong_count', { count: 7 }),
			`switched to ${code} on come back: the status says ${JSON.stringify(st)}`);
	}
	check(requests.length === 0, `switching language made requests: ${requests.join(' ')}`);
	const stored = await page.evaluate(() => [localStorage.length, sessionStorage.length,
		document.cookie]);
	check(stored[0] === 0 && stored[1] === 0 && stored[2] === '', `the page stored: ${stored}`);
	log(`${codes.length} languages shown from Accept-Language at 360x640 and switched with ` +
		`no request (screenshots in ${shots})`);
}

const CASES = { headers, layout, nojs, safer, submit, resume, followup, refuse, tor, vectors, lang };

h.run('browser', async (build, names) => {
	if (names.length === 0 || names.some((n) => !CASES[n]))
		fail(`cases: ${Object.keys(CASES).join(' ')}`);
	for (const n of names) {
		log(`== ${n}`);
		await CASES[n](build);
	}
}, { timeoutS: Number(process.env.GD_WEB_TIMEOUT || 280) });
