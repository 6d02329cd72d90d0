#!/usr/bin/env bash
# A language-identification data set from Debian's fortune packages: one TSV
# line `lang<TAB>text` per fortune, short noisy texts in Latin-script languages.
#
#   scripts/make-langid.sh [OUT]        (default corpora/langid.tsv; `make corpora/langid.tsv`)
#   scripts/make-langid.sh --missing    the packages not installed yet, on one line (for the Makefile)
#
# Each fortune file of a package (its `dpkg -L` list: regular files, not the
# .dat indexes, not the offensive `off/` folders; of a legacy-encoded file and a
# non-empty UTF-8 `.u8` twin only the twin; a file not in UTF-8 is skipped with
# a note) is cut into entries at lines holding only `%`. An entry loses
# overstrike pairs (`x<BS>`) and control characters, its white space runs
# become one space, and it is kept when it has 20 to 300 characters
# (LANGID_MIN_LENGTH, LANGID_MAX_LENGTH). Entries are distinct within a
# language, and a text found under two languages is dropped. Every language
# is then cut to the same count, the smallest language's, at most LANGID_MAX
# (2000): a seeded shuffle (Perl's srand(1), whose generator is drand48 on
# every platform) picks which, so the same packages give the same file.
# Written to a temporary name, then renamed.
set -euo pipefail
out=${1:-corpora/langid.tsv}
max=${LANGID_MAX:-2000}
min_length=${LANGID_MIN_LENGTH:-20} max_length=${LANGID_MAX_LENGTH:-300}   # characters per fortune kept
# language code:Debian 12 package, Latin-script languages with enough fortunes.
languages=(en:fortunes de:fortunes-de es:fortunes-es it:fortunes-it pl:fortunes-pl cs:fortunes-cs pt:fortunes-br eo:fortunes-eo)

missing=()
for pair in "${languages[@]}"; do
  package=${pair#*:}
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ "${1:-}" = --missing ]; then echo "${missing[*]}"; exit 0; fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "make-langid: missing packages: ${missing[*]}" >&2
  echo "run: sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

files=()
for pair in "${languages[@]}"; do
  lang=${pair%%:*} package=${pair#*:}
  candidates=$(dpkg -L "$package" | grep '^/usr/share/games/fortunes/' | grep -v '\.dat$' | grep -v '/off/' || true)
  for f in $candidates; do
    [ -f "$f" ] && [ ! -L "$f" ] || continue
    if [[ $f != *.u8 ]] && grep -qxF "$f.u8" <<<"$candidates" && [ -s "$f.u8" ] && [ ! -L "$f.u8" ]; then
      continue   # its UTF-8 twin is read instead (fortunes-pl 0.0.20130525 ships empty twins: then not)
    fi
    files+=("$lang=$f")
  done
done

mkdir -p "$(dirname "$out")"
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
perl -CSA -e '
  use strict; use warnings; use Encode qw(decode FB_CROAK);
  my ($max, $min_length, $max_length, @pairs) = @ARGV;
  my %texts;     # language → text → 1
  my %languages; # text → language → 1
  for my $pair (@pairs) {
    my ($lang, $path) = split /=/, $pair, 2;
    open my $fh, "<:raw", $path or die "make-langid: cannot read $path: $!\n";
    my $bytes = do { local $/; <$fh> };
    close $fh;
    my $text = eval { decode("UTF-8", $bytes, FB_CROAK) };
    if (!defined $text) { print STDERR "make-langid: skipped $path (not UTF-8)\n"; next }
    for my $entry (split /^%[ \t\r]*$/m, $text) {
      $entry =~ s/.\x08//gs;                  # overstrike: a character, then backspace
      $entry =~ s/\s+/ /g;                    # white space runs, line breaks included
      $entry =~ s/[\x00-\x1F\x7F]//g;         # what control characters remain
      $entry =~ s/^ +| +$//g;
      my $n = length $entry;
      next if $n < $min_length || $n > $max_length;
      $texts{$lang}{$entry} = 1;
      $languages{$entry}{$lang} = 1;
    }
  }
  my @langs = sort keys %texts;
  my %kept;
  for my $lang (@langs) {
    $kept{$lang} = [ sort grep { keys %{ $languages{$_} } == 1 } keys %{ $texts{$lang} } ];
  }
  my $cap = $max;
  for my $lang (@langs) { $cap = @{ $kept{$lang} } if @{ $kept{$lang} } < $cap }
  srand(1);
  for my $lang (@langs) {
    my @list = @{ $kept{$lang} };
    for (my $i = $#list; $i > 0; $i--) {    # Fisher–Yates
      my $j = int(rand($i + 1));
      @list[$i, $j] = @list[$j, $i];
    }
    printf STDERR "make-langid: %s: %d fortunes of %d to %d characters, %d kept\n",
      $lang, scalar(@{ $kept{$lang} }), $min_length, $max_length, $cap;
    print "$lang\t$_\n" for @list[0 .. $cap - 1];
  }
' "$max" "$min_length" "$max_length" "${files[@]}" > "$tmp"
mv "$tmp" "$out"
trap - EXIT
echo "make-langid: wrote $out ($(wc -l < "$out") lines)" >&2
