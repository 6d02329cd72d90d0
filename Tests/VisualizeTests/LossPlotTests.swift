import Testing
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import Visualize

/// The elements of an SVG, as XMLParser sees them (so it must be well-formed XML).
final class SVGElements: NSObject, XMLParserDelegate {
    struct Element { var name: String; var attributes: [String: String]; var text = "" }
    var elements: [Element] = []
    private var open: [Int] = []

    static func parse(_ svg: String) throws -> [Element] {
        let delegate = SVGElements()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = delegate
        guard parser.parse() else {
            throw NSError(domain: "SVG", code: 1, userInfo: [NSLocalizedDescriptionKey: "\(parser.parserError.map { "\($0)" } ?? "parse error")"])
        }
        return delegate.elements
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        elements.append(Element(name: name, attributes: attributes))
        open.append(elements.count - 1)
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        open.removeLast()
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if let i = open.last { elements[i].text += string }
    }
}

extension Array where Element == SVGElements.Element {
    func withClass(_ c: String) -> [SVGElements.Element] { filter { $0.attributes["class"] == c } }
}

@Suite struct LossPlotTests {
    func log(_ name: String, iterations: Int, evalEvery: Int, start: Double = 4.2, test: Bool = false) -> TrainingLog {
        var text = ""
        for i in stride(from: 10, through: iterations, by: 10) {
            let loss = 1.4 + (start - 1.4) * exp(-Double(i) / 300) + 0.05 * sin(Double(i))
            text += #"{"type":"train","iter":\#(i),"loss":\#(loss),"elapsed":\#(Double(i) * 0.7)}"# + "\n"
            if i % evalEvery == 0 {
                text += #"{"type":"eval","iter":\#(i),"val_loss":\#(loss + 0.1),"elapsed":\#(Double(i) * 0.7 + 0.2)}"# + "\n"
            }
        }
        if test { text += #"{"type":"test","iter":\#(iterations),"test_loss":1.6}"# + "\n" }
        return TrainingLog(name: name, jsonLines: text)
    }

    @Test func oneRunHasItsSeriesAxesAndLegend() throws {
        let svg = LossPlot(runs: [log("shakespeare", iterations: 2000, evalEvery: 500, test: true)]).svg()
        let elements = try SVGElements.parse(svg)
        #expect(elements.first?.name == "svg")
        #expect(elements.withClass("train").count == 1)
        #expect(elements.withClass("train-raw").count == 1)  // 200 points: raw faint + moving average
        #expect(elements.withClass("val").count == 1)
        #expect(elements.withClass("val-marker").count == 4)
        #expect(elements.withClass("test-marker").count == 1)
        #expect(elements.withClass("legend-run").map(\.text) == ["shakespeare"])
        let titles = elements.withClass("axis-title").map(\.text)
        #expect(titles == ["iteration (batches)", "loss (nats/char)", "bits/char"])
        // Every path's data is plain numbers.
        for p in elements.withClass("train") {
            #expect(p.attributes["d"]?.filter { $0 == "M" }.count == 1)
            #expect(p.attributes["d"]?.filter { $0 == "L" }.count == 199)
        }
    }

    @Test func severalRunsGetDistinctColoursAndLegendRows() throws {
        let runs = [log("small", iterations: 600, evalEvery: 200), log("big", iterations: 900, evalEvery: 300, start: 4.5),
                    log("tiny", iterations: 100, evalEvery: 50)]
        let elements = try SVGElements.parse(LossPlot(runs: runs).svg())
        let train = elements.withClass("train")
        #expect(train.map { $0.attributes["data-run"] ?? "" } == ["small", "big", "tiny"])
        #expect(Set(train.compactMap { $0.attributes["stroke"] }).count == 3)
        #expect(elements.withClass("legend-run").map(\.text) == ["small", "big", "tiny"])
        #expect(elements.withClass("val-marker").filter { $0.attributes["data-run"] == "big" }.count == 3)
        // "tiny" has 10 points: drawn raw, no moving average.
        #expect(elements.withClass("train-raw").map { $0.attributes["data-run"] ?? "" } == ["small", "big"])
    }

    @Test func timeAxisAndHostileNames() throws {
        let name = #"<script>alert("x")</script> & 日本語"#
        let elements = try SVGElements.parse(LossPlot(runs: [log(name, iterations: 400, evalEvery: 100)], xAxis: .time).svg())
        #expect(elements.withClass("legend-run").map(\.text) == [name])
        #expect(!elements.contains { $0.name == "script" })
        #expect(elements.withClass("axis-title").first?.text == "training time (min)")  // 280 s
    }

    @Test func movingAverageIsDebiased() {
        #expect(LossPlot.movingAverage([2, 2, 2], weight: 0.9) == [2, 2, 2])
        let s = LossPlot.movingAverage([4, 2], weight: 0.5)
        #expect(s[0] == 4)
        #expect(abs(s[1] - ((0.5 * 0.5 * 4 + 0.5 * 2) / 0.75)) <= 1e-12)
        #expect(LossPlot.movingAverage([1, 5], weight: 0) == [1, 5])
    }

    @Test func theSteepStartIsLeftOutOfTheRange() throws {
        // The first points sit near ln V; the y range should fit the rest.
        let svg = LossPlot(runs: [log("r", iterations: 3000, evalEvery: 500, start: 4.2)]).svg()
        let ticks = try SVGElements.parse(svg).filter { $0.name == "text" && $0.attributes["x"] == "64" }.compactMap { Double($0.text) }
        #expect(ticks.max() ?? 9 < 4.0)
        #expect(ticks.min() ?? 0 <= 1.45)
    }

    @Test func baselinesAreReadAndDrawnAsReferenceLines() throws {
        let lines = """
            {"type":"baseline","iter":0,"unigram_val_loss":3.3,"bigram_val_loss":2.5}
            {"type":"train","iter":1,"loss":4.2}
            {"type":"train","iter":10,"loss":2.0}
            {"type":"eval","iter":10,"val_loss":2.1}
            """
        let log = TrainingLog(name: "run", jsonLines: lines)
        #expect(log.baselines == TrainingLog.Baselines(unigram: 3.3, bigram: 2.5))
        #expect(log.malformedLines.isEmpty)
        let svg = LossPlot(runs: [log]).svg()
        #expect(svg.contains("data-model=\"unigram\""))
        #expect(svg.contains("data-model=\"bigram\""))
        #expect(svg.contains("unigram and bigram baselines"))
    }

    /// Points that share a half-pixel column are drawn as its first, highest, lowest and last (in order);
    /// a line whose points are farther apart is drawn as it is.
    @Test func thinningKeepsEachColumnsEndsAndExtremes() {
        typealias XY = LossPlot.XY
        let apart = (0..<50).map { XY(x: Double($0) * 3, y: sin(Double($0))) }
        #expect(LossPlot.thinned(apart).map(\.y) == apart.map(\.y))
        // Ten points in column [10, 10.5), the spike at the fourth and the dip at the seventh; then one alone.
        let ys = [5.0, 4, 6, 9, 5, 4, 1, 5, 6, 7]
        let crowded = ys.enumerated().map { XY(x: 10 + Double($0.offset) * 0.04, y: $0.element) } + [XY(x: 12, y: 3)]
        #expect(LossPlot.thinned(crowded).map(\.y) == [5, 9, 1, 7, 3])
        #expect(LossPlot.thinned([]).isEmpty)
    }

    /// A long log (40,000 records here; a million alike) draws a few thousand points (at most 4 a half pixel of the plot's width).
    @Test func aLongLogDrawsAtMostFourPointsAHalfPixel() throws {
        var text = ""
        for i in 1...40_000 { text += #"{"type":"train","iter":\#(i),"loss":\#(1.5 + 0.3 * sin(Double(i)))}"# + "\n" }
        let plot = LossPlot(runs: [TrainingLog(name: "long", jsonLines: text)])
        let elements = try SVGElements.parse(plot.svg())
        let raw = try #require(elements.withClass("train-raw").first?.attributes["d"])
        let points = raw.filter { $0 == "M" || $0 == "L" }.count
        #expect(points > 1000 && Double(points) <= 4 * 2 * (plot.width - 144) + 8, "\(points) points")
        #expect(raw.filter { $0 == "M" }.count == 1)
    }
}
