/// Why a pairs file cannot be used: every problem found, one line each, naming
/// the file and line; printed as `DataProblems` says (at most `printedLimit`, then a count).
public struct PairedDataError: DataProblems, Equatable, Sendable {
    /// All problems, in file order.
    public let problems: [String]

    public init(_ problems: [String]) { self.problems = problems }
}
