/* fixture: a new server file (named nowhere in the checker) using crypto's private header */
#include "gdcrypto.h"
#include "internal.h"
