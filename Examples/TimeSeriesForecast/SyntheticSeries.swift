import Foundation
import Tensor

/// Géron's synthetic series (Hands-On Machine Learning, 2nd ed., chapter 15,
/// `generate_time_series`): per series two sines of random frequency and phase
/// plus uniform noise, sampled at `length` points of linspace(0, 1, length):
///
///     x(t) = 0.5·sin((t − o1)·(10·f1 + 10)) + 0.2·sin((t − o2)·(20·f2 + 20)) + 0.1·(u(t) − 0.5)
///
/// with f1, f2, o1, o2 and every u(t) uniform in [0, 1). The draws come in
/// numpy's order (all f1, all f2, all o1, all o2, then the noise row by row);
/// the sums are in double precision and the values stored as Float, as the
/// book's `.astype(np.float32)`. SplitMix64 is not numpy's generator, so the
/// series are the same distribution as the book's, not the same numbers.
struct SyntheticSeries {
    let count: Int            // S series
    let length: Int           // steps per series
    let values: [Float]       // (S, length), row-major

    init(count: Int, length: Int, rng: inout SplitMix64) {
        precondition(count >= 1 && length >= 2, "need at least one series of two steps")
        func uniforms() -> [Double] { (0..<count).map { _ in rng.nextDouble() } }
        let f1 = uniforms(), f2 = uniforms(), o1 = uniforms(), o2 = uniforms()
        let step = 1 / Double(length - 1)
        var values = [Float](repeating: 0, count: count * length)
        for s in 0..<count {
            let w1 = f1[s] * 10 + 10, w2 = f2[s] * 20 + 20
            for i in 0..<length {
                let t = Double(i) * step
                var x = 0.5 * sin((t - o1[s]) * w1)
                x += 0.2 * sin((t - o2[s]) * w2)
                values[s * length + i] = Float(x)
            }
        }
        for i in values.indices { values[i] = Float(Double(values[i]) + 0.1 * (rng.nextDouble() - 0.5)) }
        self.count = count
        self.length = length
        self.values = values
    }
}

/// Inputs and targets of one split: the first T steps of each series, and the O
/// steps after them.
struct ForecastSet {
    let count: Int            // S series
    let steps: Int            // T input steps
    let outputs: Int          // O values forecast
    let inputs: [Float]       // (S, T)
    let targets: [Float]      // (S, O)

    /// Rows `rows` of `series`, each cut into T inputs and the O = length − T values after them.
    init(_ series: SyntheticSeries, rows: Range<Int>, steps: Int) {
        precondition(steps >= 1 && steps < series.length, "need 1 ≤ T < series length")
        let o = series.length - steps
        var inputs = [Float](), targets = [Float]()
        inputs.reserveCapacity(rows.count * steps)
        targets.reserveCapacity(rows.count * o)
        for s in rows {
            let row = series.values[(s * series.length)..<((s + 1) * series.length)]
            inputs += row.prefix(steps)
            targets += row.suffix(o)
        }
        self.count = rows.count
        self.steps = steps
        self.outputs = o
        self.inputs = inputs
        self.targets = targets
    }

    /// Mean over all S·O values of (prediction − target)², in double precision.
    /// `predict(s, out)` writes series s's O predictions into `out`.
    func meanSquaredError(_ predict: (Int, UnsafeMutableBufferPointer<Float>) -> Void) -> Double {
        var prediction = [Float](repeating: 0, count: outputs)
        var total = 0.0
        for s in 0..<count {
            prediction.withUnsafeMutableBufferPointer { predict(s, $0) }
            for k in 0..<outputs {
                let e = Double(prediction[k]) - Double(targets[s * outputs + k])
                total += e * e
            }
        }
        return total / Double(count * outputs)
    }
}

/// The book's 70 / 20 / 10 cut of the series into training, validation and test sets.
struct ForecastSplits {
    let train: ForecastSet
    let validation: ForecastSet
    let test: ForecastSet

    init(_ series: SyntheticSeries, steps: Int) {
        let s = series.count
        let trainEnd = s * 7 / 10, validationEnd = s * 9 / 10
        train = ForecastSet(series, rows: 0..<trainEnd, steps: steps)
        validation = ForecastSet(series, rows: trainEnd..<validationEnd, steps: steps)
        test = ForecastSet(series, rows: validationEnd..<s, steps: steps)
    }
}
