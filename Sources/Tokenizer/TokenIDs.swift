import Files

/// A corpus's token ids, read-only: an array in memory, or a token cache's
/// ids mapped from disk (`TokenCache`) in the smallest width that holds the
/// vocabulary: 1, 2 or 4 bytes per id. A mapped corpus costs page cache, not
/// anonymous memory, whatever its size.
///
/// Copying a `TokenIDs` shares the storage. Readers that touch every id use
/// `copy(_:into:)` or `forEachChunk`, which widen a run at a time; the
/// subscript is for the odd single id.
public struct TokenIDs: RandomAccessCollection, Sendable {
    private enum Storage: Sendable {
        case array([Int32])
        /// `count` ids of `width` bytes from `offset` in `file`.
        case mapped(file: MappedFile, offset: Int, width: Int)
    }
    private let storage: Storage
    public let count: Int

    public init(_ ids: [Int32]) {
        storage = .array(ids)
        count = ids.count
    }

    /// `count` ids of `width` (1, 2 or 4) bytes each, little-endian, at `offset` in `file`.
    init(file: MappedFile, offset: Int, width: Int, count: Int) {
        precondition([1, 2, 4].contains(width) && offset + width * count <= file.bytes.count)
        storage = .mapped(file: file, offset: offset, width: width)
        self.count = count
    }

    /// Bytes per id: 4 in memory, the cache's width when mapped.
    public var width: Int {
        switch storage {
        case .array: return 4
        case .mapped(_, _, let width): return width
        }
    }

    /// Whether the ids are a mapped cache rather than an array.
    public var isMapped: Bool {
        if case .mapped = storage { return true }
        return false
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(i: Int) -> Int32 {
        precondition(i >= 0 && i < count, "token index \(i) is outside 0..<\(count)")
        switch storage {
        case .array(let a): return a[i]
        case .mapped(let f, let o, 1): return Int32(f.at(o).load(fromByteOffset: i, as: UInt8.self))
        case .mapped(let f, let o, 2): return Int32(f.at(o).loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
        case .mapped(let f, let o, _): return f.at(o).loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)
        }
    }

    /// Writes ids `range` to `out` (range.count of them), widened to Int32.
    public func copy(_ range: Range<Int>, into out: UnsafeMutablePointer<Int32>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "range \(range) is outside 0..<\(count)")
        let n = range.count
        switch storage {
        case .array(let a):
            a.withUnsafeBufferPointer { out.update(from: $0.baseAddress! + range.lowerBound, count: n) }
        case .mapped(let f, let o, 1):
            let src = f.at(o).assumingMemoryBound(to: UInt8.self) + range.lowerBound
            for k in 0..<n { out[k] = Int32(src[k]) }
        case .mapped(let f, let o, 2):
            let src = f.at(o) + 2 * range.lowerBound
            for k in 0..<n { out[k] = Int32(src.loadUnaligned(fromByteOffset: 2 * k, as: UInt16.self)) }
        case .mapped(let f, let o, _):
            (f.at(o) + 4 * range.lowerBound).withMemoryRebound(to: Int32.self, capacity: n) { out.update(from: $0, count: n) }
        }
    }

    /// Ids `range` as a new array.
    public func array(_ range: Range<Int>) -> [Int32] {
        [Int32](unsafeUninitializedCapacity: range.count) { buffer, initialized in
            if let base = buffer.baseAddress { copy(range, into: base) }
            initialized = range.count
        }
    }

    /// Every id as an array (a copy when mapped).
    public var array: [Int32] {
        if case .array(let a) = storage { return a }
        return array(0..<count)
    }

    /// Calls `body` with the ids of `range`, widened, a bounded run at a time
    /// (no more than 64 Ki ids are held at once).
    public func forEachChunk(_ range: Range<Int>, _ body: (UnsafeBufferPointer<Int32>) -> Void) {
        if case .array(let a) = storage {
            a.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[range])) }
            return
        }
        let chunk = 1 << 16
        let buffer = UnsafeMutablePointer<Int32>.allocate(capacity: chunk)
        defer { buffer.deallocate() }
        var start = range.lowerBound
        while start < range.upperBound {
            let end = Swift.min(range.upperBound, start + chunk)
            copy(start..<end, into: buffer)
            body(UnsafeBufferPointer(start: buffer, count: end - start))
            start = end
        }
    }
}

extension TokenIDs {
    /// FNV-1a 64 over the ids, one id (as a 64-bit word) a round, as 16 hex digits: a run records it
    /// (`CorpusInputs.fingerprint`) so that a resumed run or `eval` can tell a text edited since, even
    /// when the edit keeps its length. Not cryptographic: it is there to catch accidents. About a
    /// nanosecond an id, a run at a time (`forEachChunk`: no copy of a mapped cache is held).
    public var fingerprint: String {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        forEachChunk(0..<count) { ids in
            for id in ids { h = (h ^ UInt64(UInt32(bitPattern: id))) &* 0x0000_0100_0000_01B3 }
        }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

private extension MappedFile {
    /// Where the ids start.
    func at(_ offset: Int) -> UnsafeRawPointer { bytes.baseAddress! + offset }
}
