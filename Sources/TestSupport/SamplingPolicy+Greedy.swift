import Sampler

extension SamplingPolicy {
    /// Greedy decoding: always the most likely character.
    public var isGreedy: Bool { temperature == 0 }
}
