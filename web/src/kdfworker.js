// ghostdrop's submission page: the codename's Argon2id (PROTOCOL.md §7.3) off the page's main
// thread. Noble's argon2idAsync yields only to microtasks, so on the main thread the page
// never repaints for the whole derivation (seconds with a JIT, minutes without one, as at Tor
// Browser's Safer level). A module Web Worker started by app.js for each derivation; gdproto.js
// keeps the rule (the salt, the parameters, the sub-keys) and hands this the inputs.
//
// In:  {pass: Uint8Array (the canonical codename's bytes), salt: Uint8Array(16),
//       params: {t, m, p, dkLen}}
// Out: {type: 'started'} at once, {type: 'progress', value (0..1)} at most every 250 ms,
//      then {type: 'seed', seed: Uint8Array(dkLen)} or {type: 'error', memory: bool, message}.
// Its copies of the codename's bytes and of the seed are wiped (fill(0)) before it answers.
import { argon2id } from './vendor/noble/argon2.js';

const EVERY_MS = 250;

self.onmessage = (ev) => {
	const { pass, salt, params } = ev.data;
	self.postMessage({ type: 'started' });
	let last = 0;
	let seed = null;
	try {
		// the synchronous form: nothing else runs in this worker, and it is faster
		const onProgress = (v) => {
			const now = Date.now();
			if (now - last >= EVERY_MS) {
				last = now;
				self.postMessage({ type: 'progress', value: v });
			}
		};
		seed = argon2id(pass, salt, { t: params.t, m: params.m, p: params.p,
			dkLen: params.dkLen, maxmem: 2 ** 32 - 1, onProgress });
		self.postMessage({ type: 'seed', seed });
	} catch (e) {
		// 256 MiB refused: a RangeError ("Array buffer allocation failed", "out of memory")
		const message = String((e && e.message) || e);
		self.postMessage({ type: 'error', memory: (e instanceof RangeError) ||
			/memory|alloc/i.test(message), message });
	} finally {
		pass.fill(0);
		salt.fill(0);
		if (seed)
			seed.fill(0);
	}
};
