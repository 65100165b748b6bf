// ghostdrop's submission page: one proof-of-work searcher (PROTOCOL.md §9.2), a module Web
// Worker started by client.js's solvePow, one per core: BLAKE2b-256("ghostdrop/v1/pow-work" ||
// 0x00 || challenge[72] || u64 c) must start with `difficulty` (challenge byte 2) zero bits.
// The search is gdproto.js's powSolve, which compresses the one BLAKE2b block itself (2 to 3.5
// times noble's generic hasher, the hashes checked against it by web_vectors); it needs neither
// libsodium nor the word list, so the worker loads neither (stand-ins satisfy createProto).
//
// In:  {challenge: Uint8Array(72), start, step}: counters start, start + step, ...
// Out: {type: 'progress', tries} every 65536 tries (tries since the last message), then
//      {type: 'found', counter} once; the page terminates every worker when one has found.
import { blake2b } from './vendor/noble/blake2.js';
import { createProto } from './gdproto.js';

const SLICE = 65536;
const gd = createProto({ sodium: {}, argon2idAsync: async () => null, blake2b,
	words: new Array(7776).fill('') });

self.onmessage = (ev) => {
	const { challenge, start, step } = ev.data;
	for (let c = start; c <= Number.MAX_SAFE_INTEGER; c += SLICE * step) {
		const found = gd.powSolve(challenge, c, step, SLICE);
		if (found >= 0) {
			self.postMessage({ type: 'progress', tries: (found - c) / step + 1 });
			self.postMessage({ type: 'found', counter: found });
			return;
		}
		self.postMessage({ type: 'progress', tries: SLICE });
	}
};
