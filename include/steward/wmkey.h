/* wmkey.h - the instance's secret watermark keys under $STEWARD_HOME/keys.
 *
 * keys/watermark.key holds the current 32-byte key (mode 0600); rotation moves it to
 * keys/watermark.key.<keyid>, so that text marked with an old key is still detected. */
#ifndef STEWARD_WMKEY_H
#define STEWARD_WMKEY_H

#include "steward/core.h"
#include "steward/watermark.h"

#define SW_WMKEY_MAX 64

/* Loads the current key, creating it when missing. -1 when the file is unreadable, has
 * the wrong size or is readable by others. */
int sw_wmkey_load_or_create(const char *home, uint8_t key[SW_WM_KEY_BYTES], sw_err *err);
/* Archives the current key (if any) and creates a new one. */
int sw_wmkey_rotate(const char *home, uint8_t key[SW_WM_KEY_BYTES], sw_err *err);
/* The current key first, then archived ones; *n receives the count (at most max). */
int sw_wmkey_all(const char *home, uint8_t (*keys)[SW_WM_KEY_BYTES], size_t max, size_t *n, sw_err *err);

#endif
