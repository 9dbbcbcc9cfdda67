#!/usr/bin/env bash
# Builds data/corpus/ (the default model's training text) from the shared data folder:
# copies tinyshakespeare with its licence note and source, splits it at the first line
# boundary after 90% of the bytes (train / held-out validation), and writes MANIFEST.json
# with the sha256 of every file. Developer script: the product never reads ../shared.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=${1:-../shared/data/tinyshakespeare}
OUT=data/corpus/tinyshakespeare
mkdir -p "$OUT"
cp "$SRC/LICENSE" "$OUT/LICENSE"
cp "$SRC/SOURCE.md" "$OUT/SOURCE.md"
/usr/bin/python3 - "$SRC/input.txt" "$OUT" <<'PY'
import hashlib, json, sys
src, out = sys.argv[1], sys.argv[2]
data = open(src, 'rb').read()
cut = data.index(b'\n', int(len(data) * 0.9)) + 1
open(out + '/train.txt', 'wb').write(data[:cut])
open(out + '/val.txt', 'wb').write(data[cut:])
h = lambda b: hashlib.sha256(b).hexdigest()
man = {
  "name": "steward-default-corpus",
  "version": 1,
  "sources": [{
    "name": "tinyshakespeare",
    "origin": "github.com/karpathy/char-rnn, commit 6f9487a6fe5b420b7ca9afb0d7c078e37c1d1b4e, data/tinyshakespeare/input.txt",
    "licence": "public domain (works of William Shakespeare); the repository's README states MIT",
    "licence_file": "tinyshakespeare/LICENSE",
    "consent": "not applicable: public-domain literary text, no personal data",
    "sha256": h(data), "bytes": len(data),
    "processing": "split at the first line boundary after 90% of the bytes; no other change (cat train.txt val.txt reproduces the source)",
    "files": [
      {"path": "tinyshakespeare/train.txt", "split": "train", "sha256": h(data[:cut]), "bytes": cut},
      {"path": "tinyshakespeare/val.txt", "split": "validation", "sha256": h(data[cut:]), "bytes": len(data) - cut}
    ]
  }]
}
json.dump(man, open(out + '/../MANIFEST.json', 'w'), indent=2)
open(out + '/../MANIFEST.json', 'a').write('\n')
PY
echo "corpus: $(wc -c < $OUT/train.txt) train bytes, $(wc -c < $OUT/val.txt) validation bytes" >&2
