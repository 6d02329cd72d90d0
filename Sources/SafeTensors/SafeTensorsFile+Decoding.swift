// MARK: - Decoding

extension SafeTensorsFile {
    /// The file held in `bytes`, after checking everything the format requires.
    ///
    /// Hostile input gives an error, never a crash or an allocation larger than
    /// the input: the header length is checked against the file and the limit
    /// before the header is looked at; sizes are multiplied with overflow
    /// checks; data is copied only once every entry's offsets are known to lie
    /// in the buffer, to match its shape and dtype, and to tile the buffer.
    public static func decode(_ bytes: [UInt8]) throws(SafeTensorsError) -> SafeTensorsFile {
        guard bytes.count >= 8 else { throw .fileTooShort(size: bytes.count) }
        var length: UInt64 = 0
        for i in 0..<8 { length |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard length <= UInt64(maximumHeaderLength) else { throw .headerTooLarge(length: length) }
        guard length <= UInt64(bytes.count - 8) else {
            throw .headerPastEndOfFile(length: length, fileSize: bytes.count)
        }
        let headerEnd = 8 + Int(length)
        let bufferSize = bytes.count - headerEnd

        return try bytes.withUnsafeBufferPointer { (all) throws(SafeTensorsError) -> SafeTensorsFile in
            let header = UnsafeBufferPointer(rebasing: all[8..<headerEnd])
            guard String(validating: header, as: UTF8.self) != nil else { throw .headerNotUTF8 }
            let parsed = try Header.parse(header)
            try parsed.validateLayout(bufferSize: bufferSize)

            var tensors: [Tensor] = []
            tensors.reserveCapacity(parsed.entries.count)
            for e in parsed.entries {
                let count = (e.end - e.begin) / 4  // validated: F32, size matches shape
                let data = [Float](unsafeUninitializedCapacity: count) { out, initialized in
                    if count > 0 {
                        UnsafeMutableRawPointer(out.baseAddress!).copyMemory(
                            from: all.baseAddress! + headerEnd + e.begin, byteCount: count * 4)
                        #if _endian(big)
                        for i in 0..<count { out[i] = Float(bitPattern: out[i].bitPattern.byteSwapped) }
                        #endif
                    }
                    initialized = count
                }
                tensors.append(Tensor(name: e.name, shape: e.shape, data: data))
            }
            return SafeTensorsFile(metadata: parsed.metadata, tensors: tensors)
        }
    }
}

/// The parsed JSON header: metadata and tensor entries in header order.
struct Header {
    struct Entry {
        var name: String
        var dtype: DType
        var shape: [Int]
        var begin: Int
        var end: Int
    }

    var metadata: [String: String] = [:]
    var entries: [Entry] = []

    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(SafeTensorsError) -> Header {
        var r = JSONReader(bytes)
        guard try r.peekKind() == .object else { throw .headerNotObject }
        var header = Header()
        var names = Set<String>()
        var sawMetadata = false
        var top = try r.beginObject()
        while let key = try r.nextKey(&top) {
            if key == "__metadata__" {
                if sawMetadata { throw .invalidMetadata(reason: "the header has two __metadata__ entries") }
                sawMetadata = true
                header.metadata = try parseMetadata(&r)
            } else {
                if !names.insert(key).inserted { throw .duplicateTensor(key) }
                header.entries.append(try parseEntry(named: key, &r))
            }
        }
        try r.expectEnd()
        return header
    }

    /// `__metadata__`: an object of strings, or null (the reference writer's "none").
    private static func parseMetadata(_ r: inout JSONReader) throws(SafeTensorsError) -> [String: String] {
        var metadata: [String: String] = [:]
        let kind = try r.peekKind()
        if kind == .null, r.readNull() { return metadata }
        guard kind == .object else { throw .invalidMetadata(reason: "it is \(kind.rawValue), not an object of strings") }
        var c = try r.beginObject()
        while let key = try r.nextKey(&c) {
            let valueKind = try r.peekKind()
            guard valueKind == .string else {
                throw .invalidMetadata(reason: "the value of \(quoted(key)) is \(valueKind.rawValue), not a string")
            }
            if metadata.updateValue(try r.readString(), forKey: key) != nil { throw .duplicateMetadataKey(key) }
        }
        return metadata
    }

    private static func parseEntry(named name: String, _ r: inout JSONReader) throws(SafeTensorsError) -> Entry {
        func invalid(_ reason: String) -> SafeTensorsError { .invalidEntry(tensor: name, reason: reason) }
        let kind = try r.peekKind()
        guard kind == .object else { throw invalid("its entry is \(kind.rawValue), not an object") }
        var dtypeName: String?
        var shape: [Int]?
        var offsets: [Int]?
        var c = try r.beginObject()
        while let field = try r.nextKey(&c) {
            switch field {
            case "dtype":
                if dtypeName != nil { throw invalid("field \"dtype\" appears twice") }
                let k = try r.peekKind()
                guard k == .string else { throw invalid("dtype is \(k.rawValue), not a string") }
                dtypeName = try r.readString()
            case "shape":
                if shape != nil { throw invalid("field \"shape\" appears twice") }
                shape = try parseIntegers(&r, field: "shape", tensor: name)
            case "data_offsets":
                if offsets != nil { throw invalid("field \"data_offsets\" appears twice") }
                offsets = try parseIntegers(&r, field: "data_offsets", tensor: name)
            default:
                // The reference implementation ignores fields it does not know; so do we.
                try r.skipValue()
            }
        }
        guard let dtypeName else { throw invalid("missing field \"dtype\"") }
        guard let shape else { throw invalid("missing field \"shape\"") }
        guard let offsets else { throw invalid("missing field \"data_offsets\"") }
        guard offsets.count == 2 else { throw invalid("data_offsets has \(offsets.count) numbers, not 2 ([begin, end])") }
        guard let dtype = DType(rawValue: dtypeName) else { throw .unknownDType(tensor: name, dtype: dtypeName) }
        return Entry(name: name, dtype: dtype, shape: shape, begin: offsets[0], end: offsets[1])
    }

    /// An array of non-negative integers that fit in `Int`.
    private static func parseIntegers(_ r: inout JSONReader, field: String, tensor: String) throws(SafeTensorsError) -> [Int] {
        func invalid(_ reason: String) -> SafeTensorsError { .invalidEntry(tensor: tensor, reason: "\(field) \(reason)") }
        let kind = try r.peekKind()
        guard kind == .array else { throw invalid("is \(kind.rawValue), not an array of integers") }
        var values: [Int] = []
        var c = try r.beginArray()
        while try r.nextElement(&c) {
            let k = try r.peekKind()
            guard k == .number else { throw invalid("holds \(k.rawValue), not only integers") }
            switch try r.readNumber() {
            case .integer(let v): values.append(v)
            case .negative: throw invalid("holds a negative number")
            case .notInteger: throw invalid("holds a number that is not an integer")
            case .tooLarge:
                if field == "shape" { throw .shapeOverflow(tensor: tensor, shape: "with a dimension above \(Int.max)") }
                throw invalid("holds a number above \(Int.max)")
            }
        }
        return values
    }

    /// Checks each entry's byte size against its shape and dtype, and that the
    /// entries tile `0..<bufferSize` exactly.
    func validateLayout(bufferSize: Int) throws(SafeTensorsError) {
        for e in entries {
            guard let count = elementCount(e.shape) else {
                throw .shapeOverflow(tensor: e.name, shape: "\(e.shape)")
            }
            let (bytes, overflow) = count.multipliedReportingOverflow(by: e.dtype.byteSize)
            if overflow { throw .shapeOverflow(tensor: e.name, shape: "\(e.shape)") }
            guard e.begin <= e.end, e.end <= bufferSize else {
                throw .offsetsOutOfBuffer(tensor: e.name, begin: e.begin, end: e.end, bufferSize: bufferSize)
            }
            guard e.end - e.begin == bytes else {
                throw .sizeMismatch(tensor: e.name, shape: e.shape, dtype: e.dtype.rawValue,
                                    expectedBytes: bytes, offsetBytes: e.end - e.begin)
            }
        }
        // Tiling: sorted by (begin, end), each tensor must start where the previous ended.
        let order = entries.indices.sorted { (entries[$0].begin, entries[$0].end) < (entries[$1].begin, entries[$1].end) }
        var cursor = 0
        var previous: Int?
        for i in order {
            let e = entries[i]
            if e.begin > cursor { throw .uncoveredBytes(begin: cursor, end: e.begin) }
            if e.begin < cursor, let p = previous { throw .overlappingTensors(entries[p].name, e.name) }
            cursor = e.end
            previous = i
        }
        if cursor < bufferSize { throw .uncoveredBytes(begin: cursor, end: bufferSize) }
        // Structure is sound: now the one limitation that is charrnn's, not the format's.
        if let e = entries.first(where: { $0.dtype != .F32 }) {
            throw .unsupportedDType(tensor: e.name, dtype: e.dtype.rawValue)
        }
    }
}
