#if canImport(Glibc)
import Glibc
#endif
import Files

/// The 64-bit hashes of a run's training documents, kept beside its
/// checkpoints so that `charrnn sample --novel` can tell a generated document
/// that occurs in the training split from a new one.
///
/// The hash is FNV-1a 64 over the document's UTF-8 bytes (as `Vocabulary.bytes`
/// gives them; U+FFFD for `<unk>`): stable across processes, machines and
/// Swift versions, unlike `Hasher`, which is seeded per process.
///
/// The file (little-endian):
///
///     bytes 0..<8    magic "charrnnH"
///     bytes 8..<16   N, the number of hashes (UInt64)
///     then N UInt64  the distinct hashes, ascending
///
/// It is written to a temporary name, flushed and renamed, as checkpoints are.
public struct DocumentHashes: Equatable, Sendable {
    /// Distinct, ascending.
    public let values: [UInt64]

    public static let magic: [UInt8] = Array("charrnnH".utf8)
    static let headerSize = 16

    /// The distinct values of `hashes`, sorted.
    public init(_ hashes: [UInt64]) {
        var sorted = hashes.sorted()
        var kept = 0
        for h in sorted where kept == 0 || sorted[kept - 1] != h {
            sorted[kept] = h
            kept += 1
        }
        values = Array(sorted[..<kept])
    }

    public var count: Int { values.count }

    /// Whether a document with this hash is among them (binary search).
    public func contains(_ hash: UInt64) -> Bool {
        var low = 0, high = values.count
        while low < high {
            let mid = (low + high) / 2
            if values[mid] < hash { low = mid + 1 } else { high = mid }
        }
        return low < values.count && values[low] == hash
    }

    // MARK: FNV-1a 64

    public static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    public static let prime: UInt64 = 0x0000_0100_0000_01b3

    /// FNV-1a 64 of `bytes`, continuing from `hash` (the offset basis to start).
    @inline(__always)
    public static func fnv1a(_ bytes: some Sequence<UInt8>, continuing hash: UInt64 = offsetBasis) -> UInt64 {
        var h = hash
        for b in bytes { h = (h ^ UInt64(b)) &* prime }
        return h
    }

    /// The hash of the text of `ids` (each id's bytes from `tokenBytes`, indexed by id).
    public static func hash(_ ids: UnsafeBufferPointer<Int32>, tokenBytes: [[UInt8]]) -> UInt64 {
        var h = offsetBasis
        for id in ids { h = fnv1a(tokenBytes[Int(id)], continuing: h) }
        return h
    }

    // MARK: The file

    /// The file's bytes.
    public var encoded: [UInt8] {
        var bytes = Self.magic
        bytes.reserveCapacity(Self.headerSize + 8 * values.count)
        func append(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
        append(UInt64(values.count))
        for v in values { append(v) }
        return bytes
    }

    /// Reads and checks the file at `path`: its magic, its length, its order.
    public static func read(path: String) throws(DocumentHashesError) -> DocumentHashes {
        let bytes: [UInt8]
        do throws(FileError) {
            bytes = try RegularFile(path: path).readAll(limit: SystemMemory.availableBytes.map { $0 / 2 } ?? .max)
        } catch {
            if case .notFound = error { throw .missing(path: path) }
            throw .unreadable(path: path, reason: error.reason)
        }
        guard bytes.count >= headerSize, bytes.prefix(8).elementsEqual(magic) else {
            throw .damaged(path: path, reason: "it does not start with the document-hash header")
        }
        func word(_ i: Int) -> UInt64 {
            var v: UInt64 = 0
            for k in 0..<8 { v |= UInt64(bytes[i + k]) << (8 * UInt64(k)) }
            return v
        }
        let n = word(8)
        guard n <= UInt64((bytes.count - headerSize) / 8), headerSize + 8 * Int(n) == bytes.count else {
            throw .damaged(path: path, reason: "it is \(bytes.count) bytes long but says it holds \(n) hashes")
        }
        var values: [UInt64] = []
        values.reserveCapacity(Int(n))
        for i in 0..<Int(n) {
            let v = word(headerSize + 8 * i)
            if let last = values.last, v <= last { throw .damaged(path: path, reason: "its hashes are not in ascending order") }
            values.append(v)
        }
        return DocumentHashes(sortedDistinct: values)
    }

    private init(sortedDistinct values: [UInt64]) { self.values = values }

    /// Writes the file atomically: a temporary file, flushed, renamed over `path`.
    public func write(to path: String) throws(DocumentHashesError) {
        let bytes = encoded
        let temporary = "\(path).tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { throw .unwritable(path: path, reason: FileError.reason(errno)) }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, bytes.count - written) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 {
                let reason = FileError.reason(errno)
                close(fd)
                unlink(temporary)
                throw .unwritable(path: path, reason: reason)
            }
            written += n
        }
        let flushed = fsync(fd) == 0
        let reason = FileError.reason(errno)
        if close(fd) != 0 || !flushed || rename(temporary, path) != 0 {
            let why = flushed ? FileError.reason(errno) : reason
            unlink(temporary)
            throw .unwritable(path: path, reason: why)
        }
    }
}

/// Why the document hashes could not be read or written; one line each.
public enum DocumentHashesError: Error, Equatable, CustomStringConvertible, Sendable {
    case missing(path: String)
    case unreadable(path: String, reason: String)
    case damaged(path: String, reason: String)
    case unwritable(path: String, reason: String)

    public var description: String {
        switch self {
        case .missing(let path):
            return "\(path) is missing: --novel needs the training documents' hashes that `charrnn train --documents` writes beside the checkpoint"
        case .unreadable(let path, let reason): return "cannot read \(path): \(reason)"
        case .damaged(let path, let reason): return "\(path) is damaged: \(reason) (train again, or resume the run, to rewrite it)"
        case .unwritable(let path, let reason): return "cannot write \(path): \(reason)"
        }
    }
}
