import Foundation
import Testing
@testable import RNN
import Tensor

/// `StackedRNN.steps`: R rows in one step (continuous batching, `sample --count`), each row's logits
/// and state the bits `step` gives it alone, whatever rows step beside it, in every precision, for
/// every cell, with labels, on small matrices and on large ones split across threads.
@Suite struct BatchedStepTests {
    /// Rows come and go: at each of `rounds` steps a different set of the `streams` steps together.
    static func compare(_ config: ModelConfig, _ precision: WeightPrecision, streams: Int = 7, rounds: Int = 12,
                        sourceLocation: SourceLocation = #_sourceLocation) {
        let batched = Fixture.model(config, seed: 51, scale: 2), alone = StackedRNN(config: config)
        alone.parameters = batched.parameters
        batched.weightPrecision = precision
        alone.weightPrecision = precision
        var rng = SplitMix64(seed: 52)
        let v = config.vocabularySize, labelled = config.input == .oneHotAndLabel
        var a = (0..<streams).map { _ in Fixture.randomState(config: config, batchSize: 1, &rng) }, b = a
        let labels = (0..<streams).map { Int32($0 % max(1, config.labelCount)) }
        for round in 0..<rounds {
            // Which streams step this round: all, every other one, one, or the last few.
            let rows = [Array(0..<streams), Array(stride(from: round % 2, to: streams, by: 2)), [round % streams],
                        Array((streams / 2)..<streams)][round % 4]
            let tokens = rows.map { _ in Int32(rng.next() % UInt64(v)) }
            var states = rows.map { a[$0] }
            var logits = [Float](repeating: .nan, count: rows.count * v)
            logits.withUnsafeMutableBufferPointer {
                batched.steps(tokens: tokens, labels: labelled ? rows.map { labels[$0] } : nil, states: &states, logits: $0)
            }
            for (i, s) in rows.enumerated() {
                a[s] = states[i]
                var one = [Float](repeating: .nan, count: v)
                one.withUnsafeMutableBufferPointer {
                    alone.step(token: tokens[i], label: labelled ? labels[s] : nil, state: &b[s], logits: $0)
                }
                let row = Array(logits[(i * v)..<((i + 1) * v)])
                if row.map(\.bitPattern) != one.map(\.bitPattern) || a[s].h.map(\.bitPattern) != b[s].h.map(\.bitPattern)
                    || a[s].c.map(\.bitPattern) != b[s].c.map(\.bitPattern) {
                    Issue.record("\(config.cell) \(precision) round \(round): stream \(s) of \(rows.count) rows differs from its step alone",
                                 sourceLocation: sourceLocation)
                    return
                }
            }
        }
    }

    @Test(arguments: ModelCase.cells + ModelCase.layerNormCells + ModelCase.inputOnlyCells, WeightPrecision.allCases)
    func eachRowIsItsStepAlone(_ c: ModelCase, _ precision: WeightPrecision) {
        Self.compare(c.config(vocabularySize: 11, hiddenSize: 37), precision)
    }

    /// Many rows step in parts on the engine's threads (`StackedRNN.rowsPerPart`), each part its own rows'
    /// products, gates and head: 40 streams on 2 threads, every cell.
    @Test(arguments: ModelCase.cells + ModelCase.layerNormCells + ModelCase.inputOnlyCells, [WeightPrecision.fp32, .int8])
    func manyRowsStepInPartsAsAlone(_ c: ModelCase, _ precision: WeightPrecision) {
        #expect(40 >= 2 * StackedRNN.rowsPerPart)
        Parallel.withThreadCount(2) { Self.compare(c.config(vocabularySize: 11, hiddenSize: 37), precision, streams: 40, rounds: 6) }
    }

    @Test(arguments: WeightPrecision.allCases)
    func labelledRowsTakeTheirOwnLabels(_ precision: WeightPrecision) {
        var config = ModelConfig(cell: .gru, vocabularySize: 9, hiddenSize: 20, layerCount: 2)
        config.input = .oneHotAndLabel
        config.labelCount = 3
        Self.compare(config, precision)
    }

    /// Past `StepWeights.copyLimit` (products split across threads by panels): 33 rows on 2 threads.
    @Test(arguments: WeightPrecision.allCases)
    func largeLayersSplitAcrossThreads(_ precision: WeightPrecision) {
        let config = ModelConfig(cell: .lstm, vocabularySize: 13, hiddenSize: 288, layerCount: 2)
        #expect(config.hiddenSize * 4 * config.hiddenSize > StepWeights.copyLimit)
        Parallel.withThreadCount(2) { Self.compare(config, precision, streams: 33, rounds: 6) }
    }

    /// `steps`' `rowsDone` hears of every row once, in parts, each when its logits are final (what
    /// `BatchedGeneration` draws from there): many parts of a small model, one part per thread of a
    /// large one, and a single row.
    @Test(arguments: [(37, 40), (288, 33), (37, 1)])
    func rowsDoneHearsOfEachRowOnceWithItsLogits(_ hidden: Int, _ rows: Int) {
        let config = ModelConfig(cell: .lstm, vocabularySize: 13, hiddenSize: hidden, layerCount: 2)
        let model = Fixture.model(config, seed: 53, scale: 2), v = config.vocabularySize
        var rng = SplitMix64(seed: 54)
        let tokens = (0..<rows).map { _ in Int32(rng.next() % UInt64(v)) }
        let start = (0..<rows).map { _ in Fixture.randomState(config: config, batchSize: 1, &rng) }
        final class Heard: @unchecked Sendable {   // written under `lock` by the threads that step the parts
            let lock = NSLock()
            var parts: [Range<Int>] = [], seen: [[Float]]
            init(_ rows: Int) { seen = Array(repeating: [], count: rows) }
        }
        let heard = Heard(rows)
        var states = start, logits = [Float](repeating: .nan, count: rows * v)
        Parallel.withThreadCount(2) {
            logits.withUnsafeMutableBufferPointer { l in
                model.steps(tokens: tokens, states: &states, logits: l) { [base = l.baseAddress!] part in
                    heard.lock.lock()
                    defer { heard.lock.unlock() }
                    heard.parts.append(part)
                    for i in part { heard.seen[i] = Array(UnsafeBufferPointer(start: base + i * v, count: v)) }
                }
            }
        }
        #expect(heard.parts.flatMap { Array($0) }.sorted() == Array(0..<rows))
        if rows >= 2 * StackedRNN.rowsPerThread { #expect(heard.parts.count >= 2) }
        for i in 0..<rows {
            #expect(heard.seen[i].map(\.bitPattern) == logits[(i * v)..<((i + 1) * v)].map(\.bitPattern), "row \(i)")
        }
        // And the call steps as one without it.
        var again = start, plain = [Float](repeating: .nan, count: rows * v)
        plain.withUnsafeMutableBufferPointer { model.steps(tokens: tokens, states: &again, logits: $0) }
        #expect(plain.map(\.bitPattern) == logits.map(\.bitPattern))
    }
}
