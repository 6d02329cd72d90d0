import Foundation

extension ClassificationReport {
    /// Labels longer than this many characters are cut (with "…") in the table.
    static let labelWidth = 12
    /// The table shows the confusion matrix up to this many labels (a screen's width of short names, as
    /// scikit-learn's `ConfusionMatrixDisplay` reads); beyond, a note and the most frequent confusions.
    public static let matrixLabelLimit = 30
    /// The table has a line per label up to this many labels; beyond, a note (the JSON has every label's figures).
    public static let perLabelLimit = 100
    /// Confusions listed when the matrix is left out.
    static let confusionsListed = 10

    /// The report for people: the confusion matrix with label names (rows:
    /// true label, columns: predicted), a line per class (precision, recall,
    /// F1, support), then accuracy and macro-F1. Lines end with "\n".
    ///
    ///     confusion matrix (rows: true label, columns: predicted)
    ///          de  en  fr
    ///     de    9   1   0
    ///     en    0  10   0
    ///     fr    2   0   8
    ///
    ///     label  precision  recall     f1  support
    ///     de         0.818   0.900  0.857       10
    ///     …
    ///     accuracy 0.900 (27 of 30), macro-F1 0.899
    ///
    /// Its size stays bounded whatever K: over `matrixLabelLimit` labels the
    /// matrix (K² cells) gives way to a note and the `confusionsListed` most
    /// frequent confusions, over `perLabelLimit` the per-class lines to a note.
    public var table: String {
        let k = labels.count
        let names = labels.map(Self.shortened)
        let nameWidth = max(names.map(\.count).max() ?? 0, "label".count)
        func left(_ s: String, _ w: Int) -> String { s + String(repeating: " ", count: max(0, w - s.count)) }
        func right(_ s: String, _ w: Int) -> String { String(repeating: " ", count: max(0, w - s.count)) + s }
        func fixed(_ x: Double) -> String { String(format: "%.3f", x) }

        var out = ""
        if k <= Self.matrixLabelLimit {
            let matrix = confusion
            let cellWidth = max(names.map(\.count).max() ?? 1, String(matrix.joined().max() ?? 0).count)
            out += "confusion matrix (rows: true label, columns: predicted)\n"
            out += left("", nameWidth) + names.map { "  " + right($0, cellWidth) }.joined() + "\n"
            for (t, row) in matrix.enumerated() {
                out += left(names[t], nameWidth) + row.map { "  " + right(String($0), cellWidth) }.joined() + "\n"
            }
        } else {
            out += "confusion matrix left out: \(k) labels (a table is shown for at most \(Self.matrixLabelLimit); --json has the matrix)\n"
            let top = confusions.prefix(Self.confusionsListed)
            if top.isEmpty {
                out += "no confusions: every text predicted right\n"
            } else {
                let countWidth = String(top.first!.count).count
                out += "most frequent confusions (true label → predicted, texts):\n"
                for c in top {
                    out += left(names[c.truth], nameWidth) + " → " + left(names[c.predicted], nameWidth)
                        + "  " + right(String(c.count), countWidth) + "\n"
                }
            }
        }
        out += "\n"
        if k <= Self.perLabelLimit {
            out += left("label", nameWidth) + "  precision  recall     f1  support\n"
            for i in labels.indices {
                out += left(names[i], nameWidth) + "  " + right(fixed(precision[i]), 9) + "  " + right(fixed(recall[i]), 6)
                    + "  " + right(fixed(f1[i]), 5) + "  " + right(String(support[i]), 7) + "\n"
            }
        } else {
            out += "per-label precision, recall and F1 left out: \(k) labels (listed for at most \(Self.perLabelLimit); --json has them all)\n"
        }
        out += "accuracy \(fixed(accuracy)) (\(correct) of \(examples)), macro-F1 \(fixed(macroF1))\n"
        return out
    }

    /// A label as the table shows it: line breaks and tabs as spaces, at most `labelWidth` characters.
    static func shortened(_ label: String) -> String {
        let flat = String(label.map { $0.isNewline || $0 == "\t" ? " " : $0 })
        return flat.count <= labelWidth ? flat : String(flat.prefix(labelWidth - 1)) + "…"
    }
}
