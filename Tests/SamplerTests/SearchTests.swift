import Foundation
import Testing
import RNN
import Sampler
import Tensor
import Tokenizer

/// `beamSearch` and `bestOf` against brute force on a model small enough to enumerate.
@Suite struct SearchTests {
    /// Three characters, weights scaled up so that the distributions are far from uniform.
    static func peakedSampler(seed: UInt64) throws -> Sampler {
        var c = try randomCheckpoint(tokens: ["\n", "a", "b"], hidden: 6, seed: seed)
        c.parameters = c.parameters.map { $0 * 4 }
        return Sampler(checkpoint: c)
    }

    /// Σ log p of `ids` after `start`, computed step by step with the model's batch-1 step.
    static func logProbability(_ sampler: Sampler, start: [Int32], ids: [Int32]) -> Double {
        var state = RecurrentState.zeros(config: sampler.model.config, batchSize: 1)
        var logits = [Float](repeating: 0, count: sampler.vocabulary.count)
        logits.withUnsafeMutableBufferPointer { l in for id in start { sampler.model.step(token: id, state: &state, logits: l) } }
        var total = 0.0
        for id in ids {
            let x = logits.map(Double.init), m = x.max()!
            total += x[Int(id)] - (m + log(x.reduce(0) { $0 + exp($1 - m) }))
            logits.withUnsafeMutableBufferPointer { sampler.model.step(token: id, state: &state, logits: $0) }
        }
        return total
    }

    /// Every sequence of `length` ids over V characters.
    static func allSequences(_ v: Int, _ length: Int) -> [[Int32]] {
        (0..<length).reduce([[]]) { prefixes, _ in prefixes.flatMap { p in (0..<v).map { p + [Int32($0)] } } }
    }

    @Test(arguments: [UInt64(1), 2, 3, 4])
    func aBeamAsWideAsThePrefixesFindsTheMostProbableContinuation(seed: UInt64) throws {
        let sampler = try Self.peakedSampler(seed: seed)
        let length = 5, v = 3, prime: [Int32] = [1, 2]
        let exhaustive = Self.allSequences(v, length).map { ($0, Self.logProbability(sampler, start: prime, ids: $0)) }
        let best = try #require(exhaustive.max { $0.1 < $1.1 })
        let found = try sampler.beamSearch(prime: prime, length: length, width: 81)   // 3⁴ prefixes
        #expect(found.generated == best.0)
        #expect(abs(found.logProbabilitySum - best.1) < 1e-9)
        #expect(abs(found.meanLogProbability - best.1 / Double(length)) < 1e-9)
        // Narrower beams never beat it, and their reported score is their text's.
        for width in [1, 2, 5] {
            let narrow = try sampler.beamSearch(prime: prime, length: length, width: width)
            #expect(narrow.logProbabilitySum <= found.logProbabilitySum + 1e-12)
            #expect(abs(narrow.logProbabilitySum - Self.logProbability(sampler, start: prime, ids: narrow.generated)) < 1e-9)
        }
    }

    @Test func widthOneIsGreedyAndSearchIsDeterministic() throws {
        let sampler = try Self.peakedSampler(seed: 7)
        let greedy = try sampler.sample(prime: [1], length: 40, policy: SamplingPolicy(temperature: 0), seed: 1)
        let beam1 = try sampler.beamSearch(prime: [1], length: 40, width: 1)
        #expect(beam1.generated == greedy.generated)
        #expect(try sampler.beamSearch(prime: [1], length: 40, width: 4) == sampler.beamSearch(prime: [1], length: 40, width: 4))
    }

    @Test func aStopStringEndsABeam() throws {
        let sampler = try Self.peakedSampler(seed: 2)
        let free = try sampler.beamSearch(prime: [1], length: 30, width: 3)
        // Stop at the first character the free search wrote: the found text ends with it, stopped.
        let stop = String(free.text.prefix(1))
        let stopped = try sampler.beamSearch(prime: [1], length: 30, width: 3, stops: [stop])
        #expect(stopped.stopped && stopped.text.hasSuffix(stop))
        #expect(stopped.generated.count < 30)
    }

    @Test func bestOfKeepsTheHighestMeanAndItsSeedRedrawsIt() throws {
        let sampler = try Self.peakedSampler(seed: 5)
        let policy = SamplingPolicy(temperature: 1.0)
        let found = try sampler.bestOf(6, prime: [1], length: 25, policy: policy, seed: 100)
        let draws = try (0..<6).map { try sampler.sample(prime: [1], length: 25, policy: policy, seed: 100 + UInt64($0)) }
        let best = try #require(draws.max { $0.meanLogProbability < $1.meanLogProbability })
        #expect(abs(found.meanLogProbability - best.meanLogProbability) < 1e-12)
        let seed = try #require(found.seed)
        #expect(try sampler.sample(prime: [1], length: 25, policy: policy, seed: seed).generated == found.generated)
    }
}
