import Foundation

/// SHA-256 by coreutils' `sha256sum`: a second implementation to check the pages'
/// Content-Security-Policy hash (Markup.scriptHashSource, libcrypto) against.
public enum CoreutilsSHA256 {
    /// Where the tool is, or nil (tests that need it are skipped with that reason).
    public static let tool: URL? = ["/usr/bin/sha256sum", "/bin/sha256sum"]
        .map(URL.init(fileURLWithPath:)).first { FileManager.default.isExecutableFile(atPath: $0.path) }

    /// The base64 of the SHA-256 of `text`'s UTF-8, as a CSP hash-source carries it.
    public static func base64(of text: String) throws -> String {
        guard let tool else { throw CocoaError(.fileNoSuchFile) }
        let process = Process(), input = Pipe(), output = Pipe()
        process.executableURL = tool
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        try input.fileHandleForWriting.write(contentsOf: Data(text.utf8))
        try input.fileHandleForWriting.close()
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let hex = Array(printed.prefix(64).utf8)
        guard process.terminationStatus == 0, hex.count == 64 else { throw CocoaError(.fileReadCorruptFile) }
        let bytes = stride(from: 0, to: 64, by: 2).compactMap { UInt8(String(decoding: hex[$0..<$0 + 2], as: UTF8.self), radix: 16) }
        guard bytes.count == 32 else { throw CocoaError(.fileReadCorruptFile) }
        return Data(bytes).base64EncodedString()
    }
}
