import Checkpoints
import Foundation
import Testing
import RNN
import SafeTensors
import Sampler
import Tensor
import Tokenizer

/// A checkpoint with PyTorch-style random weights over `tokens`.
func randomCheckpoint(tokens: [String], mode: TokenizerMode = .grapheme, cell: CellKind = .lstm,
                      hidden: Int = 8, seed: UInt64 = 1) throws -> Checkpoint {
    let config = ModelConfig(cell: cell, vocabularySize: tokens.count, hiddenSize: hidden, layerCount: 2)
    let model = StackedRNN(config: config)
    var rng = SplitMix64(seed: seed)
    model.initialize(rng: &rng)
    return Checkpoint(config: config, vocabulary: try Vocabulary(tokens: tokens, mode: mode),
                      tokenizer: TokenizerSettings(mode: mode, normalize: mode == .grapheme), parameters: model.parameters)
}

/// A well-formed relu RNN whose activations overflow: every recurrent and
/// input weight and bias is 1e20, so h after the first character is 3e20 per
/// unit and after the second +infinity; the head's 1e-3 keeps the first
/// character's logits finite (about 1e18, all equal).
func overflowingCheckpoint(tokens: [String]) throws -> Checkpoint {
    let config = ModelConfig(cell: .rnn, activation: .relu, vocabularySize: tokens.count, hiddenSize: 4, layerCount: 1)
    let layout = ParameterLayout(config: config)
    var parameters = [Float](repeating: 1e20, count: layout.totalCount)
    for e in [layout.head.weight, layout.head.bias] { parameters.replaceSubrange(e.range, with: repeatElement(1e-3, count: e.count)) }
    return Checkpoint(config: config, vocabulary: try Vocabulary(tokens: tokens, mode: .grapheme),
                      tokenizer: TokenizerSettings(), parameters: parameters)
}

private let letters = ["\n", " ", "a", "b", "c", "d", "e", "é", "🙂"]

@Suite struct SamplerTests {
    @Test func streamedTextIsTheCollectedText() throws {
        let sampler = Sampler(checkpoint: try randomCheckpoint(tokens: letters))
        let policy = SamplingPolicy(temperature: 1.2, topK: 6)
        var ids: [Int32] = []
        var bytes: [UInt8] = []
        let generation = try sampler.generate(prime: [2, 3], length: 300, policy: policy, seed: 7) { id, b in
            ids.append(id)
            bytes += b
            return true
        }
        let sample = try sampler.sample(prime: [2, 3], length: 300, policy: policy, seed: 7)
        #expect(generation.characterCount == 300)
        #expect(ids == sample.generated)
        #expect(String(decoding: bytes, as: UTF8.self) == sample.text)
        #expect(sample.text == sampler.vocabulary.decode(ids))
        #expect(generation.meanLogProbability == sample.meanLogProbability)
        #expect(generation.meanLogProbability < 0 && generation.meanLogProbability.isFinite)
        #expect(!generation.stopped)
    }

    /// The first defect: a huge length reserved memory for every character
    /// before writing one (4 TB for 10¹²: a crash). Now nothing is reserved
    /// and a reader that goes away ends generation.
    @Test func hugeLengthStreamsUntilTheReaderGoes() throws {
        let sampler = Sampler(checkpoint: try randomCheckpoint(tokens: letters))
        var seen = 0
        let generation = try sampler.generate(prime: [], length: Int.max, policy: SamplingPolicy(), seed: 1) { _, _ in
            seen += 1
            return seen < 100
        }
        #expect(seen == 100)
        #expect(generation.characterCount == 100)
        let first = try sampler.sample(prime: [], length: 100, policy: SamplingPolicy(), seed: 1)
        #expect(generation.meanLogProbability == first.meanLogProbability)  // the same 100 characters
    }

    @Test func stopStringEndsTheStreamWithIt() throws {
        let sampler = Sampler(checkpoint: try randomCheckpoint(tokens: letters))
        var text: [UInt8] = []
        let generation = try sampler.generate(prime: [], length: 100_000, policy: SamplingPolicy(temperature: 1), seed: 3,
                                              stops: ["é "]) { _, b in text += b; return true }
        #expect(generation.stopped)
        #expect(generation.characterCount < 100_000)
        let s = String(decoding: text, as: UTF8.self)
        #expect(s.hasSuffix("é "))
        #expect(s.components(separatedBy: "é ").count == 2)
    }

    @Test func zeroLengthGeneratesNothing() throws {
        let sampler = Sampler(checkpoint: try randomCheckpoint(tokens: letters))
        let generation = try sampler.generate(prime: [4], length: 0, policy: SamplingPolicy(), seed: 1) { _, _ in
            Issue.record("emitted a character")
            return true
        }
        #expect(generation.characterCount == 0 && generation.logProbabilitySum == 0 && !generation.stopped)
        #expect(generation.meanLogProbability == 0)
    }

    /// The third defect: logits that overflowed used to be read as "all
    /// impossible" and sampled as character 0 ("\n") forever, exit 0.
    @Test(arguments: [SamplingPolicy(), SamplingPolicy(temperature: 0), SamplingPolicy(temperature: 1, topP: 0.9)])
    func overflowingOutputsAreAnErrorAtTheCharacter(policy: SamplingPolicy) throws {
        let sampler = Sampler(checkpoint: try overflowingCheckpoint(tokens: letters))
        var emitted = 0
        do {
            _ = try sampler.generate(prime: [], length: 1000, policy: policy, seed: 1) { _, _ in emitted += 1; return true }
            Issue.record("no error")
        } catch {
            #expect(error.position == .generatedCharacter(2))
            #expect(error.use == .sampling && error.quantity == .outputs)
            #expect(error.value != .negativeInfinity)
            #expect(error.description.hasPrefix("the model's outputs "))
            #expect(error.description.contains("at generated character 2; this checkpoint cannot be used for sampling"))
            #expect(!error.description.contains("\n"))
        }
        #expect(emitted == 1, "the character before the overflow is the model's own")
        // With a long prime the overflow happens while reading it: before the first character.
        #expect(throws: NonFiniteOutputError.self) { try sampler.sample(prime: [2, 3, 4], length: 5, policy: policy, seed: 1) }
        do {
            _ = try sampler.sample(prime: [2, 3, 4], length: 5, policy: policy, seed: 1)
        } catch {
            #expect(error.position == .generatedCharacter(1))
        }
    }
}

@Suite struct JSONStringEscaperTests {
    /// What `sample --json` wrote before it streamed: JSONEncoder over the whole text.
    func encoderForm(_ bytes: [UInt8]) throws -> [UInt8] {
        let whole = Array(try JSONEncoder().encode(String(decoding: bytes, as: UTF8.self)))
        return Array(whole.dropFirst().dropLast())   // the quotes
    }

    /// `bytes` escaped in pieces of the given sizes (cycled).
    func streamedForm(_ bytes: [UInt8], pieces: [Int]) -> [UInt8] {
        var escaper = JSONStringEscaper()
        var out: [UInt8] = []
        var at = 0, k = 0
        while at < bytes.count {
            let end = min(bytes.count, at + pieces[k % pieces.count])
            escaper.append(Array(bytes[at..<end]), to: &out)
            at = end
            k += 1
        }
        escaper.finish(to: &out)
        return out
    }

    @Test func everyASCIICharacterAsJSONEncoderWritesIt() throws {
        for b in UInt8(0)...0x7F {
            #expect(streamedForm([b], pieces: [1]) == (try encoderForm([b])), "byte \(b)")
        }
    }

    @Test func validTextCutAnywhere() throws {
        let text = "a\"b\\c/d\n\t\u{1}\u{7F}é ü 🙂 👨‍👩‍👧 \u{2028}\u{2029}\u{FEFF}\u{FFFD} 中文 \u{10FFFF}"
        let bytes = Array(text.utf8)
        for pieces in [[1], [2], [3], [1, 2, 3, 4], [bytes.count]] {
            #expect(streamedForm(bytes, pieces: pieces) == (try encoderForm(bytes)), "pieces \(pieces)")
        }
    }

    /// Byte-mode models can generate any byte sequence: invalid UTF-8 becomes
    /// U+FFFD exactly as String(decoding:as:) makes it, however it is cut.
    @Test func invalidUTF8AsStringDecodingRepairsIt() throws {
        let handPicked: [[UInt8]] = [
            [0x80], [0xBF, 0x41], [0xC0, 0xAF], [0xC1, 0xBF], [0xC2], [0xC2, 0x41], [0xE0, 0x80, 0x80], [0xE0, 0xA0],
            [0xE2, 0x82, 0x62], [0xED, 0xA0, 0x80], [0xED, 0x9F, 0xBF], [0xF0, 0x8F, 0xBF, 0xBF], [0xF0, 0x9F, 0xC0],
            [0xF4, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF], [0xF5, 0x80], [0xFF, 0xFE], [0xF0, 0x9F, 0x99],
            [0x61, 0xF0, 0x9F, 0x99, 0x82, 0xF0],
        ]
        for bytes in handPicked {
            #expect(streamedForm(bytes, pieces: [1]) == (try encoderForm(bytes)), "\(bytes)")
        }
        var rng = SplitMix64(seed: 42)
        // Biased towards the bytes that matter: leads, continuations, ASCII escapes.
        let alphabet: [UInt8] = [0x00, 0x0A, 0x22, 0x2F, 0x5C, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2,
                                 0xDF, 0xE0, 0xE1, 0xED, 0xEF, 0xF0, 0xF3, 0xF4, 0xF5, 0xFF]
        for _ in 0..<2000 {
            let count = Int(rng.next() % 12) + 1
            let bytes = (0..<count).map { _ in
                rng.next() % 4 == 0 ? UInt8(truncatingIfNeeded: rng.next()) : alphabet[Int(rng.next() % UInt64(alphabet.count))]
            }
            let pieces = [Int(rng.next() % 3) + 1, Int(rng.next() % 4) + 1]
            #expect(streamedForm(bytes, pieces: pieces) == (try encoderForm(bytes)), "\(bytes) in pieces \(pieces)")
        }
    }
}

/// The unknown token of a folding vocabulary is read but never emitted.
@Suite struct UnknownTokenSamplingTests {
    /// A model over "a", "b", "c" and <unk> whose head favours <unk> overwhelmingly.
    func checkpoint() throws -> Checkpoint {
        var c = try randomCheckpoint(tokens: ["a", "b", "c", "<unk>"], hidden: 4)
        c.vocabulary = try Vocabulary(tokens: ["a", "b", "c", "<unk>"], mode: .grapheme, unknownID: 3)
        c.folding = VocabularyFolding(policy: VocabularyPolicy(minCount: 2), foldedCharacters: 1, foldedOccurrences: 1)
        let bias = ParameterLayout(config: c.config).head.bias
        c.parameters[bias.range.lowerBound + 3] = 60
        return c
    }

    @Test(arguments: [
        SamplingPolicy(temperature: 1), SamplingPolicy(temperature: 3), SamplingPolicy(temperature: 0),
        SamplingPolicy(temperature: 1, topK: 1), SamplingPolicy(temperature: 1, topK: 2),
        SamplingPolicy(temperature: 1, topP: 0.5), SamplingPolicy(temperature: 2, topK: 3, topP: 0.99),
    ])
    func neverEmitted(policy: SamplingPolicy) throws {
        let c = try checkpoint()
        let sampler = Sampler(checkpoint: c)
        // Without the mask the model would write <unk> almost every time: the test can fail.
        let unmasked = Sampler(checkpoint: try { var u = c; u.vocabulary = try Vocabulary(tokens: ["a", "b", "c", "<unk>"], mode: .grapheme); u.folding = nil; return u }())
        #expect(try unmasked.sample(prime: [0], length: 50, policy: policy, seed: 1).generated.filter { $0 == 3 }.count > 40)
        let sample = try sampler.sample(prime: [0, 3], length: 200, policy: policy, seed: 5)
        #expect(sample.generated.count == 200)
        #expect(!sample.generated.contains(3))
        #expect(sample.meanLogProbability.isFinite)
    }

    @Test func primeCharactersOutsideTheVocabularyReadAsUnknown() throws {
        let sampler = Sampler(checkpoint: try checkpoint())
        let (ids, skipped, readAsUnknown) = try sampler.encodePrime("abzé", unknown: .fail)
        #expect(ids == [0, 1, 3, 3])
        #expect(skipped.isEmpty)
        #expect(readAsUnknown == ["z", "é"])
        #expect(sampler.vocabulary.decode(ids) == "ab\u{FFFD}\u{FFFD}")
    }
}
