import Foundation

/// The loss above which a run is taken to have diverged: every trainer stops there (`TrainingError.diverged`),
/// a training loss before its step changes the weights, a validation loss before the weights it scored are
/// saved, so the run's last checkpoint is of weights that passed. A model that guesses uniformly scores
/// ln V nats per character (ln K per text); a run that learns starts there and goes down, while one whose
/// learning rate is far too large climbs without bound (`--learning-rate 1e30`: 1e30 nats and more after one
/// step) yet stays finite, so finiteness alone would save its weights as if they had learned.
public enum DivergenceLimit {
    /// A loss in mean nats per character over a vocabulary of V: three uniform guesses, 3·max(ln V, 1)
    /// (language models, label-conditioned generation, translation).
    public static func perCharacter(vocabularySize v: Int) -> Float {
        3 * max(Float(log(Double(max(v, 1)))), 1)
    }

    /// A loss in mean nats per text over K classes: 100·max(ln K, 1). Far wider than per character: a
    /// text is one term of its mean, not one of thousands, and a classifier that fits its training texts
    /// can be confidently wrong on a few validation texts (tens of nats each) while still learning.
    public static func perText(classes k: Int) -> Float {
        100 * max(Float(log(Double(max(k, 1)))), 1)
    }

    /// Whether `loss` stops the run: not finite, or past `limit`.
    public static func stops(_ loss: Float, limit: Float) -> Bool { !loss.isFinite || loss > limit }

    /// The `TrainingError.diverged` detail for a loss that `stops` ("loss …" or "validation loss …").
    public static func detail(_ loss: Float, limit: Float, unit: String, of what: String = "loss") -> String {
        loss.isFinite ? "\(what) \(loss) \(unit), over the limit of \(String(format: "%.2f", limit))" : "\(what) is \(loss)"
    }
}
