/* ghostdropd routes: the /v1 HTTP API in ghostdrop terms (bundle, proof of work, submissions,
 * uploads, mailboxes, couriers). PROTOCOL.md §11. */
#ifndef GD_SERVER_API_H
#define GD_SERVER_API_H

#include <stdint.h>

#include "config.h"
#include "gdcrypto.h"
#include "http.h"
#include "store.h"

typedef struct api api;

api *api_new(store *st, const gd_config *cfg, const uint8_t newsroom_pk[GD_SIGN_PK_BYTES]);
void api_free(api *a);
/* Hook the API into a server: handlers, the writer's wake-up, periodic work. */
int api_attach(api *a, http_server *srv);
int api_idle(void *a); /* nothing queued or in flight: safe to stop */
http_handler api_handler(api *a);
/* 1 if this ghostdropd embeds the submission page (meson -Dweb), 0 if it was built without. */
int api_web_built(void);

#endif
