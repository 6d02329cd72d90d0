import Foundation

/// The helpers every measurement in charrnn uses (the trainer's clock and
/// progress line, `charrnn bench`), written once.

extension Duration {
    /// The duration in seconds, attoseconds included.
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}

/// The median of `x` (the mean of the two middle values for an even count); NaN when empty.
public func median(_ x: [Double]) -> Double {
    let s = x.sorted()
    return s.isEmpty ? .nan : s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

/// Formats a rate as `61.2k`, `950`, `1.20M`.
public func formatRate(_ x: Double) -> String {
    if x >= 1e6 { return String(format: "%.2fM", x / 1e6) }
    if x >= 1e3 { return String(format: "%.1fk", x / 1e3) }
    return String(format: "%.0f", x)
}
