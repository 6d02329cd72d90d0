import ArgumentParser
import Foundation
import Tokenizer

/// `charrnn vocab CORPUS`: the characters a model trained on CORPUS would know, with counts.
struct VocabCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vocab",
        abstract: "List the characters of a corpus with their ids and counts.",
        discussion: """
            One line per character: id, the character (quoted, invisible ones escaped) and how often it \
            occurs; then a summary. With --json, one JSON object instead.
            """)

    @Argument(help: "A UTF-8 text file.")
    var corpus: String

    @OptionGroup var tokenizer: TokenizerOptions

    @Flag(help: "Print one JSON object {tokens, counts, characters, distinct, bytes, mode, normalize}.")
    var json = false

    @Flag(help: .private)  // developer aid: time the tokenizer against a bare ICU loop
    var bench = false

    func run() throws {
        let settings = tokenizer.settings
        let start = Date()
        let corpus: Corpus
        do {
            corpus = try Corpus.load(path: self.corpus, settings: settings)
        } catch {
            FileHandle.standardError.write(Data("charrnn: error: \(error)\n".utf8))
            throw ExitCode(1)
        }
        let seconds = Date().timeIntervalSince(start)
        if bench { try runBench(corpus: corpus, seconds: seconds) }
        if json {
            try printJSON(corpus)
        } else {
            printListing(corpus)
        }
    }

    private func printListing(_ corpus: Corpus) {
        let idWidth = String(max(corpus.vocabulary.count - 1, 0)).count
        var out = ""
        for id in corpus.vocabulary.tokens.indices {
            let idText = String(id)
            out += String(repeating: " ", count: idWidth - idText.count) + idText
            out += "  " + corpus.vocabulary.displayForm(of: Int32(id)) + "  " + String(corpus.counts[id]) + "\n"
        }
        let mode = corpus.settings.mode
        let normalized = mode == .byte ? "" : corpus.settings.normalize ? ", NFC" : ", not normalized"
        out += "\(corpus.ids.count) characters, \(corpus.vocabulary.count) distinct, \(corpus.byteCount) bytes"
        out += " (\(mode.rawValue) mode\(normalized))\n"
        FileHandle.standardOutput.write(Data(out.utf8))
    }

    private struct Summary: Encodable {
        var tokens: [String]
        var counts: [Int]
        var characters: Int
        var distinct: Int
        var bytes: Int
        var mode: String
        var normalize: Bool
    }

    private func printJSON(_ corpus: Corpus) throws {
        let summary = Summary(
            tokens: corpus.vocabulary.tokens, counts: corpus.counts, characters: corpus.ids.count,
            distinct: corpus.vocabulary.count, bytes: corpus.byteCount, mode: corpus.settings.mode.rawValue,
            normalize: corpus.settings.normalize)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(summary)
        data.append(UInt8(ascii: "\n"))
        FileHandle.standardOutput.write(data)
    }

    private func runBench(corpus: Corpus, seconds: Double) throws {
        let megabytes = Double(corpus.byteCount) / 1e6
        let start = Date()
        let clusters: Int
        do {
            clusters = try TokenizerBenchmark.bareBreakIteratorCount(path: self.corpus)
        } catch {
            FileHandle.standardError.write(Data("charrnn: error: \(error)\n".utf8))
            throw ExitCode(1)
        }
        let bare = Date().timeIntervalSince(start)
        let line = String(
            format: "tokenize (%@): %.1f MB, %d characters in %.3f s = %.1f MB/s; bare ICU break iterator: %d clusters in %.3f s = %.1f MB/s\n",
            corpus.settings.mode.rawValue, megabytes, corpus.ids.count, seconds, megabytes / seconds,
            clusters, bare, megabytes / bare)
        FileHandle.standardError.write(Data(line.utf8))
    }
}
