/// How the next character is chosen from the model's output distribution.
///
/// `temperature` divides the logits before the softmax: below 1 the model
/// plays safe, above 1 it takes risks; 0 means greedy (argmax). `topK` keeps
/// only the K most likely characters, `topP` the smallest set whose
/// probability reaches P (nucleus sampling); both renormalise what they keep.
public struct SamplingPolicy: Equatable, Sendable {
    public var temperature: Float = SampleDefaults.temperature
    public var topK: Int? = nil
    public var topP: Float? = nil

    public init(temperature: Float = SampleDefaults.temperature, topK: Int? = nil, topP: Float? = nil) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
    }

    /// A one-line error for a policy that cannot be used, or nil.
    public var problem: String? {
        if !temperature.isFinite || temperature < 0 {
            return "temperature must be a number > 0, or 0 for greedy (got \(temperature))"
        }
        if let k = topK, k < 1 { return "top-k must be at least 1 (got \(k))" }
        if let p = topP, !(p > 0 && p <= 1) {
            // A positive value under the smallest 32-bit float (1e-300 typed) arrives here as 0.
            return "top-p must be in (0, 1] (got \(p)" + (p == 0 ? "; a value under \(Float.leastNonzeroMagnitude) is 0 in 32 bits)" : ")")
        }
        return nil
    }
}
