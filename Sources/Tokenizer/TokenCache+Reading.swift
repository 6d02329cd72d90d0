#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Files

/// The one reader of token cache files. A cache is a file on disk that anyone
/// (a crash, a disk, another program, another version of charrnn) may have
/// left in any state, so nothing in it is trusted: the header must agree with
/// itself, with the file's length and with the corpus asked for, and every id
/// must be inside the vocabulary, before a `Corpus` is made of it. A file that
/// fails is never used: the caller tokenizes the corpus again (README: a
/// damaged cache "changes nothing but the speed").
extension TokenCache {
    /// What looking up a cache file found.
    enum Lookup {
        case found(Corpus)
        /// No file, or one made from an earlier version of the corpus's files:
        /// the ordinary reasons to tokenize, not worth a word.
        case absent
        /// A file that fails a check; why, in words (one line).
        case unusable(String)
    }

    /// The corpus in the cache file at `path`, when the file passes every check.
    /// `parallel`: scan the ids on every core.
    static func lookUp(at path: String, key: Key, arguments: [String], fileCount: Int, parallel: Bool) -> Lookup {
        let file: MappedFile
        do throws(FileError) { file = try MappedFile(path: path) } catch {
            if case .notFound = error { return .absent }
            return .unusable("it cannot be read (\(error))")
        }
        let bytes = file.bytes
        guard bytes.count >= Layout.preamble else { return .unusable("its header is cut short (\(bytes.count) bytes)") }
        guard Array(bytes[0..<8]) == Layout.magic else { return .unusable("it is not a charrnn token cache") }
        let version = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
        guard version == Layout.version else {
            return .unusable("it was written in format version \(version); this charrnn reads version \(Layout.version)")
        }
        let length = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 12, as: UInt32.self)))
        guard Layout.preamble + length <= bytes.count else {
            return .unusable("its header is cut short (\(bytes.count - Layout.preamble) of \(length) bytes)")
        }
        guard let header = try? JSONDecoder().decode(Header.self, from: Data(bytes[Layout.preamble..<(Layout.preamble + length)]))
        else { return .unusable("its header cannot be read") }
        if let mismatch = mismatch(header.key, key) { return mismatch }
        if let problem = problem(of: header, fileSize: bytes.count, dataOffset: Layout.dataOffset(headerLength: length)) {
            return .unusable(problem)
        }
        let vocabulary: Vocabulary
        do throws(VocabularyError) {
            vocabulary = try Vocabulary(tokens: header.vocabulary, mode: key.settings.mode, unknownID: header.unknownID)
        } catch {
            return .unusable("its vocabulary is not valid (\(error))")
        }
        let offset = Layout.dataOffset(headerLength: length)
        if let bad = IDScan.firstOutOfRange(bytes.baseAddress! + offset, count: header.count, width: header.width,
                                            bound: vocabulary.count, parallel: parallel) {
            return .unusable("id \(bad.id) at position \(bad.position) is outside the \(vocabulary.count)-character vocabulary")
        }
        let ids = TokenIDs(file: file, offset: offset, width: header.width, count: header.count)
        return .found(Corpus(settings: key.settings, vocabulary: vocabulary, ids: ids, counts: header.counts,
                             byteCount: header.byteCount, arguments: arguments, fileCount: fileCount, folding: header.folding,
                             sourceStarts: header.sourceStarts))
    }

    /// How a header's key differs from the one asked for: nil when they are the same, `.absent` when only the
    /// files' versions differ (an edited corpus), else why the file is someone else's.
    private static func mismatch(_ found: Key, _ wanted: Key) -> Lookup? {
        if found == wanted { return nil }
        if found.format != wanted.format { return .unusable("its header names format version \(found.format), not \(wanted.format)") }
        if found.files.map(\.path) != wanted.files.map(\.path) { return .unusable("it holds the ids of other files") }
        if found.settings != wanted.settings {
            return .unusable("it was made with other tokenizer settings (\(describe(found.settings)); this run reads \(describe(wanted.settings)))")
        }
        if found.policy != wanted.policy { return .unusable("it was made with another vocabulary policy (--min-count, --max-vocab)") }
        return .absent
    }

    private static func describe(_ s: TokenizerSettings) -> String {
        "\(s.mode.rawValue) mode" + (s.normalize ? "" : ", not normalized") + (s.lossy ? ", lossy" : "")
    }

    /// What is wrong with a header whose key is the one asked for, in a file of
    /// `fileSize` bytes whose ids start at `dataOffset`; nil when nothing is.
    /// Every product is checked for overflow: a header may hold any number.
    private static func problem(of h: Header, fileSize: Int, dataOffset: Int) -> String? {
        let v = h.vocabulary.count
        guard [1, 2, 4].contains(h.width), h.width == Layout.width(vocabularySize: v) else {
            return "its header says \(h.width) bytes per id for \(v) characters (\(Layout.width(vocabularySize: v)) expected)"
        }
        guard h.count >= 0, h.byteCount >= 0 else { return "its header's counts are negative" }
        let (idBytes, overflow) = h.width.multipliedReportingOverflow(by: h.count)
        guard !overflow, dataOffset <= fileSize, idBytes == fileSize - dataOffset else {
            return "it holds \(max(0, fileSize - dataOffset)) bytes of ids where its header says \(h.count) ids of \(h.width) byte\(h.width == 1 ? "" : "s")"
        }
        guard h.counts.count == v else { return "its header has \(h.counts.count) counts for \(v) characters" }
        var total = 0
        for n in h.counts {
            let (sum, overflow) = total.addingReportingOverflow(n)
            guard n >= 0, !overflow else { return "its header's counts are not counts" }
            total = sum
        }
        guard total == h.count else { return "its header's counts add up to \(total), not to its \(h.count) ids" }
        guard zip(h.sourceStarts, h.sourceStarts.dropFirst()).allSatisfy({ $0 <= $1 }),
              h.sourceStarts.allSatisfy({ (0...h.count).contains($0) }) else {
            return "its header's file starts are not positions in its ids"
        }
        return nil
    }
}
