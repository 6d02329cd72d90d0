/// How `clipGradients` bounds the gradient.
public enum ClipMode: String, CaseIterable, Codable, Sendable {
    /// Scale every gradient by min(1, threshold / ‖g‖₂) over the whole block
    /// (PyTorch `clip_grad_norm_`, nanoGPT): keeps the direction.
    case norm
    /// Clamp each element to [−threshold, threshold] (char-rnn's `grad_clip`,
    /// `grad_params:clamp(-c, c)`): changes the direction.
    case value
}

/// Bounds `gradients` in place and returns their global L2 norm BEFORE
/// clipping (for logging and explosion detection).
///
/// - `.norm`: if ‖g‖ > threshold, every element is multiplied by
///   threshold / ‖g‖, so the result has norm `threshold` (up to rounding).
///   PyTorch adds 1e-6 to the denominator; we do not, so the clipped norm is
///   exactly the threshold.
/// - `.value`: each element is clamped to ±threshold.
///
/// A threshold ≤ 0 (or NaN) disables clipping: the norm is still returned.
/// A non-finite norm (NaN or inf somewhere) leaves the gradients untouched
/// in `.norm` mode, since scaling would only hide the explosion; the caller
/// sees it in the returned value. In `.value` mode NaNs stay NaN.
///
/// The sum of squares is accumulated in double precision in a fixed order
/// (eight lanes, then a fixed tree), so the result is the same on every
/// machine and for any thread count.
@discardableResult
public func clipGradients(_ gradients: UnsafeMutableBufferPointer<Float>, mode: ClipMode, threshold: Float) -> Float {
    let norm = l2Norm(UnsafeBufferPointer(gradients))
    guard threshold > 0, gradients.count > 0 else { return Float(norm) }
    let g = gradients.baseAddress!
    let n = gradients.count
    switch mode {
    case .norm:
        guard norm.isFinite, norm > Double(threshold) else { break }
        let scale = Float(Double(threshold) / norm)
        for i in 0..<n { g[i] *= scale }
    case .value:
        let high = threshold, low = -threshold
        for i in 0..<n {
            let x = g[i]
            // Written as selects (not min/max) so that NaN passes through and the loop vectorises.
            g[i] = x > high ? high : (x < low ? low : x)
        }
    }
    return Float(norm)
}

/// ‖x‖₂ accumulated in double precision, in a fixed order.
/// (`clipGradients(_:mode:threshold: 0)` gives it without clipping.)
func l2Norm(_ x: UnsafeBufferPointer<Float>) -> Double {
    let n = x.count
    guard n > 0 else { return 0 }
    let p = x.baseAddress!
    var lanes = SIMD8<Double>(repeating: 0)
    var i = 0
    let raw = UnsafeRawPointer(p)
    while i + 8 <= n {
        let v = SIMD8<Double>(raw.loadUnaligned(fromByteOffset: i * MemoryLayout<Float>.stride, as: SIMD8<Float>.self))
        lanes += v * v
        i += 8
    }
    var tail = 0.0
    while i < n {
        let d = Double(p[i])
        tail += d * d
        i += 1
    }
    // SIMD `sum()` leaves the order open; this tree is fixed.
    let half = lanes.lowHalf + lanes.highHalf
    let quarter = half.lowHalf + half.highHalf
    let sum = (quarter[0] + quarter[1]) + tail
    return sum.squareRoot()
}
