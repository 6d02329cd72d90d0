import Foundation
import Testing
@testable import Visualize

/// The attention heat map of one translation: well-formed SVG, one cell per (output, source)
/// character with its weight as a shade and a title, hostile characters escaped.
@Suite struct AttentionMapTests {
    let map = AttentionMap(source: ["a", " ", "<"], output: ["x", "&", "</s>"],
                           weights: [[1, 0, 0], [0.25, 0.5, 0.25], [0, 0, 1]], title: "a <b> & \"c\" → x&")

    @Test func oneCellPerPairWithItsWeight() throws {
        let elements = try SVGElements.parse(map.svg())
        let cells = elements.filter { $0.name == "rect" && $0.attributes["width"] == "20" && $0.attributes["height"] == "20" }
        #expect(cells.count == 9)
        let titles = elements.filter { $0.name == "title" }.map(\.text)
        #expect(titles.count == 9)
        #expect(titles[0] == "x ← a: 1.000" && titles[4] == "& ← ␣: 0.500" && titles[8] == "</s> ← <: 1.000", "\(titles)")
        // White for 0, the darkest blue for 1, in between for 0.5.
        #expect(cells[0].attributes["fill"] == "rgb(8,48,107)" && cells[1].attributes["fill"] == "rgb(255,255,255)")
        #expect(cells[4].attributes["fill"] == "rgb(132,152,181)", "\(cells[4].attributes)")
        // Axis labels: the source along the top, the output down the side, white space made visible.
        let texts = elements.filter { $0.name == "text" }.map(\.text)
        #expect(texts.contains("␣") && texts.contains("<") && texts.contains("</s>") && texts.contains("&"))
        #expect(texts.first == "a <b> & \"c\" → x&")
    }

    @Test func aWeightOutsideZeroToOneIsDrawnAsItsNearestEnd() throws {
        let odd = AttentionMap(source: ["a", "b"], output: ["c"], weights: [[.nan, 2]], title: "t")
        let titles = try SVGElements.parse(odd.svg()).filter { $0.name == "title" }.map(\.text)
        #expect(titles == ["c ← a: 0.000", "c ← b: 1.000"])
    }

    @Test func controlCharactersAreNamedNotWritten() throws {
        let control = AttentionMap(source: ["\u{1}", "\t"], output: ["\u{7F}"], weights: [[0.5, 0.5]], title: "\u{1}")
        let svg = control.svg()
        _ = try SVGElements.parse(svg)   // still well-formed XML
        #expect(svg.contains("U+0001") && svg.contains("⇥") && svg.contains("U+007F"))
    }

    /// Found in headless Chromium (scripts/check_viz_chromium.sh): a short pair's picture cut its legend
    /// off at the grid's width. Every text line now fits: the width holds the title and the legend.
    @Test func thePictureHoldsItsLegend() throws {
        let short = AttentionMap(source: ["1"], output: ["x", "</s>"], weights: [[1], [1]], title: "1 → x")
        let svg = try SVGElements.parse(short.svg())
        let width = try #require(svg.first { $0.name == "svg" }?.attributes["width"].flatMap(Double.init))
        #expect(width >= LossPlot.textWidth(AttentionMap.legend, fontSize: 11), "width \(width)")
        #expect(svg.contains { $0.name == "text" && $0.text == AttentionMap.legend })
    }
}
