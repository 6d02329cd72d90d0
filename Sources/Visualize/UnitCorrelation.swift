import Foundation

/// Which hidden units follow a text feature: Pearson's r between the feature
/// and each unit's activation over the characters, ranked by |r|.
public struct UnitCorrelation: Equatable, Sendable {
    /// One unit and how well it follows the feature.
    public struct Entry: Equatable, Sendable {
        public var layer: Int
        /// The LSTM cell state c rather than the output h.
        public var cellState: Bool
        public var unit: Int
        public var r: Double
    }

    public var feature: String
    public var explanation: String
    /// Most correlated first (by |r|); empty when the feature is constant over the text.
    public var entries: [Entry]

    /// The `limit` units (over every layer, h and c) whose activation correlates
    /// most with each feature, using only the characters where `mask` is true
    /// (the ones the model read).
    public static func rank(_ trace: ActivationTrace, features: [TextFeature], mask: [Bool]? = nil,
                            limit: Int = 8) -> [UnitCorrelation] {
        let n = trace.count
        let used = (0..<n).filter { mask?[$0] ?? true }
        return features.map { feature in
            var entries: [Entry] = []
            let x = used.map { feature.values[$0] }
            if let centred = centred(x) {
                for layer in 0..<trace.layerCount {
                    for cellState in trace.cell.isEmpty ? [false] : [false, true] {
                        for unit in 0..<trace.hiddenSize {
                            let a = trace.trace(layer: layer, unit: unit, cellState: cellState)
                            let y = used.map { Double(a[a.startIndex + $0]) }
                            if let r = pearson(centredX: centred, y: y) {
                                entries.append(Entry(layer: layer, cellState: cellState, unit: unit, r: r))
                            }
                        }
                    }
                }
            }
            entries.sort { abs($0.r) != abs($1.r) ? abs($0.r) > abs($1.r) : ($0.layer, $0.unit) < ($1.layer, $1.unit) }
            return UnitCorrelation(feature: feature.name, explanation: feature.explanation, entries: Array(entries.prefix(limit)))
        }
    }

    /// Pearson's correlation coefficient, or nil when either side is constant.
    public static func pearson(_ x: [Double], _ y: [Double]) -> Double? {
        guard x.count == y.count, let c = centred(x) else { return nil }
        return pearson(centredX: c, y: y)
    }

    /// x minus its mean, and the root of its sum of squares; nil when x is (nearly) constant.
    static func centred(_ x: [Double]) -> (values: [Double], norm: Double)? {
        guard x.count >= 2 else { return nil }
        let mean = x.reduce(0, +) / Double(x.count)
        let values = x.map { $0 - mean }
        let norm = values.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm > 1e-9 * Double(x.count).squareRoot() ? (values, norm) : nil
    }

    static func pearson(centredX x: (values: [Double], norm: Double), y: [Double]) -> Double? {
        let n = Double(y.count)
        let mean = y.reduce(0, +) / n
        var dot = 0.0, squares = 0.0
        for (xi, yi) in zip(x.values, y) {
            let d = yi - mean
            dot += xi * d
            squares += d * d
        }
        guard squares > 1e-12 * n else { return nil }  // a dead unit follows nothing
        return max(-1, min(1, dot / (x.norm * squares.squareRoot())))
    }
}
