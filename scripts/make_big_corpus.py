#!/usr/bin/env python3
"""A large English corpus for charrnn's "more text than memory" targets (issue 13).

Copies of corpora/shakespeare.txt, each with its paragraphs in a different
seeded order and every line of one paragraph in ten upper-cased, until the
output reaches --megabytes. Deterministic for a given input and seed.

    python3 scripts/make_big_corpus.py --megabytes 2048 --out /tmp/big.txt
"""
import argparse
import random

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", default="corpora/shakespeare.txt")
    ap.add_argument("--megabytes", type=int, default=2048)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    text = open(args.source, encoding="utf-8").read()
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    rng = random.Random(args.seed)
    target = args.megabytes * 1_000_000
    written = 0
    with open(args.out, "w", encoding="utf-8") as out:
        while written < target:
            order = paragraphs[:]
            rng.shuffle(order)
            for p in order:
                if rng.random() < 0.1:
                    p = p.upper()
                chunk = p + "\n\n"
                out.write(chunk)
                written += len(chunk.encode("utf-8"))
                if written >= target:
                    break
    print(f"{args.out}: {written} bytes")

if __name__ == "__main__":
    main()
