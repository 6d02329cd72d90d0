/// Why labelled data cannot be used: every problem found, one line each,
/// naming the file and line (or the file, for a directory of label folders).
public struct LabelledDataError: Error, Equatable, CustomStringConvertible, Sendable {
    /// All problems, in file order (whole-file problems last).
    public let problems: [String]

    /// Problems printed at most; the rest are counted on one more line.
    public static let printedLimit = 20

    public init(_ problems: [String]) { self.problems = problems }

    /// The lines to print: the first `printedLimit` problems, then "… and N more problems".
    public var lines: [String] {
        guard problems.count > Self.printedLimit else { return problems }
        let more = problems.count - Self.printedLimit
        return Array(problems.prefix(Self.printedLimit)) + ["… and \(more) more problem\(more == 1 ? "" : "s")"]
    }

    /// `lines`, one per line.
    public var description: String { lines.joined(separator: "\n") }
}
