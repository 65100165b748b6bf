/* fixture: a crypto/ file reaching for the network (crypto does no I/O of its own) */
#include <stdint.h>
#include <sys/socket.h>
