#if canImport(Glibc)
import Glibc
#endif
import Tensor

// The head of a stacked model (HeadDescription.swift), forward and backward
// side by side: one linear layer, head.weight (O, H) and head.bias (O), over
//
//   next_character  every step's top state x (N, H)        → logits (N, O = V), softmax cross-entropy
//   classifier      each row's pooled top state x (B, H)   → logits (B, K), (class-weighted) cross-entropy
//   regression      each row's pooled top state x (B, H)   → values (B, O), mean squared error
//
// Pooling reads the top layer's states after each real step (slots 1...len_b
// of its (T + 1, B, H) hidden buffer): `last` slot len_b, `mean` their average.
// Backward turns dx into dL/dh of the top layer at every step, (T, B, H):
// per step for next_character; for a vector head dx at step len_b − 1 (`last`)
// or dx/len_b at every real step (`mean`), 0 elsewhere.
//
// Letters: B rows, T steps, N = T·B, H hidden size, O outputs, K classes.

extension StackedRNN {
    /// Writes the head's outputs into `ws.logits`: (N, O) for every step, (B, O) from the pooled states.
    func headForward(_ ws: Workspace, _ p: UnsafePointer<Float>, batchSize b: Int, rows n: Int, dropout: Bool,
                     rng: inout SplitMix64) {
        let l = config.layerCount, h = config.hiddenSize, o = config.outputWidth
        if config.head.readsEveryStep {
            let x = input(of: l, ws, batchSize: b, rows: n, dropout: dropout, rng: &rng)      // (T, B, H)
            linear(x, rows: n, inputs: h, weight: p + headWeightOffset, bias: p + headBiasOffset, outputs: o, out: ws.logits.base)
            return
        }
        pool(ws, batchSize: b)
        var x = ws.pooled.base                                                           // (B, H)
        if dropout {
            Dropout.fillMask(ws.masks[l].base, count: b * h, probability: config.dropout, rng: &rng)
            Elementwise.multiply(x, by: ws.masks[l].base, into: ws.dropped[l].base, count: b * h)
            x = ws.dropped[l].base
        }
        linear(x, rows: b, inputs: h, weight: p + headWeightOffset, bias: p + headBiasOffset, outputs: o, out: ws.logits.base)
    }

    /// pooled (B, H) ← each row's last real top state, or the mean of its real top states.
    private func pool(_ ws: Workspace, batchSize b: Int) {
        let top = ws.hidden[config.layerCount - 1].base, h = config.hiddenSize          // (T + 1, B, H)
        for row in 0..<b {
            let out = ws.pooled.base + row * h, length = ws.lengths[row]
            switch config.pooling {
            case .last:
                out.update(from: top + (length * b + row) * h, count: h)
            case .mean:
                out.update(repeating: 0, count: h)
                for slot in 1...length {
                    let state = top + (slot * b + row) * h
                    for j in 0..<h { out[j] += state[j] }
                }
                let scale = 1 / Float(length)
                for j in 0..<h { out[j] *= scale }
            }
        }
    }

    /// The loss of the last `headForward`, and already its gradient dL/d(outputs) in `ws.dLogits`.
    func headLoss(_ ws: Workspace, batchSize b: Int, rows n: Int) -> Float {
        let o = config.outputWidth
        let logits = ws.logits.base, targets = ws.targets.base, losses = ws.rowLosses.base, dLogits = ws.dLogits.base
        switch config.head {
        case .nextCharacter:
            var counted = 0
            for row in 0..<n where targets[row] >= 0 { counted += 1 }
            guard counted > 0 else { dLogits.update(repeating: 0, count: n * o); return 0 }
            let pieces = Parallel.parts(for: n, minimum: 256), scale = 1 / Float(counted)
            Parallel.forEach(pieces) { q in
                SoftmaxCrossEntropy.lossAndGradient(logits: logits, targets: targets, rows: Parallel.range(q, of: pieces, count: n),
                                                    scale: scale, rowWeights: nil, classes: o, losses: losses, dLogits: dLogits)
            }
            var total = 0.0
            for row in 0..<n { total += losses[row] }
            return Float(total / Double(counted))
        case .classifier:
            var weightSum = 0.0
            for row in 0..<b { weightSum += Double(ws.rowWeights.base[row]) }
            precondition(weightSum > 0, "forward: the class weights of the window's rows sum to \(weightSum)")
            SoftmaxCrossEntropy.lossAndGradient(logits: logits, targets: targets, rows: 0..<b, scale: Float(1 / weightSum),
                                                rowWeights: ws.rowWeights.base, classes: o, losses: losses, dLogits: dLogits)
            var total = 0.0
            for row in 0..<b { total += losses[row] }
            return Float(total / weightSum)
        case .regression:
            // loss = (1/(B·O)) Σ (y − t)²; dL/dy = 2(y − t)/(B·O).
            let count = b * o, y = ws.targetValues.base, scale = 2 / Float(count)
            var total = 0.0
            for i in 0..<count {
                let e = logits[i] - y[i]
                total += Double(e) * Double(e)
                dLogits[i] = scale * e
            }
            return Float(total / Double(count))
        }
    }

    /// Backward through the head: head.weight and head.bias gradients, and dL/dh of the
    /// top layer at every step into `ws.dHidden` (T, B, H).
    func headBackward(_ ws: Workspace, _ p: UnsafePointer<Float>, _ g: UnsafeMutablePointer<Float>, _ win: Window) {
        let b = win.batchSize, t = win.sequenceLength, n = b * t
        let l = config.layerCount, h = config.hiddenSize, o = config.outputWidth
        let dLogits = ws.dLogits.base, dHidden = ws.dHidden.base
        // dW_head += dLogitsᵀ·x, db_head += Σ dLogits, dx = dLogits·W_head.
        let rows = config.head.readsEveryStep ? n : b
        let x = config.head.readsEveryStep ? cachedInput(of: l, ws, batchSize: b, dropout: win.dropout)
                                           : (win.dropout ? ws.dropped[l].base : ws.pooled.base)
        gemm(.transposed, .none, m: o, n: h, k: rows, a: dLogits, lda: o, b: x, ldb: h,
             beta: 1, c: g + headWeightOffset, ldc: h)
        Self.addColumnSums(of: dLogits, rows: rows, columns: o, into: g + headBiasOffset)
        if config.head.readsEveryStep {
            gemm(.none, .none, m: n, n: h, k: o, a: dLogits, lda: o, b: p + headWeightOffset, ldb: h,
                 beta: 0, c: dHidden, ldc: h)
            if win.dropout { Elementwise.multiply(dHidden, by: ws.masks[l].base, count: n * h) }
            return
        }
        // dx (B, H) into the pooled buffer (the forward's x is read no more), then spread over the steps.
        let dx = ws.pooled.base
        gemm(.none, .none, m: b, n: h, k: o, a: dLogits, lda: o, b: p + headWeightOffset, ldb: h,
             beta: 0, c: dx, ldc: h)
        if win.dropout { Elementwise.multiply(dx, by: ws.masks[l].base, count: b * h) }
        dHidden.update(repeating: 0, count: n * h)
        for row in 0..<b {
            let length = ws.lengths[row], d = dx + row * h
            switch config.pooling {
            case .last:
                (dHidden + ((length - 1) * b + row) * h).update(from: d, count: h)
            case .mean:
                let scale = 1 / Float(length)
                for step in 0..<length {
                    let out = dHidden + (step * b + row) * h
                    for j in 0..<h { out[j] = d[j] * scale }
                }
            }
        }
    }

    /// The O outputs of row `batch` of the last forward's vector head: a classifier's
    /// logits, a regression head's values.
    public func headOutputs(batch: Int) -> [Float] {
        guard let win = window, let ws = workspace else { preconditionFailure("no forward has run") }
        precondition(!config.head.readsEveryStep, "headOutputs: a \(config.head.rawValue) head has outputs per step (logits(batch:time:))")
        precondition(batch >= 0 && batch < win.batchSize, "row \(batch) outside the last window's \(win.batchSize)")
        let o = config.outputWidth
        return ws.logits.array(batch * o ..< (batch + 1) * o)
    }
}
