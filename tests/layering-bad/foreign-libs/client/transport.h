/* fixture: client header */
int transport_get(void);
