import Files
import Foundation

/// The input's lines (without their "\n" or "\r\n"); the text must be UTF-8.
func readInputLines(_ file: String?, limit: Int) throws -> [String] {
    let bytes: [UInt8]
    let name = file ?? "-"
    if name == "-" {
        var data = Data()
        while true {
            let chunk = FileHandle.standardInput.readData(ofLength: 1 << 20)
            if chunk.isEmpty { break }
            data.append(chunk)
            if data.count > limit { throw failure("standard input is larger than \(limit) bytes") }
        }
        bytes = [UInt8](data)
    } else {
        do { bytes = try RegularFile(path: name).readAll(limit: limit) } catch {
            throw failure("cannot read \(name): \(error.reason)")
        }
    }
    guard String(validating: bytes, as: UTF8.self) != nil else { throw failure("\(name == "-" ? "standard input" : name) is not valid UTF-8") }
    // Split the bytes, not the String: "\r\n" is one Character, which a split on "\n" never matches.
    var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
        .map { String(decoding: $0.last == 0x0D ? $0.dropLast() : $0, as: UTF8.self) }
    if lines.last == "" { lines.removeLast() }
    return lines
}
