/// The update rule of an `Optimizer`.
public enum OptimizerKind: String, CaseIterable, Codable, Sendable {
    /// PyTorch `torch.optim.Adam`: bias-corrected first and second moments.
    case adam
    /// char-rnn's `optim.rmsprop`: leaky mean of g², step g / (√m + ε).
    case rmsprop
    /// min-char-rnn's Adagrad: running sum of g², step g / √(Σg² + ε).
    case adagrad
    /// PyTorch `torch.optim.SGD` with (heavy-ball) momentum.
    case sgd
}

/// Hyper-parameters of every optimizer; each kind reads only its own fields.
///
/// Defaults are those of the reference each rule is taken from.
public struct OptimizerSettings: Codable, Equatable, Sendable {
    public var kind: OptimizerKind = .adam  // adam | rmsprop | adagrad | sgd
    public var beta1: Float = 0.9           // adam: decay of the first moment (PyTorch default)
    public var beta2: Float = 0.999         // adam: decay of the second moment (PyTorch default)
    public var epsilon: Float = 1e-8        // adam, rmsprop, adagrad: keeps the denominator away from 0
    public var decay: Float = 0.95          // rmsprop: char-rnn's decay_rate (PyTorch's alpha)
    public var momentum: Float = 0.9        // sgd: μ in buf = μ·buf + g
    public var weightDecay: Float = 0       // all: L2 penalty added to the gradient (g + λ·p), as torch.optim does

    public init(kind: OptimizerKind = .adam, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
                decay: Float = 0.95, momentum: Float = 0.9, weightDecay: Float = 0) {
        self.kind = kind
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.decay = decay
        self.momentum = momentum
        self.weightDecay = weightDecay
    }

    private enum CodingKeys: String, CodingKey {
        case kind, beta1, beta2, epsilon, decay, momentum, weightDecay
    }

    /// Missing keys take their defaults, so a checkpoint written before a
    /// field existed still loads.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = OptimizerSettings()
        kind = try c.decodeIfPresent(OptimizerKind.self, forKey: .kind) ?? d.kind
        beta1 = try c.decodeIfPresent(Float.self, forKey: .beta1) ?? d.beta1
        beta2 = try c.decodeIfPresent(Float.self, forKey: .beta2) ?? d.beta2
        epsilon = try c.decodeIfPresent(Float.self, forKey: .epsilon) ?? d.epsilon
        decay = try c.decodeIfPresent(Float.self, forKey: .decay) ?? d.decay
        momentum = try c.decodeIfPresent(Float.self, forKey: .momentum) ?? d.momentum
        weightDecay = try c.decodeIfPresent(Float.self, forKey: .weightDecay) ?? d.weightDecay
    }

    /// A one-line error for settings the chosen kind cannot use, or nil.
    public var problem: String? {
        func unit(_ name: String, _ x: Float) -> String? {
            x >= 0 && x < 1 ? nil : "\(name) must be in [0, 1) (got \(x))"
        }
        if !(weightDecay >= 0 && weightDecay.isFinite) { return "weight decay must be ≥ 0 (got \(weightDecay))" }
        switch kind {
        case .adam:
            if let p = unit("beta1", beta1) ?? unit("beta2", beta2) { return p }
        case .rmsprop:
            if let p = unit("decay", decay) { return p }
        case .sgd:
            if let p = unit("momentum", momentum) { return p }
        case .adagrad:
            break
        }
        if kind != .sgd && !(epsilon > 0 && epsilon.isFinite) { return "epsilon must be > 0 (got \(epsilon))" }
        return nil
    }
}
