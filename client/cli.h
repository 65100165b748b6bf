/* ghostdrop client command lines: the one-line error convention ("PROG: message" on stderr). */
#ifndef GD_CLI_H
#define GD_CLI_H

extern const char *cli_name;
/* Print "cli_name: message" on stderr and return code (for `return cli_die(...)`). */
int cli_die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
