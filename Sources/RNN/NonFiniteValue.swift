/// Which kind of non-finite float a value is: what a checkpoint or a model
/// output holds where a number should be. Kept as a kind rather than the
/// float itself so that errors carrying it stay `Equatable` (NaN ≠ NaN).
public enum NonFiniteValue: Equatable, Sendable {
    case notANumber
    case positiveInfinity
    case negativeInfinity

    /// The kind of `x`, or nil when `x` is finite.
    public init?(_ x: Float) {
        if x.isFinite { return nil }
        self = x.isNaN ? .notANumber : x > 0 ? .positiveInfinity : .negativeInfinity
    }

    /// "a NaN", "+infinity", "-infinity": for messages.
    public var phrase: String {
        switch self {
        case .notANumber: return "a NaN"
        case .positiveInfinity: return "+infinity"
        case .negativeInfinity: return "-infinity"
        }
    }

    /// The first non-finite value in `values`: its index and kind, or nil when all are finite.
    public static func first(in values: UnsafeBufferPointer<Float>) -> (index: Int, kind: NonFiniteValue)? {
        for i in values.indices where !values[i].isFinite { return (i, NonFiniteValue(values[i])!) }
        return nil
    }

    /// The same, for an array.
    public static func first(in values: [Float]) -> (index: Int, kind: NonFiniteValue)? {
        values.withUnsafeBufferPointer { first(in: $0) }
    }
}
