#!/usr/bin/env bash
# Renders `charrnn viz` and `charrnn plot` output in headless Chromium and checks
# that the pictures are not blank and that the page's script ran.
#
#   scripts/check_viz_chromium.sh [OUTDIR]          # default /tmp/charrnn-viz-check
#
#   CHARRNN=path      the binary (default .build/release/charrnn, else .build/debug/charrnn)
#   CHECKPOINT=path   a checkpoint or run directory to show (default: a tiny model trained here)
#   TEXT=file         the text to show (default: a sample with quotes, brackets, RTL, CJK, emoji
#                     and markup that must stay text)
#
# Writes OUTDIR/viz.html, viz.png (the page), viz-hover.png (the guesses of one
# character, opened through the page's #char= address), loss.svg and loss.png, and
# attention-dates.png / attention-numbers.png (docs/*.svg, the README's heat maps).
# Needs Debian's chromium (apt-get install chromium) and python3 (PNG check).
set -euo pipefail

OUT=${1:-/tmp/charrnn-viz-check}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CHROMIUM=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$CHROMIUM" ]; then
  echo "check_viz_chromium: chromium is not installed (apt-get install chromium)" >&2
  exit 2
fi
BIN=${CHARRNN:-}
if [ -z "$BIN" ]; then
  for b in "$ROOT/.build/release/charrnn" "$ROOT/.build/debug/charrnn"; do
    if [ -x "$b" ]; then BIN=$b; break; fi
  done
fi
[ -n "$BIN" ] || { echo "check_viz_chromium: build charrnn first (make build)" >&2; exit 2; }
case "$BIN" in */*) BIN="$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")" ;; esac  # we cd below

# Paths given relative to here still work after the cd below.
if [ -n "${TEXT:-}" ]; then TEXT="$(cd "$(dirname "$TEXT")" && pwd)/$(basename "$TEXT")"; fi
if [ -n "${CHECKPOINT:-}" ]; then CHECKPOINT="$(cd "$(dirname "$CHECKPOINT")" && pwd)/$(basename "$CHECKPOINT")"; fi
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
cd "$OUT"

if [ -z "${TEXT:-}" ]; then
  TEXT="$OUT/sample.txt"
  cat > "$TEXT" <<'SAMPLE'
"Hello," she said (quietly), "the cat [the black one] sat on the mat."
He answered: "No; it was the dog (or a fox?) that ran."
</script><img src=x onerror=alert(1)> & <!-- not a comment -->
שלום עולם — مرحبا بالعالم — 日本語のテキスト — 👨‍👩‍👧 café naïve
SAMPLE
fi
if [ -z "${CHECKPOINT:-}" ]; then
  python3 - "$TEXT" > corpus.txt <<'PY'
import random, sys
random.seed(7)
sample = open(sys.argv[1], encoding="utf-8").read()
words = "the cat sat on a mat and dog ran big small said she he".split()
lines = []
for i in range(400):
    w = " ".join(random.choice(words) for _ in range(random.randint(3, 8)))
    lines.append(random.choice([w + ".", '"' + w + '," she said.', w + " (" + random.choice(words) + ").",
                                "[" + w + "]", w + "!"]))
    if i % 10 == 0:
        lines.append(sample.strip())
print("\n".join(lines))
PY
  rm -rf run
  "$BIN" train corpus.txt --hidden 48 --layers 2 --batch-size 16 --seq-length 32 --max-iters 300 --eval-every 100 \
    --learning-rate 0.005 --seed 1 --checkpoint-dir run >train.log 2>&1 || { tail -5 train.log >&2; exit 1; }
  CHECKPOINT=run
  "$BIN" plot run -o loss.svg
fi

"$BIN" viz --checkpoint "$CHECKPOINT" --text "$TEXT" -o viz.html

shoot() {  # shoot URL PNG WIDTH HEIGHT
  "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run --hide-scrollbars \
    --user-data-dir="$OUT/.chromium-profile" --screenshot="$2" --window-size="$3,$4" "$1" >/dev/null 2>&1
}
shoot "file://$OUT/viz.html" viz.png 1280 860
shoot "file://$OUT/viz.html#char=8" viz-hover.png 1280 860
[ -f loss.svg ] && shoot "file://$OUT/loss.svg" loss.png 960 560
# The attention heat maps the README shows (`charrnn viz --source`, docs/translate.md).
# Each at its own size (the first width="…" and height="…" of the file), so that "blank" means blank.
for map in attention-dates attention-numbers; do
  svg="$ROOT/docs/$map.svg"
  [ -f "$svg" ] || continue
  w=$(grep -o -m1 'width="[0-9.]*"' "$svg" | head -1 | tr -dc '0-9.' | cut -d. -f1)
  h=$(grep -o -m1 'height="[0-9.]*"' "$svg" | head -1 | tr -dc '0-9.' | cut -d. -f1)
  shoot "file://$svg" "$map.png" $((w + 1)) $((h + 1))
done
"$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run \
  --user-data-dir="$OUT/.chromium-profile" --dump-dom "file://$OUT/viz.html" > dom.html 2>/dev/null
rm -rf "$OUT/.chromium-profile"

python3 - "$OUT" <<'PY'
import os, struct, sys, zlib
out = sys.argv[1]

def pixels(path):
    """Decodes an 8-bit RGB/RGBA PNG (what Chromium writes) into rows of pixel tuples."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, b""
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6), "unexpected PNG format"
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, stride, prev, rows, i = zlib.decompress(idat), w * bpp, bytearray(w * bpp), [], 0
    for _ in range(h):
        f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]; c = prev[x - bpp] if x >= bpp else 0
            if f == 1: line[x] = (line[x] + a) & 255
            elif f == 2: line[x] = (line[x] + b) & 255
            elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[x:x + 3]) for x in range(0, stride, bpp)]); prev = line
    return rows

failed = False
for name in ("viz.png", "viz-hover.png", "loss.png", "attention-dates.png", "attention-numbers.png"):
    path = os.path.join(out, name)
    if not os.path.exists(path):
        continue
    rows = pixels(path)
    flat = [p for row in rows[::4] for p in row[::4]]
    background = max(set(flat), key=flat.count)
    share = sum(p != background for p in flat) / len(flat)
    colours = len(set(flat))
    reds = sum(r > g + 60 and r > b + 60 for r, g, b in flat)
    blues = sum(b > r + 60 for r, g, b in flat)
    ok = share > 0.05 and colours > 50
    failed |= not ok
    print(f"{name}: {len(rows[0])}x{len(rows)}, {share:.0%} non-background, {colours} colours, "
          f"{reds} reddish / {blues} bluish samples: {'ok' if ok else 'LOOKS BLANK'}")

dom = open(os.path.join(out, "dom.html"), encoding="utf-8").read()
checks = {
    "script ran": 'data-ready="true"' in dom,
    "character spans built": dom.count('data-i="') > 100,
    "no <img> element from the text": "<img" not in dom,
    "markup from the text shown as text": "&lt;</span>" in dom,
}
for what, ok in checks.items():
    print(f"dom: {what}: {'ok' if ok else 'FAILED'}")
    failed |= not ok
sys.exit(1 if failed else 0)
PY
echo "look at: $OUT/viz.png $OUT/viz-hover.png${CHECKPOINT:+ }$( [ -f loss.png ] && echo "$OUT/loss.png")"
