import Foundation
import Testing
import Training

/// One optimizer step on arrays.
func step(_ optimizer: inout Optimizer, _ parameters: inout [Float], _ gradients: [Float], learningRate: Float) {
    parameters.withUnsafeMutableBufferPointer { p in
        gradients.withUnsafeBufferPointer { g in
            optimizer.step(parameters: p, gradients: g, learningRate: learningRate)
        }
    }
}

@Suite struct OptimizerTests {
    // MARK: Hand-computed first steps

    // Three steps from p₀ = (1, −2, 0.5) with these gradients (independent of
    // p, so each rule can be followed by hand) at η = 0.1, default settings.
    static let start: [Float] = [1, -2, 0.5]
    static let gradients: [[Float]] = [[0.5, -1, 2], [0.25, 0.5, -1], [-0.5, 0.125, 0]]

    // Expected parameters after steps 1, 2, 3, from the rules in Optimizer.swift
    // evaluated in double precision. Step 1, worked by hand:
    //  adam:    m̂ = g, v̂ = g², so p −= η·g/(|g| + ε) = η·sign(g)      → (0.9, −1.9, 0.4)
    //  rmsprop: m = 0.05·g², so p −= η·g/(√0.05·|g|) = 0.4472·sign(g) → (0.5528, −1.5528, 0.0528)
    //  adagrad: s = g², so p −= η·g/√(g² + 1e-8) ≈ η·sign(g)          → (0.9, −1.9, 0.4)
    //  sgd:     b = g, so p −= η·g                                    → (0.95, −1.9, 0.3)
    // Step 3 has a zero gradient in the last slot: rmsprop, adagrad leave it alone,
    // adam and sgd keep moving it with their momentum.
    static let expected: [OptimizerKind: [[Double]]] = [
        .adam: [[0.900000002, -1.9, 0.4],
                [0.80678204, -1.8733663, 0.373366297],
                [0.795703734, -1.86001032, 0.352778367]],
        .rmsprop: [[0.552786445, -1.55278642, 0.0527864145],
                   [0.348662316, -1.75691056, 0.256910556],
                   [0.654371218, -1.80891214, 0.256910556]],
        .adagrad: [[0.900000002, -1.9, 0.4],
                   [0.855278643, -1.94472136, 0.44472136],
                   [0.921945309, -1.95583247, 0.44472136]],
        .sgd: [[0.95, -1.9, 0.3],
               [0.88, -1.86, 0.22],
               [0.867, -1.8365, 0.148]],
    ]

    static func firstSteps(_ settings: OptimizerSettings) -> [[Float]] {
        var optimizer = Optimizer(settings: settings, parameterCount: 3)
        var p = start
        var out: [[Float]] = []
        for g in gradients {
            step(&optimizer, &p, g, learningRate: 0.1)
            out.append(p)
        }
        #expect(optimizer.stepCount == 3)
        return out
    }

    static func expectClose(_ got: [[Float]], _ want: [[Double]], _ label: String) {
        for (k, (row, wantRow)) in zip(got, want).enumerated() {
            for (x, y) in zip(row, wantRow) {
                // Float has ~7 digits; 2e-6 absolute is a few ulps at these magnitudes.
                #expect(abs(Double(x) - y) < 2e-6, "\(label) step \(k + 1): \(row) vs \(wantRow)")
            }
        }
    }

    @Test(arguments: OptimizerKind.allCases)
    func firstThreeStepsMatchHandComputedValues(kind: OptimizerKind) {
        Self.expectClose(Self.firstSteps(OptimizerSettings(kind: kind)), Self.expected[kind]!, kind.rawValue)
    }

    @Test func weightDecayIsAddedToTheGradient() {
        // g ← g + 0.1·p before the rule, as torch.optim's weight_decay.
        Self.expectClose(Self.firstSteps(OptimizerSettings(kind: .sgd, weightDecay: 0.1)),
                         [[0.94, -1.88, 0.295], [0.8516, -1.8032, 0.20755], [0.813524, -1.728548, 0.1267695]],
                         "sgd+wd")
        Self.expectClose(Self.firstSteps(OptimizerSettings(kind: .adam, weightDecay: 0.1)),
                         [[0.900000002, -1.9, 0.4],
                          [0.805009766, -1.85374726, 0.370895146],
                          [0.775511505, -1.81492502, 0.347352535]],
                         "adam+wd")
    }

    @Test func sgdWithoutMomentumIsPlainGradientDescent() {
        var optimizer = Optimizer(settings: OptimizerSettings(kind: .sgd, momentum: 0), parameterCount: 2)
        var p: [Float] = [1, 2]
        step(&optimizer, &p, [1, -1], learningRate: 0.5)
        step(&optimizer, &p, [1, -1], learningRate: 0.5)
        #expect(p == [0, 3])
    }

    @Test func gradientsAreNotModified() {
        for kind in OptimizerKind.allCases {
            var optimizer = Optimizer(settings: OptimizerSettings(kind: kind, weightDecay: 0.01), parameterCount: 3)
            var p: [Float] = [1, 2, 3]
            let g: [Float] = [0.1, -0.2, 0.3]
            step(&optimizer, &p, g, learningRate: 0.1)
            #expect(g == [0.1, -0.2, 0.3])
        }
    }

    @Test func emptyParameterBlockIsFine() {
        var optimizer = Optimizer(settings: OptimizerSettings(), parameterCount: 0)
        var p: [Float] = []
        step(&optimizer, &p, [], learningRate: 0.1)
        #expect(optimizer.stepCount == 1)
        #expect(optimizer.stateTensors.allSatisfy { $0.data.isEmpty })
    }

    // MARK: Minimisation

    /// f(x) = Σ aᵢ (xᵢ − cᵢ)²: badly scaled (a spans 100×), minimum f = 0 at c.
    static let curvature: [Float] = [0.1, 1, 10, 3]
    static let centre: [Float] = [1, -2, 0.5, 3]

    static func quadratic(_ x: [Float]) -> (value: Double, gradient: [Float]) {
        var f = 0.0
        var g = [Float](repeating: 0, count: x.count)
        for i in x.indices {
            let d = x[i] - centre[i]
            f += Double(curvature[i] * d * d)
            g[i] = 2 * curvature[i] * d
        }
        return (f, g)
    }

    static func minimise(_ kind: OptimizerKind, learningRate: Float, steps: Int,
                         start: [Float], function: ([Float]) -> (value: Double, gradient: [Float])) -> (first: Double, last: Double) {
        var optimizer = Optimizer(settings: OptimizerSettings(kind: kind), parameterCount: start.count)
        // Annealed to 1% by nanoGPT's cosine, so the adaptive rules settle instead of hovering at ~η.
        let schedule = LearningRateSchedule.cosine(warmup: 0, total: steps, minimumFactor: 0.01)
        var x = start
        let first = function(x).value
        for it in 0..<steps {
            let g = function(x).gradient
            step(&optimizer, &x, g, learningRate: schedule.learningRate(base: learningRate, iteration: it))
        }
        return (first, function(x).value)
    }

    @Test(arguments: [(OptimizerKind.adam, Float(0.1)), (.rmsprop, 0.02), (.adagrad, 1.0), (.sgd, 0.005)])
    func minimisesABadlyScaledQuadratic(kind: OptimizerKind, learningRate: Float) {
        let (first, last) = Self.minimise(kind, learningRate: learningRate, steps: 3000,
                                          start: [0, 0, 0, 0], function: Self.quadratic)
        #expect(first > 10)
        #expect(last < 1e-4 * first, "\(kind): f went from \(first) to \(last)")
    }

    @Test(arguments: [(OptimizerKind.adam, Float(0.02)), (.rmsprop, 0.005), (.adagrad, 0.5), (.sgd, 0.0002)])
    func minimisesRosenbrock(kind: OptimizerKind, learningRate: Float) {
        // f(x, y) = (1 − x)² + 100 (y − x²)², minimum 0 at (1, 1), from the classic (−1.5, 2).
        func rosenbrock(_ v: [Float]) -> (value: Double, gradient: [Float]) {
            let x = Double(v[0]), y = Double(v[1])
            let f = (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x)
            let dx = -2 * (1 - x) - 400 * x * (y - x * x)
            let dy = 200 * (y - x * x)
            return (f, [Float(dx), Float(dy)])
        }
        let (first, last) = Self.minimise(kind, learningRate: learningRate, steps: 20000,
                                          start: [-1.5, 2], function: rosenbrock)
        #expect(last < 1e-3, "\(kind): f went from \(first) to \(last)")
    }

    // MARK: Checkpoint state

    /// A gradient sequence that depends on the parameters, like a real loss.
    static func gradient(_ x: [Float], _ k: Int) -> [Float] {
        x.enumerated().map { i, xi in sin(Float(i + k)) + 0.3 * xi }
    }

    @Test(arguments: OptimizerKind.allCases)
    func saveAndRestoreContinuesBitForBit(kind: OptimizerKind) throws {
        let settings = OptimizerSettings(kind: kind, weightDecay: 0.001)
        let n = 37
        let start = (0..<n).map { Float($0) * 0.05 - 0.7 }

        var uninterrupted = Optimizer(settings: settings, parameterCount: n)
        var a = start
        for k in 0..<13 { step(&uninterrupted, &a, Self.gradient(a, k), learningRate: 0.01) }

        var first = Optimizer(settings: settings, parameterCount: n)
        var b = start
        for k in 0..<7 { step(&first, &b, Self.gradient(b, k), learningRate: 0.01) }
        let saved = Dictionary(uniqueKeysWithValues: first.stateTensors.map { ($0.name, $0.data) })
        var resumed = Optimizer(settings: settings, parameterCount: n)
        try resumed.restore(stepCount: first.stepCount, tensors: saved)
        #expect(resumed.stepCount == 7)
        for k in 7..<13 { step(&resumed, &b, Self.gradient(b, k), learningRate: 0.01) }

        #expect(a.map(\.bitPattern) == b.map(\.bitPattern))
        #expect(resumed.stepCount == uninterrupted.stepCount)
        for (x, y) in zip(resumed.stateTensors, uninterrupted.stateTensors) {
            #expect(x.name == y.name)
            #expect(x.data.map(\.bitPattern) == y.data.map(\.bitPattern))
        }
    }

    @Test func stateTensorNamesAreStable() {
        // Checkpoints store these names: changing them breaks resuming old runs.
        #expect(Optimizer.stateTensorNames(for: .adam) == ["optim.m", "optim.v"])
        #expect(Optimizer.stateTensorNames(for: .rmsprop) == ["optim.mean_square"])
        #expect(Optimizer.stateTensorNames(for: .adagrad) == ["optim.sum_square"])
        #expect(Optimizer.stateTensorNames(for: .sgd) == ["optim.momentum"])
        for kind in OptimizerKind.allCases {
            let optimizer = Optimizer(settings: OptimizerSettings(kind: kind), parameterCount: 5)
            #expect(optimizer.stateTensors.map(\.name) == Optimizer.stateTensorNames(for: kind))
            #expect(optimizer.stateTensors.allSatisfy { $0.data == [0, 0, 0, 0, 0] })
        }
    }

    @Test func restoreRejectsMissingOrMisshapenTensors() {
        var optimizer = Optimizer(settings: OptimizerSettings(kind: .adam), parameterCount: 4)
        var p: [Float] = [1, 2, 3, 4]
        step(&optimizer, &p, [1, 1, 1, 1], learningRate: 0.1)
        let before = optimizer.stateTensors.map(\.data)

        do {
            try optimizer.restore(stepCount: 3, tensors: ["optim.m": [0, 0, 0, 0]])
            Issue.record("restore without optim.v should throw")
        } catch {
            #expect("\(error)".contains("optim.v"))
            #expect("\(error)".contains("missing"))
        }
        do {
            try optimizer.restore(stepCount: 3, tensors: ["optim.m": [0, 0, 0, 0], "optim.v": [0, 0, 0]])
            Issue.record("restore with a short optim.v should throw")
        } catch {
            #expect("\(error)".contains("optim.v"))
            #expect("\(error)".contains("3"))
            #expect("\(error)".contains("4"))
        }
        #expect(throws: OptimizerStateError.self) {
            try optimizer.restore(stepCount: -1, tensors: ["optim.m": [0, 0, 0, 0], "optim.v": [0, 0, 0, 0]])
        }
        do {
            // An rmsprop checkpoint given to adam names what it did find.
            try optimizer.restore(stepCount: 3, tensors: ["optim.mean_square": [0, 0, 0, 0]])
            Issue.record("restore from another optimizer's state should throw")
        } catch {
            #expect("\(error)".contains("optim.mean_square"))
        }
        // Failed restores change nothing.
        #expect(optimizer.stepCount == 1)
        #expect(optimizer.stateTensors.map(\.data) == before)
    }

    // MARK: Settings

    @Test func settingsDefaultsAndCoding() throws {
        let d = OptimizerSettings()
        #expect(d.kind == .adam && d.beta1 == 0.9 && d.beta2 == 0.999 && d.epsilon == 1e-8)
        #expect(d.decay == 0.95 && d.momentum == 0.9 && d.weightDecay == 0)
        let custom = OptimizerSettings(kind: .rmsprop, decay: 0.9, weightDecay: 1e-4)
        let data = try JSONEncoder().encode(custom)
        #expect(try JSONDecoder().decode(OptimizerSettings.self, from: data) == custom)
        // Keys missing from an older checkpoint take their defaults.
        let partial = try JSONDecoder().decode(OptimizerSettings.self, from: Data(#"{"kind":"sgd"}"#.utf8))
        #expect(partial == OptimizerSettings(kind: .sgd))
    }

    @Test func settingsProblems() {
        #expect(OptimizerSettings().problem == nil)
        for kind in OptimizerKind.allCases { #expect(OptimizerSettings(kind: kind).problem == nil) }
        #expect(OptimizerSettings(beta1: 1).problem != nil)
        #expect(OptimizerSettings(beta2: -0.1).problem != nil)
        #expect(OptimizerSettings(kind: .rmsprop, decay: 1.5).problem != nil)
        #expect(OptimizerSettings(kind: .sgd, momentum: 1).problem != nil)
        #expect(OptimizerSettings(epsilon: 0).problem != nil)
        #expect(OptimizerSettings(weightDecay: -1).problem != nil)
        #expect(OptimizerSettings(kind: .sgd, beta1: 7).problem == nil)  // adam's fields don't matter to sgd
    }
}
