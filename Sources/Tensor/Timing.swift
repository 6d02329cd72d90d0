/// The two helpers every measurement in charrnn uses (the trainer's clock,
/// `charrnn bench`, the engine benchmark), written once.

extension Duration {
    /// The duration in seconds, attoseconds included.
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}

/// The median of `x` (the mean of the two middle values for an even count); NaN when empty.
public func median(_ x: [Double]) -> Double {
    let s = x.sorted()
    return s.isEmpty ? .nan : s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}
