#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The learning rate as a pure function of the iteration (as nanoGPT's
/// `get_lr`) and, for a cosine schedule over a time budget, of the seconds
/// elapsed, so a resumed run needs only those two numbers.
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
    /// reached at the end of the budget, and `minimumFactor·base` after that.
    ///
    /// The budget is `total` iterations, `seconds` of wall-clock time, or both;
    /// the cosine's progress is then whichever is further along:
    ///
    ///     progress = max((it − warmup)/(total − warmup), elapsed/seconds), clamped to [0, 1]
    ///
    /// so that with a time budget the rate reaches its minimum as time runs
    /// out, however fast the machine is. (The warmup is counted in iterations
    /// either way; with a time budget alone the cosine's clock runs from the
    /// start, through the warmup.)
    case cosine(warmup: Int, total: Int?, minimumFactor: Float, seconds: Double? = nil)

    /// The learning rate for (0-based) `iteration`. Never negative for
    /// a non-negative base; a negative iteration is treated as 0.
    /// `elapsed`: seconds of the budget spent, read only by a cosine over `seconds`.
    public func learningRate(base: Float, iteration: Int, elapsed: Double = 0) -> Float {
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
        case let .cosine(warmup, total, minimumFactor, seconds):
            let b = Double(base), minimum = Double(base) * Double(minimumFactor)
            if it < warmup { return Float(b * (Double(it) + 1) / (Double(warmup) + 1)) }
            var ratio = 0.0
            if let total {
                if it >= total { return Float(minimum) }  // also covers total ≤ warmup (no decay phase)
                ratio = (Double(it) - Double(max(0, warmup))) / (Double(total) - Double(max(0, warmup)))
            }
            if let seconds, seconds > 0, elapsed.isFinite {
                ratio = max(ratio, min(max(elapsed, 0) / seconds, 1))
            }
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
        case let .cosine(warmup, total, minimumFactor, seconds):
            if warmup < 0 { return "warmup must be ≥ 0 iterations (got \(warmup))" }
            if total == nil && seconds == nil { return "a cosine schedule needs a budget: iterations or seconds" }
            if let total, total < warmup { return "cosine schedule length (\(total)) must be at least the warmup (\(warmup))" }
            if let seconds, !(seconds > 0 && seconds.isFinite) { return "a cosine schedule's time budget must be positive (got \(seconds))" }
            if !(minimumFactor >= 0 && minimumFactor <= 1) {
                return "minimum learning-rate factor must be in [0, 1] (got \(minimumFactor))"
            }
            return nil
        }
    }
}
