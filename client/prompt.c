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

int gd_prompt_secret(const char *prompt, char *out, size_t cap)
{
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
	struct termios old, quiet;
	sigset_t block, saved;
	if (fd < 0)
		return -1;
	if (write(fd, prompt, strlen(prompt)) < 0 || tcgetattr(fd, &old) != 0) {
		close(fd);
		return -1;
	}
	/* Ctrl-C while echo is off would leave the terminal silent: hold the signals. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGTSTP);
	sigprocmask(SIG_BLOCK, &block, &saved);
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(fd, TCSAFLUSH, &quiet);
	size_t n = 0;
	char c;
	while (n + 1 < cap && read(fd, &c, 1) == 1 && c != '\n')
		out[n++] = c;
	out[gd_passphrase_len(out, n)] = '\0'; /* the same bytes as the line in a file */
	tcsetattr(fd, TCSAFLUSH, &old);
	sigprocmask(SIG_SETMASK, &saved, NULL);
	int rc = write(fd, "\n", 1) < 0 ? -1 : 0;
	close(fd);
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
