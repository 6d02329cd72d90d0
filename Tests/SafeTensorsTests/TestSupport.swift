import Foundation
@testable import SafeTensors

/// A tiny seeded generator (Vigna's SplitMix64), local because this target
/// does not depend on module Tensor.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A file built by hand from the specification: the 8-byte little-endian
/// header length, the header text (padded with spaces to a multiple of 8 when
/// `pad`), then `data`.
func rawFile(_ header: String, data: [UInt8] = [], pad: Bool = false) -> [UInt8] {
    var h = Array(header.utf8)
    if pad { while h.count % 8 != 0 { h.append(0x20) } }
    return littleEndianBytes(UInt64(h.count)) + h + data
}

func littleEndianBytes(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }

/// `values` as F32 little-endian bytes, spelled out independently of the code under test.
func f32Bytes(_ values: [Float]) -> [UInt8] {
    values.flatMap { v -> [UInt8] in
        let b = v.bitPattern
        return [UInt8(b & 0xFF), UInt8(b >> 8 & 0xFF), UInt8(b >> 16 & 0xFF), UInt8(b >> 24)]
    }
}

/// The error `body` throws, or nil.
func decodeError(_ bytes: [UInt8]) -> SafeTensorsError? {
    do { _ = try SafeTensorsFile.decode(bytes); return nil } catch { return error }
}

/// A fresh empty directory under the system's temporary directory.
func makeTemporaryDirectory() -> String {
    var template = Array((NSTemporaryDirectory() + "/safetensors-test-XXXXXX").utf8CString)
    let p = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    precondition(p != nil, "mkdtemp failed")
    return String(cString: p!)
}

func removeDirectory(_ path: String) { try? FileManager.default.removeItem(atPath: path) }

/// A small valid file used by several tests: metadata and three tensors incl. a scalar and an empty one.
let sampleFile = SafeTensorsFile(
    metadata: ["format": "test", "note": "quote \" backslash \\ newline \n tab \t é 🇫🇷"],
    tensors: [
        .init(name: "w", shape: [2, 3], data: [1, -2, 3.5, .pi, -0.0, 1e-30]),
        .init(name: "scalar", shape: [], data: [42]),
        .init(name: "empty", shape: [0], data: []),
        .init(name: "b", shape: [3], data: [.infinity, -.infinity, 7]),
    ])
