/// How an encoder–decoder's decoder scores the encoder's states (EncoderDecoder.swift):
/// with d the decoder's top state at a step and e_s the encoder's top state at source
/// position s, both H wide,
///
///     dot       score_s = d · e_s / √H                     (Luong et al. 2015, "dot", scaled as Vaswani et al. 2017)
///     general   score_s = d · (W_a e_s) / √H, W_a (H, H)   (Luong et al. 2015, "general"; attention.weight)
///
/// α = softmax over s of the scores; the context is Σ_s α_s e_s.
public enum AttentionKind: String, Codable, CaseIterable, Sendable {
    case dot
    case general

    /// Whether the score has a weight of its own (attention.weight).
    public var hasWeight: Bool { self == .general }
}
