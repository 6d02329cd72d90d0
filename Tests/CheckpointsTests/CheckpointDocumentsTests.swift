import Checkpoints
import Foundation
import Testing
import RNN
import SafeTensors
import Tokenizer

/// Checkpoints of `--documents` runs: the mode and the markers' ids in `documents`.
@Suite struct CheckpointDocumentsTests {
    let config = ModelConfig(cell: .rnn, vocabularySize: 5, hiddenSize: 2, layerCount: 1)

    func path() -> String { NSTemporaryDirectory() + "/checkpoint-documents-\(UUID().uuidString).safetensors" }

    func checkpoint(documents: DocumentMode?) throws -> Checkpoint {
        let vocabulary = try Vocabulary(tokens: ["a", "b", "<unk>"], mode: .grapheme, unknownID: 2).addingDocumentMarkers()
        return Checkpoint(config: config, vocabulary: vocabulary, tokenizer: TokenizerSettings(),
                          parameters: [Float](repeating: 0.5, count: ParameterLayout(config: config).totalCount),
                          folding: VocabularyFolding(policy: VocabularyPolicy(minCount: 2), foldedCharacters: 1, foldedOccurrences: 1),
                          documents: documents)
    }

    @Test func theModeAndTheMarkersAreRecordedAndReadBack() throws {
        let c = try checkpoint(documents: .paragraphs)
        let file = path()
        defer { try? FileManager.default.removeItem(atPath: file) }
        try c.write(to: file)
        let raw = try SafeTensorsFile.read(path: file)
        #expect(raw.metadata["vocabulary"] == #"["a","b","<unk>","<s>","<\/s>"]"#)   // JSONEncoder escapes "/"
        #expect(raw.metadata["documents"] == #"{"endID":4,"mode":"paragraphs","startID":3}"#)
        let back = try Checkpoint.read(from: file)
        #expect(back == c)
        #expect(back.vocabulary.documentMarkers == DocumentMarkers(start: 3, end: 4) && back.documents == .paragraphs)
    }

    @Test func markersWithoutAModeOrAModeWithoutMarkersAreRefused() throws {
        let file = path()
        defer { try? FileManager.default.removeItem(atPath: file) }
        #expect(throws: CheckpointError.self) { try checkpoint(documents: nil).write(to: file) }
        var plain = try checkpoint(documents: .lines)
        plain.vocabulary = try Vocabulary(tokens: ["a", "b", "<unk>", "c", "d"], mode: .grapheme, unknownID: 2)
        #expect(throws: CheckpointError.self) { try plain.write(to: file) }

        // Damaged on disk: the ids name other entries, or the entry is not JSON.
        try checkpoint(documents: .lines).write(to: file)
        var raw = try SafeTensorsFile.read(path: file)
        for damaged in [#"{"endID":1,"mode":"lines","startID":0}"#, "lines", #"{"endID":4,"mode":"sentences","startID":3}"#] {
            raw.metadata["documents"] = damaged
            try raw.write(path: file)
            do {
                _ = try Checkpoint.read(from: file)
                Issue.record("read \(damaged)")
            } catch {
                #expect("\(error)".contains("is damaged: metadata \"") && !"\(error)".contains("\n"), "\(error)")
            }
        }
    }

    /// A documents checkpoint whose "documents" entry was lost read its markers as two characters: `sample`
    /// wrote "<s>" as text, and `eval` trapped splitting the corpus by the markers the options named.
    /// The same holds for "<unk>" without "vocabulary_folding": each is refused in one line.
    @Test func aMarkerOrUnknownTokenWithoutItsEntryIsRefused() throws {
        let file = path()
        defer { try? FileManager.default.removeItem(atPath: file) }
        try checkpoint(documents: .lines).write(to: file)
        let written = try SafeTensorsFile.read(path: file)
        var raw = written
        raw.metadata["documents"] = nil
        try raw.write(path: file)
        #expect(throws: CheckpointError.invalidMetadata(path: file, key: "vocabulary", reason: "holds \"<s>\" as a character: no text makes one, "
                                                          + "and the \"documents\" entry that would name it is missing")) {
            try Checkpoint.read(from: file)
        }
        raw = written
        raw.metadata["vocabulary_folding"] = nil
        try raw.write(path: file)
        #expect(throws: CheckpointError.invalidMetadata(path: file, key: "vocabulary", reason: "holds \"<unk>\" as a character: no text makes one, "
                                                          + "and the \"vocabulary_folding\" entry that would name it is missing")) {
            try Checkpoint.read(from: file)
        }
    }
}
