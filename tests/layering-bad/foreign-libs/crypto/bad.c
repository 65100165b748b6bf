/* fixture: crypto/ reaching for LMDB */
#include <lmdb.h>
