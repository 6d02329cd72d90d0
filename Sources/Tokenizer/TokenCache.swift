#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
import Files
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A corpus's token ids kept on disk, so that a text is tokenized once and a
/// corpus larger than memory trains from a memory mapping (page cache, which
/// the kernel reads on demand and drops under pressure) instead of an array.
///
/// One file per corpus (the files, in order, as absolute paths), tokenizer
/// settings and folding policy, named by a hash of them in `directory`. It
/// records each file's identity (size, inode, modification and change times):
/// a file edited since, or anything else that does not match, is tokenized
/// again and the cache file replaced. Building one tokenizes on every core
/// (`ParallelTokenizer`), writes each piece's local ids to a scratch file in
/// the narrowest width that holds them, then turns them into vocabulary ids, in parallel,
/// in the smallest width that holds the vocabulary (1, 2 or 4 bytes). Neither
/// step holds the text or its ids in memory, only a few pieces at a time. The
/// finished file replaces the old one by a rename, so a reader never sees a
/// half-written cache. Reading one checks everything in it, every id
/// included (`TokenCache+Reading.swift`): a damaged file is tokenized again.
///
/// Layout (`Layout`): the 8 bytes "CHARRNNT", a UInt32 format version and a
/// UInt32 header length (little-endian), the header (JSON: `Header`), zeros
/// up to a multiple of 4,096 bytes, then the ids, little-endian.
public struct TokenCache: Sendable {
    public let directory: String
    public let threads: Int
    /// Told, in one line, why a cache file that is there is not used (a damaged
    /// or foreign file; see `lookUp`); the command line prints it on stderr.
    public let notify: (@Sendable (String) -> Void)?

    public init(directory: String, threads: Int? = nil, notify: (@Sendable (String) -> Void)? = nil) {
        self.directory = directory
        self.threads = threads ?? ParallelTokenizer.processors
        self.notify = notify
    }

    /// Whether the ids were read from the cache or made now.
    public enum Outcome: Equatable, Sendable {
        case reused(path: String)
        case built(path: String)
    }

    /// The corpus of `files`, from the cache when it holds it, else tokenized
    /// and written to it. The ids are mapped from the cache file.
    ///
    /// - Throws: `TokenizerError` for the text (as `Corpus.load`), and
    ///   `.cache` when the cache cannot be written (a read-only or full disk):
    ///   the caller may then load the corpus into memory instead.
    public func corpus(files: CorpusFiles, settings: TokenizerSettings,
                       policy: VocabularyPolicy = VocabularyPolicy()) throws(TokenizerError) -> (Corpus, Outcome) {
        try corpus(files: files, settings: settings, policy: policy, pieceSize: ParallelTokenizer.defaultPieceSize)
    }

    func corpus(files: CorpusFiles, settings: TokenizerSettings, policy: VocabularyPolicy,
                pieceSize: Int) throws(TokenizerError) -> (Corpus, Outcome) {
        let key = try Key(files: files.files, settings: settings, policy: policy)
        let path = directory + "/" + key.fileName
        Self.removeLeftovers(of: path)
        let lookUp = { Self.lookUp(at: path, key: key, arguments: files.arguments, fileCount: files.files.count,
                                   parallel: threads > 1) }
        switch lookUp() {
        case .found(let corpus): return (corpus, .reused(path: path))
        case .unusable(let why): notify?("token cache \(path) cannot be used: \(why); the corpus is tokenized again")
        case .absent: break
        }
        try build(path: path, key: key, files: files, pieceSize: pieceSize)
        switch lookUp() {
        case .found(let corpus): return (corpus, .built(path: path))
        case .unusable(let why): throw .cache("\(path): the token cache just written cannot be read back: \(why)")
        case .absent: throw .cache("\(path): the token cache just written cannot be read back")
        }
    }

    // MARK: Key and header

    /// What a cache file holds the ids of.
    struct Key: Codable, Equatable {
        var format = Layout.version
        var files: [File]
        var settings: TokenizerSettings
        var policy: VocabularyPolicy

        struct File: Codable, Equatable {
            var path: String                    // absolute, symbolic links resolved
            var identity: RegularFile.Identity  // this version of it
        }

        init(files paths: [String], settings: TokenizerSettings, policy: VocabularyPolicy) throws(TokenizerError) {
            var files: [File] = []
            for path in paths {
                let file = try InputFile(path: path)
                let absolute = realpath(path, nil).map { p in defer { free(p) }; return String(cString: p) } ?? path
                files.append(File(path: absolute, identity: file.identity))
            }
            self.files = files
            self.settings = settings
            self.policy = policy
        }

        /// The cache file's name: a hash of what the ids are of, without the
        /// files' versions, so that a changed file replaces its old cache.
        var fileName: String {
            var h: UInt64 = 0xCBF2_9CE4_8422_2325  // FNV-1a 64
            func mix(_ s: String) { for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }; h = (h ^ 0xFF) &* 0x0000_0100_0000_01B3 }
            files.forEach { mix($0.path) }
            mix("\(settings.mode.rawValue) \(settings.normalize) \(settings.lossy)")
            mix("\(policy.minCount ?? -1) \(policy.maxCharacters ?? -1) \(format)")
            return String(h, radix: 16) + ".tokens"
        }
    }

    /// The cache file's header.
    struct Header: Codable {
        var key: Key
        var width: Int, count: Int
        var vocabulary: [String]
        var unknownID: Int32?
        var counts: [Int]
        var folding: VocabularyFolding?
        var byteCount: Int
        var sourceStarts: [Int]
    }

    /// The file's fixed parts.
    enum Layout {
        static let magic = Array("CHARRNNT".utf8)
        static let version: Int = 2
        static let preamble = 16
        static let alignment = 4096
        /// Bytes per id for a vocabulary of `count` tokens.
        static func width(vocabularySize count: Int) -> Int { count <= 256 ? 1 : count <= 65536 ? 2 : 4 }
        static func dataOffset(headerLength: Int) -> Int { (preamble + headerLength + alignment - 1) / alignment * alignment }
    }

    // MARK: Building

    private func build(path: String, key: Key, files: CorpusFiles, pieceSize: Int) throws(TokenizerError) {
        try Self.makeDirectory(directory)
        let scratchPath = path + ".scratch-\(getpid())"
        let outputPath = path + ".tmp-\(getpid())"
        defer { unlink(scratchPath); unlink(outputPath) }

        // 1. Tokenize on every core; each piece's local ids go to the scratch file, in the width that holds them.
        let scratch = open(scratchPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        if scratch < 0 { throw Self.cacheError(scratchPath, errno) }
        var scratchOpen = true
        defer { if scratchOpen { close(scratch) } }
        var widths: [Int] = []
        var writeError: Int32? = nil
        let tokenizer = ParallelTokenizer(settings: key.settings, threads: threads, pieceSize: pieceSize)
        let run = try tokenizer.run(paths: files.files, named: files.arguments, encode: PieceIDs.init, consume: { piece in
            widths.append(piece.width)
            if writeError == nil { writeError = Self.writeAll(piece.bytes, to: scratch) }
        })
        if let code = writeError { throw Self.cacheError(scratchPath, code) }
        guard let tokens = run else {  // a kernel file: read it into memory, cache it from there
            throw .cache("\(files.arguments.joined(separator: " ")): a file whose size is only known by reading it is not cached")
        }
        close(scratch)
        scratchOpen = false
        let built = try Corpus.Built(tokens, settings: key.settings, policy: key.policy)

        // 2. Vocabulary ids in the final width, piece by piece in parallel.
        let width = Layout.width(vocabularySize: built.vocabulary.count)
        let count = tokens.idCount
        let header = Header(key: key, width: width, count: count, vocabulary: built.vocabulary.tokens,
                            unknownID: built.vocabulary.unknownID, counts: built.counts, folding: built.folding,
                            byteCount: tokens.byteCount, sourceStarts: tokens.sourceStarts)
        let json: Data
        do { json = try JSONEncoder().encode(header) } catch { throw .cache("\(path): \(error)") }
        let dataOffset = Layout.dataOffset(headerLength: json.count)
        let source: MappedFile
        do throws(FileError) { source = try MappedFile(path: scratchPath) } catch {
            throw .cache("cannot read the token cache's scratch file \(error.path): \(error.reason)")
        }
        let output = open(outputPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if output < 0 { throw Self.cacheError(outputPath, errno) }
        defer { close(output) }
        var head = [UInt8](repeating: 0, count: dataOffset)
        head.replaceSubrange(0..<8, with: Layout.magic)
        withUnsafeBytes(of: UInt32(Layout.version).littleEndian) { head.replaceSubrange(8..<12, with: $0) }
        withUnsafeBytes(of: UInt32(json.count).littleEndian) { head.replaceSubrange(12..<16, with: $0) }
        head.replaceSubrange(Layout.preamble..<(Layout.preamble + json.count), with: json)
        if let code = Self.writeAll(head, to: output, at: 0) { throw Self.cacheError(outputPath, code) }
        var scratchStarts = [0], idStarts = [0]
        for (k, piece) in tokens.pieces.enumerated() {
            scratchStarts.append(scratchStarts[k] + widths[k] * piece.count)
            idStarts.append(idStarts[k] + piece.count)
        }
        let job = Finish(source: source, output: output, dataOffset: dataOffset, width: width, tables: built.tables,
                         pieces: tokens.pieces.map(\.worker), widths: widths, scratchStarts: scratchStarts, idStarts: idStarts)
        let codes = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, tokens.pieces.count))  // each piece's errno, or 0
        defer { codes.deallocate() }
        codes.initialize(repeating: 0, count: max(1, tokens.pieces.count))
        let slots = UnsafeMutableSendablePointer(codes)
        DispatchQueue.concurrentPerform(iterations: tokens.pieces.count) { k in slots.pointer![k] = job.piece(k) ?? 0 }
        if let code = (0..<tokens.pieces.count).lazy.map({ codes[$0] }).first(where: { $0 != 0 }) {
            throw Self.cacheError(outputPath, code)
        }

        // 3. In place of the old one, whole.
        if rename(outputPath, path) != 0 { throw Self.cacheError(path, errno) }
    }

    /// Step 2 of a build: one piece's local ids (scratch) → vocabulary ids (output).
    /// Written with `pwrite` rather than through a mapping: whole pages land
    /// in the page cache without being read (zeroed) first.
    private struct Finish: Sendable {
        let source: MappedFile, output: Int32
        let dataOffset: Int, width: Int
        let tables: [[Int32]], pieces: [Int], widths: [Int]
        let scratchStarts: [Int], idStarts: [Int]

        /// Maps piece `k` and writes it; the errno of a failed write, else nil.
        func piece(_ k: Int) -> Int32? {
            let input = UnsafeRawPointer(source.bytes.baseAddress!) + scratchStarts[k]
            let n = idStarts[k + 1] - idStarts[k]
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, width * n), alignment: 16)
            defer { buffer.deallocate() }
            let out = buffer.baseAddress!
            PieceIDs.map(input, width: widths[k], count: n, through: tables[pieces[k]], into: out, width: width)
            return TokenCache.writeAll(UnsafeRawBufferPointer(rebasing: buffer[..<(width * n)]), to: output,
                                       at: dataOffset + width * idStarts[k])
        }
    }

    /// Writes all of `bytes` (at `offset`, else at the file's position); the errno of a failure, else nil.
    static func writeAll(_ bytes: UnsafeRawBufferPointer, to fd: Int32, at offset: Int? = nil) -> Int32? {
        guard let base = bytes.baseAddress else { return nil }
        var done = 0
        while done < bytes.count {
            let n = offset.map { pwrite(fd, base + done, bytes.count - done, off_t($0 + done)) }
                ?? write(fd, base + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                return errno
            }
            if n == 0 { return EIO }
            done += n
        }
        return nil
    }

    static func writeAll(_ bytes: [UInt8], to fd: Int32, at offset: Int? = nil) -> Int32? {
        bytes.withUnsafeBytes { writeAll($0, to: fd, at: offset) }
    }


    /// Removes the scratch and unfinished files that a build of `path` killed
    /// before its cleanup left behind (`<name>.scratch-PID`, `<name>.tmp-PID`
    /// of a process that no longer runs), whenever the cache is looked up; a
    /// running build's files stay.
    static func removeLeftovers(of path: String) {
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for entry in entries {
            for infix in [".scratch-", ".tmp-"] where entry.hasPrefix(name + infix) {
                guard let pid = Int32(entry.dropFirst(name.count + infix.count)), pid > 0,
                      kill(pid, 0) != 0 && errno == ESRCH else { continue }
                unlink(folder + "/" + entry)
            }
        }
    }

    /// Creates `path` and its parents as needed.
    static func makeDirectory(_ path: String) throws(TokenizerError) {
        var partial = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            partial += "/" + part
            if mkdir(partial, 0o755) != 0 && errno != EEXIST { throw cacheError(partial, errno) }
        }
        var info = stat()
        if stat(path, &info) != 0 || info.st_mode & S_IFMT != S_IFDIR {
            throw .cache("cannot write the token cache in \(path): it is not a directory")
        }
    }

    private static func cacheError(_ path: String, _ code: Int32) -> TokenizerError {
        .cache("cannot write the token cache \(path): \(FileError.reason(code))")
    }
}
