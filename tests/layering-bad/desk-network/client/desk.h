/* fixture: the desk's shared header */
#include <stddef.h>
