// The proof of work of PROTOCOL.md §9.2 in plain JavaScript: no WebAssembly, no asm.js, no
// BigInt; BLAKE2b on pairs of 32-bit halves, as a web page must do without WebAssembly. It is
// the figure for a browser: run it as `node bench/pow.js [seconds] [runs]` (with the JIT) and
// `node --jitless bench/pow.js` (the interpreter only: Tor Browser's "Safer" level turns off
// SpiderMonkey's JITs, asm.js and WebAssembly). Checks itself against known hashes first.
'use strict';

const IV = new Uint32Array([
	0xf3bcc908, 0x6a09e667, 0x84caa73b, 0xbb67ae85, 0xfe94f82b, 0x3c6ef372, 0x5f1d36f1,
	0xa54ff53a, 0xade682d1, 0x510e527f, 0x2b3e6c1f, 0x9b05688c, 0xfb41bd6b, 0x1f83d9ab,
	0x137e2179, 0x5be0cd19,
]);
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
	[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
	[14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
].map((r) => r.map((i) => 2 * i));
const v = new Uint32Array(32);
const m = new Uint32Array(32);

// v[a] += v[b] + x (64-bit, as lo/hi pairs at 2i, 2i+1)
function add3(a, b, xl, xh)
{
	let lo = v[a] + v[b];
	let hi = v[a + 1] + v[b + 1] + (lo >= 0x100000000 ? 1 : 0);
	lo >>>= 0;
	const l2 = lo + xl;
	hi = hi + xh + (l2 >= 0x100000000 ? 1 : 0);
	v[a] = l2;
	v[a + 1] = hi;
}

function add2(a, b)
{
	const lo = v[a] + v[b];
	v[a + 1] = v[a + 1] + v[b + 1] + (lo >= 0x100000000 ? 1 : 0);
	v[a] = lo;
}

function G(a, b, c, d, x, y)
{
	add3(a, b, m[x], m[x + 1]);
	let l = v[d] ^ v[a], h = v[d + 1] ^ v[a + 1];
	v[d] = h; // rotr 32
	v[d + 1] = l;
	add2(c, d);
	l = v[b] ^ v[c];
	h = v[b + 1] ^ v[c + 1];
	v[b] = (l >>> 24) ^ (h << 8); // rotr 24
	v[b + 1] = (h >>> 24) ^ (l << 8);
	add3(a, b, m[y], m[y + 1]);
	l = v[d] ^ v[a];
	h = v[d + 1] ^ v[a + 1];
	v[d] = (l >>> 16) ^ (h << 16); // rotr 16
	v[d + 1] = (h >>> 16) ^ (l << 16);
	add2(c, d);
	l = v[b] ^ v[c];
	h = v[b + 1] ^ v[c + 1];
	v[b] = (h >>> 31) ^ (l << 1); // rotr 63
	v[b + 1] = (l >>> 31) ^ (h << 1);
}

// BLAKE2b-256 of one block of len <= 128 bytes (the message is at most one block here):
// h[0..7] out as 8 words (lo, hi of the first 4 64-bit words).
const h0 = new Uint32Array(16);
h0.set(IV);
h0[0] ^= 0x01010000 ^ 32; // digest 32, no key, fanout 1, depth 1
function hashBlock(block, len, out)
{
	for (let i = 0; i < 32; i++)
		m[i] = block[4 * i] | (block[4 * i + 1] << 8) | (block[4 * i + 2] << 16) |
		       (block[4 * i + 3] << 24);
	for (let i = 0; i < 16; i++) {
		v[i] = h0[i];
		v[i + 16] = IV[i];
	}
	v[24] ^= len; // t, low word
	v[28] = ~v[28]; // the last block
	v[29] = ~v[29];
	for (let r = 0; r < 12; r++) {
		const s = SIGMA[r];
		G(0, 8, 16, 24, s[0], s[1]);
		G(2, 10, 18, 26, s[2], s[3]);
		G(4, 12, 20, 28, s[4], s[5]);
		G(6, 14, 22, 30, s[6], s[7]);
		G(0, 10, 20, 30, s[8], s[9]);
		G(2, 12, 22, 24, s[10], s[11]);
		G(4, 14, 16, 26, s[12], s[13]);
		G(6, 8, 18, 28, s[14], s[15]);
	}
	for (let i = 0; i < 8; i++)
		out[i] = h0[i] ^ v[i] ^ v[i + 16];
}

const CTX = 'ghostdrop/v1/pow-work\0';
const block = new Uint8Array(128);
const PREFIX = CTX.length + 72; // then the u64 counter, little-endian
for (let i = 0; i < CTX.length; i++)
	block[i] = CTX.charCodeAt(i);
for (let i = 0; i < 72; i++)
	block[CTX.length + i] = i; // the test challenge: bytes 0..71
const out = new Uint32Array(8);

function hashCounter(c)
{
	block[PREFIX] = c & 0xff;
	block[PREFIX + 1] = (c >>> 8) & 0xff;
	block[PREFIX + 2] = (c >>> 16) & 0xff;
	block[PREFIX + 3] = (c >>> 24) & 0xff;
	const high = Math.floor(c / 0x100000000);
	block[PREFIX + 4] = high & 0xff;
	block[PREFIX + 5] = (high >>> 8) & 0xff;
	hashBlock(block, PREFIX + 8, out);
}

function hex()
{
	let s = '';
	for (let i = 0; i < 8; i++)
		for (let k = 0; k < 4; k++)
			s += ((out[i] >>> (8 * k)) & 0xff).toString(16).padStart(2, '0');
	return s;
}

// Known answers (Python's hashlib.blake2b(digest_size=32) over the same bytes).
const KNOWN = {
	0: '243a0af44198556cb9cb1539e2fa591085b4027e0ec7644b4b0bf176b58e8d7b',
	1: '316fe64c8fb03093387fb9b07803de3aac27b3b3540c9fb5970708e3b26a5a49',
	123456789: '0b6307bd1da274cd52e27097cd0a44f114e8ddca654ad841413d6b2737b11937',
};
for (const c of Object.keys(KNOWN)) {
	hashCounter(Number(c));
	if (hex() !== KNOWN[c]) {
		console.error(`wrong hash for counter ${c}: ${hex()}`);
		process.exit(1);
	}
}

const seconds = Number(process.argv[2] || 3), runs = Number(process.argv[3] || 5);
const rates = [];
let c = 0;
for (let r = 0; r < runs; r++) {
	const t0 = process.hrtime.bigint();
	let n = 0, el = 0;
	do {
		for (let i = 0; i < 4096; i++)
			hashCounter(c++);
		n += 4096;
		el = Number(process.hrtime.bigint() - t0) / 1e9;
	} while (el < seconds);
	rates.push(n / el);
}
rates.sort((a, b) => a - b);
const med = rates[Math.floor(runs / 2)];
console.log(`plain JavaScript, one thread: ${(med / 1e6).toFixed(3)} Mhash/s (median of ${runs} ` +
	    `runs of ${seconds} s; ${rates.map((x) => (x / 1e6).toFixed(3)).join(' ')})`);
