import Files

/// A corpus file opened for reading in big sequential pieces: `RegularFile`
/// (which refuses FIFOs and devices) with the tokenizer's errors.
struct InputFile: ~Copyable {
    let path: String
    private let file: RegularFile
    /// Size from `fstat` (0 for /proc files, whose size isn't known).
    var sizeHint: Int { file.size }

    init(path: String) throws(TokenizerError) {
        self.path = path
        do throws(FileError) { file = try RegularFile(path: path) } catch { throw TokenizerError(error) }
    }

    /// Fills `buffer` from byte `offset` (any thread); fewer bytes only at the end of the file.
    func fill(_ buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(TokenizerError) -> Int {
        do throws(FileError) { return try file.fill(buffer, at: offset) } catch { throw TokenizerError(error) }
    }

    /// The file's identity and version (size, inode, times).
    var identity: RegularFile.Identity { file.identity }

    /// Fills `buffer` from the file; returns how many bytes it got, fewer than
    /// `buffer.count` only at the end of the file.
    func fill(_ buffer: UnsafeMutableRawBufferPointer) throws(TokenizerError) -> Int {
        do throws(FileError) { return try file.fill(buffer) } catch { throw TokenizerError(error) }
    }
}

extension TokenizerError {
    init(_ error: FileError) {
        switch error {
        case .notFound(let path): self = .fileNotFound(path: path)
        case .isDirectory(let path): self = .isDirectory(path: path)
        case .unreadable(let path, let reason): self = .unreadable(path: path, reason: reason)
        case .notRegular, .tooLarge, .symbolicLinkLoop: self = .notAFile(error.description)
        }
    }
}
