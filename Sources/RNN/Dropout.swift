import Tensor

/// Inverted dropout (as PyTorch): in training each value is zeroed with
/// probability p and the survivors scaled by 1/(1 − p), so the expected value
/// is unchanged and evaluation needs no rescaling. The mask (0 or 1/(1 − p)
/// per element) is kept for backward, where the gradient is multiplied by it.
enum Dropout {
    /// mask ← 0 with probability p, else 1/(1 − p); one `nextFloat` per element, in order.
    static func fillMask(_ mask: UnsafeMutablePointer<Float>, count: Int, probability p: Float, rng: inout SplitMix64) {
        let keep = 1 / (1 - p)
        for i in 0..<count { mask[i] = rng.nextFloat() < p ? 0 : keep }
    }
}
