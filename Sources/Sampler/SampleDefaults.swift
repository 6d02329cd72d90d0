/// What generation does when not told otherwise, written once: `charrnn sample`,
/// `charrnn serve`'s API and its page, the help texts and the benchmark's
/// sampling workload all read these.
public enum SampleDefaults {
    /// Divides the logits: below 1 the text plays safe, above 1 it takes risks.
    /// 0.8 keeps a small model's text readable without the loops of greedy choice.
    public static let temperature: Float = 0.8

    /// `charrnn sample --length`: characters after the prime. The command streams
    /// to a terminal or a file, one person waiting on one process, so it writes
    /// a page of text (char-rnn's sample.lua also defaulted to 2000).
    public static let commandLineLength = 2000

    /// A `POST /v1/generate` without `length` (and the page's Length field as it
    /// opens). A request holds a worker lane while it generates and, unless
    /// streamed, is answered only when it is whole; the server answers many
    /// clients, so a request that names no length gets a short text quickly
    /// rather than a page of it.
    public static let requestLength = 200
}
