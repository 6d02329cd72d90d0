#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The learning rate as a pure function of the iteration (as nanoGPT's
/// `get_lr`), so a resumed run needs only the iteration number.
///
/// `iteration` counts optimizer steps from 0: the rate for the first step is
/// `learningRate(base:iteration: 0)`.
public enum LearningRateSchedule: Codable, Equatable, Sendable {
    /// Always `base`.
    case constant
    /// `base · factor^k`, where k counts the boundaries j·every (j ≥ 1) with
    /// startAfter ≤ j·every ≤ iteration.
    ///
    /// char-rnn multiplies its rate by `learning_rate_decay` (0.97) at the end
    /// of every epoch once `learning_rate_decay_after` (10) epochs are done.
    /// With E iterations per epoch that is `.stepDecay(every: E, factor: 0.97,
    /// startAfter: 10·E)`: iterations 0 ..< 10E use base, 10E ..< 11E use
    /// 0.97·base, and so on.
    case stepDecay(every: Int, factor: Float, startAfter: Int)
    /// nanoGPT's `get_lr`: linear warmup `base·(it+1)/(warmup+1)` for
    /// it < warmup, then a half cosine from base down to `minimumFactor·base`
    /// reached at it = total, and `minimumFactor·base` after that.
    case cosine(warmup: Int, total: Int, minimumFactor: Float)

    /// The learning rate for (0-based) `iteration`. Never negative for
    /// a non-negative base; a negative iteration is treated as 0.
    public func learningRate(base: Float, iteration: Int) -> Float {
        let it = max(0, iteration)
        switch self {
        case .constant:
            return base
        case let .stepDecay(every, factor, startAfter):
            guard every > 0 else { return base }
            let lastBoundary = it / every                              // j·every ≤ it
            let start = max(0, startAfter)                             // j·every ≥ start, without start + every overflowing
            let firstBoundary = max(1, start / every + (start % every == 0 ? 0 : 1))
            let decays = lastBoundary - firstBoundary + 1
            guard decays > 0 else { return base }
            return Float(Double(base) * pow(Double(factor), Double(decays)))
        case let .cosine(warmup, total, minimumFactor):
            let b = Double(base), minimum = Double(base) * Double(minimumFactor)
            if it < warmup { return Float(b * (Double(it) + 1) / (Double(warmup) + 1)) }
            if it >= total { return Float(minimum) }  // also covers total ≤ warmup (no decay phase)
            let ratio = (Double(it) - Double(max(0, warmup))) / (Double(total) - Double(max(0, warmup)))
            let coefficient = 0.5 * (1 + cos(Double.pi * ratio))   // 1 → 0
            return Float(minimum + coefficient * (b - minimum))
        }
    }

    /// A one-line error for a schedule that cannot be used, or nil.
    public var problem: String? {
        switch self {
        case .constant:
            return nil
        case let .stepDecay(every, factor, startAfter):
            if every < 1 { return "learning-rate decay interval must be at least 1 iteration (got \(every))" }
            if !(factor > 0 && factor <= 1) { return "learning-rate decay factor must be in (0, 1] (got \(factor))" }
            if startAfter < 0 { return "learning-rate decay start must be ≥ 0 (got \(startAfter))" }
            return nil
        case let .cosine(warmup, total, minimumFactor):
            if warmup < 0 { return "warmup must be ≥ 0 iterations (got \(warmup))" }
            if total < warmup { return "cosine schedule length (\(total)) must be at least the warmup (\(warmup))" }
            if !(minimumFactor >= 0 && minimumFactor <= 1) {
                return "minimum learning-rate factor must be in [0, 1] (got \(minimumFactor))"
            }
            return nil
        }
    }
}
