/// A fixed-size block of trivial values, 64-byte aligned, zero-filled,
/// owned by one object and freed with it.
///
/// Work buffers of the engine live here rather than in `[Float]`: kernels get
/// a stable pointer without closures, copy-on-write or exclusivity checks,
/// and the alignment suits AVX-512 loads. Not thread-safe; not Sendable.
public final class AlignedBuffer<Element: BitwiseCopyable> {
    /// Number of elements.
    public let count: Int
    /// The first element; valid for the buffer's lifetime.
    public let base: UnsafeMutablePointer<Element>

    public init(count: Int) {
        precondition(count >= 0, "AlignedBuffer: negative count \(count)")
        self.count = count
        let bytes = max(1, count) * MemoryLayout<Element>.stride
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        base = raw.bindMemory(to: Element.self, capacity: max(1, count))
    }

    deinit { UnsafeMutableRawPointer(base).deallocate() }

    public subscript(i: Int) -> Element {
        get { precondition(i >= 0 && i < count, "AlignedBuffer index \(i) out of 0..<\(count)"); return base[i] }
        set { precondition(i >= 0 && i < count, "AlignedBuffer index \(i) out of 0..<\(count)"); base[i] = newValue }
    }

    /// The first `count` elements as a buffer pointer.
    public var buffer: UnsafeMutableBufferPointer<Element> { UnsafeMutableBufferPointer(start: base, count: count) }

    /// A copy of elements `range` (for tests and inspection).
    public func array(_ range: Range<Int>) -> [Element] {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "AlignedBuffer range \(range) out of 0..<\(count)")
        return Array(UnsafeBufferPointer(start: base + range.lowerBound, count: range.count))
    }
}
