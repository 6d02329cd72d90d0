#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A regular file mapped read-only into memory (`mmap`, shared, file-backed):
/// its pages are the kernel's page cache, read on demand and dropped under
/// memory pressure, so a mapping larger than the memory left costs no
/// anonymous memory at all. The mapping lives as long as the object.
///
/// A file shortened while mapped makes reads past its new end fault (SIGBUS):
/// map only files this process wrote and nobody else edits (charrnn's token
/// caches), never a user's input.
public final class MappedFile: @unchecked Sendable {
    public let path: String
    /// The mapped bytes (the whole file); empty for an empty file.
    public let bytes: UnsafeRawBufferPointer
    private let base: UnsafeMutableRawPointer?

    public init(path: String) throws(FileError) {
        self.path = path
        let file = try RegularFile(path: path)
        let size = file.size
        guard size > 0 else {
            base = nil
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw FileError(path: path, errno: errno) }
        defer { close(fd) }  // the mapping keeps the file
        guard let p = mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0), p != MAP_FAILED else {
            throw FileError(path: path, errno: errno)
        }
        base = p
        bytes = UnsafeRawBufferPointer(start: p, count: size)
    }

    deinit {
        if let base { munmap(base, bytes.count) }
    }
}
