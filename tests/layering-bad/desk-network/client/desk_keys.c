/* fixture: a new offline desk file (named nowhere in the checker) opening a socket */
#include <sys/socket.h>
#include "desk.h"
