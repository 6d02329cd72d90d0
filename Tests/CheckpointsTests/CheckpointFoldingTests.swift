import Checkpoints
import Foundation
import Testing
import RNN
import SafeTensors
import Tensor
import Tokenizer

/// Checkpoints with and without a vocabulary's unknown token (`--min-count`, `--max-vocab`).
@Suite struct CheckpointFoldingTests {
    let config = ModelConfig(cell: .rnn, vocabularySize: 3, hiddenSize: 2, layerCount: 1)

    func path() -> String {
        NSTemporaryDirectory() + "/checkpoint-folding-\(UUID().uuidString).safetensors"
    }

    func parameters(_ config: ModelConfig) -> [Float] {
        (0..<ParameterLayout(config: config).totalCount).map { Float($0) / 16 }
    }

    /// A checkpoint as charrnn wrote them before folding existed: every metadata entry literal.
    /// Written back, it is a format-2 file whose only change is the model's entry.
    @Test func anExistingFormatCheckpointLoadsAndWritesBackUnchanged() throws {
        let layout = ParameterLayout(config: config)
        let values = parameters(config)
        let tensors = layout.entries.map { SafeTensorsFile.Tensor(name: $0.name, shape: $0.shape, data: Array(values[$0.range])) }
        let metadata = [
            "format": "charrnn", "format_version": "1",
            "config": #"{"activation":"tanh","cell":"rnn","dropout":0,"hiddenSize":2,"layerCount":1,"vocabularySize":3}"#,
            "vocabulary": #"["\n","a","b"]"#,
            "tokenizer": #"{"lossy":false,"mode":"grapheme","normalize":true}"#,
            "training.iteration": "3",
            "training.options": #"{"batchSize":4,"corpusPath":"c.txt","seed":1}"#,
        ]
        let original = path(), again = path()
        defer { try? FileManager.default.removeItem(atPath: original); try? FileManager.default.removeItem(atPath: again) }
        try SafeTensorsFile(metadata: metadata, tensors: tensors).write(path: original)

        let checkpoint = try Checkpoint.read(from: original)
        #expect(checkpoint.vocabulary.tokens == ["\n", "a", "b"])
        #expect(checkpoint.vocabulary.unknownID == nil)
        #expect(checkpoint.folding == nil)
        #expect(checkpoint.parameters == values)
        try checkpoint.write(to: again)
        let rewritten = try SafeTensorsFile.read(path: again)
        var expected = metadata
        expected["format_version"] = "2"
        expected["config"] = nil
        expected["model"] = #"{"head":{"kind":"next_character","output_size":3},"input":{"kind":"one_hot","vocabulary_size":3},"#
            + #""stack":{"activation":"tanh","cell":"rnn","dropout":0,"hidden_size":2,"layer_norm":false,"layers":1,"recurrent_dropout":0}}"#
        #expect(rewritten.metadata == expected)
        #expect(rewritten.tensors == tensors)
        #expect(try Checkpoint.read(from: again).config == checkpoint.config)
    }

    @Test func aFoldingCheckpointRecordsThePolicyAndTheUnknownToken() throws {
        let folded = ModelConfig(cell: .rnn, vocabularySize: 3, hiddenSize: 2, layerCount: 1)
        let folding = VocabularyFolding(policy: VocabularyPolicy(minCount: 3, maxCharacters: 2), foldedCharacters: 5, foldedOccurrences: 9)
        let checkpoint = Checkpoint(config: folded, vocabulary: try Vocabulary(tokens: ["a", "b", "<unk>"], mode: .grapheme, unknownID: 2),
                                    tokenizer: TokenizerSettings(), parameters: parameters(folded), folding: folding)
        let file = path()
        defer { try? FileManager.default.removeItem(atPath: file) }
        try checkpoint.write(to: file)
        let raw = try SafeTensorsFile.read(path: file)
        #expect(raw.metadata["vocabulary"] == #"["a","b","<unk>"]"#)
        #expect(raw.metadata["vocabulary_folding"]
                == #"{"foldedCharacters":5,"foldedOccurrences":9,"maxCharacters":2,"minCount":3,"unknownID":2}"#)
        #expect(raw["head.weight"]?.shape == [3, 2])   // the head is sized to the folded vocabulary, K + 1
        let back = try Checkpoint.read(from: file)
        #expect(back == checkpoint)
        #expect(back.vocabulary.unknownID == 2)
    }

    @Test func theUnknownTokenAndItsPolicyGoTogether() throws {
        let file = path()
        defer { try? FileManager.default.removeItem(atPath: file) }
        let withoutPolicy = Checkpoint(config: config, vocabulary: try Vocabulary(tokens: ["a", "b", "<unk>"], mode: .grapheme, unknownID: 2),
                                       tokenizer: TokenizerSettings(), parameters: parameters(config))
        #expect(throws: CheckpointError.self) { try withoutPolicy.write(to: file) }
        // A damaged file whose policy names an entry that is not <unk> is refused with the key named.
        var policy = withoutPolicy
        policy.folding = VocabularyFolding(policy: VocabularyPolicy(minCount: 2), foldedCharacters: 1, foldedOccurrences: 1)
        try policy.write(to: file)
        var raw = try SafeTensorsFile.read(path: file)
        raw.metadata["vocabulary_folding"] = #"{"foldedCharacters":1,"foldedOccurrences":1,"minCount":2,"unknownID":0}"#
        try raw.write(path: file)
        #expect(throws: CheckpointError.invalidMetadata(path: file, key: "vocabulary",
                                                         reason: "is invalid: the unknown token's id 0 does not name a \"<unk>\" entry of the vocabulary")) {
            try Checkpoint.read(from: file)
        }
    }

    /// A folding record with a policy no run can have was read as it was, and `eval` refitted its baselines
    /// with it: `--max-vocab -1` trapped (a prefix of -1 characters). Such a record is refused when read.
    @Test func aFoldingPolicyNoRunCanHaveIsRefused() throws {
        let file = path()
        defer { try? FileManager.default.removeItem(atPath: file) }
        var checkpoint = Checkpoint(config: config, vocabulary: try Vocabulary(tokens: ["a", "b", "<unk>"], mode: .grapheme, unknownID: 2),
                                    tokenizer: TokenizerSettings(), parameters: parameters(config))
        checkpoint.folding = VocabularyFolding(policy: VocabularyPolicy(maxCharacters: 2), foldedCharacters: 1, foldedOccurrences: 1)
        try checkpoint.write(to: file)
        let written = try SafeTensorsFile.read(path: file)
        for (record, reason) in [
            (#"{"foldedCharacters":1,"foldedOccurrences":1,"maxCharacters":-1,"unknownID":2}"#,
             "holds a policy no run can have (--max-vocab must be between 1 and 16777216 (got -1))"),
            (#"{"foldedCharacters":1,"foldedOccurrences":1,"minCount":0,"unknownID":2}"#,
             "holds a policy no run can have (--min-count must be at least 1 (got 0))"),
            (#"{"foldedCharacters":1,"foldedOccurrences":1,"unknownID":2}"#,
             "names no --min-count or --max-vocab, so nothing could have folded"),
            (#"{"foldedCharacters":-5,"foldedOccurrences":1,"minCount":2,"unknownID":2}"#,
             "holds a negative count (-5 characters, 1 occurrences folded)"),
        ] {
            var raw = written
            raw.metadata["vocabulary_folding"] = record
            try raw.write(path: file)
            #expect(throws: CheckpointError.invalidMetadata(path: file, key: "vocabulary_folding", reason: reason)) {
                try Checkpoint.read(from: file)
            }
        }
        try written.write(path: file)
        #expect(try Checkpoint.read(from: file) == checkpoint)
    }
}
