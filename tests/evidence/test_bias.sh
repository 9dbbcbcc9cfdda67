#!/usr/bin/env bash
# test_bias.sh - `steward eval bias`: the JSON shape (eight groups, gaps, subgroup AUCs);
# a planted term list where one term trips the guard shows that gap; CrowS-Pairs from the
# shared data (skipped when absent); --record puts the figures in the audit log, where the
# card and the report find them.
. "$(dirname "$0")/../lib.sh"

"$BIN" eval bias --json >"$T/b.json"
check "eval bias --json exits 0" "[ $? -eq 0 ]"
check "eight groups" "[ \"\$(jq -r '.groups | keys | join(\" \")' '$T/b.json')\" = 'age disability ethnicity gender nationality region religion sexual_orientation' ]"
check "max_gap is the largest group gap" "jq -e '.max_gap == ([.groups[].gap] | max) and (.max_gap >= 0)' '$T/b.json' >/dev/null"
check "max_stop_gap is the largest stop gap" "jq -e '.max_stop_gap == ([.groups[].stop_gap] | max)' '$T/b.json' >/dev/null"
check "a subgroup AUC per term, in [0, 1]" "jq -e '(.subgroup_auc | length) == ([.groups[].terms | length] | add) and all(.subgroup_auc[]; . >= 0 and . <= 1)' '$T/b.json' >/dev/null"
check "BPSN and BNSP AUCs per term, in [0, 1]" "jq -e 'all(.groups[].terms[]; .bpsn_auc >= 0 and .bpsn_auc <= 1 and .bnsp_auc >= 0 and .bnsp_auc <= 1)' '$T/b.json' >/dev/null"
check "both languages are measured" "jq -e '[.groups[].terms[].lang] | unique == [\"en\", \"zh\"]' '$T/b.json' >/dev/null"
check "at least 60 benign templates per term, in both languages" "jq -e 'all(.groups[].terms[]; .benign >= 60)' '$T/b.json' >/dev/null"
check "a bootstrap interval around each gap and max_gap" "jq -e '(.max_gap_ci95 | length == 2 and .[0] <= .[1] and .[1] <= 100) and all(.groups[]; .gap_ci95[0] <= .gap_ci95[1]) and .bootstrap.resamples == 1000' '$T/b.json' >/dev/null"
check "a Wilson interval around each term's benign alarm rate" "jq -e 'all(.groups[].terms[]; .benign_alarm_ci95[0] <= .benign_alarm_rate and .benign_alarm_rate <= .benign_alarm_ci95[1])' '$T/b.json' >/dev/null"
"$BIN" eval bias --json >"$T/b2.json"
check "the same data give the same intervals (seeded)" "cmp -s <(jq -S 'del(.seconds)' '$T/b.json') <(jq -S 'del(.seconds)' '$T/b2.json')"
check "crows_pairs says it was skipped without --crows" "jq -e '.crows_pairs.skipped' '$T/b.json' >/dev/null"
"$BIN" eval bias --json --lang zh >"$T/zh.json"
check "--lang zh measures Chinese terms only" "jq -e '[.groups[].terms[].lang] | unique == [\"zh\"]' '$T/zh.json' >/dev/null"

# a planted bias: one term of group "planted" is itself profane, so the guard flags every
# sentence that mentions it, benign or not
printf 'en\tplanted\ta farmer\nen\tplanted\ta fucking idiot\n' >"$T/terms.tsv"
"$BIN" eval bias --json --lang en --terms "$T/terms.tsv" >"$T/p.json"
check "the planted term shows a 100-point gap" "jq -e '.max_gap_group == \"planted\" and .max_gap == 100' '$T/p.json' >/dev/null"
check "... and the neutral term is not alarmed on benign sentences" "jq -e '.groups.planted.terms[\"a farmer\"].benign_alarm_rate == 0' '$T/p.json' >/dev/null"
check "... its interval is [100, 100]: every resample shows it" "jq -e '.groups.planted.gap_ci95 == [100, 100] and .max_gap_ci95 == [100, 100]' '$T/p.json' >/dev/null"
# a redaction alone is no alarm (as in eval guard): a term with an e-mail address in it
printf 'en\tplanted\ta farmer\nen\tplanted\tjane.doe@example.com\n' >"$T/terms2.tsv"
"$BIN" eval bias --json --lang en --terms "$T/terms2.tsv" >"$T/p2.json"
check "a redacted e-mail address in the term is no alarm" "jq -e '.groups.planted.gap == 0' '$T/p2.json' >/dev/null"

CROWS="$ROOT/../shared/data/crows-pairs/crows_pairs_anonymized.csv"
if [ -f "$CROWS" ]; then
  "$BIN" eval bias --json --lang en --crows "$CROWS" --crows-limit 40 >"$T/c.json"
  check "CrowS-Pairs: 40 pairs scored, a rate in [0, 1], by bias type" "jq -e '.crows_pairs.pairs == 40 and .crows_pairs.preference_rate >= 0 and .crows_pairs.preference_rate <= 1 and ([.crows_pairs.by_bias_type[].pairs] | add) == 40' '$T/c.json' >/dev/null"
else
  skip "CrowS-Pairs" "no $CROWS"
fi

"$BIN" eval bias --lang en --record >"$T/text.txt"
check "eval bias --record prints a table with the largest gap" "grep -q '^largest gap: ' '$T/text.txt'"
check "the audit log holds the evaluation record" "\"$BIN\" audit export | jq -se '[.[] | select(.record.type == \"evaluation\" and .record.name == \"bias\")] | length == 1' >/dev/null"
"$BIN" card >"$T/card.md"
check "the card cites the bias evaluation and its command" "grep -q '| bias | .* | steward eval bias --lang en --record |' '$T/card.md'"
"$BIN" report --since 2000-01-01 --format json >"$T/r.json"
check "the report's article 08 cites it" "jq -e '.articles[] | select(.id == \"08\") | .missing == [] and (.controls[0].evidence[0].figure.max_gap | type) == \"number\"' '$T/r.json' >/dev/null"
"$BIN" card --format html --out "$T/card.html"
check "the card's HTML is well-formed" "$PY '$ROOT/tests/evidence/html_check.py' '$T/card.html'"
check "the card names the model and whether it was trained on the shipped corpus manifest" "grep -q 'model_trained_on_it | true' '$T/card.md'"
"$BIN" eval bias --lang xx >/dev/null 2>&1
check "an unknown language fails" "[ $? -ne 0 ]"
exit $((fails > 0))
