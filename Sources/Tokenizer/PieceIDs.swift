#if canImport(Glibc)
import Glibc
#endif

/// One piece of tokenized text (`ParallelTokenizer`) in between: its local ids
/// (the worker's interner, first-seen order) in the narrowest width that holds
/// every local id so far, 1, 2 or 4 bytes little-endian, until the vocabulary
/// is known and `map` turns them into vocabulary ids. English text holds 1
/// byte per character here, whatever the final vocabulary.
struct PieceIDs: Sendable {
    let width: Int
    let bytes: [UInt8]
    var count: Int { bytes.count / width }

    /// Narrows `ids` and adds each id's occurrences to `counts` (index = local
    /// id, room for every id), in one pass.
    init(_ ids: [Int32], counts: inout [Int]) {
        let width = PieceIDs.width(for: counts.count)
        bytes = [UInt8](unsafeUninitializedCapacity: width * ids.count) { buffer, initialized in
            PieceIDs.adviseHugePages(UnsafeMutableRawBufferPointer(buffer))
            counts.withUnsafeMutableBufferPointer { c in
                ids.withUnsafeBufferPointer { ids in
                    let raw = UnsafeMutableRawPointer(buffer.baseAddress!)
                    switch width {
                    case 1: PieceIDs.narrow(ids, into: raw.assumingMemoryBound(to: UInt8.self), counting: c)
                    case 2: PieceIDs.narrow(ids, into: raw.assumingMemoryBound(to: UInt16.self), counting: c)
                    default: PieceIDs.narrow(ids, into: raw.assumingMemoryBound(to: UInt32.self), counting: c)
                    }
                }
            }
            initialized = width * ids.count
        }
        self.width = width
    }

    /// Asks for transparent huge pages (where the kernel gives them on request)
    /// for a large buffer not yet touched: one page fault per 2 MB instead of
    /// 512, which matters when several threads fill fresh memory at once.
    static func adviseHugePages(_ buffer: UnsafeMutableRawBufferPointer) {
        #if os(Linux)
        let huge = 2 << 20
        guard let base = buffer.baseAddress, buffer.count >= 2 * huge else { return }
        let start = (Int(bitPattern: base) + huge - 1) & ~(huge - 1)
        let end = (Int(bitPattern: base) + buffer.count) & ~(huge - 1)
        if end > start { _ = madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, 14 /* MADV_HUGEPAGE */) }
        #endif
    }

    /// Bytes per id for ids below `count`.
    static func width(for count: Int) -> Int { count <= 256 ? 1 : count <= 65536 ? 2 : 4 }

    /// out[i] = ids[i] narrowed, counting each id: four counters per id, so that
    /// a run of one id (spaces) doesn't wait on a single memory location.
    @inline(__always)
    private static func narrow<Out: FixedWidthInteger>(_ ids: UnsafeBufferPointer<Int32>, into out: UnsafeMutablePointer<Out>,
                                                       counting counts: UnsafeMutableBufferPointer<Int>) {
        let q = UnsafeMutablePointer<Int>.allocate(capacity: 4 * counts.count)
        defer { q.deallocate() }
        q.initialize(repeating: 0, count: 4 * counts.count)
        let n = ids.count
        var i = 0
        while i + 4 <= n {
            let a = ids[i], b = ids[i + 1], d = ids[i + 2], e = ids[i + 3]
            out[i] = Out(truncatingIfNeeded: a); out[i + 1] = Out(truncatingIfNeeded: b)
            out[i + 2] = Out(truncatingIfNeeded: d); out[i + 3] = Out(truncatingIfNeeded: e)
            q[Int(a) &* 4] &+= 1; q[Int(b) &* 4 &+ 1] &+= 1; q[Int(d) &* 4 &+ 2] &+= 1; q[Int(e) &* 4 &+ 3] &+= 1
            i += 4
        }
        while i < n {
            out[i] = Out(truncatingIfNeeded: ids[i])
            q[Int(ids[i]) &* 4] &+= 1
            i += 1
        }
        for t in counts.indices { counts[t] &+= q[4 * t] &+ q[4 * t + 1] &+ q[4 * t + 2] &+ q[4 * t + 3] }
    }

    /// Writes the vocabulary ids of `count` local ids at `input` (each `inWidth`
    /// bytes) to `out` (each `outWidth` bytes): out[i] = table[input[i]].
    static func map(_ input: UnsafeRawPointer, width inWidth: Int, count: Int, through table: [Int32],
                    into out: UnsafeMutableRawPointer, width outWidth: Int) {
        switch (inWidth, outWidth) {
        case (1, 1): map(input, UInt8.self, out, UInt8.self, count, table)
        case (1, 2): map(input, UInt8.self, out, UInt16.self, count, table)
        case (1, _): map(input, UInt8.self, out, Int32.self, count, table)
        case (2, 1): map(input, UInt16.self, out, UInt8.self, count, table)
        case (2, 2): map(input, UInt16.self, out, UInt16.self, count, table)
        case (2, _): map(input, UInt16.self, out, Int32.self, count, table)
        case (_, 1): map(input, UInt32.self, out, UInt8.self, count, table)
        case (_, 2): map(input, UInt32.self, out, UInt16.self, count, table)
        default: map(input, UInt32.self, out, Int32.self, count, table)
        }
    }

    @inline(__always)
    private static func map<In: FixedWidthInteger, Out: FixedWidthInteger>(
        _ input: UnsafeRawPointer, _: In.Type, _ out: UnsafeMutableRawPointer, _: Out.Type, _ n: Int, _ table: [Int32]
    ) {
        table.withUnsafeBufferPointer { table in
            let src = input.assumingMemoryBound(to: In.self)
            let dst = out.assumingMemoryBound(to: Out.self)
            for i in 0..<n { dst[i] = Out(truncatingIfNeeded: table[Int(src[i])]) }
        }
    }
}
