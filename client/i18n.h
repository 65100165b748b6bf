/* The worker CLI's languages (gettext, text domain "ghostdrop", catalogues in po/). Only
 * `ghostdrop` calls i18n_init; the desk, the demo and the daemon never do, so code they share
 * with the worker prints its English msgids there. */
#ifndef GD_I18N_H
#define GD_I18N_H

#define GD_TEXT_DOMAIN "ghostdrop"
#ifdef GD_EMBEDDED_CATALOGUES
/* The static worker binary (-Dembedded_catalogues=true): the catalogues are in the program
 * (catalogue.h), looked up as gettext would look up the installed ones. */
const char *i18n_gettext(const char *msgid) __attribute__((format_arg(1)));
const char *i18n_ngettext(const char *one, const char *many, unsigned long n)
	__attribute__((format_arg(1), format_arg(2)));
#define _(s) i18n_gettext(s)
#define P_(one, many, n) i18n_ngettext((one), (many), (n))
#else
#include <libintl.h>
/* A message the worker reads, looked up in its language. */
#define _(s) gettext(s)
/* A message with a count: the language's plural form for n. */
#define P_(one, many, n) ngettext((one), (many), (n))
#endif
/* A message marked for translation where it is defined, looked up where it is used. */
#define N_(s) (s)

/* The languages --lang takes (aliases: pt-BR and pt for pt_BR, tl for fil). */
#define GD_LANGUAGES "en es pt_BR fil sw fr"

/* The locale's messages and character type (LC_MESSAGES, LC_CTYPE; never LC_ALL, so numbers
 * keep their '.'), and the catalogues (GHOSTDROP_LOCALEDIR, else the installed ones). lang: a
 * --lang value or NULL; it wins over LANGUAGE, LC_ALL and LANG, also with no locale generated
 * (C.UTF-8 then). 0, or -1 when lang is none of GD_LANGUAGES (the locale's language is set). */
int i18n_init(const char *lang);
/* The catalogue code of a --lang value ("pt-BR" -> "pt_BR", "tl" -> "fil"), or NULL. */
const char *i18n_code(const char *lang);
/* Take every --lang L and --lang=L out of argv (before a "--"), wherever it stands, so the
 * command line is read as without it; *lang the last given (or NULL). -1 when a --lang has no
 * value. */
int i18n_take_lang(int *argc, char **argv, const char **lang);

#endif
