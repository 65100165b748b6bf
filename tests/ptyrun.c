/* See ptyrun.h. */
#include "ptyrun.h"

#include <errno.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

int pty_run(const char *const argv[], const char *dir, const char *const script[], char *out,
	    size_t cap)
{
	int fd;
	size_t len = 0, step = 0, seen = 0;
	pid_t pid = forkpty(&fd, NULL, NULL, NULL);
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (dir != NULL && chdir(dir) != 0)
			_exit(127);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	out[0] = '\0';
	time_t end = time(NULL) + 60;
	for (;;) {
		if (script != NULL && script[step] != NULL && strstr(out + seen, script[step])) {
			const char *say = script[step + 1];
			seen = len; /* the next prompt is looked for in what comes after */
			/* a hidden prompt turns echo off with TCSAFLUSH after it shows, which drops
			 * what was typed before: wait for that (at most a second for a prompt that
			 * keeps echo on) */
			for (int k = 0; k < 50; k++) {
				struct termios t;
				if (tcgetattr(fd, &t) != 0 || !(t.c_lflag & ECHO))
					break;
				struct timespec ts = {0, 20 * 1000 * 1000};
				nanosleep(&ts, NULL);
			}
			if (write(fd, say, strlen(say)) != (ssize_t)strlen(say))
				break;
			step += 2;
			continue;
		}
		struct pollfd p = {fd, POLLIN, 0};
		int r = poll(&p, 1, 1000);
		if (r < 0 && errno == EINTR)
			continue;
		if (time(NULL) > end) {
			kill(pid, SIGKILL);
			break;
		}
		if (r == 0)
			continue;
		char buf[4096];
		ssize_t n = read(fd, buf, sizeof buf);
		if (n <= 0)
			break; /* EIO: the child closed the terminal */
		if ((size_t)n > cap - 1 - len)
			n = (ssize_t)(cap - 1 - len);
		memcpy(out + len, buf, (size_t)n);
		len += (size_t)n;
		out[len] = '\0';
	}
	close(fd);
	int st;
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) && time(NULL) <= end ? WEXITSTATUS(st) : -1;
}
