#!/usr/bin/env python3
"""A corpus with 100,000+ distinct graphemes, for `--max-vocab` (issue 13).

Every CJK unified ideograph (the BMP block, extensions A to H) and every
precomposed Hangul syllable once, then characters drawn from a Zipf-like
law over the same set, in lines of 40, until --megabytes. Deterministic.

    python3 scripts/make_wide_corpus.py --megabytes 100 --out /tmp/wide.txt
"""
import argparse
import random

RANGES = [(0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B739), (0x2B740, 0x2B81D),
          (0x2B820, 0x2CEA1), (0x2CEB0, 0x2EBE0), (0x30000, 0x3134A), (0x31350, 0x323AF), (0xAC00, 0xD7A3)]

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--megabytes", type=int, default=100)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    chars = [chr(c) for lo, hi in RANGES for c in range(lo, hi + 1)]
    rng = random.Random(args.seed)
    rng.shuffle(chars)
    weights = [1.0 / (rank + 10) for rank in range(len(chars))]
    target = args.megabytes * 1_000_000
    with open(args.out, "w", encoding="utf-8") as out:
        written = 0
        every = "".join(chars)
        for i in range(0, len(every), 40):
            line = every[i:i + 40] + "\n"
            out.write(line)
            written += len(line.encode("utf-8"))
        while written < target:
            line = "".join(rng.choices(chars, weights=weights, k=40 * 1000))
            block = "\n".join(line[i:i + 40] for i in range(0, len(line), 40)) + "\n"
            out.write(block)
            written += len(block.encode("utf-8"))
    print(f"{args.out}: {written} bytes, {len(chars)} distinct characters")

if __name__ == "__main__":
    main()
