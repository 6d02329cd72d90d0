import Tensor
import Training

/// The baselines every model must beat (the book's "baseline metrics").
enum NaiveForecast {
    /// Each of the O values forecast as the last input value.
    static func meanSquaredError(on set: ForecastSet) -> Double {
        set.meanSquaredError { s, out in
            let last = set.inputs[s * set.steps + set.steps - 1]
            for k in out.indices { out[k] = last }
        }
    }
}

/// A dense layer over the T inputs: y (O) = W (O, T) · x (T) + b (O), the book's
/// `Flatten` + `Dense(O)`. Letters: S series, T input steps, O outputs.
struct LinearForecast {
    let steps: Int            // T
    let outputs: Int          // O
    /// W then b, flat: W row-major (O, T), b (O). One block, so that the library's
    /// `Optimizer` steps it as it steps a `StackedRNN`'s parameters.
    var parameters: [Float]

    init(steps: Int, outputs: Int) {
        self.steps = steps
        self.outputs = outputs
        parameters = [Float](repeating: 0, count: outputs * (steps + 1))
    }

    func predict(_ x: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>) {
        let t = steps
        for k in 0..<outputs {
            var sum = Double(parameters[outputs * t + k])
            for i in 0..<t { sum += Double(parameters[k * t + i]) * Double(x[i]) }
            out[k] = Float(sum)
        }
    }

    func meanSquaredError(on set: ForecastSet) -> Double {
        set.inputs.withUnsafeBufferPointer { x in
            set.meanSquaredError { s, out in predict(UnsafeBufferPointer(rebasing: x[(s * steps)..<((s + 1) * steps)]), into: out) }
        }
    }

    // MARK: - Least squares

    /// The weights of least training MSE, exactly: the normal equations
    /// (AᵀA) w = Aᵀy with A = [X 1] (S, T + 1), solved by Cholesky in double
    /// precision, one right-hand side per output. The noise on every input keeps
    /// AᵀA well conditioned (its smallest eigenvalue is at least S·0.1²/12).
    static func leastSquares(_ train: ForecastSet) -> LinearForecast {
        let t = train.steps, o = train.outputs, n = t + 1
        var gram = [Double](repeating: 0, count: n * n)       // (T + 1, T + 1), AᵀA
        var right = [Double](repeating: 0, count: n * o)      // (T + 1, O), Aᵀy
        var row = [Double](repeating: 1, count: n)            // one row of A; its last entry stays 1
        for s in 0..<train.count {
            for i in 0..<t { row[i] = Double(train.inputs[s * t + i]) }
            for i in 0..<n {
                let a = row[i]
                for j in 0...i { gram[i * n + j] += a * row[j] }
                for k in 0..<o { right[i * o + k] += a * Double(train.targets[s * o + k]) }
            }
        }
        for i in 0..<n { for j in 0..<i { gram[j * n + i] = gram[i * n + j] } }
        let solution = Cholesky(gram, size: n).solve(right, columns: o)
        var model = LinearForecast(steps: t, outputs: o)
        for k in 0..<o {
            for i in 0..<t { model.parameters[k * t + i] = Float(solution[i * o + k]) }
            model.parameters[o * t + k] = Float(solution[t * o + k])
        }
        return model
    }

    // MARK: - Adam, as the book trains it

    /// Keras' `Dense` initial weights: Glorot uniform, limit √(6 / (T + O)), biases 0.
    mutating func initializeAsKeras(rng: inout SplitMix64) {
        let limit = (6 / Float(steps + outputs)).squareRoot()
        for i in 0..<(outputs * steps) { parameters[i] = rng.nextFloat(in: -limit, limit) }
        for i in (outputs * steps)..<parameters.count { parameters[i] = 0 }
    }

    /// Minibatch training on the MSE with the library's `Optimizer`, the gradients
    /// by hand: dW = (2 / (B·O)) Σ_b (ŷ_b − y_b) x_bᵀ, db = (2 / (B·O)) Σ_b (ŷ_b − y_b).
    mutating func train(on set: ForecastSet, schedule: EpochSchedule, settings: OptimizerSettings,
                        learningRate: Float, rng: inout SplitMix64) {
        let t = steps, o = outputs
        var optimizer = Optimizer(settings: settings, parameterCount: parameters.count)
        var gradients = [Float](repeating: 0, count: parameters.count)
        var prediction = [Float](repeating: 0, count: o)
        for _ in 0..<schedule.epochs {
            for batch in schedule.batches(rng: &rng) {
                for i in gradients.indices { gradients[i] = 0 }
                let scale = 2 / Float(batch.count * o)
                set.inputs.withUnsafeBufferPointer { x in
                    for s in batch {
                        let xs = UnsafeBufferPointer(rebasing: x[(s * t)..<((s + 1) * t)])
                        prediction.withUnsafeMutableBufferPointer { predict(xs, into: $0) }
                        for k in 0..<o {
                            let d = scale * (prediction[k] - set.targets[s * o + k])
                            for i in 0..<t { gradients[k * t + i] += d * xs[i] }
                            gradients[o * t + k] += d
                        }
                    }
                }
                parameters.withUnsafeMutableBufferPointer { p in
                    gradients.withUnsafeBufferPointer { g in optimizer.step(parameters: p, gradients: g, learningRate: learningRate) }
                }
            }
        }
    }
}

/// The Cholesky factor L of a symmetric positive definite matrix, A = L·Lᵀ.
struct Cholesky {
    let size: Int             // n
    private var lower: [Double]  // (n, n), row-major, zero above the diagonal

    init(_ a: [Double], size n: Int) {
        var l = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0...i {
                var sum = a[i * n + j]
                for k in 0..<j { sum -= l[i * n + k] * l[j * n + k] }
                if i == j {
                    precondition(sum > 0, "least squares: the normal equations are not positive definite")
                    l[i * n + i] = sum.squareRoot()
                } else {
                    l[i * n + j] = sum / l[j * n + j]
                }
            }
        }
        size = n
        lower = l
    }

    /// X (n, m) with A·X = B (n, m): forward substitution with L, back substitution with Lᵀ.
    func solve(_ b: [Double], columns m: Int) -> [Double] {
        let n = size
        var x = b
        for c in 0..<m {
            for i in 0..<n {
                var sum = x[i * m + c]
                for k in 0..<i { sum -= lower[i * n + k] * x[k * m + c] }
                x[i * m + c] = sum / lower[i * n + i]
            }
            for i in stride(from: n - 1, through: 0, by: -1) {
                var sum = x[i * m + c]
                for k in (i + 1)..<n { sum -= lower[k * n + i] * x[k * m + c] }
                x[i * m + c] = sum / lower[i * n + i]
            }
        }
        return x
    }
}
