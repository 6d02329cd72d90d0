import Tensor

// An encoder–decoder with attention (the seeds' fourth shape; Luong, Pham &
// Manning 2015, "global attention" without input feeding):
//
//     source x_1…x_S ─▶ encoder stack ─▶ top states e_1…e_S (S, H), final state (L × h, c)
//                                                  │                   │ the decoder's initial state
//     <s> y_1…y_{T−1} ─────────────────────────────┼──▶ decoder stack ─▶ top states d_1…d_T
//                                                  ▼                   │
//             α_t = softmax_s(score(d_t, e_s)),  ctx_t = Σ_s α_ts e_s  ◀┘
//             h̃_t = tanh(W_c [ctx_t; d_t] + b_c),  logits_t = W_o h̃_t + b_o  ─▶ y_t (…, </s>)
//
// Both stacks are the model's one `StackDescription` (cell, H, L): the decoder
// starts from the encoder's final state, so their shapes must agree. Scores:
// AttentionKind.swift. Training is teacher forcing: the decoder reads the true
// previous character; the loss is the mean cross-entropy over every target
// character and the end marker. Tensors: ParameterLayout.swift.
//
// A batch's sources all have the same length S (the trainer batches pairs by
// source length), so the encoder's state after step S is every row's own and no
// source position needs a mask. Targets are padded to the longest: the
// decoder's steps past a row's length have target −1 and reach neither the
// loss nor any gradient (as `WindowInputs` describes for one stack).
//
// Letters: B rows, S source steps, T target steps, H hidden size, V vocabulary,
// N = T·B. Buffers are time-major as in the stacks: (S, B, H), (T, B, H).
// The attention products are per row b, strided GEMMs over the rows b of the
// time-major buffers (leading dimension B·H): scores (T, S) = D_b K_bᵀ,
// context (T, H) = α_b E_b. Everything else is one GEMM over all N rows.

public final class EncoderDecoder {
    public let config: ModelConfig
    public let layout: ParameterLayout
    /// All parameters, flat, in `layout` order: the encoder's, the decoder's, then attention, combine, head.
    public var parameters: [Float] { didSet { parameterVersion &+= 1 } }
    /// dLoss/dparameters, same layout. `backward` adds into it; zeroing is the trainer's job.
    public var gradients: [Float]

    let encoder: StackedRNN
    let decoder: StackedRNN
    private let encoderRange: Range<Int>, decoderRange: Range<Int>
    private let attentionWeightOffset: Int?                 // (H, H), general only
    private let combineWeightOffset: Int, combineBiasOffset: Int   // (H, 2H), (H)
    private let headWeightOffset: Int, headBiasOffset: Int         // (V, H), (V)
    private var parameterVersion = 0
    private var loadedVersion = -1

    /// The one kernel choice of both stacks (tests choose; see `StackedRNN.kernels`).
    public internal(set) var kernels: KernelSet {
        get { encoder.kernels }
        set { encoder.kernels = newValue; decoder.kernels = newValue }
    }

    /// The precision of a training window's weight products (`train --precision`, as
    /// `StackedRNN.productPrecision`): both stacks' products, and the attention keys' W_a,
    /// the combination's W_c and the head's W_o, forward and backward. The attention's own
    /// products, scores D_b K_bᵀ and context α_b E_b, multiply two activations of one row
    /// (about 1% of a step's FLOPs at S = T = 30, H = 256) and stay fp32, as the softmax
    /// between them does. `step` (decoding) ignores it.
    public var productPrecision: ProductPrecision {
        get { encoder.productPrecision }
        set { encoder.productPrecision = newValue; decoder.productPrecision = newValue }
    }

    /// out (N, M) = x (N, K) · Wᵀ + bias in `precision` (a window's: `productPrecision`; decoding's: fp32).
    private func linear(_ x: UnsafePointer<Float>, rows n: Int, inputs k: Int, weight: UnsafePointer<Float>,
                        bias: UnsafePointer<Float>?, outputs m: Int, out: UnsafeMutablePointer<Float>,
                        precision: ProductPrecision) {
        BLAS.gemm(precision, kernels: kernels, .none, .transposed, m: n, n: m, k: k, a: x, lda: k, b: weight, ldb: k,
                  rowBias: bias, c: out, ldc: m)
    }

    /// C = op(A)·op(B) + beta·C of backward in the window's product precision.
    private func gemm(_ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                      b: UnsafePointer<Float>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        BLAS.gemm(productPrecision, kernels: kernels, transA, transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb,
                  beta: beta, c: c, ldc: ldc)
    }

    /// The shape of the last forward, for backward and the accessors.
    private struct Window { let batchSize: Int, sourceLength: Int, targetLength: Int, hasTargets: Bool }
    private var window: Window?
    private var hasGradient = false

    // The last forward's values (time-major), kept for backward.
    private var keys: [Float] = []         // (S, B, H) W_a e (general); unused for dot
    private var alpha: [Float] = []        // (B, T, S) attention weights
    private var joined: [Float] = []       // (T, B, 2H) [ctx; d]
    private var combined: [Float] = []     // (T, B, H) h̃
    private var logitBuffer: [Float] = []  // (T, B, V)
    private var dLogits: [Float] = []      // (T, B, V)
    private var targetBuffer: [Int32] = [] // (T, B) −1 past a row's end
    private var losses: [Double] = []      // (T, B)
    // Backward scratch.
    private var dJoined: [Float] = []      // (T, B, 2H)
    private var dCombined: [Float] = []    // (T, B, H)
    private var dDecoder: [Float] = []     // (T, B, H)
    private var dEncoder: [Float] = []     // (S, B, H)
    private var dKeys: [Float] = []        // (S, B, H)
    private var dScores: [Float] = []      // (B, T, S)
    // One decoding step's scratch (`step`).
    private var stepScores: [Float] = [], stepJoined: [Float] = [], stepCombined: [Float] = []

    /// A model of `config` (which must have `attention`) with every parameter zero; see `initialize`.
    public init(config: ModelConfig) {
        precondition(config.attention != nil, "EncoderDecoder: the config has no attention (a one-stack model is a StackedRNN)")
        if let problem = config.problem { preconditionFailure("EncoderDecoder: \(problem)") }
        self.config = config
        layout = ParameterLayout(config: config)
        encoder = StackedRNN(stackOf: config)
        decoder = StackedRNN(stackOf: config)
        let stackCount = encoder.layout.totalCount
        encoderRange = 0..<stackCount
        decoderRange = stackCount..<(2 * stackCount)
        attentionWeightOffset = layout.entry("attention.weight")?.offset
        combineWeightOffset = layout.entry("combine.weight")!.offset
        combineBiasOffset = layout.entry("combine.bias")!.offset
        headWeightOffset = layout.head.weight.offset
        headBiasOffset = layout.head.bias.offset
        parameters = [Float](repeating: 0, count: layout.totalCount)
        gradients = [Float](repeating: 0, count: layout.totalCount)
    }

    public func zeroGradients() {
        gradients.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }

    /// Sets every parameter as PyTorch does (uniform(−1/√fan_in, 1/√fan_in): the
    /// stacks' tensors with fan_in = H as `nn.LSTM`, attention.weight H, combine
    /// 2H, head H, as `nn.Linear`), then applies `options` to each stack's layers
    /// as `StackedRNN.initialize` does. One `nextFloat` per parameter in layout order.
    public func initialize(rng: inout SplitMix64, options: InitOptions = InitOptions()) {
        let h = config.hiddenSize
        for entry in layout.entries {
            let fanIn = entry.name.hasPrefix("combine.") ? 2 * h : h
            let bound = 1 / Float(fanIn).squareRoot()
            for i in entry.range { parameters[i] = rng.nextFloat(in: -bound, bound) }
        }
        let cell = encoder.cell
        var applied = options
        if !cell.takesForgetGateBias { applied.forgetGateBias = nil }
        if !cell.takesIdentityRecurrent { applied.identityRecurrent = false }
        for k in 0..<(2 * config.layerCount) {
            cell.initialize(layer: layout.tensors(ofLayer: k), hiddenSize: h, options: applied, parameters: &parameters)
        }
        zeroGradients()
    }

    /// The stacks' copies of their parameters, current for `parameters`.
    private func loadStacks() {
        guard loadedVersion != parameterVersion else { return }
        encoder.parameters = Array(parameters[encoderRange])
        decoder.parameters = Array(parameters[decoderRange])
        loadedVersion = parameterVersion
    }

    private static func ensure<T: Numeric>(_ buffer: inout [T], _ count: Int) {
        if buffer.count < count { buffer = [T](repeating: 0, count: count) }
    }

    // MARK: - Forward (teacher forcing)

    /// Runs B pairs and returns the mean cross-entropy in nats per target character
    /// (over every row's real steps; 0 without targets). Caches what `backward` needs.
    ///
    /// - sources: (B, S) row-major ids, every row S long.
    /// - decoderInputs: (B, T) row-major: <s> then the target's characters.
    /// - targets: (B, T) row-major: the target's characters then </s>; −1 past a row's
    ///   length; nil for outputs only (attention weights, logits).
    /// - lengths: (B) real steps of each target row in 1...T; nil: all T.
    /// - training: the stacks' dropouts (config.dropout between layers, recurrent
    ///   dropout), drawn from `rng` encoder first.
    public func forward(sources: UnsafeBufferPointer<Int32>, sourceLength s: Int,
                        decoderInputs: UnsafeBufferPointer<Int32>, targets: UnsafeBufferPointer<Int32>?,
                        lengths: UnsafeBufferPointer<Int32>?, targetLength t: Int, batchSize b: Int,
                        training: Bool, rng: inout SplitMix64) -> Float {
        let h = config.hiddenSize, v = config.vocabularySize, n = t * b
        precondition(b >= 1 && s >= 1 && t >= 1, "forward: B, S and T must be at least 1 (got \(b), \(s), \(t))")
        precondition(sources.count == b * s, "forward: expected B·S = \(b * s) source ids, got \(sources.count)")
        precondition(decoderInputs.count == n, "forward: expected B·T = \(n) decoder inputs, got \(decoderInputs.count)")
        precondition(targets == nil || targets!.count == n, "forward: expected B·T = \(n) targets, got \(targets!.count)")
        for id in sources where id < 0 || Int(id) >= v { preconditionFailure("forward: source id \(id) outside 0..<\(v)") }
        for id in decoderInputs where id < 0 || Int(id) >= v { preconditionFailure("forward: decoder input \(id) outside 0..<\(v)") }
        loadStacks()

        var state = RecurrentState.zeros(config: encoder.config, batchSize: b)
        _ = encoder.forward(WindowInputs(tokens: sources), targets: .none, batchSize: b, sequenceLength: s,
                            state: &state, training: training, rng: &rng)
        _ = decoder.forward(WindowInputs(tokens: decoderInputs, lengths: lengths), targets: .none, batchSize: b,
                            sequenceLength: t, state: &state, training: training, rng: &rng)
        window = Window(batchSize: b, sourceLength: s, targetLength: t, hasTargets: targets != nil)
        hasGradient = false

        Self.ensure(&keys, s * b * h); Self.ensure(&alpha, b * t * s); Self.ensure(&joined, n * 2 * h)
        Self.ensure(&combined, n * h); Self.ensure(&logitBuffer, n * v); Self.ensure(&dLogits, n * v)
        Self.ensure(&targetBuffer, n); Self.ensure(&losses, n)
        let e = encoderTop, d = decoderTop
        parameters.withUnsafeBufferPointer { pb in
            let p = pb.baseAddress!
            keys.withUnsafeMutableBufferPointer { kb in
                alpha.withUnsafeMutableBufferPointer { ab in
                    joined.withUnsafeMutableBufferPointer { jb in
                        let k = attentionKeys(e, rows: s * b, p, into: kb.baseAddress!)
                        Self.attend(decoder: d, keys: k, values: e, batchSize: b, sourceLength: s, targetLength: t,
                                    hiddenSize: h, alpha: ab.baseAddress!, joined: jb.baseAddress!)
                        combined.withUnsafeMutableBufferPointer { cb in
                            combine(jb.baseAddress!, rows: n, p, into: cb.baseAddress!, precision: productPrecision)
                            logitBuffer.withUnsafeMutableBufferPointer { lb in
                                linear(cb.baseAddress!, rows: n, inputs: h, weight: p + headWeightOffset,
                                       bias: p + headBiasOffset, outputs: v, out: lb.baseAddress!, precision: productPrecision)
                            }
                        }
                    }
                }
            }
        }
        guard let targets else { return 0 }
        // Targets time-major, −1 past each row's length.
        for row in 0..<b {
            let length = lengths.map { Int($0[row]) } ?? t
            precondition(length >= 1 && length <= t, "forward: length \(length) of row \(row) outside 1...\(t)")
            for step in 0..<t {
                let id = step < length ? targets[row * t + step] : -1
                precondition(id < Int32(v), "forward: target id \(id) outside 0..<\(v)")
                targetBuffer[step * b + row] = id
            }
        }
        var counted = 0
        for i in 0..<n where targetBuffer[i] >= 0 { counted += 1 }
        guard counted > 0 else { return 0 }
        let scale = 1 / Float(counted)
        logitBuffer.withUnsafeBufferPointer { lb in
            targetBuffer.withUnsafeBufferPointer { tb in
                losses.withUnsafeMutableBufferPointer { sb in
                    dLogits.withUnsafeMutableBufferPointer { db in
                        let (l, tg, ls, dl) = (lb.baseAddress!, tb.baseAddress!, sb.baseAddress!, db.baseAddress!)
                        let pieces = Parallel.parts(for: n, minimum: 256)
                        Parallel.forEach(pieces) { q in
                            SoftmaxCrossEntropy.lossAndGradient(logits: l, targets: tg, rows: Parallel.range(q, of: pieces, count: n),
                                                                scale: scale, rowWeights: nil, classes: v, losses: ls, dLogits: dl)
                        }
                    }
                }
            }
        }
        var total = 0.0
        for i in 0..<n { total += losses[i] }
        return Float(total / Double(counted))
    }

    /// The encoder's top states of the last forward, (S, B, H).
    private var encoderTop: UnsafeMutablePointer<Float> {
        encoder.workspace!.hidden[config.layerCount - 1].base + encoder.window!.batchSize * config.hiddenSize
    }

    /// The decoder's top states of the last forward, (T, B, H).
    private var decoderTop: UnsafeMutablePointer<Float> {
        decoder.workspace!.hidden[config.layerCount - 1].base + decoder.window!.batchSize * config.hiddenSize
    }

    /// What the scores compare the decoder's states with: the encoder's states (dot), or
    /// W_a e for each of `rows` states (general), written into `buffer`.
    private func attentionKeys(_ e: UnsafePointer<Float>, rows: Int, _ p: UnsafePointer<Float>,
                               into buffer: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> {
        guard let w = attentionWeightOffset else { return e }
        let h = config.hiddenSize
        linear(e, rows: rows, inputs: h, weight: p + w, bias: nil, outputs: h, out: buffer, precision: productPrecision)
        return UnsafePointer(buffer)
    }

    /// Per row b: scores (T, S) = D_b K_bᵀ / √H, α = softmax over S, ctx_b (T, H) = α E_b into the
    /// first H columns of `joined` (T, B, 2H) and the decoder's states into the last H.
    static func attend(decoder d: UnsafePointer<Float>, keys k: UnsafePointer<Float>, values e: UnsafePointer<Float>,
                       batchSize b: Int, sourceLength s: Int, targetLength t: Int, hiddenSize h: Int,
                       alpha: UnsafeMutablePointer<Float>, joined: UnsafeMutablePointer<Float>) {
        let bh = b * h, scale = 1 / Float(h).squareRoot()
        let parts = Parallel.parts(for: b, minimum: 4)
        Parallel.forEach(parts) { q in
            for row in Parallel.range(q, of: parts, count: b) {
                let a = alpha + row * t * s
                BLAS.sgemm(.none, .transposed, m: t, n: s, k: h, alpha: scale, a: d + row * h, lda: bh,
                           b: k + row * h, ldb: bh, beta: 0, c: a, ldc: s)
                for step in 0..<t { softmax(a + step * s, count: s) }
                BLAS.sgemm(.none, .none, m: t, n: h, k: s, a: a, lda: s, b: e + row * h, ldb: bh,
                           beta: 0, c: joined + row * 2 * h, ldc: 2 * bh)
                for step in 0..<t {
                    (joined + (step * b + row) * 2 * h + h).update(from: d + (step * b + row) * h, count: h)
                }
            }
        }
    }

    /// x (count) ← softmax(x), in place.
    static func softmax(_ x: UnsafeMutablePointer<Float>, count: Int) {
        let m = SoftmaxCrossEntropy.rowMaximum(x, count)
        var sum: Float = 0
        for j in 0..<count { x[j] = Elementwise.exp(x[j] - m); sum += x[j] }
        let inverse = 1 / sum
        for j in 0..<count { x[j] *= inverse }
    }

    /// out (rows, H) = tanh(joined (rows, 2H) · W_cᵀ + b_c), the product in `precision`.
    private func combine(_ joined: UnsafePointer<Float>, rows: Int, _ p: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
                         precision: ProductPrecision) {
        let h = config.hiddenSize
        linear(joined, rows: rows, inputs: 2 * h, weight: p + combineWeightOffset, bias: p + combineBiasOffset,
               outputs: h, out: out, precision: precision)
        for i in 0..<(rows * h) { out[i] = Elementwise.tanh(out[i]) }
    }

    // MARK: - Backward

    /// Backpropagates the last forward's loss through the head, the combination, the
    /// attention, the decoder and the encoder (through the decoder's initial state too),
    /// adding into `gradients`.
    public func backward() {
        guard let win = window else { preconditionFailure("backward() called before forward()") }
        precondition(win.hasTargets, "backward() after a forward without targets")
        precondition(!hasGradient, "backward() called twice after one forward()")
        let b = win.batchSize, s = win.sourceLength, t = win.targetLength, n = t * b
        let h = config.hiddenSize, v = config.vocabularySize, bh = b * h
        Self.ensure(&dJoined, n * 2 * h); Self.ensure(&dCombined, n * h); Self.ensure(&dDecoder, n * h)
        Self.ensure(&dEncoder, s * bh); Self.ensure(&dKeys, s * bh); Self.ensure(&dScores, b * t * s)
        let e = UnsafePointer(encoderTop), d = UnsafePointer(decoderTop), scale = 1 / Float(h).squareRoot()
        parameters.withUnsafeBufferPointer { pb in
        gradients.withUnsafeMutableBufferPointer { gb in
        combined.withUnsafeBufferPointer { cb in
        joined.withUnsafeBufferPointer { jb in
        alpha.withUnsafeBufferPointer { ab in
        keys.withUnsafeBufferPointer { kb in
        dLogits.withUnsafeBufferPointer { dlb in
        dJoined.withUnsafeMutableBufferPointer { djb in
        dCombined.withUnsafeMutableBufferPointer { dcb in
        dDecoder.withUnsafeMutableBufferPointer { ddb in
        dEncoder.withUnsafeMutableBufferPointer { deb in
        dKeys.withUnsafeMutableBufferPointer { dkb in
        dScores.withUnsafeMutableBufferPointer { dsb in
            let p = pb.baseAddress!, g = gb.baseAddress!
            let hTilde = cb.baseAddress!, join = jb.baseAddress!, a = ab.baseAddress!, dl = dlb.baseAddress!
            let dJ = djb.baseAddress!, dC = dcb.baseAddress!, dD = ddb.baseAddress!, dE = deb.baseAddress!
            let dK = dkb.baseAddress!, dS = dsb.baseAddress!
            // Head: dW_o += dLogitsᵀ h̃, db_o += Σ dLogits, dh̃ = dLogits W_o.
            gemm(.transposed, .none, m: v, n: h, k: n, a: dl, lda: v, b: hTilde, ldb: h, beta: 1,
                 c: g + headWeightOffset, ldc: h)
            StackedRNN.addColumnSums(of: dl, rows: n, columns: v, into: g + headBiasOffset)
            gemm(.none, .none, m: n, n: h, k: v, a: dl, lda: v, b: p + headWeightOffset, ldb: h, beta: 0, c: dC, ldc: h)
            // Combination: dz = dh̃ ⊙ (1 − h̃²); dW_c += dzᵀ [ctx; d], db_c += Σ dz, d[ctx; d] = dz W_c.
            for i in 0..<(n * h) { dC[i] *= 1 - hTilde[i] * hTilde[i] }
            gemm(.transposed, .none, m: h, n: 2 * h, k: n, a: dC, lda: h, b: join, ldb: 2 * h, beta: 1,
                 c: g + combineWeightOffset, ldc: 2 * h)
            StackedRNN.addColumnSums(of: dC, rows: n, columns: h, into: g + combineBiasOffset)
            gemm(.none, .none, m: n, n: 2 * h, k: h, a: dC, lda: h, b: p + combineWeightOffset, ldb: 2 * h,
                 beta: 0, c: dJ, ldc: 2 * h)
            for i in 0..<n { (dD + i * h).update(from: dJ + i * 2 * h + h, count: h) }
            // Attention, per row: dα = dctx E_bᵀ, dE_b = αᵀ dctx, dscore = α ⊙ (dα − Σ α dα) / √H,
            // dD_b += dscore K_b, dK_b = dscoreᵀ D_b.
            let k = attentionWeightOffset == nil ? e : UnsafePointer(kb.baseAddress!)
            let parts = Parallel.parts(for: b, minimum: 4)
            Parallel.forEach(parts) { q in
                for row in Parallel.range(q, of: parts, count: b) {
                    let ar = a + row * t * s, ds = dS + row * t * s, dctx = dJ + row * 2 * h
                    BLAS.sgemm(.none, .transposed, m: t, n: s, k: h, a: dctx, lda: 2 * bh, b: e + row * h, ldb: bh,
                               beta: 0, c: ds, ldc: s)
                    BLAS.sgemm(.transposed, .none, m: s, n: h, k: t, a: ar, lda: s, b: dctx, ldb: 2 * bh,
                               beta: 0, c: dE + row * h, ldc: bh)
                    for step in 0..<t {
                        let x = ar + step * s, dx = ds + step * s
                        var dot: Float = 0
                        for j in 0..<s { dot += x[j] * dx[j] }
                        for j in 0..<s { dx[j] = x[j] * (dx[j] - dot) * scale }
                    }
                    BLAS.sgemm(.none, .none, m: t, n: h, k: s, a: ds, lda: s, b: k + row * h, ldb: bh,
                               beta: 1, c: dD + row * h, ldc: bh)
                    BLAS.sgemm(.transposed, .none, m: s, n: h, k: t, a: ds, lda: s, b: d + row * h, ldb: bh,
                               beta: 0, c: dK + row * h, ldc: bh)
                }
            }
            // Keys: dot adds dK to dE; general: dW_a += dKᵀ E, dE += dK W_a.
            if let w = attentionWeightOffset {
                gemm(.transposed, .none, m: h, n: h, k: s * b, a: dK, lda: h, b: e, ldb: h, beta: 1, c: g + w, ldc: h)
                gemm(.none, .none, m: s * b, n: h, k: h, a: dK, lda: h, b: p + w, ldb: h, beta: 1, c: dE, ldc: h)
            } else {
                for i in 0..<(s * bh) { dE[i] += dK[i] }
            }
            // The stacks: the decoder from its top states' gradient, the encoder from its own and from
            // the decoder's initial state (the encoder's final state).
            decoder.zeroGradients()
            decoder.backwardStack(topGradient: dD, finalState: nil)
            encoder.zeroGradients()
            let initial = decoder.workspace!
            encoder.backwardStack(topGradient: dE, finalState: (UnsafePointer(initial.dInitialH.base), initial.dInitialC.map { UnsafePointer($0.base) }))
            encoder.gradients.withUnsafeBufferPointer { eg in
                for i in 0..<eg.count { g[encoderRange.lowerBound + i] += eg[i] }
            }
            decoder.gradients.withUnsafeBufferPointer { dg in
                for i in 0..<dg.count { g[decoderRange.lowerBound + i] += dg[i] }
            }
        }}}}}}}}}}}}}
        hasGradient = true
    }

    // MARK: - Inspection of the last forward

    /// The attention weights of row `batch` of the last forward: T rows of S, each summing to 1.
    public func attentionWeights(batch: Int) -> [[Float]] {
        guard let win = window else { preconditionFailure("no forward has run") }
        precondition(batch >= 0 && batch < win.batchSize, "row \(batch) outside the last forward's \(win.batchSize)")
        let s = win.sourceLength, t = win.targetLength, base = batch * t * s
        return (0..<t).map { step in Array(alpha[(base + step * s)..<(base + (step + 1) * s)]) }
    }

    /// The V logits of row `batch` at target step `time` of the last forward.
    public func logits(batch: Int, time: Int) -> [Float] {
        guard let win = window else { preconditionFailure("no forward has run") }
        precondition(batch >= 0 && batch < win.batchSize && time >= 0 && time < win.targetLength,
                     "position (\(batch), \(time)) outside the last forward (\(win.batchSize), \(win.targetLength))")
        let v = config.vocabularySize, row = time * win.batchSize + batch
        return Array(logitBuffer[(row * v)..<((row + 1) * v)])
    }

    /// Each target position's loss (nats) of the last forward, (B, T) row-major; 0 past a row's end.
    public func positionLosses() -> [Double] {
        guard let win = window, win.hasTargets else { preconditionFailure("no forward with targets has run") }
        let b = win.batchSize, t = win.targetLength
        var out = [Double](repeating: 0, count: b * t)
        for row in 0..<b { for step in 0..<t { out[row * t + step] = losses[step * b + row] } }
        return out
    }

    // MARK: - Decoding, one step at a time

    /// A source as the decoder attends to it: the encoder's top states and the
    /// attention keys (S, H) each, and the state the decoder starts from.
    public struct EncodedSource: Sendable {
        public let length: Int
        let states: [Float]
        let keys: [Float]
        public let initialState: RecurrentState
    }

    /// Runs the encoder over one source (ids in 0..<V, at least one).
    public func encode(_ source: [Int32]) -> EncodedSource {
        let s = source.count, h = config.hiddenSize, v = config.vocabularySize
        precondition(s >= 1, "encode: an empty source")
        for id in source { precondition(id >= 0 && Int(id) < v, "encode: source id \(id) outside 0..<\(v)") }
        loadStacks()
        var state = RecurrentState.zeros(config: encoder.config, batchSize: 1)
        var rng = SplitMix64(seed: 0)  // no dropout outside training
        // Decoding is fp32 whatever a training window multiplies in (`productPrecision`).
        encoder.withProductPrecision(.fp32) {
            source.withUnsafeBufferPointer { ids in
                _ = encoder.forward(WindowInputs(tokens: ids), targets: .none, batchSize: 1, sequenceLength: s,
                                    state: &state, training: false, rng: &rng)
            }
        }
        let states = Array(UnsafeBufferPointer(start: encoderTop, count: s * h))
        var keys = states
        if let w = attentionWeightOffset {
            parameters.withUnsafeBufferPointer { pb in
                states.withUnsafeBufferPointer { sb in
                    keys.withUnsafeMutableBufferPointer { kb in
                        linear(sb.baseAddress!, rows: s, inputs: h, weight: pb.baseAddress! + w, bias: nil,
                               outputs: h, out: kb.baseAddress!, precision: .fp32)
                    }
                }
            }
        }
        return EncodedSource(length: s, states: states, keys: keys, initialState: state)
    }

    /// One decoder step: feeds `token` (the previous output, <s> first), updates `state`
    /// (batch 1), writes the V logits of the next character and, when given, the S
    /// attention weights. The same arithmetic as `forward` for one row.
    public func step(token: Int32, state: inout RecurrentState, source: EncodedSource,
                     logits: UnsafeMutableBufferPointer<Float>, attention: UnsafeMutableBufferPointer<Float>? = nil) {
        let h = config.hiddenSize, v = config.vocabularySize, s = source.length, l = config.layerCount
        precondition(logits.count >= v, "step: logits buffer holds \(logits.count) values, needs V = \(v)")
        precondition(attention == nil || attention!.count >= s, "step: attention buffer holds \(attention!.count) values, needs S = \(s)")
        loadStacks()
        decoder.step(token: token, state: &state, logits: UnsafeMutableBufferPointer(start: nil, count: 0))
        Self.ensure(&stepScores, s); Self.ensure(&stepJoined, 2 * h); Self.ensure(&stepCombined, h)
        let scale = 1 / Float(h).squareRoot()
        parameters.withUnsafeBufferPointer { pb in
        state.h.withUnsafeBufferPointer { hb in
        source.keys.withUnsafeBufferPointer { kb in
        source.states.withUnsafeBufferPointer { eb in
        stepScores.withUnsafeMutableBufferPointer { sb in
        stepJoined.withUnsafeMutableBufferPointer { jb in
        stepCombined.withUnsafeMutableBufferPointer { cb in
            let p = pb.baseAddress!, d = hb.baseAddress! + (l - 1) * h, scores = sb.baseAddress!, joined = jb.baseAddress!
            BLAS.sgemv(.none, m: s, n: h, alpha: scale, a: kb.baseAddress!, lda: h, x: d, beta: 0, y: scores)
            Self.softmax(scores, count: s)
            BLAS.sgemv(.transposed, m: s, n: h, a: eb.baseAddress!, lda: h, x: scores, beta: 0, y: joined)
            (joined + h).update(from: d, count: h)
            combine(joined, rows: 1, p, into: cb.baseAddress!, precision: .fp32)
            let out = logits.baseAddress!
            out.update(from: p + headBiasOffset, count: v)
            BLAS.sgemv(.none, m: v, n: h, a: p + headWeightOffset, lda: h, x: cb.baseAddress!, beta: 1, y: out)
            if let attention { attention.baseAddress!.update(from: scores, count: s) }
        }}}}}}}
    }
}
