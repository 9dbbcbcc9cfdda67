/* fuzz_server_request.c - libFuzzer target for the server's request parser: a body of
 * /v1/chat/completions (first byte even) or /v1/completions (odd) through JSON and
 * srv_gen_params_parse; a parsed request must be internally consistent. */
#include "server/server_int.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    int chat = data[0] % 2 == 0;
    json_error_t je;
    json_t *o = json_loadb((const char *)data + 1, size - 1, JSON_REJECT_DUPLICATES, &je);
    if (!o) return 0;
    srv_gen_params p;
    if (srv_gen_params_parse(o, chat, &p) == 0) {
        if (chat && (p.n_msgs < 1 || !p.msgs)) abort();
        if (!chat && !p.prompt) abort();
        for (int i = 0; i < p.n_msgs; i++)
            if (!p.msgs[i].role || !p.msgs[i].content) abort();
        if (p.n_stop > SRV_MAX_STOP || p.top_logprobs > SRV_MAX_TOP_LOGPROBS || p.max_tokens < 0) abort();
        for (int i = 0; i < p.n_stop; i++)
            if (!p.stop[i][0]) abort();
    } else if (!p.why[0]) {
        abort(); /* a refusal always says why */
    }
    srv_gen_params_free(&p);
    json_decref(o);
    return 0;
}
