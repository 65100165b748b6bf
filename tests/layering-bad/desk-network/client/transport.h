/* fixture: the network transport */
#include <stddef.h>
