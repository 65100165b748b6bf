/* fixture: server using a client header and libevent outside http.c */
#include "transport.h"
#include <event2/event.h>
