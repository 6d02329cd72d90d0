import ArgumentParser
import Foundation
import Tokenizer

/// `charrnn vocab PATH...`: the characters a model trained on these files would know, with counts.
struct VocabCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vocab",
        abstract: "List the characters of a corpus with their ids and counts.",
        discussion: """
            One line per character: id, the character (quoted, invisible ones escaped) and how often it \
            occurs; then a summary. Files and directories are read as train reads them. With --min-count or \
            --max-vocab, the characters folded into <unk> are counted on the last line (and <unk> is the \
            last id). With --json, one JSON object instead.

            With --labels FILE|DIR, the labels of labelled data instead (a TSV file of label<TAB>text \
            lines, or a directory with one sub-folder per label holding one text file per example), each \
            with its number of examples; every problem in the data is one line on stderr (exit 1).

            With --pairs FILE, the pairs of an encoder-decoder's data (a TSV file of source<TAB>target \
            lines): the one vocabulary both sides share (with <s> and </s>), each character's count in the \
            sources and in the targets, then the pairs, the characters of each side and the longest source \
            and target; every problem is one line on stderr (exit 1).
            """)

    @Argument(help: "UTF-8 text files or directories.")
    var corpus: [String] = []

    @OptionGroup var tokenizer: TokenizerOptions
    @OptionGroup var folding: FoldingOptions

    @Flag(help: "Print one JSON object {tokens, counts, characters, distinct, bytes, files, mode, normalize; with folding: unknown_id, folded_characters, folded_occurrences}; with --labels {labels, counts, examples, form, skipped}; with --pairs {tokens, source_counts, target_counts, pairs, repeated, source_characters, target_characters, longest_source, longest_target, mode, normalize}.")
    var json = false

    @Option(name: .customLong("labels"), help: ArgumentHelp(
        "List the labels of labelled data (a TSV file or a directory of label folders) with their counts.",
        valueName: "file-or-dir"))
    var labelledData: String?

    @Option(name: .customLong("pairs"), help: ArgumentHelp(
        "List the shared vocabulary and sizes of source<TAB>target pairs (a TSV file).", valueName: "file"))
    var pairedData: String?

    @Flag(help: .private)  // developer aid: time the tokenizer against a bare ICU loop
    var bench = false

    func validate() throws {
        if labelledData != nil, pairedData != nil { throw ValidationError("give either --labels or --pairs, not both") }
        if labelledData != nil {
            if !corpus.isEmpty { throw ValidationError("give either text files or --labels FILE|DIR, not both") }
            return
        }
        if pairedData != nil {
            if !corpus.isEmpty { throw ValidationError("give either text files or --pairs FILE, not both") }
            return
        }
        if corpus.isEmpty { throw ValidationError("give at least one text file or directory") }
    }

    func run() throws {
        if let labelledData { return try listLabels(of: labelledData) }
        if let pairedData { return try listPairs(of: pairedData) }
        let settings = tokenizer.settings
        let start = Date()
        let corpus: Corpus
        do {
            let files = try CorpusFiles.find(self.corpus)
            if let notice = files.notice { note(notice) }
            corpus = try Corpus.load(files: files, settings: settings, policy: folding.policy)
        } catch {
            throw failure("\(error)")
        }
        let seconds = Date().timeIntervalSince(start)
        if bench { try runBench(corpus: corpus, seconds: seconds) }
        if json {
            try printJSON(corpus)
        } else {
            try printListing(corpus)
        }
    }

    private func printListing(_ corpus: Corpus) throws {
        let idWidth = String(max(corpus.vocabulary.count - 1, 0)).count
        var out = ""
        for id in corpus.vocabulary.tokens.indices {
            let idText = String(id)
            out += String(repeating: " ", count: idWidth - idText.count) + idText
            out += "  " + corpus.vocabulary.displayForm(of: Int32(id)) + "  " + String(corpus.counts[id]) + "\n"
        }
        let mode = corpus.settings.mode
        let normalized = mode == .byte ? "" : corpus.settings.normalize ? ", NFC" : ", not normalized"
        let files = corpus.fileCount == 1 ? "" : " in \(corpus.fileCount) files"
        out += "\(corpus.ids.count) characters, \(corpus.vocabulary.count) distinct, \(corpus.byteCount) bytes\(files)"
        out += " (\(mode.rawValue) mode\(normalized))\n"
        if let f = corpus.folding { out += f.summary + "\n" }
        try writeStandardOutput(Data(out.utf8))
    }

    private struct Summary: Encodable {
        var tokens: [String]
        var counts: [Int]
        var characters: Int
        var distinct: Int
        var bytes: Int
        var files: Int
        var mode: String
        var normalize: Bool
        var unknown_id: Int32?
        var folded_characters: Int?
        var folded_occurrences: Int?
    }

    private func printJSON(_ corpus: Corpus) throws {
        let summary = Summary(
            tokens: corpus.vocabulary.tokens, counts: corpus.counts, characters: corpus.ids.count,
            distinct: corpus.vocabulary.count, bytes: corpus.byteCount, files: corpus.fileCount, mode: corpus.settings.mode.rawValue,
            normalize: corpus.settings.normalize, unknown_id: corpus.vocabulary.unknownID,
            folded_characters: corpus.folding?.foldedCharacters, folded_occurrences: corpus.folding?.foldedOccurrences)
        try printJSONLine(summary)
    }

    private func runBench(corpus: Corpus, seconds: Double) throws {
        let megabytes = Double(corpus.byteCount) / 1e6
        let start = Date()
        let clusters: Int
        do {
            clusters = try TokenizerBenchmark.bareBreakIteratorCount(path: self.corpus[0])
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

// MARK: - Labels (--labels)

extension VocabCommand {
    /// Reads labelled data and lists its labels, or prints every problem (one `charrnn: error:` line each) and exits 1.
    private func listLabels(of path: String) throws {
        let data: LabelledData
        do {
            data = try LabelledData.read(path: path, lossy: tokenizer.lossy)
        } catch {
            throw failure(error)
        }
        if json {
            try printLabelsJSON(data)
        } else {
            let idWidth = String(max(data.labels.count - 1, 0)).count
            var out = ""
            for (id, label) in data.labels.enumerated() {
                out += String(repeating: " ", count: idWidth - String(id).count) + String(id)
                out += "  " + Vocabulary.displayForm(label) + "  " + String(data.counts[id]) + "\n"
            }
            let form = data.isDirectory ? "directory of label folders" : "TSV file"
            let skipped = data.skipped == 0 ? "" : "; \(data.skipped) entr\(data.skipped == 1 ? "y" : "ies") skipped"
            out += "\(data.examples.count) examples, \(data.labels.count) labels (\(form)\(skipped))\n"
            try writeStandardOutput(Data(out.utf8))
        }
    }

    private struct LabelSummary: Encodable {
        var labels: [String]
        var counts: [Int]
        var examples: Int
        var form: String
        var skipped: Int
    }

    private func printLabelsJSON(_ data: LabelledData) throws {
        try printJSONLine(LabelSummary(labels: data.labels, counts: data.counts, examples: data.examples.count,
                                       form: data.isDirectory ? "directory" : "tsv", skipped: data.skipped))
    }
}

// MARK: - Pairs (--pairs)

extension VocabCommand {
    /// Reads pairs and lists their shared vocabulary and sizes, or prints every problem (one `charrnn: error:` line each) and exits 1.
    private func listPairs(of path: String) throws {
        let data: PairedData
        do {
            data = try PairedData.read(path: path, lossy: tokenizer.lossy)
        } catch {
            throw failure(error)
        }
        let corpus: PairedCorpus
        do { corpus = try PairedCorpus(data: data, settings: tokenizer.settings) } catch { throw failure("\(error)") }
        let summary = PairSummary(corpus)
        if json {
            try printJSONLine(summary)
            return
        }
        let idWidth = String(max(corpus.vocabulary.count - 1, 0)).count
        var out = ""
        for id in corpus.vocabulary.tokens.indices {
            out += String(repeating: " ", count: idWidth - String(id).count) + String(id)
            out += "  " + corpus.vocabulary.displayForm(of: Int32(id))
            out += "  " + String(corpus.sourceCounts[id]) + "  " + String(corpus.targetCounts[id]) + "\n"
        }
        let repeated = data.repeated == 0 ? "" : " (\(data.repeated) repeated line\(data.repeated == 1 ? "" : "s") left out)"
        out += "\(summary.pairs) pairs\(repeated); sources \(summary.source_characters) characters (longest \(summary.longest_source)), "
        out += "targets \(summary.target_characters) characters (longest \(summary.longest_target)); "
        out += "\(corpus.vocabulary.count) ids shared by both sides, <s> and </s> included (\(corpus.settings.mode.rawValue) mode)\n"
        try writeStandardOutput(Data(out.utf8))
    }

    private struct PairSummary: Encodable {
        var tokens: [String]
        var source_counts: [Int]
        var target_counts: [Int]
        var pairs: Int
        var repeated: Int
        var source_characters: Int
        var target_characters: Int
        var longest_source: Int
        var longest_target: Int
        var mode: String
        var normalize: Bool

        init(_ corpus: PairedCorpus) {
            tokens = corpus.vocabulary.tokens
            source_counts = corpus.sourceCounts
            target_counts = corpus.targetCounts
            pairs = corpus.count
            repeated = corpus.data.repeated
            source_characters = corpus.sourceIDs.reduce(0) { $0 + $1.count }
            target_characters = corpus.targetIDs.reduce(0) { $0 + $1.count }
            longest_source = corpus.sourceIDs.map(\.count).max() ?? 0
            longest_target = corpus.targetIDs.map(\.count).max() ?? 0
            mode = corpus.settings.mode.rawValue
            normalize = corpus.settings.normalize
        }
    }
}
