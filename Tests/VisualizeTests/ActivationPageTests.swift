import Checkpoints
import RNN
import Tensor
import TestSupport
import Tokenizer
import Testing
import Foundation
@testable import Visualize

@Suite struct ActivationPageTests {
    static let hostile = "say \"</script><img src=x onerror=alert(1)>\" & <!-- \u{2028}\n(שלום עולם) 日本語のテキスト 👨‍👩‍👧 e\u{301}\u{200B}\n"

    func checkpoint(_ cell: CellKind, text: String, mode: TokenizerMode = .grapheme) throws -> (Checkpoint, [String]) {
        let settings = TokenizerSettings(mode: mode)
        let units = try Tokenizer(settings: settings).units(of: text)
        let vocabulary = Vocabulary(collecting: units, mode: mode)
        let model = randomModel(cell, vocabulary: vocabulary.count, hidden: 6, layers: 2)
        return (Checkpoint(config: model.config, vocabulary: vocabulary, tokenizer: settings, parameters: model.parameters), units)
    }

    @Test func payloadRoundTripsAndMatchesTheModel() throws {
        let (c, units) = try checkpoint(.lstm, text: Self.hostile)
        let page = try ActivationPage(checkpoint: c, checkpointName: "run/best.safetensors", source: "hostile.txt",
                                  characters: units)
        let html = try page.html()
        let back = try ActivationPage.payload(fromHTML: html)
        #expect(back == page.payload)
        #expect(back.chars == units)
        #expect(back.chars.joined() == Self.hostile.precomposedStringWithCanonicalMapping)
        #expect(back.states.map { "\($0.layer)\($0.kind)" } == ["0h", "0c", "1h", "1c"])

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
            #expect(back.ids[i] == Int(c.vocabulary.id(of: ch)!))
            for layer in 0..<2 {
                for u in 0..<h {
                    #expect(abs(hidden[layer][u][i] - (Double(state.h[layer * h + u]))) <= 0.5 / 127 + 1e-6)
                    let scale = back.states[2 * layer + 1].scales[u], c = Double(state.c[layer * h + u])
                    if abs(cells[layer][u][i]) >= scale * (1 - 1e-9) {  // clamped: at least that far out
                        #expect(abs(c) >= scale * (1 - 0.5 / 127) - 1e-6)
                        #expect(cells[layer][u][i].sign == c.sign)
                    } else {
                        #expect(abs(cells[layer][u][i] - c) <= scale * 0.5 / 127 + 1e-6)
                    }
                }
            }
        }
    }

    @Test func hostileTextNeverBecomesMarkup() throws {
        let (c, units) = try checkpoint(.gru, text: Self.hostile)
        let html = try ActivationPage(checkpoint: c, checkpointName: "<b>ck</b>", source: "</title><script>x</script>",
                                      characters: units).html()
        #expect(!html.contains("<img"))
        #expect(!html.contains("<!--"))
        #expect(!html.contains("<b>"))
        #expect(!html.contains("\u{2028}"))
        #expect(html.components(separatedBy: "<script").count - 1 == 2, "only the data and code elements")
        #expect(html.components(separatedBy: "</script>").count - 1 == 2)
        #expect(html.contains("&lt;/title&gt;&lt;script&gt;"))
        // The code is the one the Content-Security-Policy names.
        let hash = try CoreutilsSHA256.base64(of: ActivationPage.script)
        #expect(html.contains("script-src 'sha256-\(hash)'"))
        #expect(html.contains("<script>\(ActivationPage.script)</script>"))
        #expect(!ActivationPage.script.contains("innerHTML"))
        #expect(!ActivationPage.script.contains("</"))
    }

    @Test func unknownCharactersAndInvisibles() throws {
        let (c, _) = try checkpoint(.rnn, text: "abc \n")
        let units = ["a", "b", "x", "c", "\u{200B}", " ", "\n"]
        let page = try ActivationPage(checkpoint: c, checkpointName: "ck", source: "t", characters: units)
        #expect(page.payload.ids[2] == -1)
        #expect(page.payload.ids[4] == -1)
        #expect(page.payload.shown == ["4": "\\u{200B}"])
        #expect(page.payload.guesses[2 * 5] == -1, "no guesses after an unknown character")
        #expect(page.payload.nextPermille[1] == -1, "next is unknown")
        #expect(page.payload.vocabulary == ["↵", "␣", "a", "b", "c"])
        #expect(page.payload.states.map(\.kind) == ["h", "h"])
        // The state carries over an unknown character.
        let h = ActivationPage.dequantized(page.payload.states[0].data, scales: page.payload.states[0].scales)!
        for u in h.indices { #expect(h[u][2] == h[u][1]) }
    }

    @Test func byteModeShowsHighBytesEscaped() throws {
        let (c, units) = try checkpoint(.gru, text: "é!", mode: .byte)
        #expect(units.count == 3)
        let page = try ActivationPage(checkpoint: c, checkpointName: "ck", source: "t", characters: units)
        #expect(page.payload.shown == ["0": "\\xC3", "1": "\\xA9"])
    }

    @Test func overflowingModelIsAnErrorNotACrash() throws {
        let model = ActivationTraceTests.overflowingModel(vocabulary: 3)
        let vocabulary = try Vocabulary(tokens: ["a", "b", "c"], mode: .grapheme)
        let c = Checkpoint(config: model.config, vocabulary: vocabulary, tokenizer: TokenizerSettings(), parameters: model.parameters)
        #expect(throws: NonFiniteOutputError.self) {
            try ActivationPage(checkpoint: c, checkpointName: "ck", source: "t", characters: ["a", "b", "c", "a"])
        }
    }

    /// Every Float → Int conversion on the way to the page is guarded:
    /// NaN, infinities and scales of 0 store something, never trap.
    @Test func conversionsNeverTrap() {
        #expect(ActivationPage.permille(0.5) == 500)
        #expect(ActivationPage.permille(1) == 1000)
        #expect(ActivationPage.permille(.nan) == 0)
        #expect(ActivationPage.permille(.infinity) == 1000)
        #expect(ActivationPage.permille(-.infinity) == 0)
        #expect(ActivationPage.permille(-0.2) == 0)
        let values: [Float] = [.nan, .infinity, -.infinity, 1, -1, .greatestFiniteMagnitude]
        let stored = ActivationPage.dequantized(ActivationPage.quantized(values, scales: [1]), scales: [1])!
        #expect(stored[0] == [0, 0, 0, 1, -1, 1])
        for scale in [0, Double.nan, .infinity, 1e-300] {
            let q = ActivationPage.dequantized(ActivationPage.quantized([0, 1, -1], scales: [scale]), scales: [1])!
            #expect(q[0].allSatisfy { abs($0) <= 1 }, "scale \(scale)")
        }
    }

    @Test func reluUnitsAreScaledPerUnit() {
        let values: [Float] = [0, 2, 4, 0, 0.5, 1]  // 2 units × 3 characters
        let scales = ActivationPage.unitScales(values, units: 2)
        #expect(scales == [4, 1])
        let back = ActivationPage.dequantized(ActivationPage.quantized(values, scales: scales), scales: scales)!
        let expected: [Double] = [0, 2, 4].map { (v: Double) -> Double in (v / 4 * 127).rounded() / 127 * 4 }
        #expect(back[0] == expected)
        #expect(back[1][2] == 1)
        // One far-out value does not set the scale; it is stored clamped.
        let spiky = (0..<100).map { Float($0 % 10) / 10 } + [50]
        let scale = ActivationPage.unitScales(spiky, units: 1)[0]
        #expect(abs(scale - 0.9) <= 1e-6)
        #expect(abs((ActivationPage.dequantized(ActivationPage.quantized(spiky, scales: [scale]), scales: [scale])![0].last!) - scale) <= 1e-9)
    }
}
