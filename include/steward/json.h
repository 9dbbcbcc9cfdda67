/* json.h - strict JSON reading for everything signed or configured: one parse with
 * duplicate object keys rejected and jansson's messages put in the user's terms. */
#ifndef STEWARD_JSON_H
#define STEWARD_JSON_H

#include "steward/core.h"

#include <jansson.h>

/* Parses data[0..len) as one JSON value (an object or array unless flags has
 * JSON_DECODE_ANY; other jansson decode flags are passed on). Duplicate object keys are
 * an error, so that what a signature covers is what a reader sees. Returns a new
 * reference (the caller json_decref's it), or NULL with err "WHAT: line L, column C: why"
 * (what names the source: a path, "stdin", "line 3 of FILE"). */
json_t *sw_json_parse(const char *data, size_t len, const char *what, size_t flags, sw_err *err);

/* Reads a regular file of at most max_bytes (sw_file_read_all) and parses it with
 * sw_json_parse. NULL with err naming the path. */
json_t *sw_json_load_file(const char *path, size_t max_bytes, size_t flags, sw_err *err);

#endif
