/* libghostdrop codenames: 8 EFF words, normalised, stretched with Argon2id into a source's
 * reply, identity and mailbox keys. PROTOCOL.md §7. */
#include <stdlib.h>

#include "internal.h"
#include "wordlist.h"

/* Fixed by the protocol, not by libsodium's presets: changing them changes every identity. */
#define CODENAME_OPSLIMIT 3ULL
#define CODENAME_MEMLIMIT (256ULL << 20)
#define WORD_MAX 32

enum { SUB_REPLY = 1, SUB_IDENTITY = 2, SUB_MAILBOX = 3 };

const char *gd_wordlist_word(unsigned idx)
{
	return idx < GD_WORDLIST_SIZE ? gd_words[idx] : NULL;
}

static int word_cmp(const char *w, const char *s, size_t len)
{
	int c = strncmp(w, s, len);
	if (c != 0)
		return c;
	return w[len] == '\0' ? 0 : 1;
}

int gd_wordlist_find(const char *s, size_t len)
{
	int lo = 0, hi = GD_WORDLIST_SIZE - 1;
	if (len == 0 || len > WORD_MAX || memchr(s, '\0', len) != NULL)
		return -1;
	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;
		int c = word_cmp(gd_words[mid], s, len);
		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

/* Optimal string alignment distance: insertions, deletions, substitutions, transpositions. */
static unsigned edit_distance(const char *a, size_t la, const char *b, size_t lb)
{
	unsigned d[WORD_MAX + 1][WORD_MAX + 1];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (unsigned)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			unsigned cost = a[i - 1] != b[j - 1];
			unsigned v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[la][lb];
}

const char *gd_wordlist_nearest(const char *s, size_t len)
{
	char low[WORD_MAX];
	unsigned best = ~0u;
	const char *found = NULL;
	if (len > WORD_MAX)
		len = WORD_MAX;
	for (size_t i = 0; i < len; i++)
		low[i] = gd_ascii_lower(s[i]);
	for (unsigned i = 0; i < GD_WORDLIST_SIZE; i++) {
		size_t wl = strlen(gd_words[i]);
		if ((wl > len ? wl - len : len - wl) >= best)
			continue; /* the distance is at least the length difference: not nearer */
		unsigned dist = edit_distance(gd_words[i], wl, low, len);
		if (dist < best) {
			best = dist;
			found = gd_words[i];
		}
	}
	return found;
}

int gd_codename_generate(char *out, size_t cap)
{
	size_t o = 0;
	for (int i = 0; i < GD_CODENAME_WORDS; i++) {
		const char *w = gd_words[randombytes_uniform(GD_WORDLIST_SIZE)];
		size_t n = strlen(w);
		if (o + n + 2 > cap) {
			sodium_memzero(out, cap);
			return GD_ERR_INVAL;
		}
		if (i > 0)
			out[o++] = ' ';
		memcpy(out + o, w, n);
		o += n;
	}
	out[o] = '\0';
	return GD_OK;
}

/* What separates the words of a codename: the six ASCII white-space bytes (C's isspace in the
 * "C" locale, whatever the process's locale). Everything else, NUL included, is part of a word. */
static int is_sep(char c)
{
	return gd_ascii_isspace(c);
}

/* The next word of in from *i: its start and length; 0 when only separators are left. The one
 * split for normalising and for naming a bad word. */
static int next_word(const char *in, size_t in_len, size_t *i, size_t *start, size_t *n)
{
	while (*i < in_len && is_sep(in[*i]))
		(*i)++;
	if (*i == in_len)
		return 0;
	*start = *i;
	while (*i < in_len && !is_sep(in[*i]))
		(*i)++;
	*n = *i - *start;
	return 1;
}

const char *gd_codename_suggest(const char *in, size_t in_len, int bad_word)
{
	size_t i = 0, start = 0, n = 0;
	if (in == NULL || bad_word < 0)
		return NULL;
	for (int w = 0; w <= bad_word; w++)
		if (!next_word(in, in_len, &i, &start, &n))
			return NULL;
	return gd_wordlist_nearest(in + start, n);
}

unsigned gd_codename_bad_words(const char *in, size_t in_len, int *n_words)
{
	char word[WORD_MAX + 1];
	size_t i = 0, start, n;
	unsigned bad = 0;
	int count = 0;
	while (in != NULL && next_word(in, in_len, &i, &start, &n)) {
		if (count < GD_CODENAME_WORDS) {
			for (size_t k = 0; k < n && k < WORD_MAX; k++)
				word[k] = gd_ascii_lower(in[start + k]);
			if (n > WORD_MAX || gd_wordlist_find(word, n) < 0)
				bad |= 1u << count;
		}
		count++;
	}
	sodium_memzero(word, sizeof word);
	*n_words = count;
	return bad;
}

static int is_text_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_text_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* The text's ASCII letters, lower case, each with its piece (a run of letters: anything else
 * separates pieces) and its token (a run of anything but white space: "zoom-abacus" is one
 * token of two pieces). A codename word (its letters only: "yo-yo" is "yoyo") is found where
 * a piece is the word, where a token's letters are the word, or where two or more words
 * follow one another in a token's letters ("ZoomAbacus", "zoom_abacus"). A word alone inside
 * a longer one ("zoomed", "capable") is not found: ordinary text is not refused for it. The
 * words found within any 2 * GD_CODENAME_WORDS consecutive pieces are counted.
 *
 * A text given in parts: whether a letter begins a word found depends only on the letters up
 * to 2 * WORD_MAX after it (the word, and a word chained after it) and WORD_MAX + 1 before it
 * (a word chained before it, the letter before), whatever lies between them; the window of
 * pieces is carried in s. So the letters of a part are judged once those after them are
 * known (all at the last part), and the last GD_SCAN_CARRY letters go on to the next part:
 * parts give exactly what the whole text gives. */
enum { LOOK = 2 * WORD_MAX + 1, BACK = WORD_MAX + 1 };
_Static_assert(LOOK + BACK <= GD_SCAN_CARRY, "GD_SCAN_CARRY too small");

void gd_codename_scan_init(gd_codename_scan *s)
{
	memset(s, 0, sizeof *s);
}

void gd_codename_scan_wipe(gd_codename_scan *s)
{
	sodium_memzero(s, sizeof *s);
}

int gd_codename_scan_text(gd_codename_scan *s, const char *canonical, const char *text, size_t len,
			  int final)
{
	enum { WINDOW = 2 * GD_CODENAME_WORDS };
	char cw[GD_CODENAME_WORDS][WORD_MAX + 1];
	size_t cl[GD_CODENAME_WORDS], i = 0, start, n, nl = s->n;
	int nc = 0;
	size_t clen = strlen(canonical);
	while (nc < GD_CODENAME_WORDS && next_word(canonical, clen, &i, &start, &n)) {
		cl[nc] = 0;
		for (size_t k = 0; k < n && cl[nc] < WORD_MAX; k++)
			if (is_text_letter(canonical[start + k]))
				cw[nc][cl[nc]++] = (char)(canonical[start + k] | 0x20);
		if (cl[nc] > 0)
			nc++;
	}
	for (size_t t = 0; t < len; t++)
		nl += is_text_letter(text[t]);
	if (nc == 0 || nl == 0)
		return s->best;
	/* one block, not four: asked for again at each piece of a long text, it is memory malloc
	 * kept, where four blocks were mapped and unmapped each time (fresh pages cost more than
	 * the search itself) */
	if (nl > SIZE_MAX / (2 * sizeof(size_t) + 2))
		return -1;
	size_t *piece = malloc(nl * (2 * sizeof(size_t) + 2));
	if (piece == NULL)
		return -1;
	size_t *tok = piece + nl;
	char *low = (char *)(tok + nl);
	unsigned char *starts = (unsigned char *)low + nl;
	memset(starts, 0, nl);
	size_t l = s->n; /* the letters carried from the part before, then this part's */
	memcpy(low, s->low, l);
	memcpy(piece, s->piece, l * sizeof *piece);
	memcpy(tok, s->tok, l * sizeof *tok);
	size_t p = s->p, tk = s->tk;
	int gap = s->gap, space = s->space;
	for (size_t t = 0; t < len; t++) {
		if (!is_text_letter(text[t])) {
			gap = 1;
			space |= is_text_space(text[t]);
			continue;
		}
		if (s->seen) {
			p += gap;
			tk += space;
		}
		s->seen = 1;
		gap = space = 0;
		low[l] = (char)(text[t] | 0x20);
		piece[l] = p;
		tok[l++] = tk;
	}
	unsigned first[26] = {0}; /* by a letter: the codename words that begin with it */
	for (int k = 0; k < nc; k++)
		first[cw[k][0] - 'a'] |= 1u << k;
	for (size_t a = 0; a < nl; a++)
		for (unsigned ks = first[low[a] - 'a']; ks != 0; ks &= ks - 1) {
			int k = __builtin_ctz(ks);
			if (cl[k] <= nl - a && tok[a + cl[k] - 1] == tok[a] &&
			    memcmp(low + a, cw[k], cl[k]) == 0)
				starts[a] |= (unsigned char)(1u << k);
		}
	/* judged: from the first letter not judged yet to the last with LOOK letters after it
	 * (at the last part: to the end). Before s->done, only letters for context (BACK of
	 * them, or the text's first letter at 0). */
	size_t to = final || nl - s->done <= LOOK ? (final ? nl : s->done) : nl - LOOK;
	size_t last = s->last;
	int best = s->best;
	for (size_t a = s->done; a < to; a++) {
		unsigned m = 0;
		for (int k = 0; k < nc && starts[a] != 0; k++) {
			if (!(starts[a] & (1u << k)))
				continue;
			size_t e = a + cl[k]; /* one past its last letter */
			int first_p = a == 0 || piece[a - 1] != piece[a];
			int end_p = e == nl || piece[e] != piece[e - 1];
			int first_t = a == 0 || tok[a - 1] != tok[a];
			int end_t = e == nl || tok[e] != tok[e - 1];
			int chained = e < nl && tok[e] == tok[a] && starts[e] != 0;
			for (int j = 0; j < nc && !chained; j++)
				chained = cl[j] <= a && tok[a - cl[j]] == tok[a] &&
					  (starts[a - cl[j]] & (1u << j));
			if ((first_p && end_p && piece[a] == piece[e - 1]) || (first_t && end_t) ||
			    chained)
				m |= 1u << k;
		}
		for (size_t q = last + 1; q <= piece[a] && q <= last + WINDOW; q++)
			s->masks[q % WINDOW] = 0;
		last = piece[a];
		if (m == 0)
			continue; /* the window only lost words: no more of them than before */
		s->masks[last % WINDOW] |= m;
		unsigned all = 0;
		for (int k = 0; k < WINDOW; k++)
			all |= s->masks[k];
		int c = __builtin_popcount(all);
		best = c > best ? c : best;
	}
	size_t from = to > BACK ? to - BACK : 0; /* carried: BACK before the first not judged */
	s->n = nl - from;
	s->done = to - from;
	memcpy(s->low, low + from, s->n);
	memcpy(s->piece, piece + from, s->n * sizeof *piece);
	memcpy(s->tok, tok + from, s->n * sizeof *tok);
	s->p = p;
	s->tk = tk;
	s->gap = gap;
	s->space = space;
	s->last = last;
	s->best = best;
	sodium_memzero(low, nl);
	sodium_memzero(cw, sizeof cw);
	free(piece);
	return best;
}

int gd_codename_words_in_text(const char *canonical, const char *text, size_t len)
{
	gd_codename_scan s;
	gd_codename_scan_init(&s);
	int r = gd_codename_scan_text(&s, canonical, text, len, 1);
	gd_codename_scan_wipe(&s);
	return r;
}

int gd_codename_normalise(char *out, size_t cap, const char *in, size_t in_len, int *bad_word)
{
	char word[WORD_MAX + 1];
	size_t o = 0, i = 0, start, n;
	int count = 0, rc = GD_OK;
	*bad_word = -1;
	while (next_word(in, in_len, &i, &start, &n)) {
		if (count >= GD_CODENAME_WORDS) { /* counted, never looked up */
			count++;
			continue;
		}
		for (size_t k = 0; k < n && k < WORD_MAX; k++)
			word[k] = gd_ascii_lower(in[start + k]);
		int idx = n <= WORD_MAX ? gd_wordlist_find(word, n) : -1;
		if (idx < 0) {
			if (rc == GD_OK)
				*bad_word = count;
			rc = GD_ERR_WORD;
		} else {
			const char *w = gd_words[idx];
			size_t wl = strlen(w);
			if (o + wl + 2 > cap) {
				rc = GD_ERR_INVAL;
				break;
			}
			if (count > 0)
				out[o++] = ' ';
			memcpy(out + o, w, wl);
			o += wl;
		}
		count++;
	}
	sodium_memzero(word, sizeof word);
	if (rc == GD_OK && count != GD_CODENAME_WORDS)
		rc = GD_ERR_WORD; /* *bad_word stays -1: wrong count */
	if (rc != GD_OK) {
		sodium_memzero(out, cap);
		return rc;
	}
	out[o] = '\0';
	return GD_OK;
}

void gd_mailbox_id(uint8_t id[GD_MAILBOX_ID_BYTES], const uint8_t pk[GD_SIGN_PK_BYTES])
{
	gd_hash_ctx(id, GD_MAILBOX_ID_BYTES, GD_CTX_MAILBOX_ID, pk, GD_SIGN_PK_BYTES);
}

int gd_codename_derive(gd_source_keys *k, const char *canonical,
		       const uint8_t newsroom_pk[GD_SIGN_PK_BYTES])
{
	uint8_t salt[crypto_pwhash_SALTBYTES];
	uint8_t *seed = sodium_malloc(GD_SEED_BYTES * 2);
	int rc = GD_ERR_CRYPTO;
	if (seed == NULL)
		return GD_ERR_NOMEM;
	uint8_t *sub = seed + GD_SEED_BYTES;
	gd_hash_ctx(salt, sizeof salt, GD_CTX_CODENAME_SALT, newsroom_pk, GD_SIGN_PK_BYTES);
	if (crypto_pwhash(seed, GD_SEED_BYTES, canonical, strlen(canonical), salt,
			  CODENAME_OPSLIMIT, (size_t)CODENAME_MEMLIMIT,
			  crypto_pwhash_ALG_ARGON2ID13) != 0) {
		rc = GD_ERR_NOMEM;
		goto out;
	}
	if (crypto_kdf_derive_from_key(sub, GD_SEED_BYTES, SUB_REPLY, GD_KDF_CODENAME, seed) ||
	    crypto_box_seed_keypair(k->reply_pk, k->reply_sk, sub) ||
	    crypto_kdf_derive_from_key(sub, GD_SEED_BYTES, SUB_IDENTITY, GD_KDF_CODENAME, seed) ||
	    crypto_sign_seed_keypair(k->identity_pk, k->identity_sk, sub) ||
	    crypto_kdf_derive_from_key(sub, GD_SEED_BYTES, SUB_MAILBOX, GD_KDF_CODENAME, seed) ||
	    crypto_sign_seed_keypair(k->mailbox_pk, k->mailbox_sk, sub))
		goto out;
	gd_mailbox_id(k->mailbox_id, k->mailbox_pk);
	rc = GD_OK;
out:
	if (rc != GD_OK)
		sodium_memzero(k, sizeof *k);
	sodium_free(seed);
	return rc;
}

int gd_mailbox_sign(uint8_t sig[GD_SIG_BYTES], const uint8_t *challenge, size_t len,
		    const uint8_t sk[GD_SIGN_SK_BYTES])
{
	return gd_sign_ctx(sig, GD_CTX_MAILBOX_AUTH, challenge, len, NULL, 0, sk);
}

int gd_mailbox_verify(const uint8_t sig[GD_SIG_BYTES], const uint8_t *challenge, size_t len,
		      const uint8_t pk[GD_SIGN_PK_BYTES])
{
	return gd_verify_ctx(sig, GD_CTX_MAILBOX_AUTH, challenge, len, NULL, 0, pk);
}
