// MakePairs: deterministic source<TAB>target files for charrnn's encoder–decoder
// (`--task translate`, issue 25), written to standard output from a seed.
//
//     numbers   digits → words by ICU's rule-based number format (UNUM_SPELLOUT):
//               "21<TAB>einundzwanzig" (--locale de), "42<TAB>forty-two" (en).
//               By default every number of 0…max once, in a seeded random order, so
//               that any split of the file holds out numbers never seen in training.
//     dates     Géron's exercise (Hands-On ML, 2nd ed., chapter 16): random dates of
//               1000-01-01…9999-12-31, "April 22, 2019<TAB>2019-04-22", each at most once.
//
// The same arguments give the same bytes on every machine: the draws are SplitMix64's
// (charrnn's Tensor module), the words are ICU's (a locale without spell-out rules of
// its own is refused rather than spelled in the environment's language), and a date is
// computed on the proleptic Gregorian calendar (as Python's `date` is), not through a
// calendar library with a Julian cutover.
//
// Run: swift run -c release MakePairs numbers --locale de > corpora/numbers-de.tsv
//      swift run -c release MakePairs dates --count 20000 > corpora/dates.tsv   (or `make corpora/…`)

import ArgumentParser
import Foundation
import Tensor
import Tokenizer

struct MakePairs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "MakePairs",
        abstract: "Write source<TAB>target pairs for charrnn's encoder-decoder to standard output.",
        subcommands: [Numbers.self, Dates.self])
}

/// Options both generators take.
struct DrawOptions: ParsableArguments {
    @Option(help: "Seed of the draws: the same seed gives the same file.")
    var seed: UInt64 = 42
}

extension MakePairs {
    struct Numbers: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Numbers as digits, then in words (ICU spell-out), each number at most once.")

        @Option(help: "A language ICU spells numbers in: de, en, fr, es, it, ...")
        var locale: String
        @Option(help: "Numbers to write, distinct (default: every number of 0...max).")
        var count: Int?
        @Option(help: "The largest number.")
        var max = 99_999
        @OptionGroup var draw: DrawOptions

        static let largestMax = 1_000_000_000
        static let largestCount = 10_000_000

        func validate() throws {
            if !(0...Self.largestMax).contains(max) { throw ValidationError("--max must be between 0 and \(Self.largestMax) (got \(max))") }
            if let count, !(1...Swift.min(max + 1, Self.largestCount)).contains(count) {
                throw ValidationError("--count must be between 1 and \(Swift.min(max + 1, Self.largestCount)), "
                                      + "the distinct numbers of 0...\(max) (got \(count))")
            }
            if count == nil, max + 1 > Self.largestCount {
                throw ValidationError("give --count: every number of 0...\(max) is more than \(Self.largestCount)")
            }
        }

        func run() throws {
            let speller: SpelledNumbers
            do { speller = try SpelledNumbers(locale: locale) } catch { throw fail("\(error)") }
            var rng = SplitMix64(seed: draw.seed)
            var out = ""
            for n in DistinctDraw.draw(count: count ?? max + 1, from: max + 1, using: &rng) {
                let words: String
                do { words = try speller.spell(n) } catch { throw fail("\(error)") }
                out += "\(n)\t\(words)\n"
            }
            FileHandle.standardOutput.write(Data(out.utf8))
        }
    }

    struct Dates: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Dates as \"April 22, 2019\", then \"2019-04-22\", each date at most once.")

        @Option(help: "Dates to write, distinct, between 1000-01-01 and 9999-12-31.")
        var count = 20_000
        @OptionGroup var draw: DrawOptions

        func validate() throws {
            let largest = CivilDate.last.dayNumber - CivilDate.first.dayNumber + 1
            if !(1...largest).contains(count) { throw ValidationError("--count must be between 1 and \(largest) (got \(count))") }
        }

        func run() throws {
            var rng = SplitMix64(seed: draw.seed)
            let first = CivilDate.first.dayNumber, days = CivilDate.last.dayNumber - first + 1
            var out = ""
            for offset in DistinctDraw.draw(count: count, from: days, using: &rng) {
                let date = CivilDate(dayNumber: first + offset)
                out += "\(date.spelled)\t\(date.iso)\n"
            }
            FileHandle.standardOutput.write(Data(out.utf8))
        }
    }
}

/// Prints "MakePairs: error: message" and gives the exit code 1.
func fail(_ message: String) -> ExitCode {
    FileHandle.standardError.write(Data("MakePairs: error: \(message)\n".utf8))
    return ExitCode(1)
}

MakePairs.main()
