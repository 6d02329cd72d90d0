import Files
import Foundation

/// The input's lines, without their ends (LF, CRLF or a lone CR); the text must be UTF-8.
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
    // A line ends with LF, CRLF or a lone CR (classic Mac OS), mixed as they come.
    var lines: [String] = [], start = 0, i = 0
    while i < bytes.count {
        let b = bytes[i]
        if b == 0x0A || b == 0x0D {
            lines.append(String(decoding: bytes[start..<i], as: UTF8.self))
            i += b == 0x0D && i + 1 < bytes.count && bytes[i + 1] == 0x0A ? 2 : 1
            start = i
        } else {
            i += 1
        }
    }
    if start < bytes.count { lines.append(String(decoding: bytes[start...], as: UTF8.self)) }   // a last line without its end
    return lines
}
