/* console.c - the console for people in charge (GET /console and its files): HTML, CSS and
 * JavaScript embedded in the binary at build time (scripts/embed_console.sh), served with a
 * strict Content-Security-Policy so that text from users can never run in a reviewer's
 * browser. The page itself needs no key; every action it takes calls the API with one. */
#include "server_int.h"

#include <string.h>

#include "console_assets.h" /* generated: CONSOLE_ASSET_TABLE */

typedef struct {
    const char *name;
    const unsigned char *data;
    size_t len;
} console_asset;

static const console_asset assets[] = {CONSOLE_ASSET_TABLE};
#define N_ASSETS (sizeof assets / sizeof assets[0])
#define CONSOLE_INDEX "index.html"

/* Scripts, styles, images and API calls from this origin only; nothing inline, no frames,
 * no plugins, no <base>, forms only to this origin. (No Cross-Origin-Opener-Policy: it made
 * Chromium swap renderer processes on every load, doubling the first paint here, and the
 * console opens no windows.) */
#define CONSOLE_CSP                                                                                    \
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " \
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

typedef struct {
    const char *ext, *ctype;
} content_type;

static const content_type ctypes[] = {
    {".html", "text/html; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".svg", "image/svg+xml"},
};
#define N_CTYPES (sizeof ctypes / sizeof ctypes[0])

/* The content type of a file name by its extension; NULL for one the console does not use. */
static const char *content_type_of(const char *name) {
    size_t n = strlen(name);
    for (size_t i = 0; i < N_CTYPES; i++) {
        size_t e = strlen(ctypes[i].ext);
        if (n > e && strcmp(name + n - e, ctypes[i].ext) == 0) return ctypes[i].ctype;
    }
    return NULL;
}

/* The embedded file called name; NULL when there is none. */
static const console_asset *find_asset(const char *name) {
    for (size_t i = 0; i < N_ASSETS; i++)
        if (strcmp(assets[i].name, name) == 0) return &assets[i];
    return NULL;
}

/* GET /console, /console/ (the page) and /console/{file}. 404 for a file not embedded. */
enum MHD_Result srv_route_console(srv_req *r) {
    const char *name = r->path_arg[0] ? r->path_arg : CONSOLE_INDEX;
    const console_asset *a = find_asset(name);
    const char *ctype = a ? content_type_of(a->name) : NULL;
    if (!a || !ctype)
        return srv_send_error(r, 404, "invalid_request_error", "not_found", NULL, "no such console file");
    /* the data is static and never written: PERSISTENT makes no copy */
    struct MHD_Response *resp = MHD_create_response_from_buffer(a->len, (void *)a->data, MHD_RESPMEM_PERSISTENT);
    if (!resp) return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    MHD_add_response_header(resp, "Content-Security-Policy", CONSOLE_CSP);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    return srv_queue(r, 200, resp);
}
