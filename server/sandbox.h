/* ghostdropd's system-call sandbox (seccomp, through libseccomp): once serving, the drop may
 * make only the system calls its event loop, its writer thread and LMDB need. */
#ifndef GD_SANDBOX_H
#define GD_SANDBOX_H

/* Install the filter for the whole process (every thread). 0, or -1 (logged). Anything
 * outside the list kills the process (SIGSYS): a bug or an exploit, never silently allowed. */
int sandbox_enter(void);

#endif
