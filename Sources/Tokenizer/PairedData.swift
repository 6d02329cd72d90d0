import Files

/// One pair of texts: a source and the target it should become.
public struct TextPair: Equatable, Sendable {
    public var source: String
    public var target: String
    /// Where it was read: "pairs.tsv:12" (file and line).
    public var location: String
    // Made by the reader alone (the memberwise initializer, internal).
}

/// Pairs of texts for an encoder–decoder (`--task translate`): a TSV file, one
/// pair per line, `source<TAB>target`.
///
/// Read as labelled data is (`DataFile`): "\r\n" line ends are taken, a byte
/// order mark at the start is dropped, lines that are empty or hold only
/// spaces are skipped, and there is no quoting (a text holds no line break and
/// no tab). Sources and targets are kept as written, not trimmed.
///
/// Problems, each one line naming the file and line, all collected
/// (`PairedDataError`): a line without a tab; a line with more than one (a
/// third column, as the Tatoeba files of Keras' `lstm_seq2seq` have, is not
/// taken silently into the target); an empty (or white space only) source or
/// target; invalid UTF-8 (unless `lossy`); a source seen before with a
/// different target, naming both lines, since a task whose answer is not a
/// function of its input cannot be learnt exactly. A line that repeats an
/// earlier pair exactly is dropped and counted (`repeated`): kept, it could
/// land in training and test at once.
public struct PairedData: Sendable {
    /// The pairs (N) in file order, repeats left out.
    public let pairs: [TextPair]
    /// The path read.
    public let path: String
    /// Lines left out because they repeat an earlier line's pair exactly.
    public let repeated: Int

    /// Reads the TSV file at `path` (see the type).
    /// - Parameter lossy: replace invalid UTF-8 with U+FFFD instead of reporting it.
    /// - Throws: every problem found (one line each, naming the file and line), or why the file cannot be read.
    public static func read(path: String, lossy: Bool = false) throws(PairedDataError) -> PairedData {
        var problems: [(position: Int, message: String)] = []
        var pairs: [TextPair] = []
        var repeated = 0
        /// The first line of each source, and its target.
        var seen: [ExactToken: (line: Int, target: String)] = [:]
        do throws(FileError) {
            try DataFile.readLines(path: path, lossy: lossy) { number, decoded in
                let location = "\(path):\(number)"
                func report(_ message: String) { problems.append((number, "\(location): \(message)")) }
                let line: String
                switch decoded {
                case .text(let text): line = text
                case .invalid(let at): return report(DataFile.invalidUTF8(at, of: "file"))
                }
                let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
                guard fields.count == 2 else {
                    return report(fields.count == 1
                        ? "no tab; each line is source<TAB>target"
                        : "\(fields.count - 1) tabs; each line is source<TAB>target (keep the first two columns, e.g. cut -f1,2)")
                }
                let source = String(fields[0]), target = String(fields[1])
                if DataFile.isBlank(source) { report("empty source (" + (source.isEmpty ? "the line starts with its tab)" : "only spaces before the tab)")) }
                if DataFile.isBlank(target) { report("empty target for source \(Vocabulary.displayForm(source))") }
                if DataFile.isBlank(source) || DataFile.isBlank(target) { return }
                if let first = seen[ExactToken(source)] {
                    if ExactToken(first.target) == ExactToken(target) { repeated += 1; return }
                    return report("source \(Vocabulary.displayForm(source)) has target \(Vocabulary.displayForm(target)) here "
                                  + "but \(Vocabulary.displayForm(first.target)) on line \(first.line); each source needs one target")
                }
                seen[ExactToken(source)] = (number, target)
                pairs.append(TextPair(source: source, target: target, location: location))
            }
        } catch { throw PairedDataError([error.description]) }
        if problems.isEmpty, pairs.isEmpty {
            problems.append((0, "\(path): no pairs (the file is empty or holds only blank lines; give one source<TAB>target per line)"))
        }
        if !problems.isEmpty { throw PairedDataError(DataFile.ordered(problems)) }
        return PairedData(pairs: pairs, path: path, repeated: repeated)
    }
}
