#!/bin/sh
# Embedding throughput, seglens (candle) side by side with sentence-transformers (PyTorch CPU), on
# the same distinct demo reviews with the same number of threads.
#
#   VENV=/path/to/venv sh benches/compare_st.sh      # venv with sentence-transformers, outside the repo
#
# Env: THREADS (2), TEXTS (10000), BIN (seglens binary; default from $CARGO_TARGET_DIR or
# ~/.cache/seglens/target). Prints one JSON line per implementation.
set -eu
THREADS=${THREADS:-2}
TEXTS=${TEXTS:-10000}
TARGET=${CARGO_TARGET_DIR:-$HOME/.cache/seglens/target}
BIN=${BIN:-$TARGET/release/seglens}
: "${VENV:?set VENV to a virtualenv with sentence-transformers installed}"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
"$BIN" -q demo-data --customers 20000 --seed 7 --no-events --out "$WORK/shop/data" >/dev/null
python3 - "$WORK/shop/data/reviews.csv" "$TEXTS" > "$WORK/texts.txt" <<'PY'
import csv, sys
seen, out = set(), []
for row in csv.DictReader(open(sys.argv[1], encoding="utf-8")):
    t = " ".join(row["text"].split())
    if t and t not in seen:
        seen.add(t)
        out.append(t)
    if len(out) == int(sys.argv[2]):
        break
print("\n".join(out))
PY
echo "texts: $(wc -l < "$WORK/texts.txt") distinct demo reviews, $THREADS threads" >&2
"$BIN" -q embed --texts "$WORK/texts.txt" --threads "$THREADS" --no-embed-cache --json \
    | python3 -c 'import json,sys; d=json.load(sys.stdin); s=d["stats"]; print(json.dumps({"impl": "seglens", "threads": d["threads"], "texts": s["embedded"], "tokens": s["tokens"], "seconds": round(s["seconds"], 3), "texts_per_s": round(s["texts_per_s"], 1), "tokens_per_s": round(s["tokens_per_s"], 1)}))'
"$VENV/bin/python" "$(dirname "$0")/reference/bench_st.py" "$WORK/texts.txt" --threads "$THREADS" --repeat 1
