/// A tiny, fast, seeded random number generator (Steele, Lea & Flood's
/// SplitMix64, as in swift-argument-parser's `Examples/roll`).
///
/// One generator drives parameter initialisation, dropout masks and sampling,
/// so a seed reproduces a run exactly. Its whole state is one `UInt64`, which
/// checkpoints store to resume the same random sequence.
public struct SplitMix64: RandomNumberGenerator, Codable, Equatable, Sendable {
    /// The complete state; save it and restore it to continue the same sequence.
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1), with 24 random bits (every value exactly representable).
    @inlinable public mutating func nextFloat() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// Uniform in [0, 1), with 53 random bits.
    @inlinable public mutating func nextDouble() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// Uniform in [low, high).
    @inlinable public mutating func nextFloat(in low: Float, _ high: Float) -> Float {
        low + (high - low) * nextFloat()
    }
}
