/* fixture: a fuzz target reaching static parsers by including a .c file (issue 15: link) */
#include "../../server/http.c"
