/* Lookups in the embedded catalogues (catalogue.h), with gettext's answers. */
#include "catalogue.h"

#include <stdlib.h>
#include <string.h>

const struct gd_catalogue *gd_catalogue_find(const char *lang)
{
	for (size_t i = 0; i < gd_catalogues_count; i++)
		if (strcmp(gd_catalogues[i].lang, lang) == 0)
			return &gd_catalogues[i];
	return NULL;
}

/* The catalogue of one locale name (ll[_CC][.codeset][@modifier]) of length len: glibc tries
 * its variants from the most specific, and po/'s names have no codeset or modifier, so only
 * ll_CC and ll can match. */
static const struct gd_catalogue *for_locale(const char *name, size_t len)
{
	/* /usr/share/locale/locale.alias's names for a language of ours (glibc expands them) */
	static const struct {
		const char *alias, *locale;
	} aliases[] = {{"french", "fr_FR.ISO-8859-1"}, {"spanish", "es_ES.ISO-8859-1"}};
	for (size_t i = 0; i < sizeof aliases / sizeof *aliases; i++)
		if (strlen(aliases[i].alias) == len && strncmp(name, aliases[i].alias, len) == 0) {
			name = aliases[i].locale;
			len = strlen(name);
			break;
		}
	size_t ll = strcspn(name, "_.@");
	if (ll > len)
		ll = len;
	char buf[64];
	if (ll < len && name[ll] == '_') {
		size_t cc = ll + strcspn(name + ll, ".@");
		if (cc > len)
			cc = len;
		if (cc < sizeof buf) {
			memcpy(buf, name, cc);
			buf[cc] = '\0';
			const struct gd_catalogue *c = gd_catalogue_find(buf);
			if (c != NULL)
				return c;
		}
	}
	if (ll >= sizeof buf)
		return NULL;
	memcpy(buf, name, ll);
	buf[ll] = '\0';
	return gd_catalogue_find(buf);
}

const struct gd_catalogue *gd_catalogue_choose(const char *loc)
{
	if (loc == NULL || strcmp(loc, "C") == 0 || strcmp(loc, "POSIX") == 0)
		return NULL; /* gettext ignores LANGUAGE under the C locale */
	const char *list = getenv("LANGUAGE");
	if (list == NULL || list[0] == '\0')
		list = loc;
	while (*list != '\0') {
		size_t len = strcspn(list, ":");
		if ((len == 1 && strncmp(list, "C", 1) == 0) ||
		    (len == 5 && strncmp(list, "POSIX", 5) == 0))
			return NULL;
		if (len > 0) {
			const struct gd_catalogue *c = for_locale(list, len);
			if (c != NULL)
				return c;
		}
		list += len;
		if (*list == ':')
			list++;
	}
	return NULL;
}

static const struct gd_catalogue_entry *lookup(const struct gd_catalogue *c, const char *msgid)
{
	if (c == NULL)
		return NULL;
	size_t lo = 0, hi = c->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int d = strcmp(msgid,
			       c->entries[mid].orig); /* orig's msgid ends at its first NUL */
		if (d == 0)
			return &c->entries[mid];
		if (d < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const char *gd_catalogue_gettext(const struct gd_catalogue *c, const char *msgid)
{
	const struct gd_catalogue_entry *e = lookup(c, msgid);
	return e != NULL ? e->trans : msgid;
}

const char *gd_catalogue_ngettext(const struct gd_catalogue *c, const char *one, const char *many,
				  unsigned long n)
{
	const struct gd_catalogue_entry *e = lookup(c, one);
	if (e == NULL)
		return n == 1 ? one : many;
	unsigned long form = c->plural == GD_PLURAL_NOT_ONE ? n != 1 : n > 1;
	const char *s = e->trans;
	/* gen-catalogues.py checked that a message with a plural has exactly two forms; one
	 * without (called with a plural here) has one, which gettext returns for every n */
	if (form == 1 && e->has_plural)
		s = strchr(s, '\0') + 1;
	return s;
}
