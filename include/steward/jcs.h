/* jcs.h - the JSON Canonicalization Scheme (RFC 8785): the one byte form of a JSON value
 * that signatures cover, so that any JSON tool's rewrite of the same values (other key
 * order, whitespace, 2.0 written as 2, "\u00e9" for "é") canonicalises to the same bytes. */
#ifndef STEWARD_JCS_H
#define STEWARD_JCS_H

#include "steward/core.h"

#include <jansson.h>

/* Longest ECMAScript form of a double: "-" + 17 digits + "." + "e-324" and the NUL. */
#define SW_JCS_NUMBER_MAX 32
/* Deepest nesting canonicalised (jansson's own parser stops at 2048). */
#define SW_JCS_MAX_DEPTH 2048

/* Writes d as ECMAScript's Number.prototype.toString does (the shortest digits that read
 * back as d; exponent form below 1e-6 and from 1e21 on). -1 for NaN and infinities,
 * which JSON cannot carry. */
int sw_jcs_number(double d, char out[SW_JCS_NUMBER_MAX], sw_err *err);

/* Appends the canonical form of v to out: no whitespace, object members sorted by the
 * UTF-16 code units of their names, strings with the minimal escapes, numbers as
 * sw_jcs_number (integers included). -1 with err on a non-finite number, a value nested
 * deeper than SW_JCS_MAX_DEPTH or no memory (out then holds a partial form). */
int sw_jcs_append(const json_t *v, sw_buf *out, sw_err *err);

/* The canonical form as a new NUL-terminated string (caller frees), or NULL with err. */
char *sw_jcs_dumps(const json_t *v, sw_err *err);

/* Compact JSON as sw_jcs_append writes it but with object members in their own order
 * and integers written exactly (not as doubles): the output form of the CLI and the API
 * (reals in their shortest form: 0.92, not 0.92000000000000004). Same errors. */
int sw_json_compact_append(const json_t *v, sw_buf *out, sw_err *err);

#endif
