/* ghostdrop client progress bar. */
#include "progress.h"

#include "i18n.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

static struct {
	int on, drawn;
	const char *label;
	uint64_t total, done, skipped; /* skipped: done by an earlier run */
	struct timespec start, last;
} prog;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static double since(const struct timespec *t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

void progress_start(const char *label, uint64_t total)
{
	pthread_mutex_lock(&lock);
	prog.on = isatty(2);
	prog.drawn = 0;
	prog.label = label != NULL ? label : "";
	prog.total = total;
	prog.done = 0;
	prog.skipped = 0;
	clock_gettime(CLOCK_MONOTONIC, &prog.start);
	prog.last = prog.start;
	pthread_mutex_unlock(&lock);
}

void progress_size(char *out, size_t cap, double b)
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	int u = 0;
	while (b >= 1024 && u < 4) {
		b /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, cap, "%.0f B", b);
	else
		snprintf(out, cap, "%.1f %s", b, unit[u]);
}

/* Both in the unit of the total: "131.2/256.0 MiB". */
static void position(char *out, size_t cap, uint64_t done, uint64_t total)
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double d = (double)done, t = (double)total;
	int u = 0;
	while (t >= 1024 && u < 4) {
		t /= 1024;
		d /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, cap, "%.0f/%.0f B", d, t);
	else
		snprintf(out, cap, "%.1f/%.1f %s", d, t, unit[u]);
}

void progress_format(char *out, size_t cap, int width, const char *label, uint64_t done,
		     uint64_t total, double rate, double elapsed)
{
	char pos[64], sp[32] = "", eta[96] = "", name[64];
	size_t max = width > 1 ? (size_t)width - 1 : 1;
	if (max >= cap)
		max = cap - 1;
	if (done > total)
		done = total;
	/* the label without its trailing spaces, at most a third of the line */
	size_t ln = strlen(label);
	while (ln > 0 && label[ln - 1] == ' ')
		ln--;
	if (ln > max / 3)
		ln = max / 3;
	if (ln > sizeof name - 1)
		ln = sizeof name - 1;
	while (ln > 0 && ln < strlen(label) && ((unsigned char)label[ln] & 0xc0) == 0x80)
		ln--; /* never half a UTF-8 character */
	snprintf(name, sizeof name, "%.*s", (int)ln, label);
	position(pos, sizeof pos, done, total);
	int pct = total ? (int)((double)done * 100 / (double)total) : 100;
	if (rate > 0 && elapsed >= 0.5) {
		char r[24];
		progress_size(r, sizeof r, rate);
		snprintf(sp, sizeof sp, "  %s/s", r);
		if (total > done) {
			double left = (double)(total - done) / rate;
			if (left < 360000) {
				unsigned s = (unsigned)left;
				if (s >= 3600)
					snprintf(eta, sizeof eta,
						 /* TRANSLATORS: the time left of an upload on its
						    progress line, hours:minutes:seconds; keep the
						    two leading spaces, and keep it short. */
						 _("  %u:%02u:%02u left"), s / 3600, s / 60 % 60,
						 s % 60);
				else /* TRANSLATORS: as the one before, minutes:seconds. */
					snprintf(eta, sizeof eta, _("  %u:%02u left"), s / 60,
						 s % 60);
			}
		}
	}
	/* what does not fit goes: the time left, then the rate, then the bar (a bar that
	 * comes and goes as the rate appears would jump) */
	static const struct {
		int bar, rate, eta;
	} tries[] = {{1, 1, 1}, {1, 1, 0}, {1, 0, 0}, {0, 1, 1}, {0, 1, 0}, {0, 0, 0}};
	char right[256];
	for (size_t k = 0; k < sizeof tries / sizeof *tries; k++) {
		snprintf(right, sizeof right, " %3d%%  %s%s%s", pct, pos, tries[k].rate ? sp : "",
			 tries[k].eta ? eta : "");
		size_t fixed = ln + (ln ? 1 : 0) + strlen(right);
		if (tries[k].bar && fixed + 2 + 10 <= max) { /* a bar of 10 or more */
			size_t bw = fixed + 2 + 30 <= max ? 30 : max - fixed - 2;
			size_t fill =
				total ? (size_t)((double)bw * (double)done / (double)total) : bw;
			char bar[64];
			for (size_t i = 0; i < bw; i++)
				bar[i] = i < fill ? '#' : '-';
			bar[bw] = '\0';
			snprintf(out, cap, "%s%s[%s]%s", name, ln ? " " : "", bar, right);
			break;
		}
		if (!tries[k].bar && (fixed <= max || k + 1 == sizeof tries / sizeof *tries)) {
			snprintf(out, cap, "%s%s", name, right + (ln ? 0 : 1));
			break;
		}
	}
	if (strlen(out) > max) { /* bytes: never wider than max columns, never half a character */
		size_t cut = max;
		while (cut > 0 && ((unsigned char)out[cut] & 0xc0) == 0x80)
			cut--;
		out[cut] = '\0';
	}
}

static int columns(void)
{
	struct winsize ws;
	if (ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

int progress_columns(void)
{
	return columns();
}

static void draw(void)
{
	char line[512];
	double el = since(&prog.start);
	uint64_t run = prog.done - prog.skipped; /* this run's bytes only */
	progress_format(line, sizeof line, columns(), prog.label, prog.done, prog.total,
			el > 0 ? (double)run / el : 0, el);
	/* back to the start of the row, the line, then clear what an older, longer one left */
	fprintf(stderr, "\r%s\033[K", line);
	prog.drawn = 1;
}

void progress_skip(uint64_t n)
{
	pthread_mutex_lock(&lock);
	prog.done += n;
	prog.skipped += n;
	pthread_mutex_unlock(&lock);
}

void progress_add(uint64_t n)
{
	pthread_mutex_lock(&lock);
	prog.done += n;
	if (prog.on && prog.total > 0 && (since(&prog.last) >= 0.2 || prog.done >= prog.total)) {
		clock_gettime(CLOCK_MONOTONIC, &prog.last);
		draw();
	}
	pthread_mutex_unlock(&lock);
}

void progress_end(void)
{
	pthread_mutex_lock(&lock);
	if (prog.on && prog.drawn) {
		draw();
		fputc('\n', stderr);
	}
	prog.on = 0;
	prog.drawn = 0;
	pthread_mutex_unlock(&lock);
}
