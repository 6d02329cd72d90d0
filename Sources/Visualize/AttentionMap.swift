import Foundation

/// The attention of one translation as an SVG heat map (`charrnn viz` of a
/// model trained with `--task translate`): one column per source character,
/// one row per output character (and `</s>` when the model ended the output),
/// each cell as dark as the weight the decoder gave that source character
/// when it wrote that output character. Rows sum to 1. Hovering a cell shows
/// its weight (an SVG `<title>`).
///
/// A clean alignment is a staircase: "April 22, 2019" → "2019-04-22" reads
/// the year first. German number words read the units before the tens
/// ("dreiundzwanzig" is "three and twenty").
public struct AttentionMap: Sendable {
    public var source: [String]             // S characters (grapheme clusters)
    public var output: [String]             // R characters written, </s> last when the model ended the output
    public var weights: [[Float]]           // (R, S); row r is the attention while writing output[r]
    public var title: String

    public init(source: [String], output: [String], weights: [[Float]], title: String) {
        precondition(weights.count == output.count && weights.allSatisfy { $0.count == source.count },
                     "AttentionMap: weights must be (\(output.count), \(source.count))")
        self.source = source; self.output = output; self.weights = weights; self.title = title
    }

    static let cell = 20.0
    static let margin = 16.0

    /// A character as drawn on an axis: visible forms for white space and controls.
    static func drawn(_ c: String) -> String {
        switch c {
        case " ": "␣"
        case "\t": "⇥"
        default: c.unicodeScalars.allSatisfy { $0.properties.generalCategory == .control || $0.properties.isWhitespace }
            ? "U+" + c.unicodeScalars.map { String(format: "%04X", $0.value) }.joined(separator: " ") : c
        }
    }

    public func svg() -> String {
        let s = source.count, r = output.count, cell = Self.cell, m = Self.margin
        let labelWidth = max(40, (output.map { LossPlot.textWidth(Self.drawn($0), fontSize: 13) }.max() ?? 0) + 12)
        let left = m + labelWidth, top = m + 28 + 24          // title line, then the source characters
        let width = left + Double(s) * cell + m
        let height = top + Double(r) * cell + m + 18          // a legend line below
        let titleWidth = LossPlot.textWidth(title, fontSize: 14, bold: true) + 2 * m
        let legendWidth = LossPlot.textWidth(Self.legend, fontSize: 11) + 2 * m   // the picture holds its legend whole
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Markup.coordinate(max(width, titleWidth, legendWidth)))" \
            height="\(Markup.coordinate(height))" font-family="DejaVu Sans, sans-serif" font-size="13">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(Markup.coordinate(m))" y="\(Markup.coordinate(m + 14))" font-weight="bold" font-size="14">\(Markup.escaped(title))</text>

            """
        for (j, c) in source.enumerated() {
            let x = left + (Double(j) + 0.5) * cell
            svg += "<text x=\"\(Markup.coordinate(x))\" y=\"\(Markup.coordinate(top - 7))\" text-anchor=\"middle\">\(Markup.escaped(Self.drawn(c)))</text>\n"
        }
        for (i, c) in output.enumerated() {
            let y = top + (Double(i) + 0.5) * cell + 4.5
            svg += "<text x=\"\(Markup.coordinate(left - 6))\" y=\"\(Markup.coordinate(y))\" text-anchor=\"end\">\(Markup.escaped(Self.drawn(c)))</text>\n"
            for (j, w) in weights[i].enumerated() {
                let weight = w.isFinite ? min(max(Double(w), 0), 1) : 0
                // White (0) to dark blue (1), in sRGB steps a reader can tell apart.
                let shade = { (from: Double, to: Double) in Int((from + (to - from) * weight).rounded()) }
                svg += "<rect x=\"\(Markup.coordinate(left + Double(j) * cell))\" y=\"\(Markup.coordinate(top + Double(i) * cell))\" "
                    + "width=\"\(Markup.coordinate(cell))\" height=\"\(Markup.coordinate(cell))\" "
                    + "fill=\"rgb(\(shade(255, 8)),\(shade(255, 48)),\(shade(255, 107)))\">"
                    + "<title>\(Markup.escaped(Self.drawn(c))) ← \(Markup.escaped(Self.drawn(source[j]))): \(String(format: "%.3f", weight))</title></rect>\n"
            }
        }
        svg += "<rect x=\"\(Markup.coordinate(left))\" y=\"\(Markup.coordinate(top))\" width=\"\(Markup.coordinate(Double(s) * cell))\" "
            + "height=\"\(Markup.coordinate(Double(r) * cell))\" fill=\"none\" stroke=\"#888\"/>\n"
        svg += "<text x=\"\(Markup.coordinate(m))\" y=\"\(Markup.coordinate(height - m + 4))\" fill=\"#555\" font-size=\"11\">"
            + Self.legend + "</text>\n"
        return svg + "</svg>\n"
    }

    static let legend = "rows: output characters; columns: source characters; darker: more attention (each row sums to 1)"
}
