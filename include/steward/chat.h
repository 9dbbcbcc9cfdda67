/* chat.h - chat formatting for ChatML and Llama-3, recognised from tokenizer.chat_template. */
#ifndef STEWARD_CHAT_H
#define STEWARD_CHAT_H

#include "steward/core.h"

typedef enum { SW_CHAT_NONE = 0, SW_CHAT_CHATML, SW_CHAT_LLAMA3 } sw_chat_style;

typedef struct sw_chat_msg {
    const char *role; /* "system", "user", "assistant", "tool" */
    const char *content;
} sw_chat_msg;

/* Receives the pieces of a rendered chat in order: the template's own text (is_template
 * 1: its special tokens are to be parsed) and each message's content (is_template 0: to
 * be tokenized as plain text, so that nobody can type a control token). Non-zero stops
 * the rendering and is returned. */
typedef int (*sw_chat_piece_fn)(void *ud, const char *text, size_t len, int is_template);

/* Recognises the style of a Jinja template text (NULL or unknown: SW_CHAT_NONE). */
sw_chat_style sw_chat_detect(const char *tmpl, size_t len);
const char *sw_chat_style_name(sw_chat_style s);
/* The style called name ("chatml", "llama3"), as --chat-template takes it; -1 when
 * there is none of that name. */
int sw_chat_style_parse(const char *name, sw_chat_style *out);
/* The style's Jinja template text (as tokenizer.chat_template carries it) and its
 * control tokens (n set to their count); NULL for SW_CHAT_NONE. Static strings. */
const char *sw_chat_template_text(sw_chat_style s);
const char *const *sw_chat_control_tokens(sw_chat_style s, int *n);
/* Is role one a chat may carry (system, user, assistant, tool)? */
int sw_chat_role_valid(const char *role);
/* Renders messages in the style piece by piece (see sw_chat_piece_fn), ending with the
 * assistant's header when add_generation_prompt. -1 for SW_CHAT_NONE, an unknown role,
 * or when fn fails (its message is in err). */
int sw_chat_render(sw_chat_style s, const sw_chat_msg *msgs, int n, int add_generation_prompt,
                   sw_chat_piece_fn fn, void *ud, sw_err *err);
/* Renders messages in the style, ending with the assistant's header when
 * add_generation_prompt. The result contains special-token texts to be tokenized with
 * parse_special. -1 for SW_CHAT_NONE or no memory. */
int sw_chat_format(sw_chat_style s, const sw_chat_msg *msgs, int n, int add_generation_prompt,
                   sw_buf *out, sw_err *err);

#endif
