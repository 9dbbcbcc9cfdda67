#!/usr/bin/env bash
# test_model_info.sh - `steward model info` on a file written by the independent Python
# writer (tests/oracle/gguf_io.py): text and JSON output, and clean failures.
. "$(dirname "$0")/../lib.sh"

"$PY" - "$T/m.gguf" <<PYEOF || { nok "write the test model"; exit 1; }
import struct, sys
sys.path.insert(0, "$ROOT/tests/oracle")
import gguf_io as G
w = G.Writer()
w.add("general.architecture", G.STRING, "llama")
w.add("llama.block_count", G.U32, 2)
w.add("llama.attention.layer_norm_rms_epsilon", G.F32, 1e-5)
w.add("tokenizer.ggml.add_bos_token", G.BOOL, True)
w.add("general.big", G.U64, 2**64 - 1)
w.add_array("tokenizer.ggml.tokens", G.STRING, ["<unk>", "<s>", "</s>"] + ["tok%d" % i for i in range(997)])
w.add_array("tokenizer.ggml.scores", G.F32, [float(-i) for i in range(1000)])
w.add("tokenizer.chat_template", G.STRING, "{% for m in messages %}" * 40)
w.add_tensor("token_embd.weight", G.TYPE_F32, [8, 1000], bytes(4 * 8 * 1000))
w.add_tensor("blk.0.attn_q.weight", G.TYPE_Q8_0, [64, 8], bytes(34 * 2 * 8))
w.add_tensor("blk.0.ffn_down.weight", G.TYPE_Q4_K, [256, 2], bytes(144 * 2))
w.add_tensor("blk.1.ffn_down.weight", G.TYPE_Q6_K, [256], bytes(210))
w.add_tensor("output.weight", G.TYPE_Q4_0, [32, 3], bytes(18 * 3))
w.add_tensor("output_norm.weight", G.TYPE_F16, [8], bytes(16))
w.write(sys.argv[1])
PYEOF

"$BIN" model info "$T/m.gguf" >"$T/out.txt" 2>"$T/err.txt"
check_cmd "text: exit 0" test $? -eq 0
check_cmd "text: header line" grep -q "GGUF v3, .* 8 key/values, 6 tensors, alignment 32" "$T/out.txt"
check_cmd "text: string value" grep -Eq '^  general.architecture +string +"llama"$' "$T/out.txt"
check_cmd "text: long array summarised" grep -Eq 'tokenizer.ggml.tokens +array +\[string x 1000\] "<unk>", "<s>", "</s>", "tok0", .*, \.\.\.$' "$T/out.txt"
check_cmd "text: no array beyond its head" bash -c "! grep -q tok100 '$T/out.txt'"
check_cmd "text: f32 printed shortest" grep -Eq 'layer_norm_rms_epsilon +f32 +1e-05$' "$T/out.txt"
check_cmd "text: long string cut" grep -q '\.\.\. (920 bytes)' "$T/out.txt"
check_cmd "text: tensor row" grep -Eq '^  blk.0.attn_q.weight +Q8_0 +\[64, 8\] +544 +32000$' "$T/out.txt"
# 8000 + 512 + 512 + 256 + 96 + 8 elements; 32000 + 544 + 288 + 210 + 54 + 16 bytes
check_cmd "text: totals" grep -q "total: 9384 parameters, 33112 bytes of tensor data" "$T/out.txt"

"$BIN" model info --json "$T/m.gguf" >"$T/out.json"
check_cmd "json: exit 0" test $? -eq 0
check_cmd "json: fields" "$PY" - "$T/out.json" <<'PYEOF'
import json, sys
check = lambda c, *why: c or sys.exit(repr(why))  # not assert: PYTHONOPTIMIZE drops those
o = json.loads(open(sys.argv[1]).read())
m = o["metadata"]
check(o["version"] == 3 and o["n_kv"] == 8 and o["n_tensors"] == 6 and o["alignment"] == 32)
check(m["general.architecture"] == {"type": "string", "value": "llama"})
check(m["llama.block_count"] == {"type": "u32", "value": 2})
check(m["general.big"]["value"] == str(2**64 - 1))
check(m["tokenizer.ggml.add_bos_token"]["value"] is True)
t = m["tokenizer.ggml.tokens"]
check(t["type"] == "array" and t["elem_type"] == "string" and t["count"] == 1000)
check(t["head"][:3] == ["<unk>", "<s>", "</s>"] and len(t["head"]) == 8)
check(m["tokenizer.ggml.scores"]["head"][1] == -1.0)
check(len(m["tokenizer.chat_template"]["value"]) == 23 * 40)
ts = {x["name"]: x for x in o["tensors"]}
check(ts["blk.0.ffn_down.weight"] == {"name": "blk.0.ffn_down.weight", "type": "Q4_K", "type_id": 12,
                                       "dims": [256, 2], "elements": 512, "bytes": 288, "offset": 32544}, ts)
check(o["n_params"] == 9384 and o["n_bytes"] == 33112)
check(o["data_offset"] % 32 == 0 and o["file_size"] >= o["data_offset"] + 33112)
PYEOF

head -c 33000 "$T/m.gguf" >"$T/cut.gguf"
"$BIN" model info "$T/cut.gguf" >"$T/out.txt" 2>"$T/err.txt"
rc=$?
check_cmd "truncated: exit 1" test $rc -eq 1
check_cmd "truncated: message names file and tensor" \
  grep -q "^steward model info: error: $T/cut.gguf: tensor '.*': data offset .* runs past end of file" "$T/err.txt"
check_cmd "truncated: no sanitizer report" bash -c "! grep -q Sanitizer '$T/err.txt'"
printf 'GGUF\002\0\0\0' >"$T/v2.gguf"
"$BIN" model info "$T/v2.gguf" 2>"$T/err.txt"
check_cmd "version 2: exit 1 with reason" bash -c "test $? -eq 1 && grep -q 'version 2 at offset 4 .*(only version 3)' '$T/err.txt'"
"$BIN" model info "$T/missing.gguf" 2>"$T/err.txt"
check_cmd "missing file: exit 1" bash -c "test $? -eq 1 && grep -q 'cannot open' '$T/err.txt'"
"$BIN" model info 2>/dev/null
check_cmd "no file: usage error" test $? -eq 2
"$BIN" model frobnicate 2>/dev/null
check_cmd "unknown subcommand: usage error" test $? -eq 2
"$BIN" model info --help >"$T/help.txt"
check_cmd "--help: exit 0" bash -c "test $? -eq 0 && grep -q 'usage: steward model info FILE' '$T/help.txt'"

# hostile bytes in names and values never reach the terminal raw; JSON stays valid
"$PY" - "$T/odd.gguf" <<PYEOF || { nok "write the odd model"; exit 1; }
import sys
sys.path.insert(0, "$ROOT/tests/oracle")
import gguf_io as G
w = G.Writer()
w.add("evil\x1b[31m.key", G.STRING, b"bad \x9b\xff utf8 \xc2\x9b \xe4\xb8\xad")
w.add_tensor("t\x1b]0;x\x07", G.TYPE_F32, [1], bytes(4))
w.write(sys.argv[1])
PYEOF
"$BIN" model info "$T/odd.gguf" >"$T/odd.txt"
check_cmd "odd: exit 0" test $? -eq 0
check_cmd "odd: no raw control bytes" bash -c "! LC_ALL=C grep -q \$'[\x1b\x07\x9b\xff]' '$T/odd.txt'"
check_cmd "odd: escaped forms shown" bash -c "grep -qF '\"evil\\x1b[31m.key\"' '$T/odd.txt' && grep -qF '\"bad \\x9b\\xff utf8 \\xc2\\x9b 中\"' '$T/odd.txt' && grep -qF '\"t\\x1b]0;x\\x07\"' '$T/odd.txt'"
"$BIN" model info --json "$T/odd.gguf" >"$T/odd.json"
check_cmd "odd: JSON valid, bytes as \\xNN text" "$PY" -c "
import json, sys
check = lambda c, *why: c or sys.exit(repr(why))  # not assert: PYTHONOPTIMIZE drops those
o = json.load(open('$T/odd.json'))
check(o['metadata']['evil\x1b[31m.key']['value'] == 'bad \\\\x9b\\\\xff utf8 \\u009b \\u4e2d', o)
check(o['tensors'][0]['name'] == 't\x1b]0;x\x07')
"
exit $((fails > 0))
