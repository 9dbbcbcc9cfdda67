/* auth.c - access to the server's routes: the bearer key checked through the state store,
 * the role the route needs, and the key's rate (401, 403, 429 with Retry-After). */
#include "server_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define BEARER "Bearer "
#define BEARER_LEN (sizeof BEARER - 1)

/* The token of "Authorization: Bearer TOKEN", or NULL. */
static const char *bearer_token(struct MHD_Connection *c) {
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!h || strncasecmp(h, BEARER, BEARER_LEN) != 0) return NULL;
    h += BEARER_LEN;
    while (*h == ' ') h++;
    return *h ? h : NULL;
}

static enum MHD_Result send_429(srv_req *r, int retry_after_s) {
    char ra[16];
    snprintf(ra, sizeof ra, "%d", retry_after_s > 0 ? retry_after_s : 1);
    return srv_send_error_header(r, 429, MHD_HTTP_HEADER_RETRY_AFTER, ra, "requests", "rate_limit_exceeded",
                                 "this key is over its request rate or its token budget for the day");
}

int srv_auth(srv_req *r, sw_role need) {
    sw_err err;
    const char *tok = bearer_token(r->c);
    if (!tok) {
        srv_send_error(r, 401, "invalid_request_error", "missing_api_key", NULL,
                       "this route needs an API key: 'Authorization: Bearer KEY'");
        return 0;
    }
    int ok = sw_store_key_auth(r->s->st, tok, &r->key, &err);
    if (ok < 0) {
        sw_log(SW_LOG_ERROR, "serve: %s", err.msg);
        srv_send_error(r, 500, "server_error", "store_error", NULL, "the key store failed");
        return 0;
    }
    if (ok == 0) {
        srv_send_error(r, 401, "invalid_request_error", "invalid_api_key", NULL, "unknown or revoked API key");
        return 0;
    }
    r->has_key = 1;
    if (r->key.role < need) {
        srv_send_error(r, 403, "permission_error", "insufficient_role", NULL,
                       "this route needs the %s role; the key has the %s role", sw_role_name(need),
                       sw_role_name(r->key.role));
        return 0;
    }
    int retry = 0;
    ok = sw_store_limit_admit(r->s->st, &r->key, &retry, &err);
    if (ok < 0) {
        sw_log(SW_LOG_ERROR, "serve: %s", err.msg);
        srv_send_error(r, 500, "server_error", "store_error", NULL, "the key store failed");
        return 0;
    }
    if (ok == 0) {
        send_429(r, retry);
        return 0;
    }
    return 1;
}
