/* Test shim (LD_PRELOAD) for ghostdropd: on SIGUSR2 the daemon makes a system call that a
 * serving drop never needs (getppid). Under --seccomp that must kill it with SIGSYS. */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

static void forbidden(int sig)
{
	(void)sig;
	syscall(SYS_getppid);
}

__attribute__((constructor)) static void arm(void)
{
	struct sigaction sa = {.sa_handler = forbidden};
	sigaction(SIGUSR2, &sa, NULL);
}
