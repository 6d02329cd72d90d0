#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A file opened for reading that is known to be a regular file.
///
/// Every command reads its inputs (corpora, checkpoints, primes, texts to
/// score or show) through this one door, so that each gets the same answers:
/// a FIFO nobody writes to is refused instead of blocking forever in `open`,
/// a device such as /dev/zero is refused instead of being read without end,
/// and a size is known before anything is allocated for the content.
public struct RegularFile: ~Copyable {
    public let path: String
    /// `st_size`: the file's length, 0 for kernel files such as /proc/cpuinfo,
    /// whose length is only known by reading them.
    public let size: Int
    private let fd: Int32

    /// Opens `path` for reading, or says in words why it cannot be read.
    ///
    /// The path is checked with `stat` first, so that opening a device (with
    /// whatever side effect that has) never happens, and opened with
    /// `O_NONBLOCK`, so that a FIFO created between the check and the open
    /// cannot block it; `fstat` on the descriptor then decides.
    public init(path: String) throws(FileError) {
        self.path = path
        var info = stat()
        if stat(path, &info) != 0 { throw FileError(path: path, errno: errno) }
        if info.st_mode & S_IFMT == S_IFDIR { throw .isDirectory(path: path) }
        if let kind = FileError.Kind(nonRegular: info.st_mode) { throw .notRegular(path: path, kind: kind) }
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        if fd < 0 { throw FileError(path: path, errno: errno) }
        if fstat(fd, &info) != 0 {
            let code = errno
            close(fd)
            throw FileError(path: path, errno: code)
        }
        if info.st_mode & S_IFMT == S_IFDIR {
            close(fd)
            throw .isDirectory(path: path)
        }
        if let kind = FileError.Kind(nonRegular: info.st_mode) {
            close(fd)
            throw .notRegular(path: path, kind: kind)
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        self.fd = fd
        size = max(Int(info.st_size), 0)
    }

    deinit { close(fd) }

    /// Fills `buffer` from the current position; returns how many bytes it
    /// got, fewer than `buffer.count` only at the end of the file.
    public func fill(_ buffer: UnsafeMutableRawBufferPointer) throws(FileError) -> Int {
        try fill(buffer) { p, n, _ in read(fd, p, n) }
    }

    /// Fills `buffer` from byte `offset` of the file (`pread`: the position is
    /// left alone, so several threads may read one file); returns how many
    /// bytes it got, fewer than `buffer.count` only at the end of the file.
    public func fill(_ buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(FileError) -> Int {
        try fill(buffer) { p, n, done in pread(fd, p, n, off_t(offset + done)) }
    }

    /// Calls `readSome(destination, count, bytes so far)` until `buffer` is full or it returns 0 (the end).
    private func fill(_ buffer: UnsafeMutableRawBufferPointer,
                      _ readSome: (UnsafeMutableRawPointer, Int, Int) -> Int) throws(FileError) -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        var filled = 0
        while filled < buffer.count {
            let n = readSome(base + filled, buffer.count - filled, filled)
            if n == 0 { break }
            if n < 0 {
                let code = errno
                if code == EINTR { continue }
                throw FileError(path: path, errno: code)
            }
            filled += n
        }
        return filled
    }

    /// The file's identity and version: a changed file has another size, change time or inode.
    public var identity: Identity {
        var info = stat()
        _ = fstat(fd, &info)
        return Identity(size: Int(info.st_size), device: UInt64(info.st_dev), inode: UInt64(info.st_ino),
                        modified: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec),
                        changed: Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec))
    }

    /// What tells one version of a file from another without reading it.
    public struct Identity: Codable, Equatable, Hashable, Sendable {
        public var size: Int
        public var device: UInt64, inode: UInt64
        /// Modification and status-change times, nanoseconds since 1970.
        public var modified: Int64, changed: Int64
    }

    /// The rest of the file, refusing (before reading it) a file longer than
    /// `limit` bytes. Kernel files of unknown size are read in growing pieces,
    /// and refused as soon as they pass the limit.
    public func readAll(limit: Int) throws(FileError) -> [UInt8] {
        if size > limit { throw .tooLarge(path: path, size: size, limit: limit) }
        var bytes: [UInt8] = []
        var capacity = size + 1  // + 1 sees the end of the file without another call
        while true {
            let before = bytes.count
            bytes.reserveCapacity(capacity)
            var failure: FileError? = nil
            bytes.append(contentsOf: [UInt8](unsafeUninitializedCapacity: capacity - before) { buffer, count in
                do throws(FileError) { count = try fill(UnsafeMutableRawBufferPointer(buffer)) } catch { failure = error; count = 0 }
            })
            if let failure { throw failure }
            if bytes.count < capacity { return bytes }     // the end of the file
            if bytes.count > limit { throw .tooLarge(path: path, size: bytes.count, limit: limit) }
            capacity = min(capacity * 2, limit + 1)          // it grew while we read, or its size was unknown
        }
    }
}

/// Why an input file cannot be read, in words a user can act on.
public enum FileError: Error, Equatable, CustomStringConvertible, Sendable {
    case notFound(path: String)
    case isDirectory(path: String)
    /// A FIFO, socket or device: charrnn reads regular files only.
    case notRegular(path: String, kind: Kind)
    /// Exists but cannot be opened or read; `reason` is the system's word for it.
    case unreadable(path: String, reason: String)
    case tooLarge(path: String, size: Int, limit: Int)
    /// A directory reached again from inside itself through a symbolic link (`DirectoryWalk`).
    case symbolicLinkLoop(path: String)

    public enum Kind: String, Sendable {
        case fifo = "a FIFO (named pipe)", socket = "a socket"
        case characterDevice = "a character device", blockDevice = "a block device", other = "not a regular file"

        /// The kind of a file that is neither a regular file nor a directory, or nil.
        public init?(nonRegular mode: mode_t) {
            switch mode & S_IFMT {
            case S_IFREG, S_IFDIR: return nil
            case S_IFIFO: self = .fifo
            case S_IFSOCK: self = .socket
            case S_IFCHR: self = .characterDevice
            case S_IFBLK: self = .blockDevice
            default: self = .other
            }
        }
    }

    init(path: String, errno code: Int32) {
        switch code {
        case ENOENT: self = .notFound(path: path)
        case EISDIR: self = .isDirectory(path: path)
        default: self = .unreadable(path: path, reason: FileError.reason(code))
        }
    }

    public var description: String {
        switch self {
        case .notFound(let path): return "\(path): no such file"
        case .isDirectory(let path): return "\(path) is a directory, not a file"
        case .notRegular(let path, let kind):
            return "\(path) is \(kind.rawValue); charrnn reads regular files only (save the stream to a file first)"
        case .unreadable(let path, let reason): return "cannot read \(path): \(reason)"
        case .tooLarge(let path, let size, let limit):
            return "\(path) is too large (\(Self.megabytes(size)); at most \(Self.megabytes(limit)) fit in the memory available)"
        case .symbolicLinkLoop(let path):
            return "\(path) is a symbolic link loop: it leads back to a directory that contains it"
        }
    }

    /// The file the error is about.
    public var path: String {
        switch self {
        case .notFound(let p), .isDirectory(let p), .notRegular(let p, _), .unreadable(let p, _),
             .tooLarge(let p, _, _), .symbolicLinkLoop(let p):
            return p
        }
    }

    /// Why, without the path: for messages that name the file themselves.
    public var reason: String {
        switch self {
        case .notFound: return "no such file"
        case .isDirectory: return "it is a directory"
        case .notRegular(_, let kind): return "it is \(kind.rawValue), not a regular file"
        case .unreadable(_, let reason): return reason
        case .tooLarge(_, let size, let limit): return "it is too large (\(Self.megabytes(size)); at most \(Self.megabytes(limit)) fit in the memory available)"
        case .symbolicLinkLoop: return "it is a symbolic link loop (it leads back to a directory that contains it)"
        }
    }

    /// The system's message for an errno value, lowercased as it reads inside a sentence.
    public static func reason(_ code: Int32) -> String {
        guard let c = strerror(code) else { return "error \(code)" }
        let text = String(cString: c)
        return text.prefix(1).lowercased() + text.dropFirst()
    }

    static func megabytes(_ bytes: Int) -> String {
        bytes >= 10_000_000 ? "\(bytes / 1_000_000) MB" : "\(bytes) bytes"
    }
}
