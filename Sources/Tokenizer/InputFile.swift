#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A file opened for reading in big sequential pieces, with errors a user understands.
struct InputFile: ~Copyable {
    let path: String
    private let fd: Int32
    /// Size from `fstat` for a regular file (0 for pipes and /proc files, whose size isn't known).
    let sizeHint: Int

    init(path: String) throws(TokenizerError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let code = errno
            switch code {
            case ENOENT: throw .fileNotFound(path: path)
            case EISDIR: throw .isDirectory(path: path)
            default: throw .unreadable(path: path, reason: Self.reason(code))
            }
        }
        var info = stat()
        if fstat(fd, &info) != 0 {
            let code = errno
            close(fd)
            throw .unreadable(path: path, reason: Self.reason(code))
        }
        if info.st_mode & S_IFMT == S_IFDIR {
            close(fd)
            throw .isDirectory(path: path)
        }
        self.fd = fd
        sizeHint = info.st_mode & S_IFMT == S_IFREG ? Int(info.st_size) : 0
    }

    deinit { close(fd) }

    /// Fills `buffer` from the file; returns how many bytes it got, fewer than
    /// `buffer.count` only at the end of the file.
    func fill(_ buffer: UnsafeMutableRawBufferPointer) throws(TokenizerError) -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        var filled = 0
        while filled < buffer.count {
            let n = read(fd, base + filled, buffer.count - filled)
            if n == 0 { break }
            if n < 0 {
                let code = errno
                if code == EINTR { continue }
                if code == EISDIR { throw .isDirectory(path: path) }
                throw .unreadable(path: path, reason: Self.reason(code))
            }
            filled += n
        }
        return filled
    }

    /// The system's message for an errno value, lowercased the way it reads inside a sentence.
    static func reason(_ code: Int32) -> String {
        guard let c = strerror(code) else { return "error \(code)" }
        let text = String(cString: c)
        return text.prefix(1).lowercased() + text.dropFirst()
    }
}
