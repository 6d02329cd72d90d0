import Files

/// One example of labelled data: a text and the id of its label.
public struct LabelledExample: Equatable, Sendable {
    /// Index into `LabelledData.labels`.
    public var label: Int
    /// The text, without its line break (TSV) or its trailing line breaks (a file).
    public var text: String
    /// Where it was read: "data.tsv:12" (file and line) or the path of its file.
    public var source: String
    // Made by the reader alone (the memberwise initializer, internal).
}

/// Texts with labels, for classifying (`--task classify`) or generating in a
/// label's style (`--task generate`), read from one of two forms:
///
/// - a TSV file, one example per line, `label<TAB>text`: the first tab ends
///   the label (further tabs belong to the text); "\r\n" line ends are taken;
///   a byte order mark at the start is dropped; lines that are empty or hold
///   only spaces are skipped. There is no quoting: a text holds no line break.
/// - a directory with one sub-folder per label, each holding text files, one
///   example per file, as Keras' `text_dataset_from_directory` reads it
///   (`DIR/<label>/<any path>/<file>`): a file's byte order mark and its
///   trailing line breaks are dropped; hidden entries, FIFOs and devices are
///   skipped, and so are files directly in `DIR` (a README), all counted.
///
/// A label is trimmed of white space at its ends and put in NFC (as texts
/// are when tokenized), then labels are told apart by their exact scalars:
/// "é" as one scalar and as e + U+0301 are one label. Every problem is
/// collected, not only the first, so that one run shows all there is to fix
/// (`LabelledDataError`).
public struct LabelledData: Sendable {
    /// The distinct labels (K) in id order: sorted by Unicode scalars
    /// (`Vocabulary.precedes`), so the same data always gives the same ids.
    public let labels: [String]
    /// Examples (N) in reading order: the file's lines, or the files in walk order.
    public let examples: [LabelledExample]
    /// Examples per label (K), index = label id; each is at least 2.
    public let counts: [Int]
    /// The path read.
    public let path: String
    /// Whether it was a directory of label folders (else a TSV file).
    public let isDirectory: Bool
    /// Directory form: entries left out (hidden ones, FIFOs and devices, files directly in the directory).
    public let skipped: Int

    /// Each label must have at least this many examples: one to train on, one to validate with.
    public static let minimumPerLabel = 2

    /// Reads `path`, a TSV file or a directory of label folders (see the type).
    /// - Parameter lossy: replace invalid UTF-8 with U+FFFD instead of reporting it.
    /// - Throws: every problem found (one line each, naming the file and line), or why the path cannot be read.
    public static func read(path: String, lossy: Bool = false) throws(LabelledDataError) -> LabelledData {
        let walk: DirectoryWalk
        do throws(FileError) { walk = try DirectoryWalk(path: path) } catch { throw LabelledDataError([error.description]) }
        var draft = Draft(path: path)
        if walk.isDirectory {
            try draft.readDirectory(walk, lossy: lossy)
        } else {
            try draft.readTSV(lossy: lossy)
        }
        return try draft.finish(isDirectory: walk.isDirectory)
    }

    /// The most input bytes that fit in the memory available (`DataFile.byteLimit`).
    static var byteLimit: Int { DataFile.byteLimit }
}

extension LabelledData {
    /// Examples and problems as they are read; `finish` checks the labels and builds the data.
    struct Draft {
        let path: String
        /// Read examples with their label's name, in reading order.
        var rows: [(label: String, text: String, source: String, position: Int)] = []
        /// Labels of lines or files whose text had a problem: they count toward "seen twice".
        var labelsOfBadRows: [String] = []
        var problems: [(position: Int, message: String)] = []
        var skipped = 0
        /// Labels as kept, by their trimmed spelling (a label repeats on many lines), and the
        /// normalizer, made at the first label that is not ASCII.
        private var keptLabels: [ExactToken: String] = [:]
        private var normalizer: ICUText?

        init(path: String) { self.path = path }

        /// A label as kept: trimmed of white space at its ends, then in NFC as texts are tokenized,
        /// so that "é" written as one scalar or as e + U+0301 is one label. Told apart by scalars
        /// but written to a checkpoint as Swift strings (equal when canonically equivalent), two
        /// spellings would otherwise pass here and fail at the run's first save.
        mutating func keptLabel(_ raw: Substring) throws(TokenizerError) -> String {
            let trimmed = LabelledData.trimmedLabel(raw)
            if trimmed.utf8.allSatisfy({ $0 < 0x80 }) { return trimmed }  // ASCII is NFC already
            if let kept = keptLabels[ExactToken(trimmed)] { return kept }
            if normalizer == nil { normalizer = try ICUText(graphemes: false, normalize: true) }
            let kept = try normalizer!.normalized(trimmed)
            keptLabels[ExactToken(trimmed)] = kept
            return kept
        }

        /// Records a problem at `position` (a line number, or a file's place in the walk).
        mutating func report(_ position: Int, _ message: String) { problems.append((position, message)) }

        /// Adds the one-example labels and label-count problems, then the data, or throws every problem.
        func finish(isDirectory: Bool) throws(LabelledDataError) -> LabelledData {
            var problems = self.problems
            var seen: [ExactToken: Int] = [:]
            for label in rows.map(\.label) + labelsOfBadRows { seen[ExactToken(label), default: 0] += 1 }
            for row in rows where seen[ExactToken(row.label)]! < LabelledData.minimumPerLabel {
                problems.append((row.position, "\(row.source): label \(Vocabulary.displayForm(row.label)) has only this example; "
                                 + "each label needs at least \(LabelledData.minimumPerLabel) (one to train on, one to validate with)"))
            }
            let labels = seen.keys.map(\.string).sorted(by: Vocabulary.precedes)
            if problems.isEmpty, rows.isEmpty {
                problems.append((0, isDirectory
                    ? "\(path): no examples (give one sub-folder per label, each holding text files, one file per example)"
                    : "\(path): no examples (the file is empty or holds only blank lines; give one label<TAB>text per line)"))
            } else if labels.count == 1 {
                problems.append((.max, "\(path): only one label, \(Vocabulary.displayForm(labels[0])) (\(seen.values.first!) examples); "
                                 + "telling labels apart needs at least 2"))
            }
            if !problems.isEmpty {
                throw LabelledDataError(DataFile.ordered(problems))
            }
            var id: [ExactToken: Int] = [:]
            for (i, label) in labels.enumerated() { id[ExactToken(label)] = i }
            let examples = rows.map { LabelledExample(label: id[ExactToken($0.label)]!, text: $0.text, source: $0.source) }
            var counts = [Int](repeating: 0, count: labels.count)
            for e in examples { counts[e.label] += 1 }
            return LabelledData(labels: labels, examples: examples, counts: counts, path: path,
                                isDirectory: isDirectory, skipped: skipped)
        }
    }
}

extension LabelledData {
    /// A label as it is kept: without white space at its ends.
    static func trimmedLabel(_ label: Substring) -> String {
        String(label.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }

    /// Whether a text is empty or white space only: nothing to classify.
    static func isBlank(_ text: String) -> Bool { DataFile.isBlank(text) }
}
