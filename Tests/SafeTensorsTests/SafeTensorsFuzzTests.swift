import Testing
@testable import SafeTensors

/// Hostile and damaged input: every case must either decode to a consistent
/// file or throw; a crash fails the whole run.
@Suite struct SafeTensorsFuzzTests {
    /// What any successfully decoded file must satisfy.
    func checkConsistent(_ file: SafeTensorsFile, sourceLocation: SourceLocation = #_sourceLocation) {
        var names = Set<String>()
        for t in file.tensors {
            #expect(names.insert(t.name).inserted, sourceLocation: sourceLocation)
            #expect(elementCount(t.shape) == t.data.count, sourceLocation: sourceLocation)
        }
        // It re-encodes, and that encoding decodes to the same values bit for bit.
        do {
            let again = try SafeTensorsFile.decode(file.encode())
            #expect(again.metadata == file.metadata, sourceLocation: sourceLocation)
            #expect(again.tensors.map(\.name) == file.tensors.map(\.name), sourceLocation: sourceLocation)
            #expect(again.tensors.map { $0.data.map(\.bitPattern) } == file.tensors.map { $0.data.map(\.bitPattern) },
                    sourceLocation: sourceLocation)
        } catch {
            Issue.record("a decoded file failed to round-trip: \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func everyTruncationFails() throws {
        let bytes = try sampleFile.encode()
        for n in 0..<bytes.count {
            #expect(decodeError(Array(bytes[..<n])) != nil, "prefix of \(n) bytes decoded")
        }
        #expect(decodeError(bytes + [0]) == .uncoveredBytes(begin: 40, end: 41))
        #expect(decodeError(bytes) == nil)
    }

    @Test func everyHeaderByteFlipDecodesConsistentlyOrThrows() throws {
        let bytes = try sampleFile.encode()
        let headerEnd = 8 + Int(bytes[0]) + Int(bytes[1]) << 8
        var decoded = 0, failed = 0
        let replacements: [UInt8] = Array(#"{}[]":,0123456789-.eE \u"#.utf8) + [0x00, 0x7F, 0x80, 0xC3, 0xFF]
        for i in 0..<headerEnd {
            var variants: [UInt8] = (0..<8).map { bytes[i] ^ (1 << $0) } + [~bytes[i]]
            variants += replacements.filter { $0 != bytes[i] }
            for v in variants {
                var damaged = bytes
                damaged[i] = v
                do {
                    checkConsistent(try SafeTensorsFile.decode(damaged))
                    decoded += 1
                } catch {
                    #expect(!error.description.isEmpty && !error.description.contains("\n"))
                    failed += 1
                }
            }
        }
        print("header byte flips: \(decoded) decoded consistently, \(failed) rejected")
        #expect(failed > 0)
    }

    @Test func randomBytesNeverCrash() {
        var rng = SplitMix64(seed: 0x5AFE)
        for _ in 0..<3000 {
            let n = Int(rng.next() % 160)
            var bytes = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            if n >= 8, rng.next() % 2 == 0 {
                // Make the length plausible so that the header parser is reached.
                let length = UInt64(rng.next() % UInt64(n - 7))
                bytes.replaceSubrange(0..<8, with: littleEndianBytes(length))
            }
            if let file = try? SafeTensorsFile.decode(bytes) { checkConsistent(file) }
        }
    }

    /// Random token soup in a plausible frame reaches deep into the header checks.
    @Test func randomJSONishHeadersNeverCrash() {
        var rng = SplitMix64(seed: 42)
        let tokens = [#"{"#, #"}"#, #"["#, #"]"#, #":"#, #","#, #"""#, #""t""#, #""u""#, #""dtype""#, #""F32""#, #""F16""#,
                      #""shape""#, #""data_offsets""#, #""__metadata__""#, "0", "4", "8", "1", "-1", "1e3", "0.5",
                      "18446744073709551616", "true", "null", " ", #"\u00e9"#, #"\"#]
        var decodedCount = 0
        for _ in 0..<5000 {
            var header = ""
            if rng.next() % 4 != 0 { header = #"{"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}"# }
            for _ in 0..<Int(rng.next() % 12) {
                let pos = header.isEmpty ? 0 : Int(rng.next() % UInt64(header.utf8.count + 1))
                let token = tokens[Int(rng.next() % UInt64(tokens.count))]
                var utf8 = Array(header.utf8)
                utf8.insert(contentsOf: token.utf8, at: min(pos, utf8.count))
                header = String(decoding: utf8, as: UTF8.self)
            }
            if rng.next() % 2 == 0 { header += "}" }
            let data = [UInt8](repeating: 0x3F, count: Int(rng.next() % 3) * 4)
            if let file = try? SafeTensorsFile.decode(rawFile(header, data: data, pad: rng.next() % 2 == 0)) {
                checkConsistent(file)
                decodedCount += 1
            }
        }
        print("random JSON-ish headers: \(decodedCount) of 5000 decoded")
    }

    /// Random valid files round-trip exactly; random damage to their offsets is caught.
    @Test func randomValidFilesRoundTripAndDamagedOffsetsAreCaught() throws {
        var rng = SplitMix64(seed: 2024)
        for round in 0..<300 {
            var tensors: [SafeTensorsFile.Tensor] = []
            for k in 0..<Int(rng.next() % 5) {
                let rank = Int(rng.next() % 4)
                let shape = (0..<rank).map { _ in Int(rng.next() % 4) }
                let count = shape.reduce(1, *)
                let data = (0..<count).map { _ in Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()) & 0x7F7F_FFFF) }
                tensors.append(.init(name: "t\(k).\(round)", shape: shape, data: data))
            }
            var metadata: [String: String] = [:]
            for k in 0..<Int(rng.next() % 3) { metadata["k\(k)"] = String(repeating: "v\u{1}é", count: Int(rng.next() % 4)) }
            let file = SafeTensorsFile(metadata: metadata, tensors: tensors)
            let bytes = try file.encode()
            let back = try SafeTensorsFile.decode(bytes)
            #expect(back.tensors == file.tensors)
            #expect(back.metadata == file.metadata)

            // Nudge one data_offsets number of one non-empty tensor: always an error.
            guard let victim = tensors.firstIndex(where: { !$0.data.isEmpty }) else { continue }
            let header = String(decoding: bytes[8..<(8 + Int(bytes[0]) + Int(bytes[1]) << 8)], as: UTF8.self)
            let needle = "\"\(tensors[victim].name)\":"
            let entryStart = header.range(of: needle)!.upperBound
            let offsetsStart = header.range(of: "\"data_offsets\":[", range: entryStart..<header.endIndex)!.upperBound
            let close = header.range(of: "]", range: offsetsStart..<header.endIndex)!.lowerBound
            let numbers = header[offsetsStart..<close].split(separator: ",").map { Int($0)! }
            let delta = Int(rng.next() % 4) + 1
            let changed = rng.next() % 2 == 0 ? [numbers[0] + delta, numbers[1]] : [numbers[0], numbers[1] + delta]
            let newHeader = header.replacingCharacters(in: offsetsStart..<close, with: "\(changed[0]),\(changed[1])")
            let damaged = rawFile(newHeader, data: Array(bytes[(8 + header.utf8.count)...]))
            #expect(decodeError(damaged) != nil, "offsets \(numbers) → \(changed) accepted")
        }
    }
}
