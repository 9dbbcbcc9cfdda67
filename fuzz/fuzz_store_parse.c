/* fuzz_store_parse.c - libFuzzer target for the key-limit parsers (sw_store_parse_rate,
 * sw_store_parse_tokens): any text either fails with a message or gives a value in range,
 * and a value accepted prints back to a text that parses to the same value. */
#include "steward/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_INPUT 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char s[MAX_INPUT + 1];
    if (size > MAX_INPUT) size = MAX_INPUT;
    memcpy(s, data, size);
    s[size] = 0;
    sw_err err = {{0}};
    int rate = -1;
    if (sw_store_parse_rate(s, &rate, &err) == 0) {
        if (rate < 0 || rate > SW_RATE_MAX_PER_MIN) abort();
        char back[32];
        int again = -1;
        snprintf(back, sizeof back, "%d/min", rate);
        if (sw_store_parse_rate(back, &again, &err) != 0 || again != rate) abort();
    } else if (!err.msg[0]) {
        abort();
    }
    long long tokens = -1;
    err.msg[0] = 0;
    if (sw_store_parse_tokens(s, &tokens, &err) == 0) {
        if (tokens < 0 || tokens > SW_TOKENS_MAX) abort();
        char back[32];
        long long again = -1;
        snprintf(back, sizeof back, "%lld", tokens);
        if (sw_store_parse_tokens(back, &again, &err) != 0 || again != tokens) abort();
    } else if (!err.msg[0]) {
        abort();
    }
    return 0;
}
