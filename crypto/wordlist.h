/* libghostdrop: the embedded EFF large word list (generated, sorted, 7776 words). */
#ifndef GD_WORDLIST_H
#define GD_WORDLIST_H
extern const char *const gd_words[7776];
#endif
