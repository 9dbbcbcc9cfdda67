#!/usr/bin/env bash
# guard_equiv.sh - checks that a guard change leaves what the guard says unchanged:
# `steward scan --jsonl` (input and output direction) of two builds over the same texts,
# compared with cmp. The texts: every set of scripts/guard_data.py (needs SHARED_DATA,
# default ../shared/data), the red-team attempts and over-refusal prompts of `steward eval
# redteam` (run with the old build; BENCH_REDTEAM=0 skips them: ~1 minute), and random
# texts built from the words of data/guard/rules and data/guard/harm with spacing, leet,
# case, Chinese and kana between them (dense in key hits, joined runs and word edges).
#   bench/guard_equiv.sh OLD_STEWARD [NEW_STEWARD (default ./steward)]
# A build finds its data near its executable: copy the old binary into the worktree
# (e.g. build/cmp/steward-old) to compare code on the same data. Exit 0 when identical.
set -u
cd "$(dirname "$0")/.."
OLD=${1:?usage: bench/guard_equiv.sh OLD_STEWARD [NEW_STEWARD]}
NEW=${2:-$PWD/steward}
SHARED=${SHARED_DATA:-../shared/data}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
export STEWARD_HOME=$W/home
texts=()
if [ -d "$SHARED" ] && timeout 600 python3 scripts/guard_data.py "$SHARED" "$W/gd" >/dev/null 2>&1; then
  texts+=("$W"/gd/*.jsonl)
fi
if [ "${BENCH_REDTEAM:-1}" = 1 ] && timeout 900 "$OLD" eval redteam --out "$W/rt" --max-tokens 1 >/dev/null 2>&1; then
  texts+=("$W/rt/attempts.jsonl" "$W/rt/overrefusal.jsonl")
fi
python3 - "$W/corpus.jsonl" "${texts[@]}" <<'PY'
import glob, json, random, re, sys
out, seen, n = open(sys.argv[1], 'w'), set(), 0
def add(t):
    global n
    if isinstance(t, str) and t and t not in seen:
        seen.add(t); out.write(json.dumps({"text": t, "id": n}, ensure_ascii=False) + "\n"); n += 1
for f in sys.argv[2:]:
    for l in open(f, encoding='utf-8'):
        r = json.loads(l); add(r.get('text', r.get('prompt')))
words = set()
for f in glob.glob('data/guard/harm/*.rules') + glob.glob('data/guard/rules/*.rules'):
    for l in open(f, encoding='utf-8'):
        l = l.strip()
        if not l or l.startswith('#') or re.match(r'^(category|score|encodings|language):', l): continue
        for alt in re.split(r'[{}|]', re.sub(r'^=\S+\s*', '', l)):
            if alt.strip(): words.add(alt.strip())
words, rnd = sorted(words), random.Random(11)
seps = [' ', ' ', ' ', ', ', '. ', '\n', '', '-', '"', ' 中 ', 'の', '? ', ': ']
for _ in range(20000):
    parts = []
    for _ in range(rnd.randint(2, 40)):
        w, r = rnd.choice(words), rnd.random()
        if r < 0.05: w = ' '.join(w)
        elif r < 0.1: w = w.upper()
        elif r < 0.13: w = w.replace('a', '4').replace('e', '3')
        elif r < 0.16: w += rnd.choice(['s', 'ing', 'ed'])
        parts += [w, rnd.choice(seps)]
    add(''.join(parts))
print(f"guard_equiv: {n} texts")
PY
fail=0
for dir in input output; do
  timeout 900 "$OLD" scan --jsonl --direction $dir <"$W/corpus.jsonl" >"$W/old.$dir"
  timeout 900 "$NEW" scan --jsonl --direction $dir <"$W/corpus.jsonl" >"$W/new.$dir"
  if [ -s "$W/old.$dir" ] && cmp -s "$W/old.$dir" "$W/new.$dir"; then
    echo "guard_equiv: $dir direction: $(wc -l <"$W/old.$dir") verdicts, identical"
  else
    echo "guard_equiv: $dir direction: DIFFER ($(diff "$W/old.$dir" "$W/new.$dir" | grep -c '^<') lines)"
    fail=1
  fi
done
exit $fail
