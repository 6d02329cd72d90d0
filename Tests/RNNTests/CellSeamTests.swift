import Testing
@testable import RNN
import Tensor

/// Every cell type keeps the promises of `RecurrentCell` that the stacked
/// model relies on without asking the kind (numerics are the gradient checks').
@Suite struct CellSeamTests {
    static let configs: [ModelConfig] = CellKind.allCases.flatMap { kind in
        RNNActivation.allCases.map { ModelConfig(cell: kind, activation: $0, vocabularySize: 7, hiddenSize: 5, layerCount: 2) }
    }

    @Test(arguments: configs) func theCellIsTheConfiguredOneAndDeclaresConsistentFacts(config: ModelConfig) {
        let cell = config.recurrentCell
        #expect(cell.kind == config.cell)
        #expect(cell.gateNames.count == cell.gateCount)
        #expect(Set(cell.gateNames).count == cell.gateCount)
        #expect(config.cell.gateCount == cell.gateCount)
        #expect(cell.stateNames == (cell.carriesCellState ? ["h", "c"] : ["h"]))
        #expect(cell.name.hasPrefix(config.cell.rawValue) && cell.readableName.hasPrefix(config.cell.rawValue))
    }

    @Test(arguments: configs) func theLayoutHoldsTheCellsTensorsOfEveryLayer(config: ModelConfig) {
        let cell = config.recurrentCell, layout = ParameterLayout(config: config)
        for k in 0..<config.layerCount {
            let declared = cell.tensors(inputSize: k == 0 ? config.vocabularySize : config.hiddenSize, hiddenSize: config.hiddenSize)
            let stored = Array(layout.tensors(ofLayer: k))
            #expect(stored.map(\.name) == declared.map { "rnn.\($0.name)_l\(k)" })
            #expect(stored.map(\.shape) == declared.map(\.shape))
            // The model finds the tensors it uses by role: exactly one of each.
            for role in [CellTensor.Role.inputWeight, .recurrentWeight, .inputBias] {
                #expect(declared.filter { $0.role == role }.count == 1, "\(role)")
            }
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
