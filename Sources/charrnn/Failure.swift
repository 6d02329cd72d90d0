import ArgumentParser
import Foundation
import Tokenizer

/// Prints `charrnn: error: <message>` on stderr (one line) and returns the exit
/// code to throw: every runtime failure ends this way, never with a trap.
func failure(_ message: String, code: Int32 = 1) -> ExitCode {
    let line = message.replacingOccurrences(of: "\n", with: " ")
    FileHandle.standardError.write(Data("charrnn: error: \(line)\n".utf8))
    return ExitCode(code)
}

/// Labelled data or pairs with problems: one `charrnn: error:` line per problem (at most
/// `printedLimit`, then a count), exit 1.
func failure(_ error: some DataProblems) -> ExitCode {
    for line in error.lines { FileHandle.standardError.write(Data("charrnn: error: \(line)\n".utf8)) }
    return ExitCode(1)
}

/// `value` as one line of compact JSON with sorted keys on stdout (the `--json` of the listing commands).
func printJSONLine(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    var data = try encoder.encode(value)
    data.append(UInt8(ascii: "\n"))
    FileHandle.standardOutput.write(data)
}

/// The one-line error for an output file that could not be written, in words
/// (Foundation's own message is "NSCocoaErrorDomain error 512" for a directory).
func writeFailure(_ path: String, _ error: any Error, example: String) -> ExitCode {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
        return failure("cannot write \(path): it is a directory; give a file name such as \(path)/\(example)")
    }
    let folder = (path as NSString).deletingLastPathComponent
    if !folder.isEmpty, !FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) {
        return failure("cannot write \(path): the folder \(folder) does not exist")
    }
    if !isDirectory.boolValue && !folder.isEmpty {
        return failure("cannot write \(path): \(folder) is a file, not a folder")
    }
    let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError
    let reason = underlying.map { String(cString: strerror(Int32($0.code))) } ?? (error as NSError).localizedDescription
    return failure("cannot write \(path): \(reason)")
}

/// A note for the user on stderr (never mixed into generated text on stdout).
func note(_ message: String) {
    FileHandle.standardError.write(Data("\(message)\n".utf8))
}

/// Whether a file descriptor is a terminal.
func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }

/// Formats seconds as `4m12s`, `1h03m`, `12.3s`.
func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "?" }
    if seconds < 60 { return String(format: "%.1fs", seconds) }
    if seconds >= 100 * 365 * 86_400 { return "more than a century" }  // and never an Int overflow
    let s = Int(seconds.rounded())
    if s < 3600 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
    return "\(s / 3600)h\(String(format: "%02d", (s % 3600) / 60))m"
}

