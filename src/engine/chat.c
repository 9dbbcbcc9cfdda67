/* chat.c - chat prompt formatting for the ChatML and Llama-3 templates, piece by piece so
 * that message contents are never parsed for special tokens. */
#include "steward/chat.h"

#include <stdio.h>
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

int sw_chat_style_parse(const char *name, sw_chat_style *out) {
    if (strcmp(name, "chatml") == 0) *out = SW_CHAT_CHATML;
    else if (strcmp(name, "llama3") == 0) *out = SW_CHAT_LLAMA3;
    else return -1;
    return 0;
}

const char *sw_chat_template_text(sw_chat_style s) {
    static const char chatml[] =
        "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + "
        "'<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}"
        "{% endif %}";
    static const char llama3[] =
        "{% for message in messages %}{{'<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + "
        "message['content'] + '<|eot_id|>'}}{% endfor %}{% if add_generation_prompt %}"
        "{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";
    return s == SW_CHAT_CHATML ? chatml : s == SW_CHAT_LLAMA3 ? llama3 : NULL;
}

const char *const *sw_chat_control_tokens(sw_chat_style s, int *n) {
    static const char *const chatml[] = {"<|im_start|>", "<|im_end|>"};
    static const char *const llama3[] = {"<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"};
    *n = s == SW_CHAT_CHATML ? 2 : s == SW_CHAT_LLAMA3 ? 3 : 0;
    return s == SW_CHAT_CHATML ? chatml : s == SW_CHAT_LLAMA3 ? llama3 : NULL;
}

int sw_chat_role_valid(const char *role) {
    static const char *const roles[] = {"system", "user", "assistant", "tool"};
    for (size_t i = 0; i < sizeof roles / sizeof *roles; i++)
        if (role && strcmp(role, roles[i]) == 0) return 1;
    return 0;
}

/* The template text around one message of the style: before and after its content. */
typedef struct {
    const char *open_a, *open_b; /* open_a ROLE open_b */
    const char *close;
} turn_marks;

static int marks_of(sw_chat_style s, turn_marks *m) {
    switch (s) {
    case SW_CHAT_CHATML: *m = (turn_marks){"<|im_start|>", "\n", "<|im_end|>\n"}; return 0;
    /* <|begin_of_text|> is the BOS token, added by the tokenizer, not here. */
    case SW_CHAT_LLAMA3: *m = (turn_marks){"<|start_header_id|>", "<|end_header_id|>\n\n", "<|eot_id|>"}; return 0;
    default: return -1;
    }
}

/* Emits open_a ROLE open_b as one template piece. */
static int emit_header(const turn_marks *m, const char *role, sw_chat_piece_fn fn, void *ud) {
    char head[96];
    int n = snprintf(head, sizeof head, "%s%s%s", m->open_a, role, m->open_b);
    return fn(ud, head, (size_t)n, 1);
}

int sw_chat_render(sw_chat_style s, const sw_chat_msg *msgs, int n, int add_generation_prompt,
                   sw_chat_piece_fn fn, void *ud, sw_err *err) {
    turn_marks m;
    if (marks_of(s, &m) < 0)
        return sw_err_set(err, "the model has no chat template that steward recognises "
                               "(ChatML or Llama-3); name one with --chat-template, or use the prompt without --chat");
    for (int i = 0; i < n; i++) {
        if (!sw_chat_role_valid(msgs[i].role))
            return sw_err_set(err, "message %d: role '%s' is not one of system, user, assistant, tool", i,
                              msgs[i].role ? msgs[i].role : "(none)");
        const char *c = msgs[i].content ? msgs[i].content : "";
        if (emit_header(&m, msgs[i].role, fn, ud) || (*c && fn(ud, c, strlen(c), 0)) ||
            fn(ud, m.close, strlen(m.close), 1))
            return -1;
    }
    if (add_generation_prompt && emit_header(&m, "assistant", fn, ud)) return -1;
    return 0;
}

typedef struct {
    sw_buf *out;
    sw_err *err;
} format_ctx;

static int append_piece(void *ud, const char *text, size_t len, int is_template) {
    (void)is_template;
    format_ctx *f = ud;
    if (sw_buf_append(f->out, text, len) < 0) return sw_err_set(f->err, "out of memory formatting the chat prompt");
    return 0;
}

int sw_chat_format(sw_chat_style s, const sw_chat_msg *msgs, int n, int add_generation_prompt,
                   sw_buf *out, sw_err *err) {
    format_ctx f = {out, err};
    return sw_chat_render(s, msgs, n, add_generation_prompt, append_piece, &f, err);
}
