/* ghostdropd's seccomp filter. The only file that includes libseccomp. The list is what a
 * serving drop needs after start-up: sockets already bound, files already open, threads
 * already running; the test suite runs every daemon test with it (tests/daemon.c). */
#include "sandbox.h"

#include <errno.h>
#include <seccomp.h>
#include <string.h>
#include <sys/ioctl.h>

#include "log.h"

static const char *const ALLOWED[] = {
	/* files and sockets already open: the database, the log, connections */
	"read",
	"write",
	"readv",
	"writev",
	"pread64",
	"pwrite64",
	"preadv",
	"pwritev",
	"close",
	"lseek",
	"fstat",
	"newfstatat",
	"statx",
	"fstatfs",
	"fcntl",
	"fsync",
	"fdatasync",
	/* stored chunks leave the page cache (store.c): posix_fadvise is fadvise64 on 64-bit
	 * systems, fadvise64_64 on i386, arm_fadvise64_64 on 32-bit arm */
	"fadvise64",
	"fadvise64_64",
	"arm_fadvise64_64",
	"msync",
	/* the event loop */
	"epoll_wait",
	"epoll_pwait",
	"epoll_ctl",
	"poll",
	"ppoll",
	"accept",
	"accept4",
	"recvfrom",
	"sendto",
	"recvmsg",
	"sendmsg",
	"shutdown",
	"getsockname",
	"getpeername",
	"setsockopt",
	"getsockopt",
	/* memory: malloc, LMDB's map, libsodium's guarded allocations */
	"mmap",
	"munmap",
	"mremap",
	"mprotect",
	"madvise",
	"brk",
	"mlock",
	"munlock",
	"mlock2",
	/* threads, time, randomness */
	"futex",
	"set_robust_list",
	"get_robust_list",
	"rseq",
	"sched_yield",
	"clock_gettime",
	"clock_nanosleep",
	"nanosleep",
	"gettimeofday",
	"time",
	"getrandom",
	"getpid",
	"gettid",
	/* signals (SIGTERM stops the drop cleanly), aborting, leaving */
	"rt_sigaction",
	"rt_sigprocmask",
	"rt_sigreturn",
	"sigaltstack",
	"tgkill",
	"exit",
	"exit_group",
};

int sandbox_enter(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (ctx == NULL) {
		log_msg(LOG_ERR, "seccomp: cannot start a filter");
		return -1;
	}
	for (size_t i = 0; i < sizeof ALLOWED / sizeof ALLOWED[0]; i++) {
		int nr = seccomp_syscall_resolve_name(ALLOWED[i]);
		if (nr == __NR_SCMP_ERROR)
			continue; /* not on this architecture */
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0) != 0) {
			log_msg(LOG_ERR, "seccomp: cannot allow %s", ALLOWED[i]);
			seccomp_release(ctx);
			return -1;
		}
	}
	/* libevent asks how many bytes wait on a socket before reading them; no other ioctl */
	struct scmp_arg_cmp fionread = {
		.arg = 1, .op = SCMP_CMP_EQ, .datum_a = FIONREAD, .datum_b = 0};
	if (seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1, &fionread) != 0) {
		log_msg(LOG_ERR, "seccomp: cannot allow ioctl(FIONREAD)");
		seccomp_release(ctx);
		return -1;
	}
	/* Opening files is refused, not fatal: glibc's malloc reads
	 * /proc/sys/vm/overcommit_memory when it trims a finished thread's arena, and copes
	 * without it. The drop itself opens nothing once serving. */
	if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(openat), 0) != 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(open), 0) != 0) {
		log_msg(LOG_ERR, "seccomp: cannot refuse open");
		seccomp_release(ctx);
		return -1;
	}
	int rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc != 0) {
		log_msg(LOG_ERR, "seccomp: cannot load the filter: %s", strerror(-rc));
		return -1;
	}
	return 0;
}
