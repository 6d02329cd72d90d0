import Foundation

/// A linear axis over round numbers: ticks at multiples of 1, 2 or 5 × 10ᵏ,
/// with the range widened to whole ticks (Heckbert, "Nice numbers for graph
/// labels", Graphics Gems, 1990).
public struct NiceScale: Equatable, Sendable {
    /// The axis range, a whole number of steps.
    public var lower: Double
    public var upper: Double
    /// The distance between ticks.
    public var step: Double

    /// About `targetTickCount` ticks covering `low...high`. An empty range
    /// (low == high) is widened around its value; `low` below 0 only when asked.
    /// Values beyond ±`limit` are taken as ±`limit`, so that no width, step or
    /// count overflows (a log holding 1e308 is drawn, off the scale, not a trap).
    public init(low: Double, high: Double, targetTickCount: Int = 6) {
        var low = low, high = high
        if !(low.isFinite && high.isFinite) { low = 0; high = 1 }
        low = min(max(low, -Self.limit), Self.limit)
        high = min(max(high, -Self.limit), Self.limit)
        if low > high { swap(&low, &high) }
        if high - low < 1e-12 * max(1, abs(high)) {
            let pad = abs(high) > 0 ? abs(high) * 0.1 : 1
            low -= pad; high += pad
        }
        let step = NiceScale.niceNumber((high - low) / Double(max(1, targetTickCount - 1)), round: true)
        self.step = step
        lower = (low / step).rounded(.down) * step
        upper = (high / step).rounded(.up) * step
        // Values too close to 0 for a step that is a number (1e-320): one step over 0...1.
        let steps = (upper - lower) / step
        if !(steps.isFinite && steps >= 1 && steps <= 10 * Double(max(targetTickCount, 10))) {
            lower = 0
            upper = 1
            self.step = 1
        }
    }

    /// The largest magnitude an axis covers.
    static let limit = 1e300

    /// The tick values from `lower` to `upper`, exactly as printed (no 0.30000000000000004).
    public var ticks: [Double] {
        let count = Int(((upper - lower) / step).rounded()) + 1
        return (0..<count).map { i in NiceScale.clean(lower + Double(i) * step, step: step) }
    }

    /// Ticks at round values of `f(y)` inside this range, for a secondary axis
    /// in other units (`f` increasing, linear): returned as (value in the other
    /// unit, position in this scale's unit).
    public func secondaryTicks(scale factor: Double, targetTickCount: Int = 6) -> [(label: Double, at: Double)] {
        let other = NiceScale(low: lower * factor, high: upper * factor, targetTickCount: targetTickCount)
        return other.ticks.compactMap { v in
            let at = v / factor
            return at >= lower - 1e-9 * step && at <= upper + 1e-9 * step ? (v, at) : nil
        }
    }

    /// A label for a tick: as many decimals as the step needs, thousands as `k`
    /// and millions as `M` when the step allows it.
    public func label(_ value: Double) -> String {
        NiceScale.label(value, step: step)
    }

    public static func label(_ value: Double, step: Double) -> String {
        if value == 0 { return "0" }
        let magnitude = abs(value)
        if magnitude >= 1e6 && step >= 1e5 { return withoutTrailingZeros(trimmed(value / 1e6, decimals: decimals(step / 1e6))) + "M" }
        if magnitude >= 1e3 && step >= 100 { return withoutTrailingZeros(trimmed(value / 1e3, decimals: decimals(step / 1e3))) + "k" }
        return trimmed(value, decimals: decimals(step))
    }

    /// 1, 2, 5 or 10 × 10ᵏ near `x`: rounded to the nearest, or the next above.
    static func niceNumber(_ x: Double, round: Bool) -> Double {
        guard x > 0, x.isFinite else { return 1 }
        let exponent = floor(log10(x))
        let fraction = x / pow(10, exponent)
        let nice: Double
        if round {
            nice = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10
        } else {
            nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10
        }
        return nice * pow(10, exponent)
    }

    /// Decimals needed to print multiples of `step` exactly (0.25 → 2, 5 → 0).
    static func decimals(_ step: Double) -> Int {
        var d = 0
        while d < 10 {
            let scaled = step * pow(10, Double(d))
            if abs(scaled - scaled.rounded()) < 1e-6 * max(1, scaled) { break }
            d += 1
        }
        return d
    }

    static func clean(_ value: Double, step: Double) -> Double {
        let p = pow(10, Double(decimals(step)))
        let v = (value * p).rounded() / p
        return v == 0 ? 0 : v  // no -0
    }

    /// "2.0" → "2", "2.50" → "2.5": for the k and M labels, where "2k 2.5k 3k" reads best.
    static func withoutTrailingZeros(_ s: String) -> String {
        guard s.contains(".") else { return s }
        var t = Substring(s)
        while t.hasSuffix("0") { t = t.dropLast() }
        if t.hasSuffix(".") { t = t.dropLast() }
        return String(t)
    }

    static func trimmed(_ value: Double, decimals: Int) -> String {
        String(format: "%.\(decimals)f", value)
    }
}
