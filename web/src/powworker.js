// ghostdrop's submission page: one proof-of-work searcher (PROTOCOL.md §9.2), a module Web
// Worker started by client.js's solvePow, one per core. Self-contained on noble's BLAKE2b
// (no libsodium here): BLAKE2b-256("ghostdrop/v1/pow-work" || 0x00 || challenge[72] || u64 c)
// must start with `difficulty` (challenge byte 2) zero bits.
//
// In:  {challenge: Uint8Array(72), start, step}: counters start, start + step, ...
// Out: {type: 'progress', tries} every 65536 tries (tries since the last message), then
//      {type: 'found', counter} once; the page terminates every worker when one has found.
import { blake2b } from './vendor/noble/blake2.js';

const PREFIX = 'ghostdrop/v1/pow-work\0';
const REPORT = 65536;

function leadingZeros(h, bits) {
	let i = 0;
	for (; bits >= 8; bits -= 8, i++)
		if (h[i] !== 0)
			return false;
	return bits === 0 || h[i] >> (8 - bits) === 0;
}

self.onmessage = (ev) => {
	const { challenge, start, step } = ev.data;
	const bits = challenge[2];
	const msg = new Uint8Array(PREFIX.length + 72 + 8);
	for (let i = 0; i < PREFIX.length; i++)
		msg[i] = PREFIX.charCodeAt(i);
	msg.set(challenge, PREFIX.length);
	const at = PREFIX.length + 72;
	let tries = 0;
	for (let c = start; c <= Number.MAX_SAFE_INTEGER; c += step) {
		const lo = c % 0x100000000, hi = Math.floor(c / 0x100000000);
		msg[at] = lo & 0xff;
		msg[at + 1] = (lo >>> 8) & 0xff;
		msg[at + 2] = (lo >>> 16) & 0xff;
		msg[at + 3] = lo >>> 24;
		msg[at + 4] = hi & 0xff;
		msg[at + 5] = (hi >>> 8) & 0xff;
		msg[at + 6] = (hi >>> 16) & 0xff;
		msg[at + 7] = hi >>> 24;
		if (leadingZeros(blake2b(msg, { dkLen: 32 }), bits)) {
			self.postMessage({ type: 'progress', tries: tries + 1 });
			self.postMessage({ type: 'found', counter: c });
			return;
		}
		if (++tries === REPORT) {
			self.postMessage({ type: 'progress', tries });
			tries = 0;
		}
	}
};
