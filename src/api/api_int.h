/* api_int.h - what the API's source files share: options parsing and the result string. */
#ifndef STEWARD_API_INT_H
#define STEWARD_API_INT_H

#include "steward/api.h"

/* The result string of an entry point: obj in the CLI's JSON form, or {"error": msg}
 * when obj is NULL. Releases obj. NULL only when memory runs out. */
char *sw_api_finish(json_t *obj, const sw_err *err);
/* Parses opts_json (NULL or "" is {}). NULL with err when it is not a JSON object. */
json_t *sw_api_parse_opts(const char *opts_json, sw_err *err);
/* The string option k, or NULL. */
const char *sw_api_opt_str(const json_t *o, const char *k);

#endif
