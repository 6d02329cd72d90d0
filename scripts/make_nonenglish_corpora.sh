#!/usr/bin/env bash
# The two non-English corpora of README's "How well it learns", from Debian's fortune packages:
#   corpora/zh.txt  Chinese: Tang and Song poems and sayings (fortunes-zh), colour escapes removed
#   corpora/ru.txt  Russian: sayings and quotations (fortunes-ru), the '%' separators removed
# Needs: apt-get install fortunes-zh fortunes-ru (as root).
set -euo pipefail
out="${1:-corpora}"
src=/usr/share/games/fortunes
for need in "$src/chinese" "$src/ru"; do
  [ -e "$need" ] || { echo "missing $need: apt-get install fortunes-zh fortunes-ru" >&2; exit 1; }
done
mkdir -p "$out"
cat "$src/chinese" "$src/song100" "$src/tang300" | sed -e 's/\x1b\[[0-9;]*m//g' > "$out/zh.txt"
for f in "$src"/ru/*; do
  case "$f" in *.dat|*.u8) ;; *) cat "$f" ;; esac
done | grep -av '^%$' > "$out/ru.txt"
wc -c "$out/zh.txt" "$out/ru.txt"
