/// How `charrnn train --documents` cuts a corpus into documents. Without a
/// mode (the default) the corpus is one continuous stream.
///
/// - `lines`: each line; a line ends at a "\n" token (or "\r\n", one token in
///   grapheme mode; in scalar and byte mode a "\r" before the "\n" is left
///   out). Empty lines are not documents; text after the last line break is one.
/// - `paragraphs`: runs of non-empty lines, separated by one or more empty
///   lines; the line breaks inside a paragraph are part of it, those at its
///   edges are not. A line of spaces is not empty.
/// - `files`: each input file, without the line breaks at its start and end.
///   An empty file (or one of line breaks only) is no document.
///
/// No document spans two files, in any mode.
public enum DocumentMode: String, Codable, CaseIterable, Sendable {
    case lines, paragraphs, files

    /// "one per line", as messages say what a document is.
    public var phrase: String {
        switch self {
        case .lines: return "one per non-empty line"
        case .paragraphs: return "one per paragraph (text between blank lines)"
        case .files: return "one per input file"
        }
    }
}

/// The vocabulary entries that frame every document of a documents run: the
/// start marker before its first character, the end marker after its last.
/// Like `Vocabulary.unknownToken` each is several characters long, so no
/// text produces it (a token is one grapheme, scalar or byte). A documents
/// vocabulary ends with them: start is id V − 2, end is id V − 1.
public struct DocumentMarkers: Codable, Equatable, Hashable, Sendable {
    public var start: Int32
    public var end: Int32

    public init(start: Int32, end: Int32) {
        self.start = start
        self.end = end
    }

    /// The start marker's entry in `Vocabulary.tokens`.
    public static let startToken = "<s>"
    /// The end marker's entry in `Vocabulary.tokens`.
    public static let endToken = "</s>"
}

/// The ids that end a line in a vocabulary: "\n", "\r\n" (grapheme mode) and
/// "\r" (left out before a "\n" in scalar and byte mode); -1 where absent.
public struct LineBreaks: Equatable, Sendable {
    public let newline: Int32, crlf: Int32, carriageReturn: Int32

    public init(vocabulary: Vocabulary) {
        newline = vocabulary.id(of: "\n") ?? -1
        crlf = vocabulary.id(of: "\r\n") ?? -1
        carriageReturn = vocabulary.id(of: "\r") ?? -1
    }

    @inline(__always) func endsLine(_ id: Int32) -> Bool { id == newline || id == crlf }
}

/// Finding documents in a text's ids, and framing them with the markers.
/// Functions of plain id buffers, so that where the ids live (an array, a
/// mapped cache) does not matter.
public enum Documents {
    /// The documents of `ids` in text order, as ranges of `ids`. `sourceStarts`
    /// are the positions where each input file's text begins (ascending; empty
    /// or [0] for one text): no document crosses one.
    public static func find(in ids: UnsafeBufferPointer<Int32>, mode: DocumentMode, breaks: LineBreaks,
                            sourceStarts: [Int] = []) -> [Range<Int>] {
        var documents: [Range<Int>] = []
        let bounds = sourceBounds(sourceStarts, count: ids.count)
        for source in zip(bounds, bounds.dropFirst()).map({ $0..<$1 }) where !source.isEmpty {
            switch mode {
            case .lines:
                forEachLine(in: ids, source, breaks) { line in if !line.isEmpty { documents.append(line) } }
            case .paragraphs:
                var open: Range<Int>? = nil   // the paragraph being read: first line's start to last line's end
                forEachLine(in: ids, source, breaks) { line in
                    if line.isEmpty {
                        if let p = open { documents.append(p) }
                        open = nil
                    } else {
                        open = (open?.lowerBound ?? line.lowerBound)..<line.upperBound
                    }
                }
                if let p = open { documents.append(p) }
            case .files:
                let trimmed = trimmingLineBreaks(ids, source, breaks)
                if !trimmed.isEmpty { documents.append(trimmed) }
            }
        }
        return documents
    }

    /// `[0, starts…, count]` without repeats: the edges of the sources.
    static func sourceBounds(_ starts: [Int], count: Int) -> [Int] {
        var bounds = [0]
        for s in starts where s > bounds.last! && s < count { bounds.append(s) }
        bounds.append(count)
        return bounds
    }

    /// Calls `body` with every line of `source` without its line break (a
    /// "\r" before "\n" left out), the text after the last break included.
    private static func forEachLine(in ids: UnsafeBufferPointer<Int32>, _ source: Range<Int>, _ breaks: LineBreaks,
                                    _ body: (Range<Int>) -> Void) {
        var start = source.lowerBound
        for i in source where breaks.endsLine(ids[i]) {
            var end = i
            if ids[i] == breaks.newline, end > start, ids[end - 1] == breaks.carriageReturn { end -= 1 }
            body(start..<end)
            start = i + 1
        }
        if start < source.upperBound { body(start..<source.upperBound) }
    }

    /// `range` without the line breaks (and carriage returns) at either end.
    private static func trimmingLineBreaks(_ ids: UnsafeBufferPointer<Int32>, _ range: Range<Int>,
                                           _ breaks: LineBreaks) -> Range<Int> {
        func isBreak(_ id: Int32) -> Bool { breaks.endsLine(id) || id == breaks.carriageReturn }
        var lower = range.lowerBound, upper = range.upperBound
        while lower < upper, isBreak(ids[lower]) { lower += 1 }
        while upper > lower, isBreak(ids[upper - 1]) { upper -= 1 }
        return lower..<upper
    }

    /// The documents `order` names (indices into `documents`), each as the
    /// start marker, its ids, the end marker, one after another.
    public static func frame(_ ids: UnsafeBufferPointer<Int32>, documents: [Range<Int>], order: some Collection<Int>,
                             markers: DocumentMarkers) -> [Int32] {
        var framed: [Int32] = []
        framed.reserveCapacity(order.reduce(0) { $0 + documents[$1].count + 2 })
        for d in order {
            framed.append(markers.start)
            framed.append(contentsOf: UnsafeBufferPointer(rebasing: ids[documents[d]]))
            framed.append(markers.end)
        }
        return framed
    }

    /// Bytes a documents run holds besides the text's ids, per document: its
    /// range, its two markers in the framed copy, its hash.
    public static let bytesPerDocument = MemoryLayout<Range<Int>>.stride + 2 * 4 + 8
}

extension Documents {
    /// `starts` (positions in `ids`) as they will be once the ids for which
    /// `leftOut` holds are removed from `ids`; `starts` itself when none is.
    public static func sourceStarts(_ starts: [Int], afterLeavingOut leftOut: (Int32) -> Bool, of ids: [Int32]) -> [Int] {
        guard starts.count > 1 else { return starts }
        var shifted: [Int] = []
        shifted.reserveCapacity(starts.count)
        var removed = 0, next = 0
        ids.withUnsafeBufferPointer { ids in
            for (i, id) in ids.enumerated() {
                while next < starts.count, starts[next] == i { shifted.append(i - removed); next += 1 }
                if leftOut(id) { removed += 1 }
            }
        }
        while next < starts.count { shifted.append(starts[next] - removed); next += 1 }
        return shifted
    }
}

extension Documents {
    /// Every document of a text in text order, framed: how a documents model
    /// (whose vocabulary has the markers) reads a text to score (`charrnn eval`).
    public static func framedInTextOrder(_ ids: [Int32], mode: DocumentMode, vocabulary: Vocabulary,
                                         sourceStarts: [Int]) -> [Int32] {
        guard let markers = vocabulary.documentMarkers else { preconditionFailure("a documents vocabulary has the markers") }
        return ids.withUnsafeBufferPointer { b in
            let documents = find(in: b, mode: mode, breaks: LineBreaks(vocabulary: vocabulary), sourceStarts: sourceStarts)
            return frame(b, documents: documents, order: documents.indices, markers: markers)
        }
    }
}
