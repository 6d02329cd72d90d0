import RNN
import Tensor
import Tokenizer
import XCTest
@testable import Visualize

final class ActivationPageTests: XCTestCase {
    static let hostile = "say \"</script><img src=x onerror=alert(1)>\" & <!-- \u{2028}\n(שלום עולם) 日本語のテキスト 👨‍👩‍👧 e\u{301}\u{200B}\n"

    func checkpoint(_ cell: CellKind, text: String, mode: TokenizerMode = .grapheme) throws -> (Checkpoint, [String]) {
        let settings = TokenizerSettings(mode: mode)
        let units = try Tokenizer(settings: settings).units(of: text)
        let vocabulary = Vocabulary(collecting: units, mode: mode)
        let model = randomModel(cell, vocabulary: vocabulary.count, hidden: 6, layers: 2)
        return (Checkpoint(config: model.config, vocabulary: vocabulary, tokenizer: settings, parameters: model.parameters), units)
    }

    func testPayloadRoundTripsAndMatchesTheModel() throws {
        let (c, units) = try checkpoint(.lstm, text: Self.hostile)
        let page = ActivationPage(checkpoint: c, checkpointName: "run/best.safetensors", source: "hostile.txt",
                                  characters: units)
        let html = try page.html()
        let back = try ActivationPage.payload(fromHTML: html)
        XCTAssertEqual(back, page.payload)
        XCTAssertEqual(back.chars, units)
        XCTAssertEqual(back.chars.joined(), Self.hostile.precomposedStringWithCanonicalMapping)
        XCTAssertEqual(back.states.map { "\($0.layer)\($0.kind)" }, ["0h", "0c", "1h", "1c"])

        // The stored activations are the model's, to int8 precision.
        let model = StackedRNN(config: c.config)
        model.parameters = c.parameters
        var state = RecurrentState.zeros(config: c.config, batchSize: 1)
        var logits = [Float](repeating: 0, count: c.config.vocabularySize)
        let h = c.config.hiddenSize
        let hidden = (0..<2).map { ActivationPage.dequantized(back.states[2 * $0].data, scales: back.states[2 * $0].scales)! }
        let cells = (0..<2).map { ActivationPage.dequantized(back.states[2 * $0 + 1].data, scales: back.states[2 * $0 + 1].scales)! }
        for (i, ch) in units.enumerated() {
            logits.withUnsafeMutableBufferPointer { model.step(token: c.vocabulary.id(of: ch)!, state: &state, logits: $0) }
            XCTAssertEqual(back.ids[i], Int(c.vocabulary.id(of: ch)!))
            for layer in 0..<2 {
                for u in 0..<h {
                    XCTAssertEqual(hidden[layer][u][i], Double(state.h[layer * h + u]), accuracy: 0.5 / 127 + 1e-6)
                    XCTAssertEqual(cells[layer][u][i], Double(state.c[layer * h + u]),
                                   accuracy: back.states[2 * layer + 1].scales[u] * 0.5 / 127 + 1e-6)
                }
            }
        }
    }

    func testHostileTextNeverBecomesMarkup() throws {
        let (c, units) = try checkpoint(.gru, text: Self.hostile)
        let html = try ActivationPage(checkpoint: c, checkpointName: "<b>ck</b>", source: "</title><script>x</script>",
                                      characters: units).html()
        XCTAssertFalse(html.contains("<img"))
        XCTAssertFalse(html.contains("<!--"))
        XCTAssertFalse(html.contains("<b>"))
        XCTAssertFalse(html.contains("\u{2028}"))
        XCTAssertEqual(html.components(separatedBy: "<script").count - 1, 2, "only the data and code elements")
        XCTAssertEqual(html.components(separatedBy: "</script>").count - 1, 2)
        XCTAssertTrue(html.contains("&lt;/title&gt;&lt;script&gt;"))
        // The code is the one the Content-Security-Policy names.
        let hash = SHA256.base64Digest(of: ActivationPage.script)
        XCTAssertTrue(html.contains("script-src 'sha256-\(hash)'"))
        XCTAssertTrue(html.contains("<script>\(ActivationPage.script)</script>"))
        XCTAssertFalse(ActivationPage.script.contains("innerHTML"))
        XCTAssertFalse(ActivationPage.script.contains("</"))
    }

    func testUnknownCharactersAndInvisibles() throws {
        let (c, _) = try checkpoint(.rnn, text: "abc \n")
        let units = ["a", "b", "x", "c", "\u{200B}", " ", "\n"]
        let page = ActivationPage(checkpoint: c, checkpointName: "ck", source: "t", characters: units)
        XCTAssertEqual(page.payload.ids[2], -1)
        XCTAssertEqual(page.payload.ids[4], -1)
        XCTAssertEqual(page.payload.shown, ["4": "\\u{200B}"])
        XCTAssertEqual(page.payload.guesses[2 * 5], -1, "no guesses after an unknown character")
        XCTAssertEqual(page.payload.nextPermille[1], -1, "next is unknown")
        XCTAssertEqual(page.payload.vocabulary, ["↵", "␣", "a", "b", "c"])
        XCTAssertEqual(page.payload.states.map(\.kind), ["h", "h"])
        // The state carries over an unknown character.
        let h = ActivationPage.dequantized(page.payload.states[0].data, scales: page.payload.states[0].scales)!
        for u in h.indices { XCTAssertEqual(h[u][2], h[u][1]) }
    }

    func testByteModeShowsHighBytesEscaped() throws {
        let (c, units) = try checkpoint(.gru, text: "é!", mode: .byte)
        XCTAssertEqual(units.count, 3)
        let page = ActivationPage(checkpoint: c, checkpointName: "ck", source: "t", characters: units)
        XCTAssertEqual(page.payload.shown, ["0": "\\xC3", "1": "\\xA9"])
    }

    func testReluUnitsAreScaledPerUnit() {
        let values: [Float] = [0, 2, 4, 0, 0.5, 1]  // 2 units × 3 characters
        let scales = ActivationPage.unitScales(values, units: 2)
        XCTAssertEqual(scales, [4, 1])
        let back = ActivationPage.dequantized(ActivationPage.quantized(values, scales: scales), scales: scales)!
        XCTAssertEqual(back[0], [0, 2, 4].map { (Double($0) / 4 * 127).rounded() / 127 * 4 })
        XCTAssertEqual(back[1][2], 1)
    }
}
