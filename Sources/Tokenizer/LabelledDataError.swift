/// Why labelled data cannot be used: every problem found, one line each,
/// naming the file and line (or the file, for a directory of label folders);
/// printed as `DataProblems` says (at most `printedLimit`, then a count).
public struct LabelledDataError: DataProblems, Equatable, Sendable {
    /// All problems, in file order (whole-file problems last).
    public let problems: [String]

    public init(_ problems: [String]) { self.problems = problems }
}
