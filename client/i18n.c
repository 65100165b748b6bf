/* The worker CLI's languages: the locale's messages and character type (never LC_NUMERIC: a
 * size or --json stays "1.5"), --lang to choose another, and where the catalogues are. */
#include "i18n.h"

#include <locale.h>
#include <stdlib.h>
#include <string.h>

#ifdef GD_EMBEDDED_CATALOGUES
#include "catalogue.h"

/* The catalogue i18n_init chose (NULL: English, as before it is called). */
static const struct gd_catalogue *chosen;
#endif

#ifndef GD_LOCALEDIR
#define GD_LOCALEDIR "/usr/local/share/locale"
#endif

/* The languages ghostdrop speaks, and the other names --lang takes for them. */
static const struct {
	const char *name, *code;
} langs[] = {{"en", "en"},  {"es", "es"},       {"pt_BR", "pt_BR"}, {"fil", "fil"},
	     {"sw", "sw"},  {"fr", "fr"},       {"pt-BR", "pt_BR"}, {"pt", "pt_BR"},
	     {"tl", "fil"}, {"pt_br", "pt_BR"}, {"pt-br", "pt_BR"}};

const char *i18n_code(const char *lang)
{
	for (size_t i = 0; i < sizeof langs / sizeof *langs; i++)
		if (strcmp(lang, langs[i].name) == 0)
			return langs[i].code;
	return NULL;
}

/* "C" or "POSIX" (or unset): the locale a machine without generated locales gives. */
static int plain(const char *loc)
{
	return loc == NULL || strcmp(loc, "C") == 0 || strcmp(loc, "POSIX") == 0;
}

/* Without --lang: the language the environment names (LC_ALL, else LC_MESSAGES, else LANG,
 * as setlocale reads them) when gettext alone would miss it: Tagalog (tl_PH) is our Filipino,
 * Portuguese other than Brazil's gets pt_BR (as the web page does), and a language of ours
 * whose locale is not generated on this machine (setlocale fell back to C) is still spoken.
 * NULL: leave it to gettext (an explicit LANGUAGE is the worker's own choice). */
static const char *env_code(const char *messages_locale)
{
	const char *v = getenv("LANGUAGE");
	if (v != NULL && v[0] != '\0')
		return NULL;
	v = getenv("LC_ALL");
	if (v == NULL || v[0] == '\0')
		v = getenv("LC_MESSAGES");
	if (v == NULL || v[0] == '\0')
		v = getenv("LANG");
	if (v == NULL)
		return NULL;
	size_t n = strcspn(v, "_.@"); /* the language part of ll_CC.codeset@modifier */
	if (n == 2 && strncmp(v, "tl", 2) == 0)
		return "fil";
	if (n == 2 && strncmp(v, "pt", 2) == 0 && strncmp(v, "pt_BR", 5) != 0)
		return "pt_BR";
	if (!plain(messages_locale))
		return NULL; /* gettext finds es_MX, fr_CA, sw_TZ, pt_BR... in the locale itself */
	for (size_t i = 0; i < sizeof langs / sizeof *langs; i++)
		if (strcmp(langs[i].name, langs[i].code) == 0 && strlen(langs[i].code) >= n &&
		    strncmp(v, langs[i].code, n) == 0 && langs[i].code[n] == '\0')
			return strcmp(langs[i].code, "pt") == 0 ? "pt_BR" : langs[i].code;
	return NULL;
}

int i18n_init(const char *lang)
{
	const char *code = lang != NULL ? i18n_code(lang) : NULL;
	setlocale(LC_CTYPE, "");
	const char *messages = setlocale(LC_MESSAGES, "");
	int want_c_utf8 = 0; /* C.UTF-8 asked for LC_MESSAGES, whether it exists or not */
	if (lang == NULL) {
		code = env_code(messages != NULL ? messages : "C");
		const char *list = getenv("LANGUAGE");
		if (code == NULL && list != NULL && list[0] != '\0' &&
		    plain(setlocale(LC_MESSAGES, NULL))) {
			/* the worker's own LANGUAGE, which gettext would ignore under C */
			setlocale(LC_MESSAGES, "C.UTF-8");
			want_c_utf8 = 1;
			if (plain(setlocale(LC_CTYPE, NULL)))
				setlocale(LC_CTYPE, "C.UTF-8");
		}
	}
	if (code != NULL) {
		/* LANGUAGE wins over LC_ALL, LC_MESSAGES and LANG for gettext, but gettext ignores
		 * it under the C locale: then C.UTF-8 (glibc's, installed with it) */
		setenv("LANGUAGE", code, 1);
		if (strcmp(code, "en") != 0) {
			if (plain(setlocale(LC_MESSAGES, NULL))) {
				setlocale(LC_MESSAGES, "C.UTF-8");
				want_c_utf8 = 1;
			}
			if (plain(setlocale(LC_CTYPE, NULL)))
				setlocale(LC_CTYPE, "C.UTF-8");
		}
	}
#ifdef GD_EMBEDDED_CATALOGUES
	/* What gettext reads with the same settings. glibc's C.UTF-8 is a locale file (Debian:
	 * /usr/lib/locale/C.utf8), absent from a bare system or an empty chroot, where gettext
	 * would read nothing under the C locale left: the worker's language would be lost. */
	const char *now = setlocale(LC_MESSAGES, NULL);
	chosen = gd_catalogue_choose(want_c_utf8 && plain(now) ? "C.UTF-8" : now);
#else
	(void)want_c_utf8;
	const char *dir = getenv("GHOSTDROP_LOCALEDIR");
	bindtextdomain(GD_TEXT_DOMAIN, dir != NULL && dir[0] != '\0' ? dir : GD_LOCALEDIR);
	textdomain(GD_TEXT_DOMAIN);
#endif
	return lang != NULL && code == NULL ? -1 : 0;
}

#ifdef GD_EMBEDDED_CATALOGUES
const char *i18n_gettext(const char *msgid)
{
	return gd_catalogue_gettext(chosen, msgid);
}

const char *i18n_ngettext(const char *one, const char *many, unsigned long n)
{
	return gd_catalogue_ngettext(chosen, one, many, n);
}
#endif

int i18n_take_lang(int *argc, char **argv, const char **lang)
{
	int out = 1, missing = 0;
	*lang = NULL;
	for (int i = 1; i < *argc; i++) {
		if (strcmp(argv[i], "--") == 0) { /* files from here on, kept as they are */
			while (i < *argc)
				argv[out++] = argv[i++];
			break;
		}
		if (strncmp(argv[i], "--lang=", 7) == 0) {
			*lang = argv[i] + 7;
		} else if (strcmp(argv[i], "--lang") == 0) {
			if (i + 1 < *argc)
				*lang = argv[++i];
			else
				missing = 1;
		} else {
			argv[out++] = argv[i];
		}
	}
	argv[out] = NULL;
	*argc = out;
	return missing ? -1 : 0;
}
