/// A `.safetensors` file held in memory: string metadata and named F32 tensors.
///
/// The container, as Hugging Face's reference implementation defines it:
///
///     8 bytes   N, the header length, unsigned 64-bit little-endian
///     N bytes   UTF-8 JSON object, optionally padded with trailing spaces:
///               {"__metadata__": {"key": "value", ...},          (optional)
///                "name": {"dtype": "F32", "shape": [2, 3],
///                         "data_offsets": [begin, end]}, ...}
///     rest      the byte buffer; offsets are relative to its start, and the
///               tensors cover it exactly, without holes or overlaps
///
/// Tensor data is row-major ("C" order) and little-endian whatever the host.
/// charrnn computes in F32 only, so that is the one dtype held in memory; a file
/// with another dtype decodes to a clear error (`unsupportedDType`).
public struct SafeTensorsFile: Sendable {
    public struct Tensor: Equatable, Sendable {
        public var name: String
        /// Dimensions, outermost first; `[]` is a scalar (one value).
        public var shape: [Int]
        /// Row-major values; `data.count` is the product of `shape`.
        public var data: [Float]

        public init(name: String, shape: [Int], data: [Float]) {
            self.name = name
            self.shape = shape
            self.data = data
        }
    }

    /// Free-form string → string pairs (the header's `__metadata__`).
    public var metadata: [String: String]
    /// In file order when read (the order of the header's entries); written in this order.
    public var tensors: [Tensor]

    /// The reference implementation refuses headers above 100 MB; so do we.
    public static let maximumHeaderLength = 100_000_000

    public init(metadata: [String: String] = [:], tensors: [Tensor] = []) {
        self.metadata = metadata
        self.tensors = tensors
    }

    /// The tensor called `name`, or nil.
    public subscript(name: String) -> Tensor? {
        tensors.first { $0.name == name }
    }
}

// MARK: - Encoding

extension SafeTensorsFile {
    /// The file's bytes. Tensors are laid out contiguously in `tensors` order;
    /// metadata keys are sorted so that equal files encode to equal bytes; an
    /// empty `metadata` writes no `__metadata__` entry; the header is padded
    /// with spaces to a multiple of 8 bytes so that the data is aligned.
    ///
    /// Throws `shapeMismatch` when a shape has a negative dimension or its
    /// product is not `data.count`, `duplicateTensor` for a repeated name, and
    /// `reservedName` for a tensor named `__metadata__`.
    public func encode() throws(SafeTensorsError) -> [UInt8] {
        var header: [UInt8] = []
        header.reserveCapacity(256 + tensors.count * 96 + metadata.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count + 8 })
        header.append(UInt8(ascii: "{"))
        var needsComma = false
        if !metadata.isEmpty {
            JSONStringEscaper.append(quoted: "__metadata__", to: &header, escapingSlashes: false)
            header.append(contentsOf: ":{".utf8)
            for (i, key) in metadata.keys.sorted().enumerated() {
                if i > 0 { header.append(UInt8(ascii: ",")) }
                JSONStringEscaper.append(quoted: key, to: &header, escapingSlashes: false)
                header.append(UInt8(ascii: ":"))
                JSONStringEscaper.append(quoted: metadata[key]!, to: &header, escapingSlashes: false)
            }
            header.append(UInt8(ascii: "}"))
            needsComma = true
        }
        var seen = Set<String>()
        var offset = 0
        for t in tensors {
            if t.name == "__metadata__" { throw .reservedName(t.name) }
            if !seen.insert(t.name).inserted { throw .duplicateTensor(t.name) }
            guard let count = elementCount(t.shape), count == t.data.count else {
                throw .shapeMismatch(tensor: t.name, shape: t.shape, count: t.data.count)
            }
            let bytes = count * MemoryLayout<Float>.size  // fits: the array exists in memory
            if needsComma { header.append(UInt8(ascii: ",")) }
            needsComma = true
            JSONStringEscaper.append(quoted: t.name, to: &header, escapingSlashes: false)
            header.append(contentsOf: #":{"dtype":"F32","shape":["#.utf8)
            for (i, d) in t.shape.enumerated() {
                if i > 0 { header.append(UInt8(ascii: ",")) }
                header.append(contentsOf: String(d).utf8)
            }
            header.append(contentsOf: #"],"data_offsets":["#.utf8)
            header.append(contentsOf: "\(offset),\(offset + bytes)]}".utf8)
            offset += bytes
        }
        header.append(UInt8(ascii: "}"))
        while header.count % 8 != 0 { header.append(UInt8(ascii: " ")) }

        let total = 8 + header.count + offset
        return [UInt8](unsafeUninitializedCapacity: total) { out, initialized in
            let n = UInt64(header.count)
            for i in 0..<8 { out[i] = UInt8(truncatingIfNeeded: n >> (8 * UInt64(i))) }
            var p = 8
            header.withUnsafeBufferPointer { h in
                UnsafeMutableRawPointer(out.baseAddress! + p).copyMemory(from: h.baseAddress!, byteCount: h.count)
            }
            p += header.count
            for t in tensors {
                t.data.withUnsafeBufferPointer { src in
                    guard let base = src.baseAddress, !src.isEmpty else { return }
                    let dst = UnsafeMutableRawPointer(out.baseAddress! + p)
                    dst.copyMemory(from: base, byteCount: src.count * 4)
                    #if _endian(big)
                    let words = dst.bindMemory(to: UInt32.self, capacity: src.count)
                    for i in 0..<src.count { words[i] = words[i].byteSwapped }
                    #endif
                }
                p += t.data.count * 4
            }
            initialized = total
        }
    }
}

/// The product of `shape`, or nil when a dimension is negative or the product overflows.
func elementCount(_ shape: [Int]) -> Int? {
    var n = 1
    for d in shape {
        guard d >= 0 else { return nil }
        let (m, overflow) = n.multipliedReportingOverflow(by: d)
        if overflow { return nil }
        n = m
    }
    return n
}
