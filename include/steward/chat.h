/* chat.h - chat formatting for ChatML and Llama-3, recognised from tokenizer.chat_template. */
#ifndef STEWARD_CHAT_H
#define STEWARD_CHAT_H

#include "steward/core.h"

typedef enum { SW_CHAT_NONE = 0, SW_CHAT_CHATML, SW_CHAT_LLAMA3 } sw_chat_style;

typedef struct sw_chat_msg {
    const char *role; /* "system", "user", "assistant" */
    const char *content;
} sw_chat_msg;

/* Recognises the style of a Jinja template text (NULL or unknown: SW_CHAT_NONE). */
sw_chat_style sw_chat_detect(const char *tmpl, size_t len);
const char *sw_chat_style_name(sw_chat_style s);
/* Renders messages in the style, ending with the assistant's header when
 * add_generation_prompt. The result contains special-token texts to be tokenized with
 * parse_special. -1 for SW_CHAT_NONE or no memory. */
int sw_chat_format(sw_chat_style s, const sw_chat_msg *msgs, int n, int add_generation_prompt,
                   sw_buf *out, sw_err *err);

#endif
