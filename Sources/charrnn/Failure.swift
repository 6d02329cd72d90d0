import ArgumentParser
import Files
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
    try writeStandardOutput(data)
}

/// Writes `data` to standard output, after what `print` has buffered there. A full disk or a closed
/// stdout is a one-line error and exit 1 (`FileHandle.write` traps on them).
func writeStandardOutput(_ data: Data) throws {
    var problem = fflush(nil) == 0 ? nil : String(cString: strerror(errno))   // every stream: stdout's `print`s first
    data.withUnsafeBytes { bytes in
        var offset = 0
        while problem == nil && offset < bytes.count {
            let n = write(STDOUT_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
            if n > 0 { offset += n } else if n < 0 && errno == EINTR { continue } else { problem = String(cString: strerror(errno)) }
        }
    }
    if let problem { throw failure("cannot write to standard output: \(problem)") }
}

/// Why a flush of standard output failed while a command went on (`flushStandardOutput`), for
/// `finishStandardOutput`: glibc drops what a failed flush could not write, so the flush at the end
/// finds nothing to write and succeeds. Written from the main thread only (the displays run on it).
nonisolated(unsafe) private var standardOutputProblem: String?

/// Sends what `print` has buffered (every C stream) as a command goes on, for progress that must show
/// now (training's lines). A failure does not stop the command, which has work to finish and save;
/// it is kept and reported when the command ends (`finishStandardOutput`).
func flushStandardOutput() {
    errno = 0
    if fflush(nil) != 0, standardOutputProblem == nil {
        standardOutputProblem = errno == 0 ? "a write failed" : String(cString: strerror(errno))
    }
}

/// After a command ran: what `print` left buffered goes out, and an output that could not be written,
/// now or by an earlier flush (a full disk, a closed stdout), is a one-line error and exit 1 instead
/// of a silent success.
func finishStandardOutput() throws {
    flushStandardOutput()
    if let problem = standardOutputProblem { throw failure("cannot write to standard output: \(problem)") }
}

/// Keeps a standard descriptor the parent closed (`charrnn train … >&-`) closed in effect: /dev/null
/// opened on it the other way round, so that reads or writes fail with EBADF as on a closed one. Left
/// free, the first file opened takes its number, and `print` would write into it (a run's .lock).
func reserveClosedStandardDescriptors() {
    for (descriptor, flags) in [(STDIN_FILENO, O_WRONLY), (STDOUT_FILENO, O_RDONLY), (STDERR_FILENO, O_RDONLY)] {
        guard fcntl(descriptor, F_GETFD) == -1, errno == EBADF else { continue }
        let null = open("/dev/null", flags | O_CLOEXEC)
        if null >= 0 && null != descriptor { dup2(null, descriptor); close(null) }
    }
}

/// Writes what `-o` names: standard output for "-", alone there so that it can be piped, else a file
/// (`writeOutputFile`). Returns whether it wrote a file, which the command then names on stdout.
func writeOutput(_ data: Data, to path: String, example: String) throws -> Bool {
    if path == "-" {
        try writeStandardOutput(data)
        return false
    }
    try writeOutputFile(data, to: path, example: example)
    return true
}

/// Writes a page or plot a command was told to write (`-o`): a new file, or over a regular one,
/// atomically (a temporary file renamed over it); a device, FIFO, socket or symbolic link at the path
/// is refused in one line instead of being replaced (`OutputPath`).
func writeOutputFile(_ data: Data, to path: String, example: String) throws {
    if let problem = OutputPath.problem(path) { throw failure("cannot write \(path): \(problem)") }
    do {
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    } catch {
        throw writeFailure(path, error, example: example)
    }
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

