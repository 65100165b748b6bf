/* fixture: crypto's private header */
#include "gdcrypto.h"
