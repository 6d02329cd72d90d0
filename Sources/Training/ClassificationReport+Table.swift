import Foundation

extension ClassificationReport {
    /// Labels longer than this many characters are cut (with "…") in the table.
    static let labelWidth = 12

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
    public var table: String {
        let names = labels.map(Self.shortened)
        let nameWidth = max(names.map(\.count).max() ?? 0, "label".count)
        let cellWidth = max(names.map(\.count).max() ?? 1, String(confusion.joined().max() ?? 0).count)
        func left(_ s: String, _ w: Int) -> String { s + String(repeating: " ", count: max(0, w - s.count)) }
        func right(_ s: String, _ w: Int) -> String { String(repeating: " ", count: max(0, w - s.count)) + s }
        func fixed(_ x: Double) -> String { String(format: "%.3f", x) }

        var out = "confusion matrix (rows: true label, columns: predicted)\n"
        out += left("", nameWidth) + names.map { "  " + right($0, cellWidth) }.joined() + "\n"
        for (k, row) in confusion.enumerated() {
            out += left(names[k], nameWidth) + row.map { "  " + right(String($0), cellWidth) }.joined() + "\n"
        }
        out += "\n" + left("label", nameWidth) + "  precision  recall     f1  support\n"
        for k in labels.indices {
            out += left(names[k], nameWidth) + "  " + right(fixed(precision[k]), 9) + "  " + right(fixed(recall[k]), 6)
                + "  " + right(fixed(f1[k]), 5) + "  " + right(String(support[k]), 7) + "\n"
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
