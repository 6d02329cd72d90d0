import Testing
@testable import SafeTensors

@Suite struct SafeTensorsEncodingTests {
    @Test func roundTripKeepsMetadataTensorsAndOrder() throws {
        let bytes = try sampleFile.encode()
        let back = try SafeTensorsFile.decode(bytes)
        #expect(back.metadata == sampleFile.metadata)
        #expect(back.tensors == sampleFile.tensors)
        #expect(back.tensors.map(\.name) == ["w", "scalar", "empty", "b"])
        #expect(back["scalar"]?.shape == [])
        #expect(back["scalar"]?.data == [42])
        #expect(back["empty"]?.data == [])
        #expect(back["missing"] == nil)
        // Encoding is deterministic (metadata keys sorted), so re-encoding gives the same bytes.
        #expect(try back.encode() == bytes)
    }

    /// The example of the reference implementation's own serialization test,
    /// rebuilt by hand from the specification: header length 64 (already a
    /// multiple of 8, so no padding), compact JSON, then six little-endian F32.
    @Test func knownEncodingWithoutPadding() throws {
        let file = SafeTensorsFile(tensors: [.init(name: "attn.0", shape: [1, 2, 3], data: [0, 1, 2, 3, 4, 5])])
        let header = #"{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}"#
        #expect(header.utf8.count == 64)
        let expected: [UInt8] = [64, 0, 0, 0, 0, 0, 0, 0] + Array(header.utf8) + [
            0x00, 0x00, 0x00, 0x00,  // 0.0
            0x00, 0x00, 0x80, 0x3F,  // 1.0  = 0x3F800000, least significant byte first
            0x00, 0x00, 0x00, 0x40,  // 2.0
            0x00, 0x00, 0x40, 0x40,  // 3.0
            0x00, 0x00, 0x80, 0x40,  // 4.0
            0x00, 0x00, 0xA0, 0x40,  // 5.0
        ]
        #expect(try file.encode() == expected)
        #expect(try SafeTensorsFile.decode(expected).tensors == file.tensors)
    }

    /// A 65-byte header is padded with 7 spaces to 72 so that the data starts 8-byte aligned.
    @Test func knownEncodingWithPadding() throws {
        let file = SafeTensorsFile(tensors: [.init(name: "attn0", shape: [1, 1, 2, 3], data: [0, 1, 2, 3, 4, 5])])
        let header = #"{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}"#
        #expect(header.utf8.count == 65)
        let expected = [72, 0, 0, 0, 0, 0, 0, 0] + Array(header.utf8) + Array(repeating: 0x20, count: 7)
            + f32Bytes([0, 1, 2, 3, 4, 5])
        #expect(try file.encode() == expected)
    }

    @Test func knownEncodingOfEmptyFiles() throws {
        #expect(try SafeTensorsFile().encode() == [8, 0, 0, 0, 0, 0, 0, 0] + Array("{}      ".utf8))
        let withMetadata = SafeTensorsFile(metadata: ["framework": "pt"])
        #expect(try withMetadata.encode() == [40, 0, 0, 0, 0, 0, 0, 0] + Array(#"{"__metadata__":{"framework":"pt"}}     "#.utf8))
        #expect(try SafeTensorsFile.decode(withMetadata.encode()).metadata == ["framework": "pt"])
    }

    @Test func headerIsPaddedToEightBytesForAnyNameLength() throws {
        for n in 1...17 {
            let file = SafeTensorsFile(tensors: [.init(name: String(repeating: "x", count: n), shape: [1], data: [1])])
            let bytes = try file.encode()
            let length = bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            #expect(length % 8 == 0)
            #expect(bytes.count == 8 + Int(length) + 4)
            #expect(bytes[8 + Int(length) - 1] != 0)
        }
    }

    @Test func valuesAreLittleEndianBitExact() throws {
        let special: [Float] = [.nan, -.nan, .signalingNaN, .leastNonzeroMagnitude, .greatestFiniteMagnitude, -0.0, 1 / 3]
        let file = SafeTensorsFile(tensors: [.init(name: "s", shape: [special.count], data: special)])
        let bytes = try file.encode()
        #expect(Array(bytes.suffix(special.count * 4)) == f32Bytes(special))
        let back = try SafeTensorsFile.decode(bytes)
        #expect(back.tensors[0].data.map(\.bitPattern) == special.map(\.bitPattern))
    }

    @Test func decodesForeignButValidHeaders() throws {
        // Whitespace, escapes, unknown fields, null metadata, entries not in offset order, padding.
        let header = """
         { "b" : {"shape":[1], "data_offsets":[4,8], "dtype":"F32", "extra": {"nested": [1, 2.5e3, true, null]}},
           "__metadata__": null,
           "\\u00e9\\ud83c\\uddeb\\ud83c\\uddf7\\n\\"\\/" : {"dtype":"F32","shape":[],"data_offsets":[0,4]} }\t\r\n
        """
        let file = try SafeTensorsFile.decode(rawFile(header, data: f32Bytes([1, 2]), pad: true))
        #expect(file.metadata == [:])
        #expect(file.tensors.map(\.name) == ["b", "é🇫🇷\n\"/"])  // header order, not offset order
        #expect(file["b"]?.data == [2])
        #expect(file["é🇫🇷\n\"/"]?.data == [1])
    }

    @Test func encodeRejectsInconsistentTensors() {
        func error(_ tensors: [SafeTensorsFile.Tensor]) -> SafeTensorsError? {
            do { _ = try SafeTensorsFile(tensors: tensors).encode(); return nil } catch { return error }
        }
        #expect(error([.init(name: "a", shape: [2, 2], data: [1, 2, 3])]) == .shapeMismatch(tensor: "a", shape: [2, 2], count: 3))
        #expect(error([.init(name: "a", shape: [], data: [])]) == .shapeMismatch(tensor: "a", shape: [], count: 0))
        #expect(error([.init(name: "a", shape: [-1, -1], data: [1])]) == .shapeMismatch(tensor: "a", shape: [-1, -1], count: 1))
        #expect(error([.init(name: "a", shape: [Int.max, 2], data: [])]) == .shapeMismatch(tensor: "a", shape: [Int.max, 2], count: 0))
        #expect(error([.init(name: "a", shape: [1], data: [1]), .init(name: "a", shape: [1], data: [2])]) == .duplicateTensor("a"))
        #expect(error([.init(name: "__metadata__", shape: [1], data: [1])]) == .reservedName("__metadata__"))
    }

    @Test func controlCharactersAreEscapedInTheHeader() throws {
        let name = "a\u{0}b\u{1F}c\u{7F}"
        let file = SafeTensorsFile(metadata: ["k\u{1}": "v\u{2}"], tensors: [.init(name: name, shape: [1], data: [1])])
        let bytes = try file.encode()
        let length = Int(bytes[0])
        #expect(!bytes[8..<(8 + length)].contains { $0 < 0x20 })
        let back = try SafeTensorsFile.decode(bytes)
        #expect(back.tensors == file.tensors)
        #expect(back.metadata == file.metadata)
    }

    /// A checkpoint-sized file (~50 MB) encodes and decodes through bulk copies.
    @Test func largeFileRoundTrip() throws {
        let count = 12_500_000
        var rng = SplitMix64(seed: 7)
        var big = [Float](repeating: 0, count: count)
        for i in stride(from: 0, to: count, by: 997) { big[i] = Float(rng.next() % 1000) / 7 }
        let file = SafeTensorsFile(metadata: ["vocabulary": String(repeating: "[\"a\",", count: 20_000)],
                                   tensors: [.init(name: "big", shape: [2500, 5000], data: big),
                                             .init(name: "small", shape: [3], data: [1, 2, 3])])
        let clock = ContinuousClock()
        var bytes: [UInt8] = []
        let encodeTime = try clock.measure { bytes = try file.encode() }
        var back = SafeTensorsFile()
        let decodeTime = try clock.measure { back = try SafeTensorsFile.decode(bytes) }
        print("50 MB file: encode \(encodeTime), decode \(decodeTime)")
        #expect(back.tensors == file.tensors)
        #expect(back.metadata == file.metadata)
    }
}
