import Foundation
import RNN
import Tensor
import Training


/// One thing `charrnn bench` measures.
public struct Workload: Sendable {
    enum Kind: Sendable {
        case sgemm(size: Int)
        case train(TrainSpec)
        case sample(ModelShape, WeightPrecision)
        case sampleMany(ModelShape, WeightPrecision, count: Int, length: Int)   // `sample --count N --length L`
        case tokenize(megabytes: Int)
        case firstCharacter(ModelShape)
        case serve(ModelShape, WeightPrecision, clients: Int, length: Int)   // ServeLoad
    }
    struct ModelShape: Sendable {
        var cell: CellKind, layers: Int, hidden: Int, vocabulary = 65, layerNorm = false
        var config: ModelConfig {
            ModelConfig(cell: cell, activation: .tanh, vocabularySize: vocabulary, hiddenSize: hidden, layerCount: layers,
                        layerNorm: layerNorm)
        }
        var label: String { "\(config.cellFacts.name) \(layers)×\(hidden)" }
    }
    struct TrainSpec: Sendable {
        var shape: ModelShape
        var batch = 50, sequence = 50
        var optimizer: OptimizerKind = .adam, learningRate: Float = 2e-3
        var clipMode: ClipMode = .norm, clip: Float = 5
        var precision: ProductPrecision = .fp32                 // `train --precision`
    }

    public let name: String
    let kind: Kind
    /// The references that can run it: "pytorch", "pytorch-bf16" (its bf16 autocast), "numpy".
    let references: [String]

    /// Timed for `--seconds`, so worth repeating (the tokenizer and sgemm rows take their best of several runs already).
    var isRepeatable: Bool {
        switch kind {
        case .train, .sample, .sampleMany, .firstCharacter, .serve: return true
        case .sgemm, .tokenize: return false
        }
    }

    var label: String {
        switch kind {
        case .sgemm(let n): return "sgemm \(n)³"
        case .train(let s):
            return "train " + (name.hasSuffix("min-char-rnn") ? "min-char-rnn" : s.shape.label) + (s.precision == .fp32 ? "" : " " + s.precision.rawValue)
        case .sample(let s, let precision):
            return "sample " + (name.hasSuffix("min-char-rnn") ? "min-char-rnn" : s.label) + (precision == .fp32 ? "" : " " + precision.rawValue)
        case .sampleMany(let s, let precision, let count, _):
            return "sample \(s.label)" + (precision == .fp32 ? "" : " " + precision.rawValue) + " ×\(count)"
        case .tokenize(let mb): return "tokenize \(mb) MB"
        case .firstCharacter: return "first character"
        case .serve(let s, let precision, let clients, _):
            return "serve \(s.label)" + (precision == .fp32 ? "" : " " + precision.rawValue) + " ×\(clients)"
        }
    }

    /// min-char-rnn's model and training (Karpathy's gist): one tanh layer of 100, T = 25, batch 1, Adagrad 0.1, clip ±5.
    static let minCharRNN = ModelShape(cell: .rnn, layers: 1, hidden: 100)

    public static let all: [Workload] = [
        Workload(name: "sgemm", kind: .sgemm(size: 2048), references: []),
        Workload(name: "train-lstm-2x128", kind: .train(TrainSpec(shape: ModelShape(cell: .lstm, layers: 2, hidden: 128))), references: ["pytorch"]),
        Workload(name: "train-lstm-2x512", kind: .train(TrainSpec(shape: ModelShape(cell: .lstm, layers: 2, hidden: 512))), references: ["pytorch"]),
        // Layer-normalized (`--layer-norm`): no PyTorch reference (nn.LSTM has no such cell); beside the row above.
        Workload(name: "train-lstm-ln-2x128", kind: .train(TrainSpec(shape: ModelShape(cell: .lstm, layers: 2, hidden: 128, layerNorm: true))),
                 references: []),
        // minGRU / minLSTM (Feng et al. 2024): no PyTorch reference (no such nn module); beside the LSTM rows.
        Workload(name: "train-mingru-2x128", kind: .train(TrainSpec(shape: ModelShape(cell: .mingru, layers: 2, hidden: 128))), references: []),
        Workload(name: "train-minlstm-2x128", kind: .train(TrainSpec(shape: ModelShape(cell: .minlstm, layers: 2, hidden: 128))), references: []),
        Workload(name: "train-gru-2x256", kind: .train(TrainSpec(shape: ModelShape(cell: .gru, layers: 2, hidden: 256))), references: ["pytorch"]),
        Workload(name: "train-rnn-tanh-2x256", kind: .train(TrainSpec(shape: ModelShape(cell: .rnn, layers: 2, hidden: 256))), references: ["pytorch"]),
        // `train --precision bf16`: bf16 products; beside PyTorch's fp32 training and its bf16 autocast.
        Workload(name: "train-lstm-2x128-bf16", kind: .train(TrainSpec(shape: ModelShape(cell: .lstm, layers: 2, hidden: 128), precision: .bf16)),
                 references: ["pytorch", "pytorch-bf16"]),
        Workload(name: "train-lstm-2x512-bf16", kind: .train(TrainSpec(shape: ModelShape(cell: .lstm, layers: 2, hidden: 512), precision: .bf16)),
                 references: ["pytorch", "pytorch-bf16"]),
        Workload(name: "train-gru-2x256-bf16", kind: .train(TrainSpec(shape: ModelShape(cell: .gru, layers: 2, hidden: 256), precision: .bf16)),
                 references: ["pytorch", "pytorch-bf16"]),
        Workload(name: "train-min-char-rnn", kind: .train(TrainSpec(shape: minCharRNN, batch: 1, sequence: 25, optimizer: .adagrad,
                                                                      learningRate: 0.1, clipMode: .value, clip: 5)),
                 references: ["pytorch", "numpy"]),
        Workload(name: "sample-lstm-2x128", kind: .sample(ModelShape(cell: .lstm, layers: 2, hidden: 128), .fp32), references: ["pytorch"]),
        Workload(name: "sample-lstm-2x512", kind: .sample(ModelShape(cell: .lstm, layers: 2, hidden: 512), .fp32), references: ["pytorch"]),
        // `sample --precision`: bf16 / int8 weight copies; beside PyTorch's fp32 sampling and its bf16 autocast.
        Workload(name: "sample-lstm-2x128-bf16", kind: .sample(ModelShape(cell: .lstm, layers: 2, hidden: 128), .bf16), references: ["pytorch", "pytorch-bf16"]),
        Workload(name: "sample-lstm-2x128-int8", kind: .sample(ModelShape(cell: .lstm, layers: 2, hidden: 128), .int8), references: ["pytorch", "pytorch-bf16"]),
        Workload(name: "sample-lstm-2x512-bf16", kind: .sample(ModelShape(cell: .lstm, layers: 2, hidden: 512), .bf16), references: ["pytorch", "pytorch-bf16"]),
        Workload(name: "sample-lstm-2x512-int8", kind: .sample(ModelShape(cell: .lstm, layers: 2, hidden: 512), .int8), references: ["pytorch", "pytorch-bf16"]),
        Workload(name: "sample-lstm-2x512-count64", kind: .sampleMany(ModelShape(cell: .lstm, layers: 2, hidden: 512), .fp32, count: 64, length: 500),
                 references: []),
        Workload(name: "sample-min-char-rnn", kind: .sample(minCharRNN, .fp32), references: ["pytorch", "numpy"]),
        Workload(name: "tokenize", kind: .tokenize(megabytes: 100), references: []),
        Workload(name: "first-char", kind: .firstCharacter(ModelShape(cell: .lstm, layers: 2, hidden: 128)), references: ["pytorch"]),
        // `charrnn serve` under load (issue 27): N streaming clients over loopback against one alone and `sample`.
        Workload(name: "serve-lstm-2x512-32", kind: .serve(ModelShape(cell: .lstm, layers: 2, hidden: 512), .fp32, clients: 32, length: 500),
                 references: []),
        Workload(name: "serve-lstm-2x512-int8-32", kind: .serve(ModelShape(cell: .lstm, layers: 2, hidden: 512), .int8, clients: 32, length: 500),
                 references: []),
        Workload(name: "serve-lstm-2x128-64", kind: .serve(ModelShape(cell: .lstm, layers: 2, hidden: 128), .fp32, clients: 64, length: 2000),
                 references: []),
    ]

    public static func named(_ name: String) -> Workload? { all.first { $0.name == name } }

    /// An exact name, a prefix ("train"), or a comma-separated list of either.
    public static func selected(by filter: String) -> [Workload] {
        let parts = filter.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        return all.filter { w in parts.contains { !$0.isEmpty && w.name.hasPrefix($0) } }
    }
}
