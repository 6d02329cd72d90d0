import Tensor

extension StackedRNN {
    /// Sets every parameter as PyTorch does, then applies `options`:
    ///
    /// - every rnn tensor (weights and biases of all layers): uniform(−1/√H, 1/√H),
    ///   `nn.RNN` / `nn.LSTM` / `nn.GRU`'s `reset_parameters`; then the cell
    ///   applies `options` to each layer (`RecurrentCell.initialize`);
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

        // What the options mean is the cell's to say; options it does not take are dropped here.
        var applied = options
        if !cell.takesForgetGateBias { applied.forgetGateBias = nil }
        if !cell.takesIdentityRecurrent { applied.identityRecurrent = false }
        for k in 0..<config.layerCount {
            cell.initialize(layer: layout.tensors(ofLayer: k), hiddenSize: h, options: applied, parameters: &parameters)
        }
        zeroGradients()
    }
}
