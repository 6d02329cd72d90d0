import ArgumentParser
import Foundation

/// `--threads`, declared, documented and checked once for every command that computes.
struct ThreadOptions: ParsableArguments {
    static let range = 1...256

    @Option(parsing: .unconditional, help: "Worker threads, 1–256 (default: all cores).") var threads: Int?  // `--threads -1`: the range error

    func validate() throws {
        if let t = threads, !Self.range.contains(t) { throw ValidationError("--threads must be between 1 and 256 (got \(t))") }
    }

    /// The threads to use: as given, else every core.
    var count: Int { threads ?? ProcessInfo.processInfo.activeProcessorCount }
}
