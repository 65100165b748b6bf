/* The worker CLI's languages: the locale's messages and character type (never LC_NUMERIC: a
 * size or --json stays "1.5"), --lang to choose another, and where the catalogues are. */
#include "i18n.h"

#include <locale.h>
#include <stdlib.h>
#include <string.h>

#ifndef GD_LOCALEDIR
#define GD_LOCALEDIR "/usr/local/share/locale"
#endif

/* The languages ghostdrop speaks, and the other names --lang takes for them. */
static const struct {
	const char *name, *code;
} langs[] = {{"en", "en"},	 {"es", "es"}, {"pt_BR", "pt_BR"}, {"fil", "fil"}, {"sw", "sw"},
	     {"fr", "fr"},	 {"pt-BR", "pt_BR"}, {"pt", "pt_BR"}, {"tl", "fil"},
	     {"pt_br", "pt_BR"}, {"pt-br", "pt_BR"}};

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

int i18n_init(const char *lang)
{
	const char *code = lang != NULL ? i18n_code(lang) : NULL;
	setlocale(LC_CTYPE, "");
	setlocale(LC_MESSAGES, "");
	if (code != NULL) {
		/* LANGUAGE wins over LC_ALL, LC_MESSAGES and LANG for gettext, but gettext ignores
		 * it under the C locale: then C.UTF-8 (in glibc, no generated locale needed) */
		setenv("LANGUAGE", code, 1);
		if (strcmp(code, "en") != 0) {
			if (plain(setlocale(LC_MESSAGES, NULL)))
				setlocale(LC_MESSAGES, "C.UTF-8");
			if (plain(setlocale(LC_CTYPE, NULL)))
				setlocale(LC_CTYPE, "C.UTF-8");
		}
	}
	const char *dir = getenv("GHOSTDROP_LOCALEDIR");
	bindtextdomain(GD_TEXT_DOMAIN, dir != NULL && dir[0] != '\0' ? dir : GD_LOCALEDIR);
	textdomain(GD_TEXT_DOMAIN);
	return lang != NULL && code == NULL ? -1 : 0;
}

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
