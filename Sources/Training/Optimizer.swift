#if canImport(Glibc)
import Checkpoints
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RNN

/// Updates a flat parameter block from a gradient block of the same layout.
///
/// Parameters, gradients and the optimizer's moment buffers all share one
/// layout (as llm.c's `ParameterTensors`), so a step is a single loop over
/// flat buffers; nothing here knows about tensors or names. The loops use raw
/// pointers and no per-element calls so that the compiler vectorises them.
///
/// The rules, with g = gradient + λ·p when `weightDecay` λ ≠ 0 (L2, coupled,
/// as `torch.optim` applies it; not AdamW's decoupled decay), t = `stepCount`
/// after the increment, η = learning rate:
///
///     adam     m ← β1·m + (1−β1)·g                 (PyTorch torch.optim.Adam)
///              v ← β2·v + (1−β2)·g²
///              p ← p − (η / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + ε)
///     rmsprop  m ← d·m + (1−d)·g²                   (torch/optim rmsprop.lua, char-rnn)
///              p ← p − η · g / (√m + ε)
///     adagrad  s ← s + g²                           (min-char-rnn)
///              p ← p − η · g / √(s + ε)
///     sgd      b ← μ·b + g                          (PyTorch SGD, dampening 0, no Nesterov)
///              p ← p − η · b
///
/// All moment buffers start at zero; for SGD this equals PyTorch's
/// "b = g on the first step".
public struct Optimizer: Sendable {
    public let settings: OptimizerSettings
    /// Length of the parameter block this optimizer was made for.
    public let parameterCount: Int
    /// Number of `step` calls so far (Adam's t; restored from checkpoints).
    public private(set) var stepCount: Int

    /// adam: m; rmsprop: mean square; adagrad: sum of squares; sgd: momentum buffer.
    private var first: [Float]
    /// adam: v; empty for the other kinds.
    private var second: [Float]

    public init(settings: OptimizerSettings, parameterCount: Int) {
        precondition(parameterCount >= 0, "parameter count must be ≥ 0")
        self.settings = settings
        self.parameterCount = parameterCount
        self.stepCount = 0
        self.first = [Float](repeating: 0, count: parameterCount)
        self.second = settings.kind == .adam ? [Float](repeating: 0, count: parameterCount) : []
    }

    /// One update of `parameters` from `gradients` at learning rate `learningRate`.
    /// Gradients are read, never written.
    public mutating func step(parameters: UnsafeMutableBufferPointer<Float>,
                              gradients: UnsafeBufferPointer<Float>,
                              learningRate: Float) {
        precondition(parameters.count == parameterCount && gradients.count == parameterCount,
                     "optimizer made for \(parameterCount) parameters got \(parameters.count) parameters, \(gradients.count) gradients")
        stepCount += 1
        guard parameterCount > 0 else { return }
        let n = parameterCount
        let p = parameters.baseAddress!, g = gradients.baseAddress!
        let s = settings
        switch s.kind {
        case .adam:
            // Scalars in double precision, as PyTorch computes them in Python.
            let t = Double(stepCount)
            let bias1 = 1 - pow(Double(s.beta1), t)
            let bias2 = 1 - pow(Double(s.beta2), t)
            let stepSize = Float(Double(learningRate) / bias1)
            let bias2Root = Float(bias2.squareRoot())
            first.withUnsafeMutableBufferPointer { mb in
                second.withUnsafeMutableBufferPointer { vb in
                    Self.adam(n, p, g, mb.baseAddress!, vb.baseAddress!, beta1: s.beta1, beta2: s.beta2,
                              epsilon: s.epsilon, weightDecay: s.weightDecay, stepSize: stepSize, bias2Root: bias2Root)
                }
            }
        case .rmsprop:
            first.withUnsafeMutableBufferPointer { mb in
                Self.rmsprop(n, p, g, mb.baseAddress!, decay: s.decay, epsilon: s.epsilon,
                             weightDecay: s.weightDecay, learningRate: learningRate)
            }
        case .adagrad:
            first.withUnsafeMutableBufferPointer { sb in
                Self.adagrad(n, p, g, sb.baseAddress!, epsilon: s.epsilon,
                             weightDecay: s.weightDecay, learningRate: learningRate)
            }
        case .sgd:
            first.withUnsafeMutableBufferPointer { bb in
                Self.sgd(n, p, g, bb.baseAddress!, momentum: s.momentum,
                         weightDecay: s.weightDecay, learningRate: learningRate)
            }
        }
    }

    // MARK: - Kernels (n elements; p parameters, g gradients, moments in place)
    //
    // `abs(x).squareRoot()` on values that are never negative: the abs changes
    // nothing, but it lets LLVM prove that sqrt cannot set errno, so it emits
    // the sqrt instruction instead of a libm call and vectorises the loop.

    @inline(__always)
    private static func adam(_ n: Int, _ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>,
                             _ m: UnsafeMutablePointer<Float>, _ v: UnsafeMutablePointer<Float>,
                             beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float,
                             stepSize: Float, bias2Root: Float) {
        let oneMinusBeta1 = 1 - beta1, oneMinusBeta2 = 1 - beta2
        @inline(__always) func update(_ i: Int, _ gi: Float) {
            let mi = beta1 * m[i] + oneMinusBeta1 * gi
            let vi = beta2 * v[i] + oneMinusBeta2 * gi * gi
            m[i] = mi
            v[i] = vi
            p[i] -= stepSize * mi / (abs(vi).squareRoot() / bias2Root + epsilon)
        }
        forEachGradient(n, p, g, weightDecay: weightDecay, update)
    }

    @inline(__always)
    private static func rmsprop(_ n: Int, _ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>,
                                _ m: UnsafeMutablePointer<Float>,
                                decay: Float, epsilon: Float, weightDecay: Float, learningRate: Float) {
        let oneMinusDecay = 1 - decay
        @inline(__always) func update(_ i: Int, _ gi: Float) {
            let mi = decay * m[i] + oneMinusDecay * gi * gi
            m[i] = mi
            p[i] -= learningRate * gi / (abs(mi).squareRoot() + epsilon)
        }
        forEachGradient(n, p, g, weightDecay: weightDecay, update)
    }

    @inline(__always)
    private static func adagrad(_ n: Int, _ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>,
                                _ s: UnsafeMutablePointer<Float>,
                                epsilon: Float, weightDecay: Float, learningRate: Float) {
        @inline(__always) func update(_ i: Int, _ gi: Float) {
            let si = s[i] + gi * gi
            s[i] = si
            p[i] -= learningRate * gi / abs(si + epsilon).squareRoot()
        }
        forEachGradient(n, p, g, weightDecay: weightDecay, update)
    }

    @inline(__always)
    private static func sgd(_ n: Int, _ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>,
                            _ b: UnsafeMutablePointer<Float>,
                            momentum: Float, weightDecay: Float, learningRate: Float) {
        @inline(__always) func update(_ i: Int, _ gi: Float) {
            let bi = momentum * b[i] + gi
            b[i] = bi
            p[i] -= learningRate * bi
        }
        forEachGradient(n, p, g, weightDecay: weightDecay, update)
    }

    /// Calls `update(i, g_i + λ·p_i)` for every i, with the λ = 0 test hoisted
    /// out of the loop (a branch inside it would stop vectorisation).
    @inline(__always)
    private static func forEachGradient(_ n: Int, _ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>,
                                        weightDecay: Float, _ update: (Int, Float) -> Void) {
        if weightDecay == 0 {
            for i in 0..<n { update(i, g[i]) }
        } else {
            for i in 0..<n { update(i, g[i] + weightDecay * p[i]) }
        }
    }
}

// MARK: - Checkpoint state

/// Why optimizer state could not be restored.
public struct OptimizerStateError: Error, CustomStringConvertible, Equatable, Sendable {
    public let message: String
    public var description: String { message }
}

extension Optimizer {
    /// Names of the moment tensors `kind` keeps, in the order `stateTensors` lists them.
    /// They are stable: checkpoints store them under these names.
    public static func stateTensorNames(for kind: OptimizerKind) -> [String] {
        typealias Moments = CheckpointLayout.OptimizerMoments
        switch kind {
        case .adam: return [Moments.adamFirst, Moments.adamSecond]
        case .rmsprop: return [Moments.meanSquare]
        case .adagrad: return [Moments.sumSquare]
        case .sgd: return [Moments.momentum]
        }
    }

    /// The moment tensors to save beside the parameters (each `parameterCount` long).
    /// Together with `stepCount` they are the optimizer's whole state.
    public var stateTensors: [(name: String, data: [Float])] {
        let names = Self.stateTensorNames(for: settings.kind)
        return settings.kind == .adam ? [(names[0], first), (names[1], second)] : [(names[0], first)]
    }

    /// Restores the state saved by `stateTensors` and `stepCount`, so that
    /// stepping on continues exactly as if never interrupted. Extra tensors
    /// are ignored; on error nothing is changed.
    public mutating func restore(stepCount: Int, tensors: [String: [Float]]) throws {
        guard stepCount >= 0 else {
            throw OptimizerStateError(message: "optimizer step count must be ≥ 0 (got \(stepCount))")
        }
        var loaded: [[Float]] = []
        for name in Self.stateTensorNames(for: settings.kind) {
            guard let data = tensors[name] else {
                let present = tensors.keys.filter { $0.hasPrefix(CheckpointLayout.optimizerPrefix) }.sorted()
                throw OptimizerStateError(message:
                    "\(settings.kind.rawValue) optimizer state needs tensor '\(name)', which is missing"
                    + (present.isEmpty ? " (no optimizer tensors present)" : " (present: \(present.joined(separator: ", ")))"))
            }
            guard data.count == parameterCount else {
                throw OptimizerStateError(message:
                    "optimizer tensor '\(name)' has \(data.count) values, expected \(parameterCount) (one per parameter)")
            }
            loaded.append(data)
        }
        self.stepCount = stepCount
        first = loaded[0]
        if settings.kind == .adam { second = loaded[1] }
    }
}
