/// A simple property of each character of a text, to look for hidden units
/// that track it (Karpathy 2015: a quote cell, a line-position cell, a bracket
/// cell). Each value describes the situation right *after* the character is
/// read, which is when the model's state is recorded: an opening quote is
/// already inside the quote, a newline already at position 0.
public struct TextFeature: Equatable, Sendable {
    public var name: String
    public var explanation: String
    /// One value per character.
    public var values: [Double]

    public init(name: String, explanation: String, values: [Double]) {
        self.name = name
        self.explanation = explanation
        self.values = values
    }

    /// The standard features of `characters` (as the tokenizer split them).
    public static func standard(of characters: [String]) -> [TextFeature] {
        [insideQuotes(characters), linePosition(characters), bracketDepth(characters),
         wordStart(characters), newline(characters)]
    }

    /// 1 inside double quotes ("…", “…”, «…», „…“, 「…」, 『…』), else 0. A blank
    /// line ends an unclosed quote, so one stray quote cannot flip the rest of a text.
    public static func insideQuotes(_ characters: [String]) -> TextFeature {
        var inside = false, previousNewline = false
        var values: [Double] = []
        values.reserveCapacity(characters.count)
        for c in characters {
            switch c {
            case "\"": inside.toggle()
            case "“", "«", "„", "「", "『": inside = true
            case "”", "»", "」", "』": inside = false
            case "\n", "\r\n":
                if previousNewline { inside = false }
            default: break
            }
            previousNewline = c == "\n" || c == "\r\n"
            values.append(inside ? 1 : 0)
        }
        return TextFeature(name: "inside quotes", explanation: "1 between double quotes (a blank line closes an open quote), else 0",
                           values: values)
    }

    /// Characters read since the last line break (0 right after one).
    public static func linePosition(_ characters: [String]) -> TextFeature {
        var column = 0.0
        let values = characters.map { c -> Double in
            column = isLineBreak(c) ? 0 : column + 1
            return column
        }
        return TextFeature(name: "position in line", explanation: "characters since the last line break", values: values)
    }

    /// Nesting depth of (), [], {} (and their full-width forms), never below 0.
    public static func bracketDepth(_ characters: [String]) -> TextFeature {
        var depth = 0.0
        let values = characters.map { c -> Double in
            switch c {
            case "(", "[", "{", "（", "［", "｛", "【": depth += 1
            case ")", "]", "}", "）", "］", "｝", "】": depth = max(0, depth - 1)
            default: break
            }
            return depth
        }
        return TextFeature(name: "bracket depth", explanation: "nesting depth of (), [] and {}", values: values)
    }

    /// 1 on the first letter or digit of a word, else 0.
    public static func wordStart(_ characters: [String]) -> TextFeature {
        var previousInWord = false
        let values = characters.map { c -> Double in
            let inWord = c.first.map { $0.isLetter || $0.isNumber } ?? false
            defer { previousInWord = inWord }
            return inWord && !previousInWord ? 1 : 0
        }
        return TextFeature(name: "start of word", explanation: "1 on the first letter or digit of a word", values: values)
    }

    /// 1 on a line break, else 0.
    public static func newline(_ characters: [String]) -> TextFeature {
        TextFeature(name: "line break", explanation: "1 on a line break (the state that starts a line)",
                    values: characters.map { isLineBreak($0) ? 1 : 0 })
    }

    static func isLineBreak(_ c: String) -> Bool {
        c == "\n" || c == "\r\n" || c == "\r" || c == "\u{2028}" || c == "\u{2029}"
    }
}
