#!/usr/bin/env bash
# Installs charrnn's shell completions (bash, zsh, fish) and man pages.
#
#   scripts/install-extras.sh [PREFIX]        # default /usr/local; honours DESTDIR
#
#   CHARRNN=path/to/charrnn   the binary whose completions to write
#                             (default .build/release/charrnn, else charrnn on PATH)
#   NO_MAN=1                  skip the man pages
#
# Completions come from the binary itself (swift-argument-parser's
# --generate-completion-script). Man pages come from swift-argument-parser's
# generate-manual plugin (`swift package generate-manual`, one page per
# subcommand), built in the same configuration as the binary; without a Swift
# toolchain and this package's sources they are skipped with a note.
set -euo pipefail

PREFIX=${1:-${PREFIX:-/usr/local}}
DESTDIR=${DESTDIR:-}
ROOT=$(cd "$(dirname "$0")/.." && pwd)

BIN=${CHARRNN:-}
if [ -z "$BIN" ]; then
  if [ -x "$ROOT/.build/release/charrnn" ]; then BIN="$ROOT/.build/release/charrnn"
  elif command -v charrnn >/dev/null; then BIN=$(command -v charrnn)
  else echo "install-extras: no charrnn binary: build it first (make build) or set CHARRNN=path" >&2; exit 1
  fi
fi

bash_dir="$DESTDIR$PREFIX/share/bash-completion/completions"
zsh_dir="$DESTDIR$PREFIX/share/zsh/site-functions"
fish_dir="$DESTDIR$PREFIX/share/fish/vendor_completions.d"
man_dir="$DESTDIR$PREFIX/share/man/man1"
install -d "$bash_dir" "$zsh_dir" "$fish_dir"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$BIN" --generate-completion-script bash > "$tmp/charrnn"
"$BIN" --generate-completion-script zsh > "$tmp/_charrnn"
"$BIN" --generate-completion-script fish > "$tmp/charrnn.fish"
install -m 644 "$tmp/charrnn" "$bash_dir/charrnn"
install -m 644 "$tmp/_charrnn" "$zsh_dir/_charrnn"
install -m 644 "$tmp/charrnn.fish" "$fish_dir/charrnn.fish"
echo "completions: $bash_dir/charrnn, $zsh_dir/_charrnn, $fish_dir/charrnn.fish"

if [ -n "${NO_MAN:-}" ]; then exit 0; fi
if ! command -v "${SWIFT:-swift}" >/dev/null || [ ! -f "$ROOT/Package.swift" ]; then
  echo "man pages: skipped (they are generated with swift package generate-manual, which needs the Swift toolchain and the sources)"
  exit 0
fi
case "$BIN" in
  */.build/debug/*) configuration=debug ;;
  *) configuration=release ;;
esac
out="$ROOT/.build/plugins/GenerateManual/outputs/charrnn"
rm -rf "$out"
if (cd "$ROOT" && "${SWIFT:-swift}" package generate-manual --configuration "$configuration" --multi-page >"$tmp/man.log" 2>&1) \
   && ls "$out"/*.1 >/dev/null 2>&1; then
  install -d "$man_dir"
  install -m 644 "$out"/*.1 "$man_dir/"
  echo "man pages: $man_dir/charrnn.1 and $(($(ls "$out"/*.1 | wc -l) - 1)) subcommand pages (man charrnn.train …)"
else
  echo "man pages: skipped: swift package generate-manual failed:" >&2
  tail -5 "$tmp/man.log" >&2
fi
