import Testing
import Checkpoints
import RNN
import Sampler
import Tokenizer

/// A documents model starts at <s>, stops at </s>, and never emits <s> (nor, for lines, a line break).
@Suite struct DocumentSamplingTests {
    static let tokens = ["\n", "a", "b", "c", "<s>", "</s>"]
    static let start: Int32 = 4, end: Int32 = 5

    /// A model over "\n", "a", "b", "c", <s>, </s> whose head bias adds `bias[id]` to each logit.
    func checkpoint(_ mode: DocumentMode = .lines, bias: [Int32: Float]) throws -> Checkpoint {
        var c = try randomCheckpoint(tokens: Self.tokens, hidden: 4)
        c.vocabulary = try Vocabulary(tokens: Self.tokens, mode: .grapheme,
                                      documentMarkers: DocumentMarkers(start: Self.start, end: Self.end))
        c.documents = mode
        let head = ParameterLayout(config: c.config).head.bias
        for (id, b) in bias { c.parameters[head.range.lowerBound + Int(id)] = b }
        return c
    }

    /// The same weights read as a plain vocabulary: nothing masked, nothing stops.
    func unmasked(_ c: Checkpoint) throws -> Sampler {
        var u = c
        u.vocabulary = try Vocabulary(tokens: Array(Self.tokens.dropLast(2)) + ["s", "/s"], mode: .grapheme)
        u.documents = nil
        return Sampler(checkpoint: u)
    }

    @Test(arguments: [SamplingPolicy(temperature: 1), SamplingPolicy(temperature: 3), SamplingPolicy(temperature: 0),
                      SamplingPolicy(temperature: 1, topK: 1), SamplingPolicy(temperature: 2, topP: 0.9)])
    func neverEmitsTheStartMarkerNorALineBreak(policy: SamplingPolicy) throws {
        let c = try checkpoint(bias: [Self.start: 40, 0: 39, Self.end: -40])   // no document ends here
        // Unmasked, the model writes the start marker and line breaks almost every time: the test can fail.
        let plain = try unmasked(c).sample(prime: [1], length: 50, policy: policy, seed: 1).generated
        #expect(plain.filter { $0 == Self.start || $0 == 0 }.count > 40)
        let sample = try Sampler(checkpoint: c).sample(prime: [], length: 300, policy: policy, seed: 3)
        #expect(sample.generated.count == 300 && !sample.endedDocument)
        #expect(!sample.generated.contains(Self.start) && !sample.generated.contains(0) && !sample.generated.contains(Self.end))
        #expect(sample.meanLogProbability.isFinite)
    }

    @Test func aParagraphsModelMayWriteLineBreaks() throws {
        let sample = try Sampler(checkpoint: checkpoint(.paragraphs, bias: [0: 30])).sample(prime: [], length: 20, policy: SamplingPolicy(), seed: 1)
        #expect(sample.generated.filter { $0 == 0 }.count > 15)
    }

    @Test func generationStopsAtTheEndMarker() throws {
        // </s> is about as likely as each character: documents end after a few characters.
        let c = try checkpoint(bias: [Self.end: 1])
        let sampler = Sampler(checkpoint: c)
        var lengths: [Int] = []
        for seed in UInt64(0)..<40 {
            var emitted: [Int32] = []
            let g = try sampler.generate(prime: [], length: 1000, policy: SamplingPolicy(temperature: 1), seed: seed) { id, _ in
                emitted.append(id)
                return true
            }
            #expect(g.endedDocument && !g.stopped)
            #expect(g.characterCount == emitted.count && !emitted.contains(Self.end))
            lengths.append(g.characterCount)
        }
        #expect(lengths.max()! < 1000 && Set(lengths).count > 3)
        // The same weights without markers never stop before --length.
        #expect(try unmasked(c).sample(prime: [1], length: 200, policy: SamplingPolicy(temperature: 1), seed: 0).generated.count == 200)
    }

    @Test func theDocumentStartsAtTheStartMarkerThenThePrime() throws {
        let c = try checkpoint(bias: [:])
        let sampler = Sampler(checkpoint: c)
        // The same draws as a plain model fed <s> and the prime: compare with the unmasked model primed by id 4 explicitly.
        let documents = try sampler.sample(prime: [1, 2], length: 30, policy: SamplingPolicy(temperature: 0), seed: 1)
        let plain = try unmasked(c).sample(prime: [Self.start, 1, 2], length: 30, policy: SamplingPolicy(temperature: 0), seed: 1)
        let cut = plain.generated.firstIndex { $0 == Self.end || $0 == Self.start || $0 == 0 } ?? plain.generated.count
        #expect(Array(documents.generated.prefix(cut)) == Array(plain.generated.prefix(cut)))
    }

    @Test func beamSearchAndBestOfStopAtTheEndMarker() throws {
        let c = try checkpoint(bias: [Self.end: 8])
        let sampler = Sampler(checkpoint: c)
        let beam = try sampler.beamSearch(prime: [], length: 50, width: 3)
        #expect(beam.endedDocument && beam.generated.count < 50 && !beam.generated.contains(Self.end))
        #expect(beam.meanLogProbability.isFinite && beam.logProbabilitySum < 0)
        let best = try sampler.bestOf(5, prime: [1], length: 50, policy: SamplingPolicy(temperature: 1), seed: 2)
        #expect(best.endedDocument && !best.generated.contains(Self.end))
        // Without markers the beam runs the whole length.
        #expect(try unmasked(c).beamSearch(prime: [1], length: 20, width: 3).generated.count == 20)
    }
}
