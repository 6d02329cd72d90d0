import Files

/// What the readers of line-per-example data (labelled data, pairs) share:
/// reading a TSV file line by line, UTF-8 validation with the byte offset of
/// the first invalid byte, problems kept with their line and printed in file
/// order, and the memory bound on a file's size.
enum DataFile {
    /// Bytes read as UTF-8: the text, or where (from the file's start) the first invalid byte is.
    enum Decoded {
        case text(String)
        case invalid(at: Int)
    }

    /// Bytes of memory reading and tokenizing needs per byte of input: the
    /// bytes, each text as a `String`, and 4-byte ids (a character per byte in
    /// the worst case), with room for growth.
    static let bytesPerInputByte = 8

    /// The most input bytes that fit in the memory available.
    static var byteLimit: Int { (SystemMemory.availableBytes ?? .max) / bytesPerInputByte }

    /// Reads the regular file at `path` and calls `body` with each line that is
    /// not blank (empty or spaces only), numbered from 1, without its line
    /// break: "\n" ends a line, a "\r" before it is dropped, and so is a byte
    /// order mark at the start of the file.
    /// - Throws: why the file cannot be read (missing, a FIFO or device, too large).
    static func readLines(path: String, lossy: Bool, _ body: (_ number: Int, _ line: Decoded) -> Void) throws(FileError) {
        let bytes = try RegularFile(path: path).readAll(limit: byteLimit)
        bytes.withUnsafeBufferPointer { all in
            var start = UTF8Validation.startsWithByteOrderMark(all) ? 3 : 0
            var number = 0
            while start < all.count {
                number += 1
                let newline = all[start...].firstIndex(of: 0x0A) ?? all.count
                var end = newline
                if end > start, all[end - 1] == 0x0D { end -= 1 }
                let line = UnsafeBufferPointer(rebasing: all[start..<end])
                if !line.allSatisfy({ $0 == 0x20 }) { body(number, decode(line, lossy: lossy, baseOffset: start)) }
                start = newline + 1
            }
        }
    }

    /// UTF-8 bytes as a string, or the offset (from `baseOffset`) of the first invalid byte; `lossy` replaces them instead.
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, lossy: Bool, baseOffset: Int) -> Decoded {
        var valid: [UInt8] = []
        valid.reserveCapacity(bytes.count)
        do throws(TokenizerError) {
            _ = try UTF8Validation.validate(bytes, isFinal: true, lossy: lossy, baseOffset: baseOffset, path: nil, into: &valid)
        } catch {
            if case .invalidUTF8(_, let offset) = error { return .invalid(at: offset) }
            return .invalid(at: baseOffset)
        }
        return .text(String(decoding: valid, as: UTF8.self))
    }

    /// The message for invalid UTF-8 at `offset`.
    static func invalidUTF8(_ offset: Int, of what: String) -> String {
        "invalid UTF-8 at byte \(offset) of the \(what) (fix the file, or use --lossy to replace invalid bytes with U+FFFD)"
    }

    /// Whether a text is empty or white space only.
    static func isBlank(_ text: some StringProtocol) -> Bool { text.allSatisfy(\.isWhitespace) }

    /// Problems in file order, stable: a line's own problems in the order found,
    /// lines in order, whole-file problems (position `.max`) last.
    static func ordered(_ problems: [(position: Int, message: String)]) -> [String] {
        problems.enumerated()
            .sorted { ($0.element.position, $0.offset) < ($1.element.position, $1.offset) }
            .map(\.element.message)
    }
}

/// Why a data file cannot be used: every problem found, one line each,
/// naming the file and line, so that one run shows all there is to fix.
public protocol DataProblems: Error, CustomStringConvertible {
    /// All problems, in file order (whole-file problems last).
    var problems: [String] { get }
}

extension DataProblems {
    /// Problems printed at most; the rest are counted on one more line.
    public static var printedLimit: Int { 20 }

    /// The lines to print: the first `printedLimit` problems, then "… and N more problems".
    public var lines: [String] {
        guard problems.count > Self.printedLimit else { return problems }
        let more = problems.count - Self.printedLimit
        return Array(problems.prefix(Self.printedLimit)) + ["… and \(more) more problem\(more == 1 ? "" : "s")"]
    }

    /// `lines`, one per line.
    public var description: String { lines.joined(separator: "\n") }
}
