import Files
/// Why a text could not be turned into tokens. Each description is one line
/// that a user can act on, naming the file where there is one.
public enum TokenizerError: Error, Equatable, CustomStringConvertible, Sendable {
    case fileNotFound(path: String)
    case isDirectory(path: String)
    /// The file exists but could not be opened or read; `reason` is the system's word for it.
    case unreadable(path: String, reason: String)
    /// A FIFO, socket or device (the message names which): only regular files are read.
    case notAFile(String)
    /// Tokenizing the file would need more memory than is available.
    case tooLarge(path: String, bytes: Int, needed: Int, available: Int)
    /// The file has no bytes (or only a byte order mark).
    case emptyFile(path: String)
    /// Bytes that are not UTF-8 at `offset` (counted from the start of the file,
    /// byte order mark included). `path` is nil for bytes that came from memory.
    case invalidUTF8(path: String?, offset: Int)
    /// Nothing to read below the paths given (an empty directory, or one of binary files only); the message says why.
    case noTextFiles(String)
    /// The files given hold no text at all (each is empty).
    case noText(paths: [String])
    /// A vocabulary policy that keeps no character of the corpus; the message says why.
    case nothingKept(String)
    /// The token cache cannot be written or read back; the message says where and why.
    case cache(String)
    /// An ICU call failed; the associated value is ICU's error name (`U_MEMORY_ALLOCATION_ERROR`).
    case icuFailure(String)

    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "\(path): no such file"
        case .isDirectory(let path):
            return "\(path) is a directory, not a text file"
        case .unreadable(let path, let reason):
            return "cannot read \(path): \(reason)"
        case .notAFile(let message):
            return message
        case .tooLarge(let path, let bytes, let needed, let available):
            return "\(path) (\(SystemMemory.describe(bytes))) needs about \(needed == .max ? "more than \(SystemMemory.describe(.max))" : SystemMemory.describe(needed)) of memory to read; \(SystemMemory.describe(available)) is available"
        case .emptyFile(let path):
            return "\(path) is empty"
        case .invalidUTF8(let path, let offset):
            let prefix = path.map { "\($0): " } ?? ""
            return "\(prefix)invalid UTF-8 at byte \(offset); use --lossy to replace invalid bytes with U+FFFD (or read the file as bytes: --tokenizer byte for train, --mode byte for vocab)"
        case .noTextFiles(let message):
            return message
        case .noText(let paths):
            return "\(paths.count == 1 ? paths[0] : "the \(paths.count) paths given") hold\(paths.count == 1 ? "s" : "") no text: every file is empty"
        case .nothingKept(let message), .cache(let message):
            return message
        case .icuFailure(let name):
            return "ICU failed (\(name)) while splitting text into characters"
        }
    }
}

/// Runs `body` inside an API that only `rethrows` (untyped), keeping the error's type.
@inline(__always)
func rethrowingTokenizerError<R>(_ body: () throws -> R) throws(TokenizerError) -> R {
    do {
        return try body()
    } catch let error as TokenizerError {
        throw error
    } catch {
        preconditionFailure("only TokenizerError is thrown here: \(error)")
    }
}
