import Tensor

/// Times the engine's training step without the optimizer: forward and
/// backward over (B, T) windows of random tokens, state carried from window
/// to window as in training. For `charrnn bench` and for comparing builds.
///
/// GFLOP/s counts GEMM FLOPs only (`StackedRNN.trainingFLOPs`); characters
/// per second are the B·T predicted characters of a window per second.
public enum EngineBenchmark {
    public struct Result: Sendable, CustomStringConvertible {
        public let config: ModelConfig
        public let batchSize: Int
        public let sequenceLength: Int
        public let windows: Int
        /// BLAS threads during the run.
        public let threads: Int
        /// Median over the timed windows (robust to a busy machine).
        public let forwardSeconds: Double
        public let backwardSeconds: Double
        public let secondsPerWindow: Double
        /// GEMM FLOPs of one window (forward + backward).
        public let flopsPerWindow: Double

        /// B·T / seconds per window.
        public var charactersPerSecond: Double { Double(batchSize * sequenceLength) / secondsPerWindow }
        public var gigaflopsPerSecond: Double { flopsPerWindow / secondsPerWindow / 1e9 }

        public var description: String {
            let name = config.cellFacts.name
            func ms(_ s: Double) -> String { String(Int((s * 10_000).rounded())).withDecimal(1) }
            return "\(name) \(config.layerCount)×\(config.hiddenSize) V=\(config.vocabularySize) B=\(batchSize) T=\(sequenceLength) "
                + "threads=\(threads): \(Int(charactersPerSecond.rounded())) chars/s, "
                + "\(String(Int((gigaflopsPerSecond * 10).rounded())).withDecimal(1)) GFLOP/s "
                + "(window \(ms(secondsPerWindow)) ms = forward \(ms(forwardSeconds)) + backward \(ms(backwardSeconds)), median of \(windows))"
        }
    }

    /// Runs `warmup` untimed windows, then `windows` timed ones.
    public static func run(config: ModelConfig, batchSize: Int = 50, sequenceLength: Int = 50,
                           windows: Int = 10, warmup: Int = 2, seed: UInt64 = 1) -> Result {
        precondition(windows >= 1 && warmup >= 0, "EngineBenchmark: windows must be at least 1")
        let model = StackedRNN(config: config)
        var rng = SplitMix64(seed: seed)
        model.initialize(rng: &rng)
        let n = batchSize * sequenceLength, v = UInt64(config.vocabularySize)
        var tokens = [Int32](repeating: 0, count: n + batchSize)
        var state = RecurrentState.zeros(config: config, batchSize: batchSize)
        let clock = ContinuousClock()
        var forward: [Double] = [], backward: [Double] = [], total: [Double] = []
        for window in 0..<(warmup + windows) {
            for i in tokens.indices { tokens[i] = Int32(rng.next() % v) }
            var loss: Float = 0
            let f = clock.measure {
                tokens.withUnsafeBufferPointer { t in
                    loss = model.forward(inputs: UnsafeBufferPointer(rebasing: t[0..<n]),
                                         targets: UnsafeBufferPointer(rebasing: t[batchSize..<(n + batchSize)]),
                                         batchSize: batchSize, sequenceLength: sequenceLength,
                                         state: &state, training: true, rng: &rng)
                }
            }
            let b = clock.measure { model.backward() }
            precondition(loss.isFinite, "EngineBenchmark: non-finite loss")
            if window >= warmup {
                forward.append(f.seconds)
                backward.append(b.seconds)
                total.append(f.seconds + b.seconds)
            }
        }
        return Result(config: config, batchSize: batchSize, sequenceLength: sequenceLength, windows: windows,
                      threads: BLAS.threadCount, forwardSeconds: median(forward), backwardSeconds: median(backward),
                      secondsPerWindow: median(total),
                      flopsPerWindow: model.trainingFLOPs(batchSize: batchSize, sequenceLength: sequenceLength))
    }
}

extension String {
    /// "12345".withDecimal(1) == "1234.5"
    fileprivate func withDecimal(_ places: Int) -> String {
        let padded = String(repeating: "0", count: max(0, places + 1 - count)) + self
        return padded.dropLast(places) + "." + padded.suffix(places)
    }
}
