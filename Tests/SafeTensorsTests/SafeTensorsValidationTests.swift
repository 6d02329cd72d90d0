import Testing
@testable import SafeTensors

/// Each way a file can be malformed gives its own error, with a one-line description.
@Suite struct SafeTensorsValidationTests {
    /// A header with one F32 tensor `t` of `shape` at `offsets`, over `bufferSize` zero bytes.
    func file(dtype: String = "F32", shape: String = "[2]", offsets: String = "[0,8]", bufferSize: Int = 8) -> [UInt8] {
        rawFile(#"{"t":{"dtype":"\#(dtype)","shape":\#(shape),"data_offsets":\#(offsets)}}"#,
                data: [UInt8](repeating: 0, count: bufferSize))
    }

    func expectError(_ bytes: [UInt8], _ expected: SafeTensorsError, sourceLocation: SourceLocation = #_sourceLocation) {
        let error = decodeError(bytes)
        #expect(error == expected, sourceLocation: sourceLocation)
        if let error { #expect(!error.description.contains("\n"), sourceLocation: sourceLocation) }
    }

    func expectMalformed(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
        guard case .malformedJSON = decodeError(bytes) else {
            Issue.record("expected malformedJSON, got \(String(describing: decodeError(bytes)))", sourceLocation: sourceLocation)
            return
        }
    }

    @Test func theHandBuiltBaseFileIsValid() throws {
        #expect(try SafeTensorsFile.decode(file()).tensors == [.init(name: "t", shape: [2], data: [0, 0])])
    }

    @Test func framing() {
        expectError([], .fileTooShort(size: 0))
        expectError([8, 0, 0, 0, 0, 0, 0], .fileTooShort(size: 7))
        expectError(littleEndianBytes(.max) + Array("{}".utf8), .headerTooLarge(length: .max))
        expectError(littleEndianBytes(100_000_001) + Array("{}".utf8), .headerTooLarge(length: 100_000_001))
        expectError(littleEndianBytes(1 << 63), .headerTooLarge(length: 1 << 63))
        expectError(littleEndianBytes(1000) + Array("{}".utf8), .headerPastEndOfFile(length: 1000, fileSize: 10))
        expectError(littleEndianBytes(3) + Array("{}".utf8), .headerPastEndOfFile(length: 3, fileSize: 10))
        // A big-endian length is an absurd little-endian one.
        expectError([0, 0, 0, 0, 0, 0, 0, 8] + Array("{}      ".utf8), .headerTooLarge(length: 8 << 56))
        expectError(littleEndianBytes(0), .malformedJSON(reason: "unexpected end of header", byteOffset: 0))
    }

    @Test func headerText() {
        expectError(littleEndianBytes(4) + [0x7B, 0xFF, 0xFE, 0x7D], .headerNotUTF8)
        expectError(littleEndianBytes(4) + [0x7B, 0xED, 0xA0, 0x80], .headerNotUTF8)  // encoded surrogate
        expectError(rawFile("[]"), .headerNotObject)
        expectError(rawFile(#""t""#), .headerNotObject)
        expectError(rawFile("        "), .malformedJSON(reason: "unexpected end of header", byteOffset: 8))
        expectMalformed(rawFile(#"{"t":"#))
        expectMalformed(rawFile(#"{"t" 1}"#))
        expectMalformed(rawFile(#"{t: 1}"#))
        expectMalformed(rawFile(#"{"a":{"dtype":"F32",}}"#))
        expectMalformed(rawFile("{}\0\0\0\0\0\0"))            // padding must be spaces
        expectMalformed(rawFile("{} {}"))
        expectMalformed(rawFile(#"{"a\u0001":1}"#.replacingOccurrences(of: "\\u0001", with: "\u{1}")))
        expectMalformed(rawFile(#"{"\ud800":1}"#))             // lone surrogate escape
        expectMalformed(rawFile(#"{"\x":1}"#))
        expectMalformed(rawFile(#"{"a":{"dtype":"F32","shape":[01],"data_offsets":[0,4]}}"#))
        expectMalformed(rawFile(#"{"a":{"dtype":"F32","shape":[1.],"data_offsets":[0,4]}}"#))
        expectMalformed(rawFile(#"{"a":{"dtype":"F32","shape":[-],"data_offsets":[0,4]}}"#))
        expectMalformed(rawFile(#"{"a":{"x":tru,"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#))
    }

    @Test func deepNestingInUnknownFieldsIsRefusedNotRecursedInto() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let header = #"{"t":{"dtype":"F32","shape":[],"data_offsets":[0,4],"x":\#(deep)}}"#
        expectMalformed(rawFile(header, data: f32Bytes([1])))
        let shallow = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(decodeError(rawFile(#"{"t":{"dtype":"F32","shape":[],"data_offsets":[0,4],"x":\#(shallow)}}"#, data: f32Bytes([1]))) == nil)
    }

    @Test func entryFields() {
        expectError(rawFile(#"{"t":3}"#), .invalidEntry(tensor: "t", reason: "its entry is a number, not an object"))
        expectError(rawFile(#"{"t":{"shape":[],"data_offsets":[0,4]}}"#, data: f32Bytes([1])),
                    .invalidEntry(tensor: "t", reason: "missing field \"dtype\""))
        expectError(rawFile(#"{"t":{"dtype":"F32","data_offsets":[0,4]}}"#, data: f32Bytes([1])),
                    .invalidEntry(tensor: "t", reason: "missing field \"shape\""))
        expectError(rawFile(#"{"t":{"dtype":"F32","shape":[]}}"#, data: f32Bytes([1])),
                    .invalidEntry(tensor: "t", reason: "missing field \"data_offsets\""))
        expectError(file(dtype: "F32\",\"dtype\":\"F32"), .invalidEntry(tensor: "t", reason: "field \"dtype\" appears twice"))
        expectError(rawFile(#"{"t":{"dtype":5,"shape":[],"data_offsets":[0,4]}}"#),
                    .invalidEntry(tensor: "t", reason: "dtype is a number, not a string"))
        expectError(file(shape: #""2""#), .invalidEntry(tensor: "t", reason: "shape is a string, not an array of integers"))
        expectError(file(shape: "[2.0]"), .invalidEntry(tensor: "t", reason: "shape holds a number that is not an integer"))
        expectError(file(shape: "[2e0]"), .invalidEntry(tensor: "t", reason: "shape holds a number that is not an integer"))
        expectError(file(shape: "[-2]"), .invalidEntry(tensor: "t", reason: "shape holds a negative number"))
        expectError(file(shape: "[null]"), .invalidEntry(tensor: "t", reason: "shape holds null, not only integers"))
        expectError(file(offsets: "[0]"), .invalidEntry(tensor: "t", reason: "data_offsets has 1 numbers, not 2 ([begin, end])"))
        expectError(file(offsets: "[0,8,8]"), .invalidEntry(tensor: "t", reason: "data_offsets has 3 numbers, not 2 ([begin, end])"))
        expectError(file(offsets: #"[0,"8"]"#), .invalidEntry(tensor: "t", reason: "data_offsets holds a string, not only integers"))
        expectError(file(offsets: "[0,-8]"), .invalidEntry(tensor: "t", reason: "data_offsets holds a negative number"))
        expectError(file(offsets: "[0,99999999999999999999]"),
                    .invalidEntry(tensor: "t", reason: "data_offsets holds a number above \(Int.max)"))
        expectError(file(offsets: #"{"begin":0}"#), .invalidEntry(tensor: "t", reason: "data_offsets is an object, not an array of integers"))
    }

    @Test func dtypes() {
        expectError(file(dtype: "F128"), .unknownDType(tensor: "t", dtype: "F128"))
        expectError(file(dtype: "f32"), .unknownDType(tensor: "t", dtype: "f32"))
        expectError(file(dtype: "F16", shape: "[4]"), .unsupportedDType(tensor: "t", dtype: "F16"))
        #expect(decodeError(file(dtype: "F16", shape: "[4]"))?.description == "tensor \"t\" has dtype F16; charrnn reads F32 only")
        expectError(file(dtype: "I64", shape: "[1]"), .unsupportedDType(tensor: "t", dtype: "I64"))
        expectError(file(dtype: "BOOL", shape: "[8]"), .unsupportedDType(tensor: "t", dtype: "BOOL"))
        // A structurally broken F16 file is reported as broken, not as F16.
        expectError(file(dtype: "F16", shape: "[2]"),
                    .sizeMismatch(tensor: "t", shape: [2], dtype: "F16", expectedBytes: 4, offsetBytes: 8))
    }

    @Test func shapesAndSizes() {
        expectError(file(shape: "[3]"), .sizeMismatch(tensor: "t", shape: [3], dtype: "F32", expectedBytes: 12, offsetBytes: 8))
        expectError(file(shape: "[]"), .sizeMismatch(tensor: "t", shape: [], dtype: "F32", expectedBytes: 4, offsetBytes: 8))
        expectError(file(shape: "[2,0]"), .sizeMismatch(tensor: "t", shape: [2, 0], dtype: "F32", expectedBytes: 0, offsetBytes: 8))
        expectError(file(shape: "[4294967296,4294967296,4]"), .shapeOverflow(tensor: "t", shape: "[4294967296, 4294967296, 4]"))
        expectError(file(shape: "[2305843009213693952]"), .shapeOverflow(tensor: "t", shape: "[2305843009213693952]"))  // × 4 bytes
        expectError(file(shape: "[99999999999999999999]"), .shapeOverflow(tensor: "t", shape: "with a dimension above \(Int.max)"))
        // Overflow before a zero is still overflow (as the reference implementation checks).
        expectError(file(shape: "[4294967296,4294967296,0]"), .shapeOverflow(tensor: "t", shape: "[4294967296, 4294967296, 0]"))
        // A huge claimed size with a tiny file is an error, never an allocation.
        expectError(file(shape: "[1000000000,100]", offsets: "[0,400000000000]"),
                    .offsetsOutOfBuffer(tensor: "t", begin: 0, end: 400_000_000_000, bufferSize: 8))
    }

    @Test func offsetsAndCoverage() {
        expectError(file(offsets: "[0,12]"), .offsetsOutOfBuffer(tensor: "t", begin: 0, end: 12, bufferSize: 8))
        expectError(file(offsets: "[8,0]"), .offsetsOutOfBuffer(tensor: "t", begin: 8, end: 0, bufferSize: 8))
        expectError(file(offsets: "[4,12]", bufferSize: 12), .uncoveredBytes(begin: 0, end: 4))
        expectError(file(bufferSize: 12), .uncoveredBytes(begin: 8, end: 12))
        let two = { (a: String, b: String, size: Int) in
            rawFile(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":\#(a)},"b":{"dtype":"F32","shape":[2],"data_offsets":\#(b)}}"#,
                    data: [UInt8](repeating: 0, count: size))
        }
        #expect(decodeError(two("[8,16]", "[0,8]", 16)) == nil)
        expectError(two("[0,8]", "[4,12]", 12), .overlappingTensors("a", "b"))
        expectError(two("[0,8]", "[0,8]", 8), .overlappingTensors("a", "b"))
        expectError(two("[0,8]", "[12,20]", 20), .uncoveredBytes(begin: 8, end: 12))
        // An empty tensor may sit at any boundary, but not inside another tensor.
        let withEmpty = { (e: String) in
            rawFile(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"e":{"dtype":"F32","shape":[0],"data_offsets":\#(e)}}"#,
                    data: [UInt8](repeating: 0, count: 8))
        }
        #expect(decodeError(withEmpty("[0,0]")) == nil)
        #expect(decodeError(withEmpty("[8,8]")) == nil)
        expectError(withEmpty("[4,4]"), .overlappingTensors("a", "e"))
        expectError(withEmpty("[12,12]"), .offsetsOutOfBuffer(tensor: "e", begin: 12, end: 12, bufferSize: 8))
    }

    @Test func namesAndMetadata() throws {
        let t = #""t":{"dtype":"F32","shape":[],"data_offsets":[0,4]}"#
        let one = f32Bytes([1])
        expectError(rawFile("{\(t),\(t)}", data: one), .duplicateTensor("t"))
        expectError(rawFile(#"{"__metadata__":{"a":1},\#(t)}"#, data: one),
                    .invalidMetadata(reason: "the value of \"a\" is a number, not a string"))
        expectError(rawFile(#"{"__metadata__":{"a":["x"]},\#(t)}"#, data: one),
                    .invalidMetadata(reason: "the value of \"a\" is an array, not a string"))
        expectError(rawFile(#"{"__metadata__":{"a":null},\#(t)}"#, data: one),
                    .invalidMetadata(reason: "the value of \"a\" is null, not a string"))
        expectError(rawFile(#"{"__metadata__":"x",\#(t)}"#, data: one),
                    .invalidMetadata(reason: "it is a string, not an object of strings"))
        expectError(rawFile(#"{"__metadata__":{"a":"1","a":"2"},\#(t)}"#, data: one), .duplicateMetadataKey("a"))
        expectError(rawFile(#"{"__metadata__":{},"__metadata__":{},\#(t)}"#, data: one),
                    .invalidMetadata(reason: "the header has two __metadata__ entries"))
        #expect(try SafeTensorsFile.decode(rawFile(#"{"__metadata__":{"a":"1","b":""},\#(t)}"#, data: one)).metadata == ["a": "1", "b": ""])
    }

    @Test func descriptionsAreOneLineAndQuoteHostileNames() {
        let name = "evil\nname\u{1B}[31m"
        let e = SafeTensorsError.duplicateTensor(name)
        #expect(!e.description.contains("\n"))
        #expect(!e.description.contains("\u{1B}"))
        #expect(SafeTensorsError.fileTooShort(size: 3).description == "file is 3 bytes long, too short for a safetensors header (at least 8 bytes)")
    }
}
