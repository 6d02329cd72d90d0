import Foundation

/// Loss curves of one or more training runs as a self-contained SVG.
///
/// Per run, in its own colour: the training-batch loss (raw, faint, with an
/// exponential moving average on top when there are enough points), the
/// validation loss (line with dots) and the final test loss (a diamond).
/// Left axis nats/char, right axis the same positions in bits/char. The y range
/// leaves out the first steep few percent of the training curve (the loss
/// starts near ln V and drops fast), so the part where runs differ fills the
/// plot; lines that leave the range are clipped at its edge.
public struct LossPlot: Sendable {
    public enum XAxis: String, CaseIterable, Sendable {
        /// Training iterations (batches).
        case iter
        /// Wall-clock seconds of training (the log's `elapsed`), shown in s, min or h.
        case time
    }

    public var runs: [TrainingLog]
    public var xAxis: XAxis
    /// Weight of the previous value in the moving average of the training loss
    /// (TensorBoard's "smoothing"); 0 draws the raw curve only.
    public var smoothing: Double
    public var title: String
    public var width: Double = 960
    public var height: Double = 560

    /// Colour-blind-safe (Okabe & Ito, then Tol), in order; runs past the tenth reuse them dashed.
    public static let palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00",
                                 "#56B4E9", "#882255", "#44AA99", "#999933", "#332288"]
    /// Fewer training points than this are drawn raw, without a moving average.
    public static let smoothingMinimumPoints = 20

    public init(runs: [TrainingLog], xAxis: XAxis = .iter, smoothing: Double = 0.6,
                title: String = "Training and validation loss") {
        self.runs = runs
        self.xAxis = xAxis
        self.smoothing = smoothing
        self.title = title
    }

    // MARK: - Data

    /// The unit the time axis is shown in, chosen from the longest run.
    struct TimeUnit { let seconds: Double, name: String }

    var timeUnit: TimeUnit {
        let longest = runs.compactMap(\.lastElapsed).max() ?? 0
        if longest <= 180 { return TimeUnit(seconds: 1, name: "s") }
        if longest <= 3 * 3600 { return TimeUnit(seconds: 60, name: "min") }
        return TimeUnit(seconds: 3600, name: "h")
    }

    /// A point's x in axis units, or nil when the record lacks it (time mode without `elapsed`).
    func x(_ point: TrainingLog.Point, unit: TimeUnit) -> Double? {
        switch xAxis {
        case .iter: return Double(point.iteration)
        case .time: return point.elapsed.map { $0 / unit.seconds }
        }
    }

    /// A point in axis units.
    struct XY { var x: Double, y: Double }

    /// What is drawn for one run, in axis units.
    struct Series {
        var name: String
        var train: [XY]
        var smoothed: [XY]?
        var validation: [XY]
        var test: XY?
        var baselines: TrainingLog.Baselines? = nil
        var bestValidation: Double?
    }

    func series() -> [Series] {
        let unit = timeUnit
        return runs.map { run in
            let train = run.train.compactMap { p in x(p, unit: unit).map { XY(x: $0, y: p.loss) } }
            let validation = run.validation.compactMap { p in x(p, unit: unit).map { XY(x: $0, y: p.loss) } }
            var test: XY? = nil
            if let t = run.test {
                // The test record has no time of its own: it comes right after the last one.
                let tx = xAxis == .iter ? Double(t.iteration) : (t.elapsed ?? run.lastElapsed).map { $0 / unit.seconds }
                if let tx { test = XY(x: tx, y: t.loss) }
            }
            var smoothed: [XY]? = nil
            if smoothing > 0 && train.count >= LossPlot.smoothingMinimumPoints {
                smoothed = zip(train, LossPlot.movingAverage(train.map(\.y), weight: smoothing)).map { XY(x: $0.0.x, y: $0.1) }
            }
            var series = Series(name: run.name, train: train, smoothed: smoothed, validation: validation, test: test,
                                bestValidation: run.validation.map(\.loss).min())
            series.baselines = run.baselines
            return series
        }
    }

    /// Exponential moving average with TensorBoard's debiasing (the first values
    /// are not pulled towards 0): s_t = w s_{t−1} + (1 − w) x_t, divided by 1 − wᵗ.
    public static func movingAverage(_ values: [Double], weight: Double) -> [Double] {
        var s = 0.0, correction = 1.0
        return values.map { v in
            s = weight * s + (1 - weight) * v
            correction *= weight
            return correction < 1 ? s / (1 - correction) : v
        }
    }

    /// The q-quantile (0...1) of `values`, nearest rank.
    static func quantile(_ values: [Double], _ q: Double) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, max(0, Int((q * Double(sorted.count - 1)).rounded())))]
    }

    // MARK: - Drawing

    /// The whole SVG document.
    public func svg() -> String {
        let all = series()
        let unit = timeUnit

        // Ranges. y: everything but the first steep part of the training curves.
        var xs: [Double] = [0], ys: [Double] = []
        var yLimits: [Double] = []
        for s in all {
            xs += s.train.map(\.x) + s.validation.map(\.x) + (s.test.map { [$0.x] } ?? [])
            let trainLine = (s.smoothed ?? s.train).map(\.y)
            ys += trainLine + s.validation.map(\.y) + (s.test.map { [$0.y] } ?? [])
            if let q = LossPlot.quantile(trainLine, trainLine.count >= 20 ? 0.96 : 1) { yLimits.append(q) }
            yLimits += s.validation.map(\.y) + (s.test.map { [$0.y] } ?? [])
            if let b = s.baselines { yLimits += [b.unigram, b.bigram] }
        }
        var yLow = ys.min() ?? 0, yHigh = max(yLimits.max() ?? 1, yLow)
        let pad = 0.03 * (yHigh - yLow)  // so that no point sits on the frame
        yLow = max(0, yLow - pad); yHigh += pad
        let xScale = NiceScale(low: 0, high: xs.max() ?? 1, targetTickCount: 8)
        let yScale = NiceScale(low: yLow, high: yHigh, targetTickCount: 7)

        // Layout.
        let left = 72.0, right = width - 72, top = 64.0, bottom = height - 58
        func px(_ x: Double) -> Double { left + (x - xScale.lower) / (xScale.upper - xScale.lower) * (right - left) }
        func py(_ y: Double) -> Double { bottom - (y - yScale.lower) / (yScale.upper - yScale.lower) * (bottom - top) }
        let c = Markup.coordinate, e = Markup.escaped

        var out = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(c(width))" height="\(c(height))" \
            viewBox="0 0 \(c(width)) \(c(height))" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', \
            'DejaVu Sans', sans-serif" font-size="12" fill="#333">
            <title>\(e(title))</title>
            <desc>\(e(description(all)))</desc>
            <rect width="100%" height="100%" fill="#ffffff"/>
            <text x="\(c(left))" y="30" font-size="17" font-weight="600" fill="#222">\(e(title))</text>
            <text x="\(c(left))" y="49" font-size="12" fill="#666">\(e(subtitle(all)))</text>

            """

        // Grid and ticks.
        out += "<g class=\"grid\" stroke-width=\"1\">\n"
        for t in xScale.ticks { out += "<line x1=\"\(c(px(t)))\" y1=\"\(c(top))\" x2=\"\(c(px(t)))\" y2=\"\(c(bottom))\" stroke=\"#eeeeee\"/>\n" }
        for t in yScale.ticks { out += "<line x1=\"\(c(left))\" y1=\"\(c(py(t)))\" x2=\"\(c(right))\" y2=\"\(c(py(t)))\" stroke=\"#e2e2e2\"/>\n" }
        out += "</g>\n"
        out += "<line x1=\"\(c(left))\" y1=\"\(c(bottom))\" x2=\"\(c(right))\" y2=\"\(c(bottom))\" stroke=\"#888\"/>\n"
        out += "<line x1=\"\(c(left))\" y1=\"\(c(top))\" x2=\"\(c(left))\" y2=\"\(c(bottom))\" stroke=\"#888\"/>\n"
        out += "<line x1=\"\(c(right))\" y1=\"\(c(top))\" x2=\"\(c(right))\" y2=\"\(c(bottom))\" stroke=\"#888\"/>\n"
        out += "<g class=\"x-ticks\" text-anchor=\"middle\" fill=\"#555\">\n"
        for t in xScale.ticks {
            out += "<line x1=\"\(c(px(t)))\" y1=\"\(c(bottom))\" x2=\"\(c(px(t)))\" y2=\"\(c(bottom + 5))\" stroke=\"#888\"/>"
            out += "<text x=\"\(c(px(t)))\" y=\"\(c(bottom + 19))\">\(e(xScale.label(t)))</text>\n"
        }
        out += "</g>\n<g class=\"y-ticks\" text-anchor=\"end\" fill=\"#555\">\n"
        for t in yScale.ticks {
            out += "<line x1=\"\(c(left - 5))\" y1=\"\(c(py(t)))\" x2=\"\(c(left))\" y2=\"\(c(py(t)))\" stroke=\"#888\"/>"
            out += "<text x=\"\(c(left - 8))\" y=\"\(c(py(t) + 4))\">\(e(yScale.label(t)))</text>\n"
        }
        out += "</g>\n<g class=\"bpc-ticks\" text-anchor=\"start\" fill=\"#555\">\n"
        let bitsPerNat = 1 / log(2.0)
        let bpc = yScale.secondaryTicks(scale: bitsPerNat, targetTickCount: 7)
        let bpcStep = bpc.count > 1 ? bpc[1].label - bpc[0].label : 1
        for t in bpc {
            out += "<line x1=\"\(c(right))\" y1=\"\(c(py(t.at)))\" x2=\"\(c(right + 5))\" y2=\"\(c(py(t.at)))\" stroke=\"#888\"/>"
            out += "<text x=\"\(c(right + 8))\" y=\"\(c(py(t.at) + 4))\">\(e(NiceScale.label(t.label, step: bpcStep)))</text>\n"
        }
        out += "</g>\n"

        // Axis titles.
        let xTitle = xAxis == .iter ? "iteration (batches)" : "training time (\(unit.name))"
        out += "<text class=\"axis-title\" x=\"\(c((left + right) / 2))\" y=\"\(c(height - 14))\" text-anchor=\"middle\" font-size=\"13\">\(xTitle)</text>\n"
        let midY = (top + bottom) / 2
        out += "<text class=\"axis-title\" transform=\"translate(20 \(c(midY))) rotate(-90)\" text-anchor=\"middle\" font-size=\"13\">loss (nats/char)</text>\n"
        out += "<text class=\"axis-title\" transform=\"translate(\(c(width - 18)) \(c(midY))) rotate(90)\" text-anchor=\"middle\" font-size=\"13\">bits/char</text>\n"

        // Series, clipped to the plot area.
        out += "<clipPath id=\"plot-area\"><rect x=\"\(c(left))\" y=\"\(c(top))\" width=\"\(c(right - left))\" height=\"\(c(bottom - top))\"/></clipPath>\n"
        out += "<g clip-path=\"url(#plot-area)\" fill=\"none\" stroke-linejoin=\"round\" stroke-linecap=\"round\">\n"
        func path(_ points: [XY]) -> String {
            LossPlot.thinned(points.map { XY(x: px($0.x), y: py($0.y)) })
                .enumerated().map { i, p in (i == 0 ? "M" : "L") + c(p.x) + " " + c(p.y) }.joined(separator: " ")
        }
        for (i, s) in all.enumerated() {
            let colour = LossPlot.palette[i % LossPlot.palette.count]
            let dash = i >= LossPlot.palette.count ? " stroke-dasharray=\"6 3\"" : ""
            let run = e(s.name)
            out += "<g class=\"run\" data-run=\"\(run)\">\n"
            if let smoothed = s.smoothed {
                out += "<path class=\"train-raw\" data-run=\"\(run)\" d=\"\(path(s.train))\" stroke=\"\(colour)\" stroke-width=\"1\" stroke-opacity=\"0.28\"/>\n"
                out += "<path class=\"train\" data-run=\"\(run)\" d=\"\(path(smoothed))\" stroke=\"\(colour)\" stroke-width=\"1.8\"\(dash)/>\n"
            } else if !s.train.isEmpty {
                out += "<path class=\"train\" data-run=\"\(run)\" d=\"\(path(s.train))\" stroke=\"\(colour)\" stroke-width=\"1.5\"\(dash)/>\n"
            }
            if !s.validation.isEmpty {
                out += "<path class=\"val\" data-run=\"\(run)\" d=\"\(path(s.validation))\" stroke=\"\(colour)\" stroke-width=\"1.4\" stroke-opacity=\"0.85\"\(dash)/>\n"
            }
            // What the run must beat: the count models' validation loss, as thin dotted lines across the plot.
            if let b = s.baselines {
                for (kind, y) in [("unigram", b.unigram), ("bigram", b.bigram)] where y >= yScale.lower && y <= yScale.upper {
                    out += "<line class=\"baseline\" data-run=\"\(run)\" data-model=\"\(kind)\" x1=\"\(c(px(xScale.lower)))\" x2=\"\(c(px(xScale.upper)))\" "
                        + "y1=\"\(c(py(y)))\" y2=\"\(c(py(y)))\" stroke=\"\(colour)\" stroke-width=\"1\" stroke-dasharray=\"1 3\">"
                        + "<title>\(run) \(kind) baseline: \(String(format: "%.4f", y)) nats/char, \(String(format: "%.4f", y * bitsPerNat)) bits/char</title></line>\n"
                }
            }
            out += "</g>\n"
        }
        out += "</g>\n"
        // Markers on top of every line, unclipped so a point on the edge stays whole.
        out += "<g class=\"markers\" stroke=\"#ffffff\" stroke-width=\"1.2\">\n"
        for (i, s) in all.enumerated() {
            let colour = LossPlot.palette[i % LossPlot.palette.count]
            let run = e(s.name)
            for p in s.validation where p.y >= yScale.lower && p.y <= yScale.upper {
                out += "<circle class=\"val-marker\" data-run=\"\(run)\" cx=\"\(c(px(p.x)))\" cy=\"\(c(py(p.y)))\" r=\"3.6\" fill=\"\(colour)\"><title>\(run) validation: \(String(format: "%.4f", p.y)) nats/char, \(String(format: "%.4f", p.y * bitsPerNat)) bits/char at \(xAxis == .iter ? "iteration \(Int(p.x))" : String(format: "%.1f %@", p.x, unit.name))</title></circle>\n"
            }
            if let t = s.test, t.y >= yScale.lower && t.y <= yScale.upper {
                let x = px(t.x), y = py(t.y), r = 5.0
                out += "<path class=\"test-marker\" data-run=\"\(run)\" d=\"M\(c(x)) \(c(y - r)) L\(c(x + r)) \(c(y)) L\(c(x)) \(c(y + r)) L\(c(x - r)) \(c(y)) Z\" fill=\"#ffffff\" stroke=\"\(colour)\" stroke-width=\"1.8\"><title>\(run) test: \(String(format: "%.4f", t.y)) nats/char, \(String(format: "%.4f", t.y * bitsPerNat)) bits/char</title></path>\n"
            }
        }
        out += "</g>\n"
        out += legend(all, right: right, top: top)
        out += "</svg>\n"
        return out
    }

    /// A polyline in pixels as drawn: of each run of points that fall in one half-pixel column, the
    /// first, the highest, the lowest and the last, in their order (M4 downsampling: the line looks
    /// the same, every spike kept), so that a log of a million records draws a few thousand points
    /// (at most 4 a half pixel), not a million. A line with no two points in a column is unchanged.
    static func thinned(_ points: [XY]) -> [XY] {
        var out: [XY] = []
        out.reserveCapacity(min(points.count, 8 * 2048))
        var start = 0
        while start < points.count {
            let column = (points[start].x * 2).rounded(.down)
            var end = start + 1
            while end < points.count && (points[end].x * 2).rounded(.down) == column { end += 1 }
            if end - start <= 4 {
                out += points[start..<end]
            } else {
                // Pixel y grows downwards: the smallest is the highest point on the page.
                let run = start..<end
                let highest = run.min { points[$0].y < points[$1].y }!, lowest = run.max { points[$0].y < points[$1].y }!
                for i in Set([start, highest, lowest, end - 1]).sorted() { out.append(points[i]) }
            }
            start = end
        }
        return out
    }

    /// One row per run (colour, name, best validation loss), then a key to the line styles.
    func legend(_ all: [Series], right: Double, top: Double) -> String {
        let c = Markup.coordinate, e = Markup.escaped
        let rowHeight = 19.0, pad = 10.0, swatch = 26.0
        struct Row { var text: String; var detail: String }
        let rows = all.map { s in
            Row(text: s.name, detail: s.bestValidation.map { String(format: "best val %.3f (%.3f bpc)", $0, $0 / log(2.0)) } ?? "no validation yet")
        }
        var keys: [(kind: String, text: String)] = []
        if all.contains(where: { $0.smoothed != nil }) {
            keys.append(("smooth", String(format: "training batches (moving average %.2g; raw faint)", smoothing)))
        } else if all.contains(where: { !$0.train.isEmpty }) {
            keys.append(("raw", "training batches"))
        }
        if all.contains(where: { !$0.validation.isEmpty }) { keys.append(("val", "validation")) }
        if all.contains(where: { $0.test != nil }) { keys.append(("test", "test (end of training)")) }
        if all.contains(where: { $0.baselines != nil }) { keys.append(("baseline", "unigram and bigram baselines (validation)")) }

        let nameWidth = rows.map { LossPlot.textWidth($0.text, fontSize: 12.5, bold: true) }.max() ?? 0
        let detailWidth = rows.map { LossPlot.textWidth($0.detail, fontSize: 11) }.max() ?? 0
        let keyWidth = keys.map { LossPlot.textWidth($0.text, fontSize: 11) }.max() ?? 0
        let boxWidth = max(swatch + 8 + nameWidth + 12 + detailWidth, swatch + 8 + keyWidth) + 2 * pad
        let boxHeight = Double(rows.count + keys.count) * rowHeight + 2 * pad + (keys.isEmpty ? 0 : 6)
        let x0 = right - 12 - boxWidth, y0 = top + 12
        var out = "<g class=\"legend\">\n"
        out += "<rect x=\"\(c(x0))\" y=\"\(c(y0))\" width=\"\(c(boxWidth))\" height=\"\(c(boxHeight))\" rx=\"4\" fill=\"#ffffff\" fill-opacity=\"0.92\" stroke=\"#d0d0d0\"/>\n"
        var y = y0 + pad + rowHeight / 2
        for (i, row) in rows.enumerated() {
            let colour = LossPlot.palette[i % LossPlot.palette.count]
            let dash = i >= LossPlot.palette.count ? " stroke-dasharray=\"6 3\"" : ""
            let sx = x0 + pad
            out += "<line x1=\"\(c(sx))\" y1=\"\(c(y))\" x2=\"\(c(sx + swatch))\" y2=\"\(c(y))\" stroke=\"\(colour)\" stroke-width=\"3\"\(dash)/>"
            out += "<text class=\"legend-run\" x=\"\(c(sx + swatch + 8))\" y=\"\(c(y + 4))\" font-size=\"12.5\" font-weight=\"600\" fill=\"#222\">\(e(row.text))</text>"
            out += "<text class=\"legend-detail\" x=\"\(c(sx + swatch + 8 + nameWidth + 12))\" y=\"\(c(y + 4))\" font-size=\"11\" fill=\"#666\">\(e(row.detail))</text>\n"
            y += rowHeight
        }
        if !keys.isEmpty { y += 6 }
        for key in keys {
            let sx = x0 + pad, grey = "#777"
            switch key.kind {
            case "smooth":
                out += "<path d=\"M\(c(sx)) \(c(y + 3)) L\(c(sx + 6)) \(c(y - 4)) L\(c(sx + 12)) \(c(y + 2)) L\(c(sx + 19)) \(c(y - 3)) L\(c(sx + swatch)) \(c(y + 1))\" fill=\"none\" stroke=\"\(grey)\" stroke-opacity=\"0.35\"/>"
                out += "<line x1=\"\(c(sx))\" y1=\"\(c(y))\" x2=\"\(c(sx + swatch))\" y2=\"\(c(y - 1))\" stroke=\"\(grey)\" stroke-width=\"1.8\"/>"
            case "raw":
                out += "<line x1=\"\(c(sx))\" y1=\"\(c(y))\" x2=\"\(c(sx + swatch))\" y2=\"\(c(y))\" stroke=\"\(grey)\" stroke-width=\"1.5\"/>"
            case "val":
                out += "<line x1=\"\(c(sx))\" y1=\"\(c(y))\" x2=\"\(c(sx + swatch))\" y2=\"\(c(y))\" stroke=\"\(grey)\" stroke-width=\"1.4\"/>"
                out += "<circle cx=\"\(c(sx + swatch / 2))\" cy=\"\(c(y))\" r=\"3.6\" fill=\"\(grey)\" stroke=\"#ffffff\" stroke-width=\"1.2\"/>"
            case "baseline":
                out += "<line x1=\"\(c(sx))\" y1=\"\(c(y))\" x2=\"\(c(sx + swatch))\" y2=\"\(c(y))\" stroke=\"\(grey)\" stroke-width=\"1\" stroke-dasharray=\"1 3\"/>"
            default:
                let mx = sx + swatch / 2
                out += "<path d=\"M\(c(mx)) \(c(y - 5)) L\(c(mx + 5)) \(c(y)) L\(c(mx)) \(c(y + 5)) L\(c(mx - 5)) \(c(y)) Z\" fill=\"#ffffff\" stroke=\"\(grey)\" stroke-width=\"1.8\"/>"
            }
            out += "<text class=\"legend-key\" x=\"\(c(sx + swatch + 8))\" y=\"\(c(y + 4))\" font-size=\"11\" fill=\"#555\">\(e(key.text))</text>\n"
            y += rowHeight
        }
        return out + "</g>\n"
    }

    func subtitle(_ all: [Series]) -> String {
        let what = all.count == 1 ? "1 run" : "\(all.count) runs"
        return "\(what) · per character: nats (left axis), bits (right axis) · lower is better"
    }

    func description(_ all: [Series]) -> String {
        all.map { s in
            var d = "\(s.name): \(s.train.count) training points, \(s.validation.count) validation points"
            if let b = s.bestValidation { d += String(format: ", best validation loss %.4f nats/char", b) }
            return d
        }.joined(separator: "; ")
    }

    /// A rough width of `text` in a sans-serif font, for sizing the legend box:
    /// wide (CJK, emoji) characters count double.
    static func textWidth(_ text: String, fontSize: Double, bold: Bool = false) -> Double {
        // Em widths of DejaVu Sans, the widest common fallback: better a box a little too wide than text outside it.
        var em = 0.0
        for ch in text {
            let v = ch.unicodeScalars.first!.value
            if v >= 0x1100 && (v <= 0x115F || (v >= 0x2E80 && v <= 0xA4CF) || (v >= 0xAC00 && v <= 0xD7A3)
                               || (v >= 0xF900 && v <= 0xFAFF) || (v >= 0xFF00 && v <= 0xFF60) || v >= 0x1F300) {
                em += 1.0
            } else if "iljtf.,:;'|! ()[]".contains(ch) {
                em += 0.34
            } else if ch.isUppercase || "mwMW@%".contains(ch) {
                em += 0.8
            } else {
                em += 0.62
            }
        }
        if bold { em *= 1.1 }
        return em * fontSize
    }
}
