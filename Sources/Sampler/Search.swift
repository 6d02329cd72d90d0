import Foundation
import RNN
import Tensor
import Tokenizer

// Search instead of a single draw: `charrnn sample --beam N` and `--best-of N`.
// Both hold their candidates whole (ids and bytes), so their memory grows with
// --length × N; plain sampling streams in constant memory.

extension Sampler {
    /// A continuation found by a search, with its log-probability under the
    /// untempered model (renormalised over the characters it can emit).
    public struct Continuation: Equatable, Sendable {
        public var generated: [Int32]              // ids of the generated characters (not the prime)
        public var text: String
        public var logProbabilitySum: Double       // nats
        public var stopped: Bool                   // ended by a stop string
        public var seed: UInt64?                   // best-of: the seed that draws it with `generate`
        public var endedDocument = false           // documents model: ended by the end marker

        /// Mean log p in nats per step (length-normalised; the end marker is a
        /// step when chosen); 0 when nothing was generated.
        public var meanLogProbability: Double {
            Sampler.mean(logProbabilitySum, characters: generated.count, endedDocument: endedDocument)
        }
    }

    /// Beam search for the most probable continuation of `length` characters.
    ///
    /// Every step extends each of the (at most `width`) live beams by every
    /// character the model can emit and keeps the `width` extensions with the
    /// highest total log-probability (ties: the earlier beam, then the lower
    /// id), so the result is deterministic. A beam that ends with one of `stops`
    /// leaves the search finished; at the end, finished and full-length beams compete
    /// by mean log-probability per character (length-normalised), ties to the
    /// earlier. With every beam of the same length that is the most probable
    /// of them; when `width` is at least the number of prefixes one character
    /// shorter than `length` (V^(length−1) with no stop), it is the most
    /// probable continuation of all. Width 1 is greedy decoding. A documents
    /// model's beams start at the start marker and finish at the end marker
    /// (not part of the text; its log-probability counts, and it is a step).
    /// The beams of a position step together (`StackedRNN.steps`: each matrix read once for all
    /// of them), each with the bits it would get alone.
    ///
    /// Throws when a step's logits hold an infinity or a NaN.
    public func beamSearch(prime: [Int32], length: Int, width: Int, stops: [String] = [])
        throws(NonFiniteOutputError) -> Continuation {
        try beamSearch(prime: prime, length: length, width: width, stops: stops, goOn: { true })!
    }

    /// `beamSearch`, asking `goOn` before each position (`serve` hands its lane over there, and notices
    /// a client that left): nil when it says no.
    public func beamSearch(prime: [Int32], length: Int, width: Int, stops: [String], goOn: () -> Bool)
        throws(NonFiniteOutputError) -> Continuation? {
        precondition(width >= 1 && length >= 0, "beamSearch: width ≥ 1 and length ≥ 0 (the command line checks them)")
        let v = vocabulary.count
        struct Beam {
            var ids: [Int32], bytes: [UInt8], sum: Double, stopped = false, ended = false
            var state: RecurrentState, logProbabilities: [Double]
        }
        var (state, logits) = started(prime: prime, label: label)
        var live = [Beam(ids: [], bytes: [], sum: 0, state: state, logProbabilities: try logSoftmax(&logits, position: 1))]
        var finished: [Beam] = []
        var stepped: [Float] = []            // (beams, V): one position's steps
        let stops = StopStrings(stops)

        for position in 0..<length {
            guard goOn() else { return nil }
            // The `width` best (beam, id) extensions by total log-probability.
            var best: [(sum: Double, beam: Int, id: Int)] = []
            best.reserveCapacity(width + 1)
            for (b, beam) in live.enumerated() {
                for id in 0..<v where beam.logProbabilities[id] > -.infinity {
                    let sum = beam.sum + beam.logProbabilities[id]
                    if best.count == width, let last = best.last, !(sum > last.sum) { continue }
                    // Insert after every entry at least as good: earlier beams and lower ids win ties.
                    let at = best.firstIndex { sum > $0.sum } ?? best.count
                    best.insert((sum, b, id), at: at)
                    if best.count > width { best.removeLast() }
                }
            }
            var next: [Beam] = [], tokens: [Int32] = []
            for e in best {
                var beam = live[e.beam]
                if Int32(e.id) == documentMarkers?.end {
                    beam.sum = e.sum
                    beam.ended = true
                    finished.append(beam)
                    continue
                }
                beam.ids.append(Int32(e.id))
                beam.bytes += tokenBytes[e.id]
                beam.sum = e.sum
                if stops.ending(beam.bytes) > 0 {
                    beam.stopped = true
                    finished.append(beam)
                    continue
                }
                tokens.append(Int32(e.id))
                next.append(beam)
            }
            if position + 1 < length && !next.isEmpty {   // no step whose logits nobody reads
                // The states move out of the beams for the step (no copy-on-write) and back.
                var states = next.indices.map { i in
                    defer { next[i].state = RecurrentState(batchSize: 1, h: [], c: []) }
                    return next[i].state
                }
                if stepped.count < next.count * v { stepped = [Float](repeating: 0, count: next.count * v) }
                stepped.withUnsafeMutableBufferPointer { l in
                    model.steps(tokens: tokens, labels: label.map { [Int32](repeating: $0, count: next.count) }, states: &states, logits: l)
                }
                for i in next.indices {
                    next[i].state = states[i]
                    logits = Array(stepped[i * v ..< (i + 1) * v])
                    next[i].logProbabilities = try logSoftmax(&logits, position: position + 2)
                }
            }
            live = next
            if live.isEmpty { break }
        }

        func mean(_ b: Beam) -> Double { Sampler.mean(b.sum, characters: b.ids.count, endedDocument: b.ended) }
        var winner = finished.first ?? live[0]
        for b in finished + live where mean(b) > mean(winner) { winner = b }
        return Continuation(generated: winner.ids, text: String(decoding: winner.bytes, as: UTF8.self),
                            logProbabilitySum: winner.sum, stopped: winner.stopped, seed: nil, endedDocument: winner.ended)
    }

    /// Draws `count` samples with seeds `seed`, `seed + 1`, … and keeps the one
    /// with the highest mean log-probability per character (ties: the first).
    /// Its seed is reported, so `generate` with that seed writes it again. The
    /// draws step together, `bestOfWidth` at a time (rows of a `BatchedGeneration`);
    /// each is the text `generate` writes for its seed. When draws overflow, the
    /// error is the first such draw's (the one a draw-by-draw search meets first).
    public func bestOf(_ count: Int, prime: [Int32], length: Int, policy: SamplingPolicy, seed: UInt64,
                       stops: [String] = []) throws(NonFiniteOutputError) -> Continuation {
        try bestOf(count, prime: prime, length: length, policy: policy, seed: seed, stops: stops, goOn: { true })!
    }

    /// `bestOf`, asking `goOn` before each step of the draws (`serve` hands its lane over there, and
    /// notices a client that left): nil when it says no.
    public func bestOf(_ count: Int, prime: [Int32], length: Int, policy: SamplingPolicy, seed: UInt64,
                       stops: [String], goOn: () -> Bool) throws(NonFiniteOutputError) -> Continuation? {
        precondition(count >= 1, "bestOf: count ≥ 1 (the command line checks it)")
        var best: Continuation?
        for first in stride(from: 0, to: count, by: Self.bestOfWidth) {
            let n = min(Self.bestOfWidth, count - first)
            var ids = [[Int32]](repeating: [], count: n), bytes = [[UInt8]](repeating: [], count: n)
            var outcomes = [Result<Generation, NonFiniteOutputError>?](repeating: nil, count: n)
            let batch = BatchedGeneration(sampler: self)
            for i in 0..<n {
                batch.add(BatchedGeneration.Request(prime: prime, length: length, policy: policy, seed: seed &+ UInt64(first + i), stops: stops, label: label),
                          emit: { id, b in
                              ids[i].append(id)
                              bytes[i] += b
                              return true
                          }, finished: { outcomes[i] = $0 })
            }
            while !batch.isEmpty {
                guard goOn() else { return nil }
                batch.tick()
            }
            for i in 0..<n {
                let g = try outcomes[i]!.get()
                let candidate = Continuation(generated: ids[i], text: String(decoding: bytes[i], as: UTF8.self),
                                             logProbabilitySum: g.logProbabilitySum, stopped: g.stopped,
                                             seed: seed &+ UInt64(first + i), endedDocument: g.endedDocument)
                if best == nil || candidate.meanLogProbability > best!.meanLogProbability { best = candidate }
            }
        }
        return best!
    }

    /// Best-of draws stepped together at most (their texts are held whole until the search ends).
    static let bestOfWidth = 64

    /// log softmax of `logits` in Double, after `admit` (the unknown token at −∞, never emitted).
    private func logSoftmax(_ logits: inout [Float], position: Int) throws(NonFiniteOutputError) -> [Double] {
        try admit(&logits, position: position)
        let x = logits.map(Double.init), m = x.max() ?? 0
        let logSum = m + log(x.reduce(0) { $0 + exp($1 - m) })
        return x.map { $0 - logSum }
    }
}
