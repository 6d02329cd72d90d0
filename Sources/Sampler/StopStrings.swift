/// The stop strings of a generation as bytes, and the two questions asked of a text: which of them
/// it ends with (the generation stops; OpenAI's answer drops it), and how much of its end could
/// begin one (a stream holds that back). One place for `BatchedGeneration`'s rows, beam search
/// and `serve`'s completions.
public struct StopStrings: Sendable {
    /// Each stop string's UTF-8 bytes (an empty one is never met, and is left out).
    public let bytes: [[UInt8]]
    /// The longest one's byte count (0 without any).
    public let longest: Int

    public init(_ strings: [String]) {
        bytes = strings.map { Array($0.utf8) }.filter { !$0.isEmpty }
        longest = bytes.map(\.count).max() ?? 0
    }

    public var isEmpty: Bool { bytes.isEmpty }

    /// The byte count of the longest stop string `text` ends with; 0 when it ends with none.
    public func ending(_ text: [UInt8]) -> Int {
        var longest = 0   // (a loop, no arrays: asked after every character of a row that has stop strings)
        for stop in bytes where stop.count > longest && text.count >= stop.count && text.suffix(stop.count).elementsEqual(stop) {
            longest = stop.count
        }
        return longest
    }

    /// The byte count of the longest end of `text` that begins a stop string (all of one, when `text`
    /// ends with it). A stop string starts a character, so such an end does too.
    public func beginning(at text: [UInt8]) -> Int {
        bytes.map { stop in (0...min(stop.count, text.count)).last { text.suffix($0).elementsEqual(stop.prefix($0)) } ?? 0 }.max() ?? 0
    }
}
