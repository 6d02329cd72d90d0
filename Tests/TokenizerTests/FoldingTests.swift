import Foundation
import Testing
@testable import Tokenizer

@Suite struct FoldingTests {
    // Counts: "a" 4, " " 3, "b" 3, "c" 2, "\n" 1, "d" 1, "é" 1.
    let text = "aaaa bbb cc dé\n"

    @Test func minCountFoldsRareCharactersWithExactCounts() throws {
        let corpus = try Corpus(text: text, settings: TokenizerSettings(), policy: VocabularyPolicy(minCount: 2))
        #expect(corpus.vocabulary.tokens == [" ", "a", "b", "c", "<unk>"])
        #expect(corpus.vocabulary.unknownID == 4)
        #expect(corpus.counts == [3, 4, 3, 2, 3])
        #expect(corpus.folding == VocabularyFolding(policy: VocabularyPolicy(minCount: 2), foldedCharacters: 3, foldedOccurrences: 3))
        #expect(corpus.ids == [1, 1, 1, 1, 0, 2, 2, 2, 0, 3, 3, 0, 4, 4, 4])
        #expect(corpus.ids.count == text.count)
        #expect(corpus.vocabulary.decode(corpus.ids) == "aaaa bbb cc \u{FFFD}\u{FFFD}\u{FFFD}")
    }

    @Test func maxVocabKeepsTheMostFrequentTiesByScalarOrder() throws {
        // " " and "b" tie at 3: " " (U+0020) sorts first and is kept.
        let corpus = try Corpus(text: text, settings: TokenizerSettings(), policy: VocabularyPolicy(maxCharacters: 2))
        #expect(corpus.vocabulary.tokens == [" ", "a", "<unk>"])
        #expect(corpus.counts == [3, 4, 8])
        #expect(corpus.folding?.foldedCharacters == 5)
        #expect(corpus.folding?.foldedOccurrences == 8)
        // Both bounds: at least 2 occurrences, then the 3 most frequent.
        let both = try Corpus(text: text, settings: TokenizerSettings(), policy: VocabularyPolicy(minCount: 2, maxCharacters: 3))
        #expect(both.vocabulary.tokens == [" ", "a", "b", "<unk>"])
        #expect(both.folding?.foldedOccurrences == 5)
    }

    @Test func aPolicyThatFoldsNothingStillHasTheUnknownToken() throws {
        let corpus = try Corpus(text: "abab", settings: TokenizerSettings(), policy: VocabularyPolicy(minCount: 1))
        #expect(corpus.vocabulary.tokens == ["a", "b", "<unk>"])
        #expect(corpus.counts == [2, 2, 0])
        #expect(corpus.folding?.foldedCharacters == 0)
        let none = try Corpus(text: "abab", settings: TokenizerSettings())
        #expect(none.vocabulary.unknownID == nil && none.folding == nil)
    }

    @Test func byteModeFoldsBytes() throws {
        let corpus = try Corpus(text: "aaé", settings: TokenizerSettings(mode: .byte), policy: VocabularyPolicy(minCount: 2))
        #expect(corpus.vocabulary.tokens == ["a", "<unk>"])
        #expect(corpus.folding?.foldedCharacters == 2)   // the two bytes of "é"
        #expect(corpus.vocabulary.bytes(of: 1) == [0xEF, 0xBF, 0xBD])
    }

    @Test func aPolicyThatKeepsNothingIsAnError() {
        #expect(throws: TokenizerError.nothingKept("--min-count 9 leaves no character of the corpus (the most frequent occurs 4 times)")) {
            try Corpus(text: text, settings: TokenizerSettings(), policy: VocabularyPolicy(minCount: 9))
        }
    }

    @Test func readingAgainstAFoldingVocabularyCountsUnknownCharacters() throws {
        let vocabulary = try Corpus(text: text, settings: TokenizerSettings(), policy: VocabularyPolicy(minCount: 2)).vocabulary
        try withTemporaryFile(Data("ab zz\n".utf8)) { path in
            let encoded = try Corpus.encode(files: CorpusFiles(arguments: [path], files: [path]), settings: TokenizerSettings(),
                                            vocabulary: vocabulary)
            #expect(encoded.ids == [1, 2, 0, 4, 4, 4])
            #expect(encoded.unknown == ["z": 2, "\n": 1])
            #expect(encoded.unknownCount == 3)
        }
        // Text lookups never find the unknown token; reading does.
        #expect(vocabulary.id(of: "<unk>") == nil)
        #expect(vocabulary.readingID(of: "z") == 4)
        #expect(try vocabulary.encode(["a", "z"]) == [1, 4])
        #expect(vocabulary.displayForm(of: 4) == "<unk>")
    }

    @Test func theUnknownTokenMustBeWhereItIsNamed() {
        #expect(throws: VocabularyError.misplacedUnknownToken(0)) { try Vocabulary(tokens: ["a", "<unk>"], mode: .grapheme, unknownID: 0) }
        #expect(throws: VocabularyError.misplacedUnknownToken(2)) { try Vocabulary(tokens: ["a", "<unk>"], mode: .grapheme, unknownID: 2) }
        // In byte mode the unknown token is the one entry that is not a byte.
        #expect(throws: Never.self) { try Vocabulary(tokens: ["a", "<unk>"], mode: .byte, unknownID: 1) }
        #expect(throws: VocabularyError.invalidByteToken("<unk>")) { try Vocabulary(tokens: ["a", "<unk>"], mode: .byte) }
    }

    @Test func policyBounds() {
        #expect(VocabularyPolicy(minCount: 0).problem == "--min-count must be at least 1 (got 0)")
        #expect(VocabularyPolicy(maxCharacters: 0).problem == "--max-vocab must be between 1 and 16777216 (got 0)")
        #expect(VocabularyPolicy(minCount: 1, maxCharacters: 5).problem == nil)
    }
}
