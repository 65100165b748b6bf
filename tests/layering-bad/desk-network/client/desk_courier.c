/* fixture: the online desk may use the transport and sockets */
#include <sys/socket.h>
#include "desk.h"
#include "transport.h"
