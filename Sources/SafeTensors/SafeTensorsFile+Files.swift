import Files
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Files

extension SafeTensorsFile {
    /// Reads and decodes the file at `path` (see `decode`), refusing a file
    /// longer than `limit` bytes before reading it.
    public static func read(path: String, limit: Int = .max) throws(SafeTensorsError) -> SafeTensorsFile {
        try decode(readAll(path: path, limit: limit))
    }

    /// Only the metadata of the file at `path`: reads the header, never the
    /// tensors, so that it is cheap on a large file and bounded on any file.
    public static func readMetadata(path: String) throws(SafeTensorsError) -> [String: String] {
        let file: RegularFile
        do throws(FileError) { file = try RegularFile(path: path) } catch { throw SafeTensorsError(error) }
        var prefix = [UInt8](repeating: 0, count: 8)
        let n = try read(&prefix, from: file)
        guard n == 8 else { throw .fileTooShort(size: n) }
        var length: UInt64 = 0
        for i in 0..<8 { length |= UInt64(prefix[i]) << (8 * UInt64(i)) }
        guard length <= UInt64(maximumHeaderLength) else { throw .headerTooLarge(length: length) }
        var header = [UInt8](repeating: 0, count: Int(length))
        let got = try read(&header, from: file)
        guard got == header.count else { throw .headerPastEndOfFile(length: length, fileSize: 8 + got) }
        return try header.withUnsafeBufferPointer { (h) throws(SafeTensorsError) in
            guard String(validating: h, as: UTF8.self) != nil else { throw .headerNotUTF8 }
            return try Header.parse(h).metadata
        }
    }

    private static func read(_ bytes: inout [UInt8], from file: borrowing RegularFile) throws(SafeTensorsError) -> Int {
        var failure: FileError? = nil
        let n = bytes.withUnsafeMutableBytes { b in
            do throws(FileError) { return try file.fill(b) } catch { failure = error; return 0 }
        }
        if let failure { throw SafeTensorsError(failure) }
        return n
    }

    /// Writes the file atomically: encodes it, writes `path.tmp-<pid>` in the
    /// same directory, fsyncs it, renames it over `path`, then fsyncs the
    /// directory so that the rename itself is durable.
    ///
    /// A reader of `path` sees the old file or the new one, never a mixture.
    /// A failure at any step throws and removes the temporary file, leaving an
    /// existing file at `path` as it was. Only a process killed between the
    /// temporary file's creation and the rename leaves that temporary file
    /// behind (the previous file is still intact). The directory fsync is
    /// best-effort: some file systems refuse it, and by then the new file is
    /// already in place.
    ///
    /// Two writers of one path in the same process must not run concurrently
    /// (they would share the temporary name).
    public func write(path: String) throws(SafeTensorsError) {
        let bytes = try encode()
        let temporary = "\(path).tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { throw systemError(temporary, "create temporary file") }
        var descriptor: Int32? = fd
        func fail(_ error: SafeTensorsError) -> SafeTensorsError {
            if let d = descriptor { close(d) }
            unlink(temporary)
            return error
        }

        let fault = WriteFaultInjection.fault
        var written = 0
        while written < bytes.count {
            if fault == .write, written > 0 { throw fail(.io(path: temporary, operation: "write", message: "injected fault")) }
            // Chunked, so that an injected fault can land mid-file and no single call is huge.
            let chunk = min(bytes.count - written, 1 << 24)
            let n = bytes.withUnsafeBytes { systemWrite(fd, $0.baseAddress! + written, chunk) }
            if n < 0 {
                if errno == EINTR { continue }
                throw fail(systemError(temporary, "write"))
            }
            written += n
        }
        if fault == .write { throw fail(.io(path: temporary, operation: "write", message: "injected fault")) }
        if fsync(fd) != 0 { throw fail(systemError(temporary, "flush")) }
        descriptor = nil
        if close(fd) != 0 { throw fail(systemError(temporary, "close")) }
        if fault == .rename { throw fail(.io(path: path, operation: "replace", message: "injected fault")) }
        if rename(temporary, path) != 0 { throw fail(systemError(path, "replace")) }

        let directory = SafeTensorsFile.directory(of: path)
        let dfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            _ = fsync(dfd)
            close(dfd)
        }
    }

    /// The directory part of `path` ("." when it has none).
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// The whole content of the file at `path`: a regular file (a FIFO or a
    /// device is an error, never a hang or an endless read) of at most `limit` bytes.
    static func readAll(path: String, limit: Int = .max) throws(SafeTensorsError) -> [UInt8] {
        do throws(FileError) {
            let file = try RegularFile(path: path)
            return try file.readAll(limit: limit)
        } catch {
            throw SafeTensorsError(error)
        }
    }
}

extension SafeTensorsError {
    init(_ error: FileError) {
        switch error {
        case .notFound(let path): self = .io(path: path, operation: "open", message: String(cString: strerror(ENOENT)))
        case .isDirectory(let path): self = .io(path: path, operation: "read", message: "it is a directory")
        case .unreadable(let path, let reason): self = .io(path: path, operation: "read", message: reason)
        case .notRegular(let path, _), .tooLarge(let path, _, _), .symbolicLinkLoop(let path):
            self = .io(path: path, operation: "read", message: error.reason)
        }
    }
}

// The methods `read(path:)` and `write(path:)` shadow the C calls inside the extension.
private func systemWrite(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int { write(fd, p, n) }
private func systemRead(_ fd: Int32, _ p: UnsafeMutableRawPointer, _ n: Int) -> Int { read(fd, p, n) }

/// `operation` on `path` failed with the current `errno`.
func systemError(_ path: String, _ operation: String) -> SafeTensorsError {
    .io(path: path, operation: operation, message: String(cString: strerror(errno)))
}

/// Lets tests make `write(path:)` fail at a chosen step, per task, so that
/// the clean-up paths are exercised without needing an unwritable disk.
enum WriteFaultInjection {
    enum Fault: Sendable { case write, rename }
    @TaskLocal static var fault: Fault?
}
