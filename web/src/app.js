// ghostdrop's submission page: the screens (write, send, codename shown once, come back) over
// gdproto.js (the protocol) and client.js (the drop's HTTP API). Every word shown comes from
// strings.js. Nothing is stored: no cookie, no Web Storage, no IndexedDB; secrets live in this
// page's memory only and are wiped (sodium.memzero) once used. JavaScript strings (the
// testimony, the codename) cannot be wiped: their references are dropped and the fields emptied.

import { STRINGS, LANGUAGES, pickLanguage } from './strings.js';

const MAX_TEXT = 128 * 1024; // GD_ENV_MAX_TEXT: the manifest's text, in UTF-8 bytes
const MAX_FILES = 256; // the manifest's attachments (PROTOCOL.md §6.2)
const TICK_MS = 1500; // status text updated at most this often while numbers move (aria-live)

// The language: the first of the browser's that the page has (Tor Browser asks for English
// whatever its own language), then the selector (#lang), which switches at once: every
// catalogue came with the page, so switching asks the drop for nothing, and nothing remembers
// the choice (no cookie, no storage). No English fallback: a key a language lacks is a fault
// its test (tests/web/lang.mjs) reports, not an English sentence in the middle of another.
let lang = pickLanguage(navigator.languages || [navigator.language || 'en']);
let S = STRINGS[lang];
const numbers = new Map(); // Intl.NumberFormat by language and decimals

function langTag() {
	return LANGUAGES.find((l) => l.code === lang).tag;
}

// A number as the language writes it (1.5 in English, 1,5 in Spanish); digits only if Intl
// cannot format for the language.
function num(v, decimals = 0) {
	const k = `${lang} ${decimals}`;
	try {
		if (!numbers.has(k))
			numbers.set(k, new Intl.NumberFormat(langTag(), { minimumFractionDigits: decimals,
				maximumFractionDigits: decimals }));
		return numbers.get(k).format(v);
	} catch {
		return v.toFixed(decimals);
	}
}

// A catalogue string with its {placeholders} filled; numbers as the language writes them.
function t(key, vars = {}) {
	const s = Object.hasOwn(S, key) ? S[key] : key;
	return s.replace(/\{([a-z_]+)\}/g, (m, k) => {
		if (!Object.hasOwn(vars, k))
			return m;
		return typeof vars[k] === 'number' ? num(vars[k]) : String(vars[k]);
	});
}

// What is shown that is not a catalogue string as it is (a status, a count, a file's report) is
// kept as a function of the language, inLang(), called again when the language changes.
const inLang = (v) => (typeof v === 'function' ? v() : v);

const $ = (id) => document.getElementById(id);

// ---- what the page holds (memory only) ----
let sodium, gd, client, strip;
let rootPk = null; // the newsroom key (32 bytes)
let bundle = null; // verified
let mode = 'write'; // 'write' (a new testimony) or 'back' (come back with a codename)
let session = null; // {canonical, keys}: a codename typed to come back
let fresh = null; // {canonical, keys}: a new codename made for a send that has not finished
// The last send that failed after its testimony may have reached the drop (in memory only):
// {id, seed, digest, blobs, mayHave}. Send again with the same inputs: the same id and
// seed seal the same bytes, which the drop answers already_stored instead of keeping two.
let lastTry = null;
let entries = []; // attachments: {file, res (strip.cleanFile's, or null while checked), keep}
let checking = Promise.resolve();
let busy = false;
let codenameShown = false;

// ---- status ----
let lastTick = 0;
let lastPhase = '';

// scroll: brought into view if it is not (not for each tick of a progress: the person may have
// scrolled away to read). announce: false updates only what is shown (#status-view), not the
// live region a screen reader reads out (#status).
// msg and title: a string, or a function giving it in the current language (see inLang()).
let shownStatus = { msg: '', kind: 'info', title: null };

function setStatus(msg, kind = 'info', title = null, scroll = true, announce = true) {
	shownStatus = { msg, kind, title };
	const m = inLang(msg), h = inLang(title);
	for (const st of announce ? [$('status'), $('status-view')] : [$('status-view')]) {
		st.replaceChildren();
		st.className = `status ${kind}${st.id === 'status' ? ' sr-only' : ''}`;
		if (h) {
			const b = document.createElement('strong');
			b.textContent = h;
			st.append(b, document.createElement('br'));
		}
		if (m)
			st.append(m);
		st.hidden = !m && !h;
	}
	lastPhase = '';
	if (scroll && !$('status-view').hidden)
		statusIntoView();
}

// What the status shows, and its progress bar, move to where the person is looking (after the
// button just pressed, before a screen just shown), and into view: on a phone the top of the
// page is far. The live region itself (#status) stays where it is.
function placeStatus(el, before = false) {
	const st = $('status-view'), bar = $('progress');
	if (before)
		el.before(st, bar);
	else
		el.after(st, bar);
}

function statusIntoView() {
	const st = $('status-view');
	const r = st.getBoundingClientRect();
	if (r.top < 0 || r.bottom > window.innerHeight)
		st.scrollIntoView({ block: 'nearest' });
}

// Progress of a long step: the text changes at once for a new phase, else at most every TICK_MS;
// a screen reader hears a new phase, and then every 25 %.
let lastQuarter = -1;

function progress(phase, msg, done, total) {
	const bar = $('progress');
	bar.hidden = false;
	if (total > 0) {
		bar.max = total;
		bar.value = Math.min(done, total);
	} else if (done !== null)
		bar.removeAttribute('value'); // indeterminate; null: as it was (a retry)
	const now = Date.now();
	if (phase === lastPhase && (now - lastTick < TICK_MS ||
		inLang(msg) === $('status-view').textContent))
		return;
	const quarter = total > 0 ? Math.floor((4 * Math.min(done, total)) / total) : -1;
	const announce = phase !== lastPhase || quarter !== lastQuarter;
	setStatus(msg, 'info', null, phase !== lastPhase, announce);
	lastPhase = phase;
	lastTick = now;
	if (announce)
		lastQuarter = quarter;
}

function progressDone() {
	$('progress').hidden = true;
}

// client/attach.c's attach_human_size, in the catalogue's words
function humanSize(n) {
	if (n === 1)
		return t('size_byte');
	if (n < 1024)
		return t('size_bytes', { n });
	const units = ['size_kib', 'size_mib', 'size_gib'];
	let v = n / 1024, u = 0;
	while (v >= 1024 && u < units.length - 1) {
		v /= 1024;
		u++;
	}
	return t(units[u], { n: num(v, 1) });
}

// ---- secrets ----
function forgetTry() {
	if (lastTry !== null)
		lastTry.seed.fill(0);
	lastTry = null;
}

// What a send seals, as one string (the text hashed) and the cleaned files as objects: equal
// inputs give the same envelope under the same id and seed.
function inputsOf(kind, keys, text, files) {
	const meta = JSON.stringify([kind, keys ? gd.b64u.encode(keys.mailbox_pk) : null,
		files.map((f, i) => [f.name, f.type, f.blob.size, entries[i].file.name, entries[i].file.size,
			entries[i].file.lastModified])]);
	const enc = new TextEncoder();
	return { digest: `${gd.b64u.encode(gd.chunkHash(enc.encode(text)))}.${meta}`,
		blobs: files.map((f) => f.blob) };
}

function wipeKeys(keys) {
	if (!keys)
		return;
	for (const v of Object.values(keys))
		if (v instanceof Uint8Array)
			sodium.memzero(v);
}

function forgetSession() {
	if (session)
		wipeKeys(session.keys);
	session = null;
	armAck(false);
	shownReplies = [];
	$('replies').replaceChildren();
	$('mailbox').hidden = true;
	$('codename-form').hidden = false;
	render();
}

// ---- errors, in the catalogue's words ----
function errorCode(e) {
	if (e && typeof e.code === 'string')
		return e.code;
	if (e && e.name === 'NotReadableError')
		return 'file_changed';
	console.error(e); // not one of client.js's: a fault of this page, told by its name
	return (e && e.name) || 'error';
}

// e: an error, or its code (errorCode's, once: it logs a fault of the page)
function errorText(e) {
	const code = typeof e === 'string' ? e : errorCode(e);
	const map = {
		network: 'err_network', timeout: 'err_network',
		overloaded: 'err_overloaded', too_many_uploads: 'err_overloaded',
		chunk_pending: 'err_overloaded', commit_pending: 'err_overloaded',
		storage_full: 'err_storage_full',
		envelope_too_large: 'err_envelope_too_large', body_too_large: 'err_body_too_large',
		too_large: 'err_too_large',
		pow: 'err_pow', bad_pow: 'err_pow', pow_invalid: 'err_pow', pow_expired: 'err_pow',
		pow_required: 'err_pow', pow_purpose: 'err_pow', pow_replayed: 'err_pow',
		pow_size: 'err_pow', pow_outdated: 'err_pow',
		forged: 'err_forged',
		file_changed: 'err_file_changed', file_unreadable: 'err_file_changed',
		malformed: 'err_malformed',
		kdf_memory: 'err_kdf_memory',
	};
	return t(map[code] || 'err_other', { code });
}

// The bundle does not verify (or cannot be had): which, and what to do.
function bundleFailed(e) {
	const code = errorCode(e).replace(/^bundle_/, '');
	const map = {
		signature: 'bundle_signature', expired: 'bundle_expired', rollback: 'bundle_rollback',
		no_key: 'bundle_no_key', unlisted: 'bundle_unlisted', server: 'bundle_unlisted',
		not_listed: 'bundle_unlisted', no_bundle: 'bundle_missing', not_found: 'bundle_missing',
		network: 'bundle_network', timeout: 'bundle_network',
	};
	const key = map[code] || 'bundle_bad';
	// not an attack on this worker (the newsroom's key is fine): no "do not send here"
	if (key === 'bundle_network' || key === 'bundle_missing' || key === 'bundle_expired')
		setStatus(() => t(key), 'error');
	else
		setStatus(() => t(key, { code }), 'error', () => t('bundle_failed_title'));
}

// ---- screens ----
function render() {
	const followup = mode === 'back' && session !== null;
	$('mode-write').setAttribute('aria-pressed', String(mode === 'write'));
	$('mode-back').setAttribute('aria-pressed', String(mode === 'back'));
	$('back').hidden = mode !== 'back';
	$('write').hidden = mode === 'back' && !followup;
	$('write-heading').textContent = t(followup ? 'followup_heading' : 'write_heading');
	$('send').textContent = t(followup ? 'followup_send' : 'send');
	$('no-reply-row').hidden = followup;
}

function showOnly(id) {
	for (const s of ['modes', 'back', 'write', 'done', 'after'])
		$(s).hidden = s !== id;
}

function showMain() {
	$('done').hidden = true;
	$('after').hidden = true;
	$('modes').hidden = false;
	render();
}

// <body data-state>: what the page is doing, for tests and tools (docs/WORKER.md): loading,
// ready, busy (deriving, sending, reading), codename (a new one shown), refused (it cannot be
// used: the key, the bundle or its code).
function setState(state) {
	document.body.dataset.state = state;
}

function setBusy(b) {
	busy = b;
	setState(b ? 'busy' : codenameShown ? 'codename' : 'ready');
	for (const el of document.querySelectorAll('#modes button, #back input, #back button, ' +
		'#write textarea, #write input, #write button'))
		el.disabled = b;
}

// ---- attachments ----
// A file's own name as shown: control characters and the bidirectional controls become '?', as
// client/attach.c's attach_safe_name does, so a name cannot reorder what is shown around it.
function safeName(name) {
	return name.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '?');
}

function neutralName(i) {
	const e = entries[i];
	return strip.neutralName(e.file.name, i, e.res ? e.res.kind : 'other');
}

// What will be done to the file, in the CLI's words; '' while it is checked.
function describe(e) {
	const r = e.res;
	if (r === null)
		return t('file_checking');
	if (r.error)
		return t('file_unreadable');
	if (r.cleaned) {
		if (r.removed.length === 0)
			return t('file_nothing_found');
		const what = r.removed.map((k) => t(Object.hasOwn(S, `meta_${k}`) ? `meta_${k}` :
			'meta_other'));
		return t('file_removed', { what: [...new Set(what)].join(t('list_separator')) });
	}
	if (r.note && r.note !== 'not_cleaned' && Object.hasOwn(S, `file_${r.note}`))
		return t(`file_${r.note}`);
	return t(`file_not_cleaned${uncleanedKind(e.file)}`);
}

// What a file the page cannot clean is likely to hold, by its media type (its name's, else the
// browser's): '_doc' (an office document or PDF: its author and software), '_media' (a video or
// a recording: the device and place), '' (anything else).
function uncleanedKind(file) {
	const named = strip.mediaType(file.name, 'other');
	const type = (named !== 'application/octet-stream' ? named : file.type || '').toLowerCase();
	if (/^(video|audio)\//.test(type))
		return '_media';
	if (/^application\/(pdf|msword|rtf|epub|vnd\.(oasis\.opendocument|openxmlformats|ms-))/
		.test(type) || /^text\/rtf/.test(type))
		return '_doc';
	return '';
}

// The file as it would be sent: refused (damaged, unreadable), needs the worker's word
// (cannot be cleaned or checked), or fine.
function fileVerdict(e) {
	const r = e.res;
	if (r === null)
		return 'pending';
	if (r.error || r.blob === null)
		return 'refused';
	if (r.cleaned || (r.kind === 'text' && r.note === 'text_ok'))
		return 'ok';
	return 'ask';
}

function renderFiles() {
	const ul = $('file-report');
	ul.replaceChildren();
	$('files').hidden = entries.length === 0;
	$('attachments-more').hidden = entries.length === 0 || !canSync();
	if (entries.length === 0)
		return;
	const msg = document.createElement('li');
	msg.textContent = t('file_message', {
		size: humanSize(new TextEncoder().encode($('testimony').value).length) });
	ul.append(msg);
	entries.forEach((e, i) => {
		const li = document.createElement('li');
		li.id = `file-${i + 1}`;
		const size = e.res && e.res.blob ? e.res.blob.size : e.file.size;
		const head = document.createElement('span');
		head.className = 'file-name';
		head.textContent = t('file_line', { name: neutralName(i), size: humanSize(size),
			original: safeName(e.file.name) });
		const what = document.createElement('span');
		const v = fileVerdict(e);
		what.className = `file-what ${v}`;
		what.textContent = describe(e);
		li.append(head, what);
		const row = document.createElement('span');
		row.className = 'file-actions';
		if (v === 'ask') {
			const label = document.createElement('label');
			label.className = 'check';
			const box = document.createElement('input');
			box.type = 'checkbox';
			box.id = `keep-${i + 1}`;
			box.checked = e.keep;
			box.disabled = busy;
			box.addEventListener('change', () => { e.keep = box.checked; });
			const span = document.createElement('span');
			span.textContent = t('file_keep_label');
			label.append(box, span);
			row.append(label);
		}
		const rm = document.createElement('button');
		rm.type = 'button';
		rm.id = `remove-${i + 1}`;
		rm.className = 'secondary small';
		rm.textContent = t('file_remove');
		rm.disabled = busy;
		rm.addEventListener('click', () => removeFile(i));
		row.append(rm);
		li.append(row);
		ul.append(li);
	});
}

// The file input shows what the list holds (DataTransfer sets its FileList where it can).
function syncInput() {
	const input = $('attachments');
	try {
		const dt = new DataTransfer();
		for (const e of entries)
			dt.items.add(e.file);
		input.files = dt.files;
	} catch {
		if (entries.length === 0)
			input.value = '';
	}
}

function removeFile(i) {
	if (busy)
		return;
	entries.splice(i, 1);
	syncInput();
	renderFiles();
}

async function clean(e) {
	try {
		e.res = await strip.cleanFile(e.file, e.file.name, 0);
	} catch {
		e.res = { error: true, blob: null, kind: 'other', cleaned: false, removed: [] };
	}
	renderFiles();
}

// Files chosen are added to the list (a phone picks one at a time); where the file input's list
// cannot be set (no DataTransfer), a new choice replaces the list, as the input itself does.
function onFiles() {
	const chosen = [...$('attachments').files];
	const sync = canSync();
	if (sync && chosen.length === 0) { // a chooser closed without a choice
		syncInput();
		return;
	}
	const known = new Set(entries.map((e) => e.file));
	const added = chosen.filter((f) => !known.has(f)).map((file) => ({ file, res: null,
		keep: false }));
	entries = sync ? entries.concat(added) : chosen.map((f) => entries.find((e) => e.file === f) ||
		added.find((e) => e.file === f));
	if (sync)
		syncInput();
	renderFiles();
	checking = Promise.all([checking, ...added.map(clean)]);
}

function canSync() {
	try {
		return new DataTransfer().files !== undefined;
	} catch {
		return false;
	}
}

// ---- sending ----
let restarted = false; // this send started over (the drop forgot its upload)

function onEvent(ev) {
	const done = ev.done || 0, total = ev.total || 0;
	switch (ev.type) {
	case 'pow':
		progress('pow', () => t('pow'), done, total);
		break;
	case 'seal':
		progress('seal', () => t('sealing', { done: humanSize(done), total: humanSize(total) }),
			done, total);
		break;
	case 'upload': {
		const key = restarted ? 'uploading_again' : 'uploading';
		progress('upload', () => t(key, { done: humanSize(done), total: humanSize(total) }), done,
			total);
		break;
	}
	case 'retry':
		// upload_not_found: the drop lost the upload (it restarted): client.js seals it again
		// and starts over, with a new proof of work; it does not continue
		if (ev.code === 'upload_not_found') {
			restarted = true;
			progress('restart', () => t('restarted'), 0, total);
		} else
			progress('retry', () => t('retrying'), total > 0 ? done : null, total);
		break;
	case 'resumed':
		progress('resumed', () => t('resumed'), total > 0 ? done : null, total);
		break;
	case 'commit':
		progress('commit', () => t('committing'), 0, 0);
		break;
	default:
		break;
	}
}

// Reading or deleting replies: a proof of work too, for the mailbox.
function mailboxEvent(ev) {
	if (ev.type === 'pow')
		progress('pow', () => t('pow_mailbox'), ev.done || 0, ev.total || 0);
}

// The codename's Argon2id (256 MiB) in a Web Worker, kdfworker.js: on this thread the page would
// not repaint for the whole derivation (seconds, minutes without a JIT), and a phone would call
// it not responding. Null (gdproto.js then derives here) when no worker starts, as in a browser
// without module workers; a worker that dies for lack of memory is said so.
function kdfSeed(pass, salt, params, onProgress) {
	let w;
	try {
		w = new Worker(new URL('./kdfworker.js', import.meta.url), { type: 'module' });
	} catch {
		return Promise.resolve(null);
	}
	return new Promise((resolve, reject) => {
		let started = false;
		const fault = (memory, message) => {
			const e = new Error(`kdfworker: ${message}`);
			e.code = memory ? 'kdf_memory' : 'kdf_failed';
			return e;
		};
		const end = (fn, v) => {
			w.terminate();
			fn(v);
		};
		w.onmessage = (ev) => {
			const m = ev.data;
			if (m.type === 'started')
				started = true;
			else if (m.type === 'progress' && onProgress)
				onProgress(m.value);
			else if (m.type === 'seed')
				end(resolve, m.seed);
			else if (m.type === 'error')
				end(reject, fault(m.memory, m.message));
		};
		w.onerror = (ev) => {
			ev.preventDefault();
			const message = String(ev.message || '');
			if (!started)
				end(resolve, null); // it did not load: derive on this thread
			else
				end(reject, fault(/memory|alloc/i.test(message), message));
		};
		w.postMessage({ pass, salt, params }); // copies, which the worker wipes
	});
}

async function derive(canonical) {
	progress('derive', () => t('codename_deriving', { percent: 0 }), 0, 100);
	return gd.deriveCodename(canonical, rootPk, (p) => {
		const percent = Math.floor(p * 100);
		progress('derive', () => t('codename_deriving', { percent }), percent, 100);
	});
}

// The CLI's rule: the testimony (and a text file) must not hold the codename (4 or more of its
// words, however written).
async function codenameFound(canonical) {
	const text = $('testimony').value;
	if (gd.codenameWordsIn(text, canonical)) {
		const count = gd.codenameWordsCount(text, canonical);
		return () => t('codename_in_text', { count });
	}
	for (let i = 0; i < entries.length; i++) {
		const r = entries[i].res;
		if (r && r.kind === 'text' && r.blob && gd.codenameWordsIn(await r.blob.text(), canonical)) {
			const name = neutralName(i);
			return () => t('codename_in_file', { name, count: 4 });
		}
	}
	return null;
}

// What keeps this from being sent, in words (a function of the language); null when it can go.
async function refusal(followup) {
	const typed = $('testimony').value;
	if (typed.trim() === '' && entries.length === 0)
		return () => t('empty');
	const len = new TextEncoder().encode(typed).length;
	if (len > MAX_TEXT)
		return () => t('too_long', { size: humanSize(len), max: humanSize(MAX_TEXT) });
	if (entries.length > MAX_FILES)
		return () => t('files_too_many', { max: MAX_FILES });
	await checking;
	const undecided = [];
	for (let i = 0; i < entries.length; i++) {
		const v = fileVerdict(entries[i]);
		const name = neutralName(i);
		if (v === 'refused')
			return () => t('files_damaged', { name });
		if (v === 'ask' && !entries[i].keep) // the worker's own name, as the list shows it
			undecided.push({ original: safeName(entries[i].file.name), name });
	}
	if (undecided.length > 0)
		return () => t('files_keep_needed', { names: undecided.map((u) => t('file_ref', u))
			.join(t('list_separator')) });
	if (followup)
		return codenameFound(session.canonical);
	return null;
}

async function onSend(ev) {
	ev.preventDefault();
	if (busy || bundle === null)
		return;
	const followup = mode === 'back' && session !== null;
	placeStatus($('send'));
	setBusy(true); // #send is disabled: the focus goes to the form's heading, not to BODY
	$('write-heading').focus({ preventScroll: true }); // the status, by #send, stays in view
	try {
		const why = await refusal(followup);
		if (why !== null) {
			setStatus(why, 'error');
			return;
		}
		let keys = null;
		if (followup)
			keys = session.keys;
		else if (!$('no-reply').checked) {
			if (fresh === null) {
				const canonical = gd.newCodename();
				fresh = { canonical, keys: await derive(canonical) };
			}
			keys = fresh.keys;
		}
		const files = entries.map((e, i) => ({ blob: e.res.blob, name: neutralName(i),
			type: e.res.type || strip.mediaType(e.file.name, e.res.kind) }));
		const text = $('testimony').value, kind = followup ? 'followup' : 'testimony';
		const now = inputsOf(kind, keys, text, files);
		if (lastTry !== null && (lastTry.digest !== now.digest ||
		    lastTry.blobs.length !== now.blobs.length || lastTry.blobs.some((b, i) => b !== now.blobs[i])))
			forgetTry(); // changed: a new testimony, under a new id
		if (lastTry === null) {
			const seed = new Uint8Array(32);
			globalThis.crypto.getRandomValues(seed);
			lastTry = { id: gd.randomId(), seed, mayHave: false, ...now };
		}
		progress('pow', () => t('pow'), 0, 0);
		restarted = false;
		const res = await client.send({ bundle, text, files, keys, kind, onEvent, id: lastTry.id,
			seed: lastTry.seed });
		forgetTry();
		progressDone();
		sent(followup, keys !== null, res);
	} catch (e) {
		progressDone();
		const code = errorCode(e);
		if (lastTry !== null && e?.mayHaveArrived)
			lastTry.mayHave = true;
		if (lastTry !== null && lastTry.mayHave) {
			setStatus(() => `${errorText(code)} ${t('err_may_have_arrived')}`, 'error');
		} else {
			forgetTry();
			setStatus(() => `${errorText(code)} ${t('err_nothing_sent')}`, 'error');
		}
	} finally {
		setBusy(false);
		renderFiles();
	}
}

// Sent: the testimony and the files leave the page; keys are wiped; a new codename is shown once.
function sent(followup, withCodename, res) {
	$('testimony').value = '';
	entries = [];
	syncInput();
	$('attachments').value = '';
	renderFiles();
	const already = res && res.status === 'already_stored';
	if (followup) {
		forgetSession();
		placeStatus($('codename-form'));
		setStatus(() => t('sent_followup'), 'ok');
		$('back-heading').focus();
		return;
	}
	if (!withCodename) {
		if (fresh !== null) { // made for an earlier try that failed, never shown
			wipeKeys(fresh.keys);
			fresh = null;
		}
		setStatus(() => t(already ? 'sent_already' : 'sent_no_reply'), 'ok');
		return;
	}
	const { canonical } = fresh;
	wipeKeys(fresh.keys);
	fresh = null;
	showCodename(canonical);
	codenameShown = true;
	showOnly('done');
	setState('codename');
	placeStatus($('done'), true);
	setStatus(() => t(already ? 'sent_already' : 'sent'), 'ok');
	// not the button that clears it: one tap, or Enter, would lose the codename for good
	$('done-heading').focus();
}

// The codename as a numbered list, one word a line (its textContent: the words, spaced), and
// two of its words, chosen at random, to be typed back from the paper before it is cleared.
let shownWords = [];
let askedAt = [];

function showCodename(canonical) {
	shownWords = canonical.split(' ');
	$('codename').replaceChildren(...shownWords.flatMap((w, i) => {
		const li = document.createElement('li');
		li.textContent = w;
		return i === 0 ? [li] : [' ', li];
	}));
	const a = sodium.randombytes_uniform(8);
	let b = sodium.randombytes_uniform(7);
	if (b >= a)
		b++;
	askedAt = [Math.min(a, b) + 1, Math.max(a, b) + 1];
	['a', 'b'].forEach((k, i) => {
		const input = $(`written-${k}`);
		input.value = '';
		input.dataset.position = String(askedAt[i]);
	});
	renderWritten();
}

function renderWritten() {
	if (askedAt.length !== 2)
		return;
	$('written-ask').textContent = t('written_ask', { a: askedAt[0], b: askedAt[1] });
	['a', 'b'].forEach((k, i) => {
		$(`written-${k}-label`).textContent = t('written_word', { position: askedAt[i] });
	});
}

// The words typed back, as normaliseCodename compares words: case and spaces aside.
function writtenMismatch() {
	for (const [i, k] of ['a', 'b'].entries()) {
		const input = $(`written-${k}`);
		const typed = input.value.trim().toLowerCase();
		const position = askedAt[i];
		if (typed === '')
			return { input, text: () => t('written_missing', { position }) };
		if (typed !== shownWords[position - 1])
			return { input, text: () => t('written_differs', { position }) };
	}
	return null;
}

function onWritten() {
	const wrong = writtenMismatch();
	if (wrong !== null) {
		placeStatus(wrong.input); // under that word's field: the list above is off a phone's screen
		setStatus(wrong.text, 'error');
		wrong.input.focus();
		return;
	}
	for (const k of ['a', 'b'])
		$(`written-${k}`).value = '';
	shownWords = [];
	$('codename').textContent = '';
	codenameShown = false;
	setState('ready');
	showOnly('after');
	placeStatus($('after'), true);
	setStatus('');
	$('again').focus();
}

// ---- coming back ----
let wordSet = null; // the word list, to tell words joined by other characters

// Is this typed "word" list words joined by - , . ; / (not itself a word)? Hyphens also live
// inside list words (drop-down, t-shirt, yo-yo, felt-tip): a split may cut only between words.
const SEPARATOR = /[-,.;/]/;

function joinedWords(token) {
	const w = token.toLowerCase();
	if (wordSet === null || wordSet.has(w) || !SEPARATOR.test(w))
		return false;
	const best = new Array(w.length + 1).fill(-1); // list words to reach a start position
	let i = 0;
	while (i < w.length && SEPARATOR.test(w[i]))
		i++;
	best[i] = 0;
	for (; i < w.length; i++) {
		if (best[i] < 0)
			continue;
		for (let j = i + 1; j <= w.length; j++) {
			if (j < w.length && !SEPARATOR.test(w[j]))
				continue;
			if (!wordSet.has(w.slice(i, j)))
				continue;
			let k = j;
			while (k < w.length && SEPARATOR.test(w[k]))
				k++;
			best[k] = Math.max(best[k], best[i] + 1);
		}
	}
	return best[w.length] >= 1; // not itself a word: a separator was used
}

function codenameError(e, typed = '') {
	if (typed.split(/\s+/).some(joinedWords))
		return () => t('codename_separators');
	const d = (e && e.detail) || {};
	if (d.position !== undefined)
		return d.nearest ? () => t('codename_wrong_word', { position: d.position,
			nearest: d.nearest }) : () => t('codename_wrong_word_plain', { position: d.position });
	if (d.count !== undefined)
		return () => t('codename_wrong_count', { count: d.count });
	return () => t('codename_wrong_count', { count: '?' });
}

async function onOpen(ev) {
	ev.preventDefault();
	if (busy || bundle === null)
		return;
	const input = $('codename-input');
	placeStatus($('codename-form'));
	let canonical;
	try {
		canonical = gd.normaliseCodename(input.value);
	} catch (e) {
		if (!(e && e.code === 'word'))
			throw e;
		setStatus(codenameError(e, input.value), 'error'); // never the word typed
		input.focus();
		return;
	}
	input.value = '';
	input.classList.remove('revealed');
	$('codename-show').checked = false;
	setBusy(true);
	try {
		const keys = await derive(canonical);
		session = { canonical, keys };
		$('codename-form').hidden = true;
		await readReplies();
		$('replies-heading').focus();
	} catch (e) {
		progressDone();
		const code = errorCode(e);
		setStatus(() => errorText(code), 'error');
	} finally {
		setBusy(false);
		render();
	}
}

function dayText(day) {
	if (typeof day === 'number')
		return new Date(day * 86400000).toISOString().slice(0, 10);
	return String(day ?? '');
}

let replyIds = [];
let shownReplies = []; // as the list shows them, to show them again in another language

async function readReplies() {
	progress('replies', () => t('replies_fetching'), 0, 0);
	const r = await client.replies(session.keys, bundle, mailboxEvent);
	progressDone();
	replyIds = r.ids || r.replies.map((x) => x.id);
	shownReplies = r.replies;
	renderReplies();
	$('mailbox').hidden = false;
	armAck(false);
	$('ack').hidden = replyIds.length === 0;
	$('ack-hint').hidden = replyIds.length === 0;
	const some = r.replies.length > 0, forged = r.forged;
	setStatus(() => {
		const parts = [t(some ? 'replies_how_to_answer' : 'replies_none')];
		if (forged > 0)
			parts.unshift(t(forged === 1 ? 'replies_forged_one' : 'replies_forged',
				{ count: forged }));
		return parts.join(' ');
	}, forged > 0 ? 'error' : 'info');
}

function renderReplies() {
	const ul = $('replies');
	ul.replaceChildren();
	for (const rep of shownReplies) {
		const li = document.createElement('li');
		const who = document.createElement('p');
		who.className = 'reply-from';
		who.textContent = t(rep.older ? 'reply_older_key' : 'reply_from',
			{ author: rep.author, day: dayText(rep.day) });
		const text = document.createElement('p');
		text.className = 'reply-text';
		text.textContent = rep.text;
		li.append(who, text);
		ul.append(li);
	}
}

// "Delete these replies" asks a second tap: the first turns it into "Yes, delete them".
let ackArmed = false;

function armAck(armed) {
	ackArmed = armed;
	$('ack').textContent = t(armed ? 'ack_confirm' : 'ack');
	$('ack').classList.toggle('armed', armed);
}

async function onAck() {
	if (busy || session === null)
		return;
	placeStatus($('ack-hint'));
	if (!ackArmed) {
		armAck(true);
		setStatus(() => t('ack_ask'), 'info');
		return;
	}
	armAck(false);
	setBusy(true);
	try {
		await client.ack(session.keys, replyIds, mailboxEvent);
		replyIds = [];
		shownReplies = [];
		$('replies').replaceChildren();
		$('ack').hidden = true;
		$('ack-hint').hidden = true;
		setStatus(() => t('acked'), 'ok');
	} catch (e) {
		const code = errorCode(e);
		setStatus(() => errorText(code), 'error');
	} finally {
		setBusy(false);
	}
}

// ---- the language ----
let newsroomName = null; // the bundle's, signed by the newsroom's key
let keyChecked = null; // the pasted key compared again (its verdict in the new language)

function renderHeading() {
	$('heading').textContent = newsroomName === null ? t('heading') :
		t('heading_named', { newsroom: newsroomName });
}

function applyStrings() {
	document.documentElement.lang = langTag();
	document.title = t('page_title');
	for (const el of document.querySelectorAll('[data-s]'))
		el.textContent = t(el.dataset.s);
	renderHeading();
	// the selector's label in every language at once (after the page's own): a worker whose
	// browser asks pages for English (Tor Browser) finds it in their own
	const seen = new Set([S.lang_label]);
	$('lang-all').replaceChildren(...LANGUAGES.filter((l) => Object.hasOwn(STRINGS, l.code))
		.flatMap((l) => {
			const w = STRINGS[l.code].lang_label;
			if (seen.has(w))
				return [];
			seen.add(w);
			const s = document.createElement('span');
			s.lang = l.tag;
			s.textContent = w;
			return [' · ', s];
		}));
	$('lang-note').hidden = lang === 'en';
	$('lang').value = lang;
}

// Everything shown again in the language chosen: the static texts, the screens, the list of
// files, the codename check, the replies, the status (its progress or error) as it is.
function setLang(code) {
	if (!Object.hasOwn(STRINGS, code))
		return;
	lang = code;
	S = STRINGS[lang];
	applyStrings();
	render();
	renderFiles();
	renderWritten();
	if (shownReplies.length > 0)
		renderReplies();
	if (keyChecked !== null && $('key-check').value !== '')
		keyChecked();
	armAck(ackArmed);
	const phase = lastPhase;
	setStatus(shownStatus.msg, shownStatus.kind, shownStatus.title, false);
	lastPhase = phase;
}

function langSelector() {
	const sel = $('lang');
	sel.replaceChildren(...LANGUAGES.filter((l) => Object.hasOwn(STRINGS, l.code)).map((l) => {
		const o = document.createElement('option');
		o.value = l.code;
		o.lang = l.tag; // each name in its own language, whatever the page's
		o.textContent = l.name;
		return o;
	}));
	sel.addEventListener('change', () => setLang(sel.value));
}

// ---- start ----

function wire() {
	$('mode-write').addEventListener('click', () => { mode = 'write'; setStatus(''); render(); });
	$('mode-back').addEventListener('click', () => { mode = 'back'; setStatus(''); render(); });
	$('write-form').addEventListener('submit', onSend);
	$('attachments').addEventListener('change', onFiles);
	$('testimony').addEventListener('input', () => { if (entries.length) renderFiles(); });
	// not a <form>'s submit (index.html): the button, and Enter in the field
	$('codename-open').addEventListener('click', onOpen);
	$('codename-input').addEventListener('keydown', (e) => {
		if (e.key === 'Enter' && !e.isComposing)
			onOpen(e);
	});
	$('codename-show').addEventListener('change', (e) => {
		$('codename-input').classList.toggle('revealed', e.target.checked);
	});
	$('codename-written').addEventListener('click', onWritten);
	$('again').addEventListener('click', () => { mode = 'write'; setStatus(''); showMain(); });
	$('ack').addEventListener('click', onAck);
	$('forget').addEventListener('click', () => {
		forgetSession();
		placeStatus($('codename-form'));
		setStatus(() => t('forgotten'), 'ok');
	});
	// a send in progress, or a codename not yet written down, is not lost by a slip
	window.addEventListener('beforeunload', (e) => {
		if (busy || codenameShown) {
			e.preventDefault();
			e.returnValue = t('leave_warning');
		}
	});
}

// The newsroom key: the drop's (meta tag), and the worker's own pinned copy when the address
// carries one (#gdnk1...): they must be the same key.
function newsroomKey() {
	const meta = document.querySelector('meta[name="ghostdrop-newsroom"]');
	let pk;
	try {
		pk = gd.parseNewsroomKey(((meta && meta.content) || '').trim());
	} catch {
		setStatus(() => t('key_missing'), 'error', () => t('bundle_failed_title'));
		return null;
	}
	const fp = gd.fingerprintGroups(pk);
	// the prefix every newsroom shares, dimmed: the groups after it are what differ
	const prefix = document.createElement('span');
	prefix.className = 'fp-prefix';
	prefix.textContent = fp[0];
	$('fingerprint').replaceChildren(prefix, ` ${fp.slice(1).join(' ')}`);
	let frag = '';
	try {
		frag = decodeURIComponent(location.hash.slice(1)).trim();
	} catch {
		frag = location.hash.slice(1);
	}
	if (/^gdnk/i.test(frag)) {
		let pinned;
		try {
			pinned = gd.parseNewsroomKey(frag);
		} catch {
			setStatus(() => t('key_link_typo'), 'error', () => t('bundle_failed_title'));
			return null;
		}
		const same = sodium.memcmp(pinned, pk);
		sodium.memzero(pinned);
		if (!same) {
			$('key').classList.add('bad');
			setStatus(() => t('key_link_differs'), 'error', () => t('bundle_failed_title'));
			return null;
		}
		$('key-link').hidden = false;
	}
	$('key-check').addEventListener('input', (e) => keyCheck(pk, e.target.value));
	keyChecked = () => keyCheck(pk, $('key-check').value);
	return pk;
}

// The key pasted from the newsroom's website, compared with the drop's (in constant time): the
// page says same, DIFFERENT or not a key, so nobody compares 63 characters by eye. Spaces and
// line breaks are ignored (a key copied in groups, or across lines).
function keyCheck(pk, pasted) {
	const out = $('key-check-result');
	const text = pasted.replace(/\s+/g, '');
	out.hidden = text === '';
	$('key').classList.remove('bad');
	if (text === '')
		return;
	let other;
	try {
		other = gd.parseNewsroomKey(text);
	} catch {
		out.className = 'key-check error';
		out.textContent = t('key_check_not_key');
		return;
	}
	const same = sodium.memcmp(other, pk);
	sodium.memzero(other);
	out.className = `key-check ${same ? 'ok' : 'error'}`;
	out.textContent = t(same ? 'key_check_same' : 'key_check_differs');
	if (!same)
		$('key').classList.add('bad');
}

// libsodium.js, its two classic scripts loaded from here, in order. Why not <script> tags: its
// module falls back to its JavaScript build when WebAssembly is off (Tor Browser's Safer level)
// or refused (this page's CSP), and that fallback, finishing in the microtasks between the two
// scripts, deletes the module's `ready` before the wrappers read it (they then throw, and
// window.sodium never appears). A `ready` it cannot see as its own (not enumerable) survives.
function loadScript(src) {
	return new Promise((resolve, reject) => {
		const s = document.createElement('script');
		s.src = src;
		s.onload = resolve;
		s.onerror = () => reject(new Error(`${src} did not load`));
		document.head.append(s);
	});
}

async function loadSodium() {
	let ready;
	const mod = {};
	Object.defineProperty(mod, 'ready', { get: () => ready, set: (v) => { ready = v; } });
	window.libsodium_mod = mod;
	await loadScript(new URL('./vendor/libsodium-sumo.js', import.meta.url));
	await loadScript(new URL('./vendor/libsodium-wrappers.js', import.meta.url));
	if (!window.sodium)
		throw new Error('libsodium did not load');
	await window.sodium.ready;
	return window.sodium;
}

async function main() {
	setState('loading');
	langSelector();
	applyStrings();
	wire();
	$('app').hidden = false;
	// not brought into view (scroll false): on a phone it is far down, and the page would stay
	// scrolled past the language selector once it is gone (a failure still is brought)
	setStatus(() => t('loading'), 'info', null, false);
	let mods;
	try {
		sodium = await loadSodium();
		mods = await Promise.all([import('./gdproto.js'), import('./client.js'),
			import('./strip.js'), import('./wordlist.js'), import('./vendor/noble/argon2.js'),
			import('./vendor/noble/blake2.js')]);
	} catch (e) {
		console.error(e);
		setStatus(() => t('load_failed'), 'error');
		setState('refused');
		return;
	}
	const [proto, cl, st, wl, argon2, blake2] = mods;
	strip = st;
	wordSet = new Set(wl.WORDS);
	gd = proto.createProto({ sodium, argon2idAsync: argon2.argon2idAsync,
		blake2b: blake2.blake2b, words: wl.WORDS, argon2Seed: kdfSeed });
	client = cl.createClient({ gd });
	rootPk = newsroomKey();
	if (rootPk === null) {
		setState('refused');
		return;
	}
	setStatus(() => t('bundle_checking'), 'info', null, false);
	try {
		bundle = await client.bundle(rootPk);
	} catch (e) {
		bundleFailed(e);
		setState('refused');
		return;
	}
	if (typeof bundle.newsroom === 'string' && bundle.newsroom !== '') { // signed by its key
		newsroomName = bundle.newsroom;
		renderHeading();
	}
	setStatus('');
	showMain();
	setState('ready');
}

main();
