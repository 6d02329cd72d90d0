#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Files

extension SafeTensorsFile {
    /// Reads and decodes the file at `path` (see `decode`).
    public static func read(path: String) throws(SafeTensorsError) -> SafeTensorsFile {
        try decode(readAll(path: path))
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

    /// The whole content of the file at `path`.
    static func readAll(path: String) throws(SafeTensorsError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw systemError(path, "open") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw systemError(path, "read") }
        if (info.st_mode & S_IFMT) == S_IFDIR { throw .io(path: path, operation: "read", message: "it is a directory") }

        var bytes: [UInt8] = []
        var capacity = max(Int(info.st_size), 0) + 1  // +1 to see the end of file without another call
        while true {
            bytes.reserveCapacity(capacity)
            let before = bytes.count
            var failure: Int32 = 0
            bytes.append(contentsOf: [UInt8](unsafeUninitializedCapacity: capacity - before) { buffer, count in
                count = 0
                while count < buffer.count {
                    let n = systemRead(fd, buffer.baseAddress! + count, buffer.count - count)
                    if n < 0 { if errno == EINTR { continue }; failure = errno; return }
                    if n == 0 { return }
                    count += n
                }
            })
            if failure != 0 { throw .io(path: path, operation: "read", message: String(cString: strerror(failure))) }
            if bytes.count < capacity { return bytes }   // hit the end of file
            capacity *= 2  // the file grew while we read it
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
