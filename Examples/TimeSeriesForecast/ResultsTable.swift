import Foundation

/// One row of the table: a model's validation MSE beside the book's.
struct ForecastResult {
    let model: String
    let validationMSE: Double
    let book: String          // the figure in Géron's chapter 15, or "—"
    let seconds: Double       // fitting and scoring
}

/// Prints the rows under a header, one line each, columns aligned:
///
///     model                                   val MSE   book    time
///     naive, last value                       0.02031   0.020   0.0 s
enum ResultsTable {
    static func format(_ rows: [ForecastResult]) -> String {
        let width = max(40, (rows.map(\.model.count).max() ?? 0) + 2)
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        var lines = [pad("model", width) + pad("val MSE", 10) + pad("book", 8) + "time"]
        for r in rows {
            lines.append(pad(r.model, width) + pad(String(format: "%.5f", r.validationMSE), 10) + pad(r.book, 8)
                         + String(format: "%.1f s", r.seconds))
        }
        return lines.joined(separator: "\n")
    }
}
