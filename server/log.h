/* ghostdropd logging: one line per event on stderr (systemd-friendly). By rule, no call passes
 * a client address, an id, a size or a precise time of a submission (THREAT_MODEL.md). */
#ifndef GD_SERVER_LOG_H
#define GD_SERVER_LOG_H

enum { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_set_level(int level);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
