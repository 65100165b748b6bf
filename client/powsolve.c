/* See powsolve.h. */
#include "powsolve.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "i18n.h"
#include "progress.h"

#define RANGE (1u << 14) /* counters a thread takes at a time: a few ms of work */
#define MAX_THREADS 64
#define TICK_NS 50000000L /* how often the calling thread looks: 50 ms */
/* Its first look, then twice as late each time up to a tick: small work (an idle drop asks
 * for little) is found in microseconds, and a whole tick would be every request's floor. */
#define FIRST_NAP_NS 100000L

typedef struct {
	const uint8_t *ch;
	uint64_t next;   /* the start of the next range to search (atomic) */
	uint64_t hashes; /* counters tried so far (atomic) */
	int halt;        /* set once a solution was found or the work was stopped (atomic) */
	int found;       /* under lock */
	uint64_t counter;
	pthread_mutex_t lock;
} search;

unsigned powsolve_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : (unsigned)n;
}

static void *worker(void *arg)
{
	search *s = arg;
	uint64_t ctr;
	while (!__atomic_load_n(&s->halt, __ATOMIC_RELAXED)) {
		uint64_t start = __atomic_fetch_add(&s->next, RANGE, __ATOMIC_RELAXED);
		int rc = gd_pow_search(&ctr, s->ch, start, RANGE);
		__atomic_fetch_add(&s->hashes, rc == GD_OK ? ctr - start + 1 : RANGE,
				   __ATOMIC_RELAXED);
		if (rc != GD_OK)
			continue;
		pthread_mutex_lock(&s->lock);
		if (!s->found) {
			s->found = 1;
			s->counter = ctr;
		}
		pthread_mutex_unlock(&s->lock);
		__atomic_store_n(&s->halt, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static double since(const struct timespec *t0)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static void measure(powsolve_stats *st, search *s, const struct timespec *t0, unsigned bits)
{
	st->hashes = __atomic_load_n(&s->hashes, __ATOMIC_RELAXED);
	st->seconds = since(t0);
	/* The rate is measured once the threads have run a little; before, it is noise. */
	if (st->seconds >= 0.2 && st->hashes > 0)
		st->expected_s = (double)((uint64_t)1 << bits) * st->seconds / (double)st->hashes;
}

int powsolve_run(uint64_t *counter, const uint8_t ch[GD_POW_CHALLENGE_BYTES], unsigned threads,
		 const int *stop, powsolve_stats *st,
		 int (*tick)(const powsolve_stats *st, unsigned bits, void *arg), void *arg)
{
	gd_pow_challenge c;
	powsolve_stats mine;
	pthread_t t[MAX_THREADS];
	sigset_t all, old;
	unsigned n = threads ? threads : powsolve_threads(), started = 0;
	search s = {.ch = ch, .lock = PTHREAD_MUTEX_INITIALIZER};
	struct timespec t0, nap = {0, FIRST_NAP_NS};
	if (st == NULL)
		st = &mine;
	memset(st, 0, sizeof *st);
	if (gd_pow_parse(&c, ch) != GD_OK)
		return POWSOLVE_INVALID;
	n = n > MAX_THREADS ? MAX_THREADS : n;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* Small work is done here: starting and ending threads costs more than it (a drop at
	 * rest asks for few bits; the bench's drop for none). */
	uint64_t ctr;
	int rc = gd_pow_search(&ctr, ch, 0, POWSOLVE_INLINE);
	s.next = POWSOLVE_INLINE;
	s.hashes = rc == GD_OK ? ctr + 1 : POWSOLVE_INLINE;
	if (rc == GD_OK) {
		measure(st, &s, &t0, c.bits);
		*counter = ctr;
		return POWSOLVE_OK;
	}
	/* Signals go to the calling thread, whose handlers may stop the work. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (; started < n; started++)
		if (pthread_create(&t[started], NULL, worker, &s) != 0)
			break;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	st->threads = started;
	if (started == 0)
		return POWSOLVE_NO_THREADS;
	int stopped = 0;
	double next_tick = TICK_NS / 1e9;
	while (!__atomic_load_n(&s.halt, __ATOMIC_RELAXED)) {
		nanosleep(&nap, NULL); /* a signal cuts it short: looked at at once */
		nap.tv_nsec = nap.tv_nsec * 2 < TICK_NS ? nap.tv_nsec * 2 : TICK_NS;
		measure(st, &s, &t0, c.bits);
		int ticks = tick != NULL && st->seconds >= next_tick;
		if (ticks)
			next_tick = st->seconds + TICK_NS / 1e9;
		if ((stop != NULL && __atomic_load_n(stop, __ATOMIC_RELAXED)) ||
		    (ticks && tick(st, c.bits, arg) != 0)) {
			stopped = 1;
			__atomic_store_n(&s.halt, 1, __ATOMIC_RELAXED);
		}
	}
	for (unsigned i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	measure(st, &s, &t0, c.bits);
	pthread_mutex_destroy(&s.lock);
	if (!s.found)
		return stopped ? POWSOLVE_STOPPED : POWSOLVE_INVALID;
	*counter = s.counter; /* a solution found as the work was stopped is still good */
	return POWSOLVE_OK;
}

/* ---- the worker's line ---- */

static int rounded(double x)
{
	return (int)(x + 0.5);
}

static void span(char *out, size_t cap, double s)
{
	int n;
	/* The counts of seconds and hours are 2 or more, of minutes too after "about a minute". */
	if (s < 1.5)
		snprintf(out, cap, "%s", _("about a second"));
	else if (s < 57.5) {
		n = s < 10 ? rounded(s) : rounded(s / 5) * 5;
		snprintf(out, cap, P_("about %d second", "about %d seconds", (unsigned long)n), n);
	} else if ((n = rounded(s / 60)) == 1)
		snprintf(out, cap, "%s", _("about a minute"));
	else if (n < 90)
		snprintf(out, cap, P_("about %d minute", "about %d minutes", (unsigned long)n), n);
	else {
		n = rounded(s / 3600);
		snprintf(out, cap, P_("about %d hour", "about %d hours", (unsigned long)n), n);
	}
}

static void clock_text(char *out, size_t cap, double s)
{
	int n = (int)s;
	if (n < 60)
		/* TRANSLATORS: a time in seconds, short (the line has little room) */
		snprintf(out, cap, _("%d s"), n);
	else if (n < 3600)
		snprintf(out, cap, "%d:%02d", n / 60, n % 60);
	else
		snprintf(out, cap, "%d:%02d:%02d", n / 3600, n / 60 % 60, n % 60);
}

/* TRANSLATORS: the start of a one-line status on the terminal; %s says how long it takes
 * ("about 5 minutes (0:12 so far)"): the whole line fits 80 columns in English */
#define LINE_HEAD _("An anti-spam check the drop asks for: %s")
/* TRANSLATORS: the same, shorter, for a narrow terminal */
#define SHORT_HEAD _("Anti-spam check: %s")

/* head + rest, else the short head + rest, else cut (between characters): fewer than width
 * bytes, so fewer columns. */
static void fit(char *out, size_t cap, int width, const char *rest, const char *rest_short)
{
	size_t max = width > 1 ? (size_t)width - 1 : 0;
	if (max >= cap)
		max = cap - 1;
	if ((size_t)snprintf(out, cap, LINE_HEAD, rest) > max)
		snprintf(out, cap, SHORT_HEAD, rest_short);
	size_t n = strlen(out), k;
	if (n > max)
		n = max;
	/* a last UTF-8 character cut short (here or by snprintf) goes: back to its first byte */
	for (k = n; k > 0 && ((unsigned char)out[k - 1] & 0xc0) == 0x80;)
		k--;
	if (k > 0 && (unsigned char)out[k - 1] >= 0xc0) {
		unsigned char lead = (unsigned char)out[k - 1];
		size_t whole = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
		if (n - (k - 1) < whole)
			n = k - 1;
	}
	out[n] = '\0';
}

void powsolve_line(char *out, size_t cap, int width, double expected_s, double elapsed_s)
{
	char how[64], so_far[24], rest[160], bare[160];
	span(how, sizeof how, expected_s);
	clock_text(so_far, sizeof so_far, elapsed_s);
	/* TRANSLATORS: the first %s is an estimate ("about 5 minutes"), the second the time
	 * spent ("0:12") */
	snprintf(bare, sizeof bare, _("%s (%s so far)"), how, so_far);
	/* The time is the mean: a solve is luck, and some take two or three times as long. */
	if (elapsed_s > 1.5 * expected_s && elapsed_s >= 3)
		/* TRANSLATORS: as "%s (%s so far)", when it takes longer than the estimate */
		snprintf(rest, sizeof rest, _("%s (%s so far, it varies)"), how, so_far);
	else
		snprintf(rest, sizeof rest, "%s", bare);
	if (strlen(LINE_HEAD) - 2 + strlen(rest) >= 80) /* an 80-column terminal holds it whole */
		snprintf(rest, sizeof rest, "%s", bare);
	fit(out, cap, width, rest, bare);
}

typedef struct {
	int tty, drawn;
	size_t len;     /* of the line drawn last */
	double last;    /* when it was drawn */
	char text[128]; /* the line drawn last */
} line;

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void draw(line *l, const char *text, int end)
{
	size_t n = strlen(text);
	fprintf(stderr, "\r%s", text);
	if (n < l->len) /* blank what a longer line left, and come back to the end of this one */
		fprintf(stderr, "%*s\r%s", (int)(l->len - n), "", text);
	if (end)
		fputc('\n', stderr);
	fflush(stderr);
	snprintf(l->text, sizeof l->text, "%s", text);
	l->len = n;
	l->drawn = !end;
}

static int line_tick(const powsolve_stats *st, unsigned bits, void *arg)
{
	line *l = arg;
	char text[128];
	(void)bits;
	if (interrupted)
		return 1;
	/* Nothing for work over in a moment; then at most 4 redraws a second, when it changed. */
	if (!l->tty || st->seconds < 0.5 || st->expected_s <= 0 ||
	    (l->drawn && st->seconds - l->last < 0.25))
		return 0;
	powsolve_line(text, sizeof text, progress_columns(), st->expected_s, st->seconds);
	if (!l->drawn || strcmp(text, l->text) != 0) {
		draw(l, text, 0);
		l->last = st->seconds;
	}
	return 0;
}

int powsolve_worker(uint64_t *counter, const uint8_t ch[GD_POW_CHALLENGE_BYTES], powsolve_stats *st)
{
	struct sigaction sa, old;
	powsolve_stats mine;
	line l = {.tty = isatty(2)};
	char text[160], so_far[24];
	if (st == NULL)
		st = &mine;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	interrupted = 0;
	sigaction(SIGINT, NULL, &old);
	int catch = old.sa_handler != SIG_IGN; /* an ignored Ctrl-C stays ignored */
	if (catch)
		sigaction(SIGINT, &sa, NULL);
	int rc = powsolve_run(counter, ch, 0, NULL, st, line_tick, &l);
	if (catch)
		sigaction(SIGINT, &old, NULL);
	if (l.drawn) {
		char rest[96];
		clock_text(so_far, sizeof so_far, st->seconds);
		/* TRANSLATORS: %s is the time spent ("0:12", "5 s") */
		snprintf(rest, sizeof rest,
			 rc == POWSOLVE_OK ? _("done in %s") : _("stopped after %s"), so_far);
		fit(text, sizeof text, progress_columns(), rest, rest);
		if (interrupted && l.len + 2 < (size_t)progress_columns())
			l.len += 2; /* the terminal echoed "^C" after the line: blank it too */
		draw(&l, text, 1);
	}
	if (interrupted) {
		raise(SIGINT); /* to the handler in place before (by default, the end) */
		return POWSOLVE_STOPPED;
	}
	return rc;
}
