import Dispatch

/// The check that a token cache's ids are all inside its vocabulary, made
/// once when the cache is opened (`TokenCache.lookUp`), so that nothing that
/// reads them later (baselines, batches, the model's row gather) can meet an
/// id it would index out of range with.
///
/// A vectorized maximum per piece, the pieces on every core: the ids are 1,
/// 2 or 4 bytes, so a 2 GB cache of 1-byte ids is one pass over 2 GB of page
/// cache (0.06 s when it is there; from a cold page cache, the time to read
/// the file from disk). Checking once here, rather than in every reader of
/// the ids, keeps the check in one place and the readers' hot loops as they
/// were. Only when a piece's maximum is too large is it read again, id by id,
/// to name the first bad one.
enum IDScan {
    /// Ids per piece: large enough that a piece costs far more than handing it to a thread.
    static let pieceSize = 1 << 24

    /// The first of `count` ids (`width` bytes each, 1, 2 or 4, unsigned little-endian,
    /// aligned to their width at `base`) that is `bound` or more, and where it is; nil when every id is below `bound`.
    static func firstOutOfRange(_ base: UnsafeRawPointer, count: Int, width: Int, bound: Int,
                                parallel: Bool, pieceSize: Int = IDScan.pieceSize) -> (position: Int, id: UInt32)? {
        let pieces = (count + pieceSize - 1) / pieceSize
        guard pieces > 0 else { return nil }
        let maxima = UnsafeMutablePointer<UInt32>.allocate(capacity: pieces)
        defer { maxima.deallocate() }
        maxima.initialize(repeating: 0, count: pieces)
        let slots = UnsafeMutableSendablePointer(maxima)
        let start = UnsafeSendableRawPointer(base)
        let scan: @Sendable (Int) -> Void = { k in
            let lower = k * pieceSize, n = min(count, lower + pieceSize) - lower
            slots.pointer![k] = largest(start.pointer + lower * width, count: n, width: width)
        }
        if parallel && pieces > 1 {
            DispatchQueue.concurrentPerform(iterations: pieces, execute: scan)
        } else {
            for k in 0..<pieces { scan(k) }
        }
        guard let bad = (0..<pieces).first(where: { Int(maxima[$0]) >= bound }) else { return nil }
        let lower = bad * pieceSize
        for i in lower..<min(count, lower + pieceSize) {
            let id = load(base, i, width)
            if Int(id) >= bound { return (i, id) }
        }
        return nil  // unreachable: the piece's maximum is one of its ids
    }

    /// The largest of `count` ids of `width` bytes at `p`.
    static func largest(_ p: UnsafeRawPointer, count: Int, width: Int) -> UInt32 {
        switch width {
        case 1: return UInt32(largest(p.assumingMemoryBound(to: UInt8.self), count))
        case 2: return UInt32(largest(p.assumingMemoryBound(to: UInt16.self), count))
        default: return largest(p.assumingMemoryBound(to: UInt32.self), count)
        }
    }

    /// A plain unsigned maximum: LLVM vectorizes this loop (a umax reduction
    /// in SIMD registers; measured at about 30 GB/s of 1-byte ids from the
    /// page cache on AMD EPYC Zen 4). A 4-byte id read as UInt32
    /// makes a negative Int32 as large as it gets, so it fails the check too.
    @inline(__always)
    private static func largest<T: FixedWidthInteger & UnsignedInteger>(_ p: UnsafePointer<T>, _ n: Int) -> T {
        var m: T = 0
        for i in 0..<n { m = Swift.max(m, T(littleEndian: p[i])) }
        return m
    }

    private static func load(_ base: UnsafeRawPointer, _ i: Int, _ width: Int) -> UInt32 {
        switch width {
        case 1: return UInt32(base.load(fromByteOffset: i, as: UInt8.self))
        case 2: return UInt32(UInt16(littleEndian: base.load(fromByteOffset: 2 * i, as: UInt16.self)))
        default: return UInt32(littleEndian: base.load(fromByteOffset: 4 * i, as: UInt32.self))
        }
    }
}

/// A read-only pointer handed to threads that each read their own part of it.
struct UnsafeSendableRawPointer: @unchecked Sendable {
    let pointer: UnsafeRawPointer
    init(_ pointer: UnsafeRawPointer) { self.pointer = pointer }
}
