import Tensor

extension StackedRNN {
    /// Sets every parameter as PyTorch does, then applies `options`:
    ///
    /// - every rnn tensor (weights and biases of all layers): uniform(−1/√H, 1/√H),
    ///   `nn.RNN` / `nn.LSTM` / `nn.GRU`'s `reset_parameters`;
    /// - head.weight and head.bias: uniform(−1/√H, 1/√H), `nn.Linear(H, V)`'s
    ///   default (kaiming_uniform with a = √5 gives bound 1/√fan_in; the bias 1/√fan_in);
    /// - options that do not apply to the cell are ignored (see `InitOptions.problem`).
    ///
    /// Draws one `nextFloat` per parameter, in layout order, so a seed fixes the model.
    /// Gradients are zeroed.
    public func initialize(rng: inout SplitMix64, options: InitOptions = InitOptions()) {
        let h = config.hiddenSize
        let bound = 1 / Float(h).squareRoot()
        for i in parameters.indices { parameters[i] = rng.nextFloat(in: -bound, bound) }

        if let forget = options.forgetGateBias, config.cell == .lstm {
            let block = LSTMGate.forget.rawValue * h ..< (LSTMGate.forget.rawValue + 1) * h
            for k in 0..<config.layerCount {
                let e = layout.layer(k)
                for j in block {
                    parameters[e.biasIH.offset + j] = forget
                    parameters[e.biasHH.offset + j] = 0
                }
            }
        }
        if options.identityRecurrent, config.cell == .rnn {
            for k in 0..<config.layerCount {
                let e = layout.layer(k)
                for r in 0..<h {
                    for c in 0..<h { parameters[e.weightHH.offset + r * h + c] = r == c ? 1 : 0 }
                }
                for j in e.biasIH.range { parameters[j] = 0 }
                for j in e.biasHH.range { parameters[j] = 0 }
            }
        }
        zeroGradients()
    }
}
