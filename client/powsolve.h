/* ghostdrop client: the proof of work (PROTOCOL.md §9) solved on every core, and the line the
 * worker sees meanwhile. The hashing is crypto's (gd_pow_search over ranges of counters); the
 * threads, the clock and the terminal are here, since the crypto library has none. */
#ifndef GD_POWSOLVE_H
#define GD_POWSOLVE_H

#include <stddef.h>
#include <stdint.h>

#include "gdcrypto.h"

enum {
	POWSOLVE_OK = 0,
	POWSOLVE_INVALID,    /* the challenge is malformed */
	POWSOLVE_STOPPED,    /* *stop was set, or SIGINT (powsolve_worker) */
	POWSOLVE_NO_THREADS, /* no thread could be started */
};

/* What a solve did: for --json and the benchmarks. */
typedef struct {
	unsigned threads;
	uint64_t hashes;   /* counters tried, all threads together */
	double seconds;    /* wall clock */
	double expected_s; /* 2^bits at the rate measured in this run (0 before a measure) */
} powsolve_stats;

/* The threads used when none are asked for: the online CPUs (at least 1, at most 64). */
unsigned powsolve_threads(void);

/* Find a counter for ch on `threads` threads (0: powsolve_threads()). Each thread takes the
 * next range of counters and searches it; the first solution found ends every thread. Stops
 * with POWSOLVE_STOPPED as soon as *stop (read atomically; NULL: never) becomes nonzero. The
 * counter found verifies like any other (gd_pow_check); it need not be the smallest. st may be
 * NULL. `tick`, when not NULL, is called about every 50 ms from the calling thread with the
 * figures so far, and returns nonzero to stop. The first POWSOLVE_INLINE counters are tried on
 * the calling thread before any thread starts: small work (a drop at rest asks for little) is
 * done without them (st->threads 0), as starting and ending threads costs more than it. */
#define POWSOLVE_INLINE 1024u
int powsolve_run(uint64_t *counter, const uint8_t ch[GD_POW_CHALLENGE_BYTES], unsigned threads,
		 const int *stop, powsolve_stats *st,
		 int (*tick)(const powsolve_stats *st, unsigned bits, void *arg), void *arg);

/* The worker's solve: powsolve_run on every core. When stderr is a terminal and the work takes
 * more than a moment, one line in plain words says what is happening, about how long it takes
 * on this computer (from the bits and the rate measured in this run) and the time so far,
 * redrawn in place a few times a second; it is ended when the work is. A SIGINT meanwhile
 * stops every thread, ends the line, and is then delivered again to the handler that was in
 * place before (by default, the process ends as it did before); if that handler returns, the
 * answer is POWSOLVE_STOPPED. */
int powsolve_worker(uint64_t *counter, const uint8_t ch[GD_POW_CHALLENGE_BYTES],
		    powsolve_stats *st);

/* The line's text for an expected time and the time so far, fewer than width characters (a
 * shorter wording first, then cut) and at most cap - 1 bytes. Exposed for the tests. */
void powsolve_line(char *out, size_t cap, int width, double expected_s, double elapsed_s);

#endif
