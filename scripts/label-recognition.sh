#!/usr/bin/env bash
# How often a classifier recognises the label a conditioned generator wrote for (issue 24):
# for each label of GENERATOR, COUNT documents (seeds 1…COUNT, --temp TEMP) go through
# CLASSIFIER; prints per label the fraction it named right, then the total.
#
#   scripts/label-recognition.sh GENERATOR CLASSIFIER [COUNT=100] [TEMP=0.8]
#
# GENERATOR: a checkpoint of `charrnn train DATA --task generate`; CLASSIFIER: one of
# `--task classify` on the same labels. CHARRNN selects the binary (default .build/release/charrnn).
set -euo pipefail
gen=${1:?usage: label-recognition.sh GENERATOR CLASSIFIER [COUNT] [TEMP]}
cls=${2:?usage: label-recognition.sh GENERATOR CLASSIFIER [COUNT] [TEMP]}
count=${3:-100}
temp=${4:-0.8}
bin=${CHARRNN:-.build/release/charrnn}
labels=$("$bin" info "$gen" --json | python3 -c 'import json,sys
o = json.load(sys.stdin)
if "labels" not in o or o.get("task") != "generate": sys.exit("label-recognition: %s is not a label-conditioned generator (train --task generate)" % sys.argv[1])
print("\n".join(o["labels"]))' "$gen")
total=0; right=0
while IFS= read -r label; do
  got=$("$bin" sample --checkpoint "$gen" --label "$label" --count "$count" --seed 1 --temp "$temp" --length 500 \
        | "$bin" classify --checkpoint "$cls" | cut -f1 | grep -cxF -- "$label" || true)
  printf '%s\t%d/%d\n' "$label" "$got" "$count"
  total=$((total + count)); right=$((right + got))
done <<< "$labels"
python3 -c "print(f'all\t{$right}/{$total} = {100*$right/$total:.1f}%')"
