import Testing
@testable import RNN
import Tensor

/// Every cell type keeps the promises of `RecurrentCell` that the stacked
/// model relies on without asking the kind (numerics are the gradient checks').
@Suite struct CellSeamTests {
    static let configs: [ModelConfig] = CellKind.allCases.flatMap { kind in
        RNNActivation.allCases.flatMap { activation in
            [false, true].map { ModelConfig(cell: kind, activation: activation, vocabularySize: 7, hiddenSize: 5, layerCount: 2, layerNorm: $0) }
        }
    }.filter { $0.problem == nil }   // minGRU and minLSTM have no layer-normalized form

    @Test(arguments: configs) func theCellIsTheConfiguredOneAndDeclaresConsistentFacts(config: ModelConfig) {
        let cell = config.recurrentCell
        #expect(cell.kind == config.cell)
        #expect(cell.gateNames.count == cell.gateCount)
        #expect(Set(cell.gateNames).count == cell.gateCount)
        #expect(config.cell.gateCount == cell.gateCount)
        #expect(cell.stateNames == (cell.carriesCellState ? ["h", "c"] : ["h"]))
        #expect(cell.name.hasPrefix(config.cell.rawValue) && cell.readableName.hasPrefix(config.cell.rawValue))
        #expect(cell.layerNormalized == config.layerNorm)
    }

    @Test(arguments: configs) func theLayoutHoldsTheCellsTensorsOfEveryLayer(config: ModelConfig) {
        let cell = config.recurrentCell, layout = ParameterLayout(config: config)
        for k in 0..<config.layerCount {
            let declared = cell.tensors(inputSize: k == 0 ? config.vocabularySize : config.hiddenSize, hiddenSize: config.hiddenSize)
            let stored = Array(layout.tensors(ofLayer: k))
            #expect(stored.map(\.name) == declared.map { "rnn.\($0.name)_l\(k)" })
            #expect(stored.map(\.shape) == declared.map(\.shape))
            // The model finds the tensors it uses by role: exactly one W_ih, at most one W_hh (minGRU and
            // minLSTM have none), at most one b_ih (the layer-normalized cells have none).
            #expect(declared.filter { $0.role == .inputWeight }.count == 1)
            #expect(declared.filter { $0.role == .recurrentWeight }.count == (cell.hasRecurrentWeight ? 1 : 0))
            #expect(cell.hasRecurrentWeight == !(config.cell == .mingru || config.cell == .minlstm))
            #expect(declared.filter { $0.role == .inputBias }.count == (config.layerNorm ? 0 : 1))
        }
        #expect(layout.head.weight.name == "head.weight")
    }

    @Test(arguments: configs) func gradientSumsStayInsideTheirWidthAndTensors(config: ModelConfig) {
        let cell = config.recurrentCell, h = config.hiddenSize
        let declared = cell.tensors(inputSize: h, hiddenSize: h)
        let (width, targets) = cell.gradientSums(hiddenSize: h)
        for target in targets {
            #expect(declared.indices.contains(target.tensor))
            #expect(target.offset >= 0 && target.offset + declared[target.tensor].shape.reduce(1, *) <= width)
        }
    }

    @Test(arguments: configs) func stateAndInspectionFollowTheCellState(config: ModelConfig) {
        let carries = config.cellFacts.carriesCellState
        let state = RecurrentState.zeros(config: config, batchSize: 2)
        #expect(state.c.count == (carries ? state.h.count : 0))
        let model = StackedRNN(config: config)
        var rng = SplitMix64(seed: 4)
        model.initialize(rng: &rng)
        var s = state
        let ids: [Int32] = [1, 2, 3, 4, 5, 6]
        _ = ids.withUnsafeBufferPointer { i in
            model.forward(inputs: i, targets: i, batchSize: 2, sequenceLength: 3, state: &s, training: false, rng: &rng)
        }
        #expect(model.cellState(layer: 1, batch: 1, time: 2).count == (carries ? config.hiddenSize : 0))
        #expect(model.cellState(layer: 1, batch: 1, time: 2) == (carries ? Array(s.c[(1 * 2 + 1) * 5 ..< (1 * 2 + 2) * 5]) : []))
    }

    /// An option a cell does not take is refused by `problem` and ignored by `initialize`.
    @Test(arguments: configs) func initOptionsApplyOnlyToTheCellsThatTakeThem(config: ModelConfig) {
        let facts = config.cellFacts
        #expect((InitOptions(forgetGateBias: 1).problem(for: config) == nil) == facts.takesForgetGateBias)
        #expect((InitOptions(identityRecurrent: true).problem(for: config) == nil) == facts.takesIdentityRecurrent)
        let plain = StackedRNN(config: config), optioned = StackedRNN(config: config)
        var a = SplitMix64(seed: 8), b = SplitMix64(seed: 8)
        plain.initialize(rng: &a)
        optioned.initialize(rng: &b, options: InitOptions(forgetGateBias: facts.takesForgetGateBias ? nil : 3,
                                                          identityRecurrent: !facts.takesIdentityRecurrent))
        #expect(plain.parameters == optioned.parameters)
    }
}

/// A basic tanh RNN without b_ih (a cell of its own, like the layer-normalized
/// ones of issue 12): the model's paths for a cell without an input bias.
private struct BiasFreeRNNCell: RecurrentCell {
    let base = BasicRNNCell(activation: .tanh)
    var kind: CellKind { base.kind }
    var variant: String? { base.variant }
    var gateCount: Int { 1 }
    var gateNames: [String] { base.gateNames }
    var carriesCellState: Bool { false }
    var outputIsBounded: Bool { true }
    var keepsRecurrentSideApart: Bool { false }
    static let biasHH = 2

    func tensors(inputSize: Int, hiddenSize h: Int) -> [CellTensor] {
        [CellTensor(name: "weight_ih", shape: [h, inputSize], role: .inputWeight),
         CellTensor(name: "weight_hh", shape: [h, h], role: .recurrentWeight),
         CellTensor(name: "bias_hh", shape: [h], role: .cellOwned)]
    }
    func initialize(layer: ArraySlice<ParameterLayout.Entry>, hiddenSize: Int, options: InitOptions, parameters: inout [Float]) {}
    func buffers(rows n: Int, batch b: Int, hiddenSize h: Int) -> CellBuffers { base.buffers(rows: n, batch: b, hiddenSize: h) }
    func gradientSums(hiddenSize h: Int) -> (width: Int, targets: [GradientSum]) { (h, [GradientSum(tensor: Self.biasHH, offset: 0)]) }

    func forward(_ w: LayerWindow, rows: Range<Int>) {
        let h = w.hiddenSize, bh = w.stepHidden, r0 = rows.lowerBound, m = rows.count
        for t in 0..<w.sequenceLength {
            let gates = w.gates + t * bh + r0 * h
            BLAS.packedSGEMM(m: m, a: w.h + t * bh + r0 * h, lda: h, packed: w.recurrent, beta: 1, c: gates, ldc: h)
            BasicRNNCell.forwardStep(gates: gates, biasHH: w.tensors[Self.biasHH], h: w.h + (t + 1) * bh + r0 * h,
                                     batchSize: m, hiddenSize: h, activation: .tanh, kernels: w.recurrent.kernels)
        }
    }
    func backward(_ w: LayerWindow, _ d: LayerGradients, rows: Range<Int>, sums: UnsafeMutablePointer<Float>) {
        base.backward(w, d, rows: rows, sums: sums)   // reads no tensor
    }
    func step(_ s: CellStep) {
        BasicRNNCell.forwardStep(gates: s.gates, biasHH: s.tensors[Self.biasHH], h: s.h, batchSize: 1,
                                 hiddenSize: s.hiddenSize, activation: .tanh, kernels: s.kernels)
    }
}

extension CellSeamTests {
    /// Without b_ih the model computes what it computes with b_ih = 0, bit for bit:
    /// losses, every shared tensor's gradient, and sampling's logits.
    @Test func aCellWithoutInputBiasMatchesAZeroInputBias() {
        let config = ModelConfig(cell: .rnn, vocabularySize: 9, hiddenSize: 6, layerCount: 2)
        let standard = StackedRNN(config: config), biasFree = StackedRNN(config: config, cell: BiasFreeRNNCell())
        var rng = SplitMix64(seed: 21)
        standard.initialize(rng: &rng)
        for k in 0..<config.layerCount {
            for j in standard.layout.layer(k).biasIH.range { standard.parameters[j] = 0 }
        }
        // The bias-free model's tensors are the standard one's, minus the b_ih it lacks.
        let shared = biasFree.layout.entries.map { e in standard.layout.entry(e.name)! }
        biasFree.parameters = shared.flatMap { Array(standard.parameters[$0.range]) }

        let (b, t) = (3, 4)
        let ids: [Int32] = (0..<(b * t)).map { (n: Int) -> Int32 in Int32((n * 5 + 2) % 9) }
        var rngA = SplitMix64(seed: 2), rngB = SplitMix64(seed: 2)
        var stateA = RecurrentState.zeros(config: config, batchSize: b), stateB = stateA
        let lossA = ids.withUnsafeBufferPointer { i in
            standard.forward(inputs: i, targets: i, batchSize: b, sequenceLength: t, state: &stateA, training: true, rng: &rngA)
        }
        let lossB = ids.withUnsafeBufferPointer { i in
            biasFree.forward(inputs: i, targets: i, batchSize: b, sequenceLength: t, state: &stateB, training: true, rng: &rngB)
        }
        #expect(lossA == lossB)
        #expect(stateA == stateB)
        standard.backward()
        biasFree.backward()
        #expect(biasFree.gradients == shared.flatMap { Array(standard.gradients[$0.range]) })
        // bias_hh's gradient is b_ih's too (x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh just add).
        #expect(standard.gradients[standard.layout.layer(1).biasIH.range] == standard.gradients[standard.layout.layer(1).biasHH.range])

        var logitsA = [Float](repeating: 0, count: 9), logitsB = logitsA
        var oneA = RecurrentState.zeros(config: config, batchSize: 1), oneB = oneA
        for token: Int32 in [3, 1, 4, 1, 5] {
            logitsA.withUnsafeMutableBufferPointer { standard.step(token: token, state: &oneA, logits: $0) }
            logitsB.withUnsafeMutableBufferPointer { biasFree.step(token: token, state: &oneB, logits: $0) }
            #expect(logitsA == logitsB)
        }
    }
}
