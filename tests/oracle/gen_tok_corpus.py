#!/usr/bin/env python3
"""gen_tok_corpus.py - a deterministic corpus for the tokenizer parity tests.

    python3 tests/oracle/gen_tok_corpus.py OUT_DIR [N]
      OUT_DIR/corpus.hex   N (default 2400) valid UTF-8 strings, one hex-encoded per line:
                           English, Chinese, emoji, code, white-space runs (\\r\\n, tabs,
                           no-break and ideographic spaces), numbers, contractions, mixed
                           scripts, random code points, a few texts with special tokens, and
                           one long text joining 1,200 of them (the encoder caches pieces then)
      OUT_DIR/invalid.hex  byte strings that are not UTF-8 (JavaScript strings cannot hold
                           them, so they are only checked for steward's byte round trip)
      OUT_DIR/invalid_fffd.hex  the same decoded by Python with errors="replace" (what the
                           streaming decoder must print)

Code points whose white-space status differs between Unicode (which steward follows) and
JavaScript's \\s (U+0085, U+FEFF), and unassigned ones (the JS engine's Unicode version is
newer than Python's), are left out."""
import os
import random
import sys
import unicodedata

WORDS = ("the quick brown fox jumps over lazy dog responsible generative model runtime "
         "tokenizer encode decode safety audit privacy Hello World I you we they it "
         "can't won't don't I'm you're we've they'll she'd it's O'Neil rock'n'roll "
         "DON'T I'M YOU'RE WE'VE THEY'LL SHE'D IT'S naïve café résumé Zürich façade "
         "GPT-2 Llama-3 e-mail U.S.A. 3rd 21st x86_64 https://example.com/a?b=c&d=e "
         "user@example.org #hashtag @mention $100 50% C++ C# .NET").split()
CHINESE = ("我们你他她它的是在有不这个人中大为上国和地到以说时要就出会可也得生对能而子那里"
           "负责任的生成式人工智能运行时安全审计隐私分词器编码解码模型数据测试中文汉字简体繁體")
ZH_PUNCT = "，。！？；：“”‘’（）《》、…—"
EMOJI = ["😀", "👍", "👍🏽", "👨‍👩‍👧‍👦", "🇨🇳", "🇺🇸", "❤️", "🔥", "🤖", "🧑‍💻", "✅", "🎉", "🙏🏿", "🏳️‍🌈", "😂😂😂"]
SCRIPTS = ["Привет, мир! Как дела?", "Γειά σου Κόσμε", "مرحبا بالعالم ١٢٣", "שלום עולם",
           "नमस्ते दुनिया", "สวัสดีชาวโลก", "안녕하세요 세계", "こんにちは世界、カタカナ",
           "Tiếng Việt có dấu", "İstanbul ĞÜŞÖÇ", "ßẞ ǅǈ ﬁ ﬂ", "Ⅻ ⅳ ½ ² ³ ①②③", "１２３ＡＢＣ",
           "e\u0301 a\u0308 n\u0303", "\u200b\u200c\u200d zero widths", "ᚠᛇᚻ᛫ᛒᛦᚦ", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝟘𝟙𝟚"]
SPACES = [" ", "  ", "   ", "\t", "\t\t", "\n", "\n\n", "\r\n", "\r\n\r\n", "\r", " \n", "\n ",
          "\u00a0", "\u3000", "\u2003", "\u2009", " \t \n", "\v", "\f", "\u2028", "\u1680"]
CODE = ['int main(void) {\n\treturn 0;\n}\n', 'def f(x):\r\n    return x**2  # square\r\n',
        '{"key": [1, 2.5, -3e10], "s": "a\\nb"}', 'for (i = 0; i < n; i++) a[i] += b[i];',
        '<div class="x">&amp;</div>', 'SELECT * FROM t WHERE id=42;', '    if x:\n        y()\n',
        '#include <stdio.h>\n', 'x = y // 2 ** 3 != z', 'λx.λy.x', '$ ls -la | grep "^d"\n']


def valid_cp(cp):
    if cp in (0x85, 0xFEFF) or 0xD800 <= cp <= 0xDFFF:
        return False
    return unicodedata.category(chr(cp)) not in ("Cn", "Co", "Cs")


def number(r):
    k = r.randrange(8)
    if k == 0:
        return str(r.randrange(10 ** r.randrange(1, 12)))
    if k == 1:
        return f"{r.random() * 1000:.{r.randrange(1, 6)}f}"
    if k == 2:
        return f"{r.randrange(10 ** 7):,}"
    if k == 3:
        return "".join(r.choice("٠١٢٣٤٥٦٧٨٩") for _ in range(r.randrange(1, 6)))
    if k == 4:
        return "".join(r.choice("０１２３４５６７８９") for _ in range(r.randrange(1, 6)))
    if k == 5:
        return f"{r.randrange(2000, 2030)}-{r.randrange(1, 13):02d}-{r.randrange(1, 29):02d}"
    if k == 6:
        return "v" + ".".join(str(r.randrange(20)) for _ in range(3))
    return "".join(r.choice("0123456789") for _ in range(r.randrange(1, 30)))


def random_cp(r):
    while True:
        cp = r.choice([r.randrange(0x20, 0x250), r.randrange(0x250, 0x3000), r.randrange(0x3000, 0xA000),
                       r.randrange(0xA000, 0x10000), r.randrange(0x10000, 0x30000), r.randrange(0xE0000, 0xE0080)])
        if valid_cp(cp):
            return chr(cp)


def piece(r):
    k = r.randrange(9)
    if k == 0:
        return r.choice(WORDS)
    if k == 1:
        return "".join(r.choice(CHINESE + ZH_PUNCT) for _ in range(r.randrange(1, 12)))
    if k == 2:
        return r.choice(EMOJI)
    if k == 3:
        return r.choice(SPACES)
    if k == 4:
        return number(r)
    if k == 5:
        return r.choice(SCRIPTS)
    if k == 6:
        return r.choice(CODE)
    if k == 7:
        return r.choice("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~") * r.randrange(1, 4)
    return "".join(random_cp(r) for _ in range(r.randrange(1, 6)))


def text(r, kind):
    if kind == 0:  # English prose
        return " ".join(r.choice(WORDS) for _ in range(r.randrange(1, 25))) + r.choice([".", "!", "?", "", "\n"])
    if kind == 1:  # Chinese prose
        return "".join(r.choice(CHINESE) for _ in range(r.randrange(1, 40))) + r.choice(ZH_PUNCT)
    if kind == 2:  # white space runs between words
        return "".join(r.choice(WORDS) + r.choice(SPACES) for _ in range(r.randrange(1, 8)))
    if kind == 3:  # pure white space
        return "".join(r.choice(SPACES) for _ in range(r.randrange(1, 6)))
    if kind == 4:  # code
        return "".join(r.choice(CODE) for _ in range(r.randrange(1, 4)))
    if kind == 5:  # contractions in context, any case
        w = r.choice(["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'T", "'RE", "'Ve", "'M", "'lL", "'D", "'x", "''"])
        return r.choice(WORDS) + w + r.choice([" ", "", "!", " it", "\n"]) + r.choice(WORDS)
    if kind == 6:  # mixed everything, glued
        return "".join(piece(r) for _ in range(r.randrange(1, 12)))
    if kind == 7:  # mixed everything, with spaces
        return " ".join(piece(r) for _ in range(r.randrange(1, 12)))
    return "".join(random_cp(r) for _ in range(r.randrange(1, 20)))  # random code points


def invalid(r):
    bad = [b"\x80", b"\xbf", b"\xc0\xaf", b"\xc3", b"\xe4\xb8", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
           b"\xf0\x9f\x98", b"\xff", b"\xfe", b"\xc1\xbf", b"\xe0\x80\x80", b"\xf8\x88\x80\x80\x80"]
    parts = []
    for _ in range(r.randrange(1, 8)):
        k = r.randrange(3)
        if k == 0:
            parts.append(r.choice(bad))
        elif k == 1:
            parts.append(piece(r).encode())
        else:
            parts.append(bytes(r.randrange(256) for _ in range(r.randrange(1, 10))))
    return b"".join(parts)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "build/tok"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 2400
    os.makedirs(out, exist_ok=True)
    r = random.Random(20261128)
    texts = ["", " ", "a", "Hello, world!", "  leading", "trailing  ", "\r\n", "12345678", "I'm", "I'M"]
    texts += [" " * k + "x" for k in range(1, 6)] + ["\n" * k + "x" for k in range(1, 4)]
    texts += ["<|begin_of_text|>Hi<|eot_id|>", "a<|start_header_id|>user<|end_header_id|>\n\nb",
              "<|endoftext|> and <|end_of_text|>", "<|eot_id|><|eot_id|>", "<|not_a_token|>"]
    texts += ["word " * 400, "中文" * 300, "1" * 1000, " " * 300 + "x", "\t\n" * 100]  # long ones
    while len(texts) < n - 1:
        texts.append(text(r, r.randrange(9)))
    # one long text (> 4 KiB) so that the encoder's cache of repeated pieces is exercised
    texts.append("\n\n".join(texts[:1200]))
    with open(os.path.join(out, "corpus.hex"), "w") as f:
        for t in texts:
            f.write(t.encode("utf-8").hex() + "\n")
    bad = [invalid(r) for _ in range(400)]
    with open(os.path.join(out, "invalid.hex"), "w") as f:
        f.write("".join(b.hex() + "\n" for b in bad))
    with open(os.path.join(out, "invalid_fffd.hex"), "w") as f:  # U+FFFD per maximal subpart
        f.write("".join(b.decode("utf-8", "replace").encode().hex() + "\n" for b in bad))


if __name__ == "__main__":
    main()
