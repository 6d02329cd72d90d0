/// The recurrent layers of a `ModelDescription`: which cell, how wide, how
/// deep, normalized or not, and the dropouts training applies.
///
///     {"activation":"tanh","cell":"lstm","dropout":0,"hidden_size":128,"layer_norm":false,"layers":2,"recurrent_dropout":0}
///
/// `activation` is the basic RNN cell's φ; the other cells compute without it,
/// but it is kept for every cell so that a model reads back exactly as it was
/// written (a `ModelConfig` holds it whatever the cell). The dropouts change
/// training only, not the parameters or the forward computation of a trained model.
public struct StackDescription: Codable, Hashable, Sendable {
    public var cell: CellKind
    public var activation: RNNActivation
    /// H, the hidden units of every layer.
    public var hiddenSize: Int
    /// L
    public var layerCount: Int
    public var layerNorm: Bool
    /// Between layers and before the head.
    public var dropout: Float
    /// On h(t−1) inside the recurrence, one mask per stream and window.
    public var recurrentDropout: Float

    public init(cell: CellKind, activation: RNNActivation, hiddenSize: Int, layerCount: Int, layerNorm: Bool,
                dropout: Float, recurrentDropout: Float) {
        self.cell = cell
        self.activation = activation
        self.hiddenSize = hiddenSize
        self.layerCount = layerCount
        self.layerNorm = layerNorm
        self.dropout = dropout
        self.recurrentDropout = recurrentDropout
    }

    enum CodingKeys: String, CodingKey {
        case cell, activation, dropout
        case hiddenSize = "hidden_size", layerCount = "layers", layerNorm = "layer_norm"
        case recurrentDropout = "recurrent_dropout"
    }
}
