import Tensor

/// A model whose training windows multiply in a chosen precision (`StackedRNN`, `EncoderDecoder`).
public protocol ProductPrecisionScoped: AnyObject {
    var productPrecision: ProductPrecision { get set }
}

extension ProductPrecisionScoped {
    /// `body` with the windows' products in `precision`, the model's own restored after: scoring and
    /// decoding run in fp32 products whatever precision a run trains in.
    public func withProductPrecision<R>(_ precision: ProductPrecision, _ body: () throws -> R) rethrows -> R {
        let own = productPrecision
        productPrecision = precision
        defer { productPrecision = own }
        return try body()
    }
}

extension StackedRNN: ProductPrecisionScoped {}
extension EncoderDecoder: ProductPrecisionScoped {}
