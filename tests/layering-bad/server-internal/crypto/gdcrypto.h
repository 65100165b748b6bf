/* fixture: crypto's public header */
#include <stdint.h>
