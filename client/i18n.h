/* The worker CLI's languages (gettext, text domain "ghostdrop", catalogues in po/). Only
 * `ghostdrop` calls i18n_init; the desk, the demo and the daemon never do, so code they share
 * with the worker prints its English msgids there. */
#ifndef GD_I18N_H
#define GD_I18N_H

#include <libintl.h>

#define GD_TEXT_DOMAIN "ghostdrop"
/* A message the worker reads, looked up in its language. */
#define _(s) gettext(s)
/* A message marked for translation where it is defined, looked up where it is used. */
#define N_(s) (s)
/* A message with a count: the language's plural form for n. */
#define P_(one, many, n) ngettext((one), (many), (n))

#endif
