/* chat.c - chat prompt formatting for the ChatML and Llama-3 templates. */
#include "steward/chat.h"

#include <string.h>

sw_chat_style sw_chat_detect(const char *tmpl, size_t len) {
    if (!tmpl) return SW_CHAT_NONE;
    if (memmem(tmpl, len, "<|start_header_id|>", 19) && memmem(tmpl, len, "<|eot_id|>", 10))
        return SW_CHAT_LLAMA3;
    if (memmem(tmpl, len, "<|im_start|>", 12)) return SW_CHAT_CHATML;
    return SW_CHAT_NONE;
}

const char *sw_chat_style_name(sw_chat_style s) {
    switch (s) {
    case SW_CHAT_CHATML: return "chatml";
    case SW_CHAT_LLAMA3: return "llama3";
    default: return "none";
    }
}

int sw_chat_format(sw_chat_style s, const sw_chat_msg *msgs, int n, int add_generation_prompt,
                   sw_buf *out, sw_err *err) {
    int rc = 0;
    switch (s) {
    case SW_CHAT_CHATML:
        for (int i = 0; i < n && rc == 0; i++)
            rc = sw_buf_printf(out, "<|im_start|>%s\n%s<|im_end|>\n", msgs[i].role, msgs[i].content);
        if (add_generation_prompt && rc == 0) rc = sw_buf_puts(out, "<|im_start|>assistant\n");
        break;
    case SW_CHAT_LLAMA3:
        /* <|begin_of_text|> is the BOS token, added by the tokenizer, not here. */
        for (int i = 0; i < n && rc == 0; i++)
            rc = sw_buf_printf(out, "<|start_header_id|>%s<|end_header_id|>\n\n%s<|eot_id|>",
                               msgs[i].role, msgs[i].content);
        if (add_generation_prompt && rc == 0)
            rc = sw_buf_puts(out, "<|start_header_id|>assistant<|end_header_id|>\n\n");
        break;
    default:
        return sw_err_set(err, "the model has no chat template that steward recognises "
                               "(ChatML or Llama-3); use the prompt without --chat");
    }
    if (rc < 0) return sw_err_set(err, "out of memory formatting the chat prompt");
    return 0;
}
