/* fixture: the offline desk (ghostdrop-desk open) including the network transport */
#include "desk.h"
#include "transport.h"
