import Files

/// The files a corpus is read from, found from the paths a user gives
/// (`charrnn train PATH...`, `vocab`, `eval`): files and directories, in the
/// order given, each directory walked as `DirectoryWalk` says (sorted, depth
/// first, symbolic links followed, hidden entries left out).
///
/// A file found in a directory is read only if it looks like text: its first
/// `sniffLength` bytes hold no NUL byte and are valid UTF-8 (a sequence cut by
/// that limit counts as valid). This is the check the reader itself makes
/// (`UTF8Validation`), on the head only, so a file that is text at the start
/// and has a bad byte later still stops the run with the reader's error
/// naming the byte (or is repaired under `--lossy`). The test is the same in
/// every tokenizer mode. A file named directly is never tested: it is read
/// whatever it holds, as it always was.
public struct CorpusFiles: Equatable, Sendable {
    /// The paths as given.
    public let arguments: [String]
    /// The files to read, in order.
    public let files: [String]
    /// Entries left out below the directories given, by reason.
    public let hidden: Int, notText: Int, notRegular: Int

    /// Bytes at the head of a file found in a directory that decide whether it is text.
    public static let sniffLength = 8192

    public init(arguments: [String], files: [String], hidden: Int = 0, notText: Int = 0, notRegular: Int = 0) {
        self.arguments = arguments
        self.files = files
        self.hidden = hidden
        self.notText = notText
        self.notRegular = notRegular
    }

    /// Finds the files `paths` name. Throws for a path that cannot be read, a
    /// symbolic link loop, and when nothing is left to read (an empty directory,
    /// or one of binary files only).
    public static func find(_ paths: [String]) throws(TokenizerError) -> CorpusFiles {
        precondition(!paths.isEmpty, "at least one path")
        var files: [String] = []
        var hidden = 0, notText = 0, notRegular = 0
        for path in paths {
            let walk: DirectoryWalk
            do throws(FileError) { walk = try DirectoryWalk(path: path) } catch { throw TokenizerError(error) }
            hidden += walk.hidden
            notRegular += walk.notRegular
            if !walk.isDirectory {  // named directly
                files.append(path)
                continue
            }
            for file in walk.files {
                if try looksLikeText(file) { files.append(file) } else { notText += 1 }
            }
        }
        let found = CorpusFiles(arguments: paths, files: files, hidden: hidden, notText: notText, notRegular: notRegular)
        if files.isEmpty {
            let named = paths.count == 1 ? "\(paths[0]) holds" : "the \(paths.count) paths given hold"
            throw .noTextFiles(found.skipped.map { "\(named) no text files to read: skipped \($0)" } ?? "\(named) no files")
        }
        return found
    }

    /// What was left out and why, as a phrase ("3 files: 2 hidden (…), 1 not text (…)"), or nil.
    public var skipped: String? {
        var reasons: [String] = []
        if hidden > 0 { reasons.append("\(hidden) hidden (name starts with \".\")") }
        if notText > 0 { reasons.append("\(notText) not text (a NUL byte or invalid UTF-8 in the first \(Self.sniffLength / 1024) KB)") }
        if notRegular > 0 { reasons.append("\(notRegular) not regular files (FIFOs, sockets, devices)") }
        let total = hidden + notText + notRegular
        return reasons.isEmpty ? nil : "\(total) entr\(total == 1 ? "y" : "ies"): " + reasons.joined(separator: ", ")
    }

    /// The one-line notice for what was left out, or nil when nothing was.
    public var notice: String? { skipped.map { "skipped \($0)" } }

    /// Whether the head of `path` holds no NUL byte and valid UTF-8.
    static func looksLikeText(_ path: String) throws(TokenizerError) -> Bool {
        let file = try InputFile(path: path)
        var head = [UInt8](repeating: 0, count: sniffLength)
        let n = try rethrowingTokenizerError { try head.withUnsafeMutableBytes { b in try file.fill(b) } }
        if head[..<n].contains(0) { return false }
        var scratch: [UInt8] = []
        scratch.reserveCapacity(n)
        do throws(TokenizerError) {
            _ = try head.withUnsafeBufferPointer { (b) throws(TokenizerError) in
                try UTF8Validation.validate(UnsafeBufferPointer(rebasing: b[..<n]), isFinal: n < sniffLength, lossy: false,
                                            baseOffset: 0, path: path, into: &scratch)
            }
        } catch {
            if case .invalidUTF8 = error { return false }
            throw error
        }
        return true
    }

    /// The default name of a run on these inputs: the first path's last
    /// component without its extension (as for a single file), and `+N` when
    /// N more paths were given ("poems+2").
    public var runName: String { CorpusFiles.runName(for: arguments) }

    public static func runName(for paths: [String]) -> String {
        guard let first = paths.first else { return "corpus" }
        var name = lastComponent(first)
        if let dot = name.lastIndex(of: "."), dot != name.startIndex { name = String(name[..<dot]) }
        if name.isEmpty || name == "." || name == ".." { name = "corpus" }
        return paths.count > 1 ? "\(name)+\(paths.count - 1)" : name
    }

    private static func lastComponent(_ path: String) -> String {
        var p = Substring(path)
        while p.count > 1, p.hasSuffix("/") { p = p.dropLast() }
        if p == "/" { return "" }
        return String(p.split(separator: "/", omittingEmptySubsequences: true).last ?? "")
    }
}

/// What a run read: recorded in its checkpoints (`training.inputs`), shown by
/// `charrnn info`, and compared on `--resume` and by `eval`'s baselines.
public struct CorpusInputs: Codable, Equatable, Sendable {
    public var paths: [String]      // as given
    public var files: Int           // files read
    public var bytes: Int           // their bytes (byte order marks excluded)
    public var characters: Int      // tokens of the joined text, separators included
    /// The text's token ids' `TokenIDs.fingerprint`, which tells an edit that keeps the counts (a typo
    /// fixed) from the text trained on; nil in checkpoints written before it was recorded.
    public var fingerprint: String?

    public init(paths: [String], files: Int, bytes: Int, characters: Int, fingerprint: String? = nil) {
        self.paths = paths
        self.files = files
        self.bytes = bytes
        self.characters = characters
        self.fingerprint = fingerprint
    }

    /// "3 files, 1204 bytes, 1190 characters".
    public var summary: String {
        "\(files) file\(files == 1 ? "" : "s"), \(bytes) bytes, \(characters) characters"
    }

    /// These inputs with the fingerprint of their ids.
    public func fingerprinted(_ ids: TokenIDs) -> CorpusInputs {
        var inputs = self
        inputs.fingerprint = ids.fingerprint
        return inputs
    }

    /// Why `now` is not the text these inputs record (one clause: "1 file, 90 bytes, 90 characters then,
    /// 1 file, 91 bytes, 91 characters now", or that the counts agree and the text does not), or nil when
    /// it is. Fingerprints are compared when both have one.
    public func difference(from now: CorpusInputs) -> String? {
        if (files, bytes, characters) != (now.files, now.bytes, now.characters) { return "\(summary) then, \(now.summary) now" }
        if let then = fingerprint, let other = now.fingerprint, then != other {
            return "\(summary) then and now, but other text: edited since (token fingerprint \(then) then, \(other) now)"
        }
        return nil
    }
}
