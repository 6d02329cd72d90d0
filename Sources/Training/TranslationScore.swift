/// How close outputs are to their references, summed over pairs: exact-match
/// accuracy and the character error rate, Σ edit distance / Σ reference
/// characters (Levenshtein over the tokenizer's characters: insertions,
/// deletions and substitutions each cost 1), as speech and OCR report it.
public struct TranslationScore: Equatable, Sendable {
    public private(set) var pairs = 0
    public private(set) var exact = 0
    public private(set) var edits = 0
    public private(set) var referenceCharacters = 0

    public init() {}

    /// Adds one output and its reference (character ids).
    public mutating func add(output: [Int32], reference: [Int32]) {
        pairs += 1
        if output == reference { exact += 1 }
        edits += Self.editDistance(output, reference)
        referenceCharacters += reference.count
    }

    /// The fraction of outputs equal to their reference (0 with no pairs).
    public var exactMatch: Double { pairs == 0 ? 0 : Double(exact) / Double(pairs) }
    /// Σ edits / Σ reference characters (may exceed 1; 0 with no characters).
    public var characterErrorRate: Double { referenceCharacters == 0 ? 0 : Double(edits) / Double(referenceCharacters) }

    /// Levenshtein distance, one row of the table at a time (O(|a|·|b|) time, O(|b|) memory).
    public static func editDistance(_ a: [Int32], _ b: [Int32]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count), current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(substitution, previous[j] + 1, current[j - 1] + 1)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
