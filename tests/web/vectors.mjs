// web_vectors: the submission page's protocol (web/src/gdproto.js) against the known-answer
// vectors of tests/vectors (the C library's), plus round trips and refusals the vectors lack.
// The checks are in vectors-replay.mjs, which browser.mjs's case 'vectors' runs in Chromium.
//
//   node --noexpose_wasm tests/web/vectors.mjs SRCDIR [--argon2-only]
//
// --noexpose_wasm: libsodium.js takes its JavaScript (wasm2js) path, as in Tor Browser at the
// Safer level. The dependencies come from SRCDIR/web/node_modules (scripts/web-deps), the word
// list from the meson option's default file (or $GD_WORDLIST). --argon2-only measures one
// codename derivation and exits (run it with --jitless too: Safer has no JIT).
//
// Replayed: keystring, server_url, bundle, manifest, envelope (every open case, and the seeded
// seal case sealed again byte for byte), codename, reply, pow, and the parts of http.json the
// page computes (a served bundle verifies, X-Ghostdrop-Hash is chunkHash of the body). Not
// replayed: keyfile.json (§4.1, the desk's passphrase-sealed secret keys: the page holds no key
// file), pubfile.json (§4.2, a journalist's public-key file for the root-key holder) and
// desk.json (§13, the desk's batch, ack and reply files): formats of the desk and the
// newsroom's offline machine, which the page neither reads nor writes.
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import path from 'node:path';

// libsodium.js first tries WebAssembly and, without it, rejects a promise nobody awaits before
// falling back to its JavaScript module: harmless in a browser (a console line), fatal in Node.
process.on('unhandledRejection', (e) => {
	if (String(e).includes('WebAssembly')) return;
	console.error('unhandled rejection:', e);
	process.exit(1);
});

const SRC = path.resolve(process.argv[2] || '.');
const ARGON2_ONLY = process.argv.includes('--argon2-only');
const NM = path.join(SRC, 'web', 'node_modules');
const require = createRequire(path.join(NM, 'x.js'));
const sodium = require(path.join(NM, 'libsodium-wrappers-sumo/dist/modules-sumo/libsodium-wrappers.js'));
await sodium.ready;
const { argon2idAsync } = await import(pathToFileURL(path.join(NM, '@noble/hashes/argon2.js')));
const { blake2b } = await import(pathToFileURL(path.join(NM, '@noble/hashes/blake2.js')));
const { createProto } = await import(pathToFileURL(path.join(SRC, 'web/src/gdproto.js')));
const { MODULES, replayVectors } = await import('./vectors-replay.mjs');

const WORDLIST = process.env.GD_WORDLIST || '/usr/lib/python3/dist-packages/diceware/wordlists/wordlist_en_eff.txt';
const wlBytes = readFileSync(WORDLIST);
const WL_SHA256 = 'addd35536511597a02fa0a9ff1e5284677b8883b83e986e43f15a3db996b903e'; // §7.1
if (createHash('sha256').update(wlBytes).digest('hex') !== WL_SHA256) throw new Error(`${WORDLIST}: not the EFF list of §7.1`);
const words = wlBytes.toString('utf8').split('\n').filter((l) => l.length).map((l) => l.split('\t')[1]);

const wasm = typeof WebAssembly !== 'undefined';
const jit = !process.execArgv.includes('--jitless');

const docs = {};
for (const m of MODULES)
	docs[m] = JSON.parse(readFileSync(path.join(SRC, 'tests/vectors', m + '.json'), 'utf8'));
const cpuSeconds = () => {
	const c = process.cpuUsage();
	return (c.user + c.system) / 1e6;
};
const { checks, failures } = await replayVectors({ createProto, sodium, argon2idAsync, blake2b, words }, docs,
	{ log: console.log, error: console.error, jit, cpuSeconds, argon2Only: ARGON2_ONLY });
if (ARGON2_ONLY) process.exit(0);
console.log(`web_vectors: ${checks - failures}/${checks} checks passed (WebAssembly ${wasm ? 'on' : 'off'}, JIT ${jit ? 'on' : 'off'})`);
process.exit(failures ? 1 : 0);
