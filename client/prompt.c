/* ghostdrop client prompts: secrets typed on the terminal without echo, or read from a file. */
#include "prompt.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "fileio.h"
#include "gdcrypto.h"

/* The terminal while echo is off, for the signal handler: its modes are put back first. */
static volatile sig_atomic_t quiet_fd = -1;
static struct termios loud;
static const int stops[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
static struct sigaction before[sizeof stops / sizeof stops[0]];

/* Ctrl-C (or a kill) while echo is off: echo back on at once, then what the signal did before
 * (by default the program stops, killed by it; a handler of the program runs as it would). */
static void prompt_signal(int sig)
{
	int saved = errno;
	if (quiet_fd >= 0) {
		tcsetattr(quiet_fd, TCSANOW, &loud);
		ssize_t w = write(quiet_fd, "\n", 1);
		(void)w;
	}
	for (size_t i = 0; i < sizeof stops / sizeof stops[0]; i++)
		if (stops[i] == sig) {
			sigaction(sig, &before[i], NULL);
			raise(sig); /* blocked here: delivered as this handler returns */
		}
	errno = saved;
}

int gd_prompt_secret(const char *prompt, char *out, size_t cap)
{
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
	struct termios quiet;
	struct sigaction on_stop;
	sigset_t block, saved;
	if (fd < 0)
		return -1;
	if (write(fd, prompt, strlen(prompt)) < 0 || tcgetattr(fd, &loud) != 0) {
		close(fd);
		return -1;
	}
	/* Ctrl-Z would stop the program with echo off: held until the line is read. */
	sigemptyset(&block);
	sigaddset(&block, SIGTSTP);
	sigprocmask(SIG_BLOCK, &block, &saved);
	memset(&on_stop, 0, sizeof on_stop);
	on_stop.sa_handler = prompt_signal; /* no SA_RESTART: the read below is interrupted */
	sigfillset(&on_stop.sa_mask);
	quiet_fd = fd;
	for (size_t i = 0; i < sizeof stops / sizeof stops[0]; i++) {
		sigaction(stops[i], NULL, &before[i]);
		if (before[i].sa_handler != SIG_IGN) /* nohup's SIGHUP stays ignored */
			sigaction(stops[i], &on_stop, NULL);
	}
	quiet = loud;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(fd, TCSAFLUSH, &quiet);
	size_t n = 0;
	char c;
	ssize_t k = 0;
	while (n + 1 < cap && (k = read(fd, &c, 1)) == 1 && c != '\n')
		out[n++] = c;
	int interrupted = k < 0 && errno == EINTR;
	out[gd_passphrase_len(out, n)] = '\0'; /* the same bytes as the line in a file */
	tcsetattr(fd, TCSAFLUSH, &loud);
	quiet_fd = -1;
	for (size_t i = 0; i < sizeof stops / sizeof stops[0]; i++) {
		struct sigaction now;
		sigaction(stops[i], NULL, &now);
		if (now.sa_handler == prompt_signal)
			sigaction(stops[i], &before[i], NULL);
	}
	sigprocmask(SIG_SETMASK, &saved, NULL);
	int rc = interrupted ? -2 : write(fd, "\n", 1) < 0 ? -1 : 0;
	close(fd);
	if (rc != 0)
		sodium_memzero(out, cap);
	return rc;
}

int gd_secret_from_file(const char *path, char *out, size_t cap)
{
	uint8_t *buf;
	size_t len;
	if (gd_file_read(path, cap > 1 ? cap - 1 : 0, &buf, &len) != 0)
		return -1;
	size_t n = gd_passphrase_len((const char *)buf, len);
	memcpy(out, buf, n);
	out[n] = '\0';
	sodium_memzero(buf, len);
	free(buf);
	return 0;
}
