import Testing
@testable import Tokenizer

@Suite struct VocabularyTests {
    @Test func idOrderIsByScalarValues() throws {
        let v = Vocabulary(collecting: ["b", "a", "é", "\n", "a", "🇫🇷"], mode: .grapheme)
        #expect(v.tokens == ["\n", "a", "b", "é", "🇫🇷"])
        #expect(v.id(of: "é") == 3)
        #expect(v.id(of: "z") == nil)
    }

    @Test func jsonRoundTrips() throws {
        let v = Vocabulary(collecting: ["x", "\"", "\\", "👨‍👩‍👧", "\u{200D}"], mode: .grapheme)
        let back = try Vocabulary(jsonString: v.jsonString(), mode: .grapheme)
        #expect(back == v)
    }

    @Test func encodeListsEveryUnknownTokenOnce() throws {
        let v = Vocabulary(collecting: ["a", "b"], mode: .grapheme)
        #expect(throws: VocabularyError.unknownTokens(["ж", "🙂"])) {
            try v.encode(["a", "ж", "b", "🙂", "ж"])
        }
        #expect(try v.encode(["b", "a"]) == [1, 0])
    }

    /// Every "unknown characters" message lists them this one way: sorted, quoted, 20 at most.
    @Test func displayListIsSortedQuotedAndCut() throws {
        #expect(Vocabulary.displayList(["ж", "\n", "a"]) == #""\n" "a" "ж""#)
        let many = (0..<25).map { String(UnicodeScalar(UInt8(ascii: "y") - UInt8($0))) }
        let shown = Vocabulary.displayList(many)
        #expect(shown.hasPrefix(#""a" "b" "c""#) && shown.hasSuffix(#""s" "t" …"#))
    }

    @Test func byteModeTokensAreSingleBytes() throws {
        let v = try Vocabulary(tokens: ["A", "\u{E9}"], mode: .byte)
        #expect(v.bytes(of: 1) == [0xE9])
        #expect(throws: VocabularyError.invalidByteToken("ab")) { try Vocabulary(tokens: ["ab"], mode: .byte) }
    }

    @Test func rejectsDuplicatesAndMalformedJSON() {
        #expect(throws: VocabularyError.duplicateToken("a")) { try Vocabulary(tokens: ["a", "a"], mode: .grapheme) }
        #expect(throws: VocabularyError.malformedJSON) { try Vocabulary(jsonString: "{", mode: .grapheme) }
    }
}

@Suite struct VocabularyDisplayTests {
    @Test func displayFormEscapesWhatCantBeSeen() throws {
        #expect(Vocabulary.displayForm("\u{301}") == "\"\\u{301}\"")       // a lone mark
        #expect(Vocabulary.displayForm("e\u{301}") == "\"e\u{301}\"")      // a mark on a letter shows
        #expect(Vocabulary.displayForm("\u{200D}") == "\"\\u{200D}\"")
        #expect(Vocabulary.displayForm("\u{E9}", mode: .byte) == "\"\\xE9\"")
        // Long tokens (a stack of marks, a label that is a whole line) are cut so a message stays a line.
        #expect(Vocabulary.displayForm(String(repeating: "a", count: 100)) == "\"" + String(repeating: "a", count: 100) + "\"")
        #expect(Vocabulary.displayForm(String(repeating: "ab\n", count: 1_000_000))
                == "\"" + String(repeating: "ab\\n", count: 26) + "ab…\" (3000000 scalars)")
        #expect(Vocabulary.displayForm("a", mode: .byte) == "\"a\"")
        let v = try Vocabulary(tokens: ["\n", "\u{C3}"], mode: .byte)
        #expect(v.displayForm(of: 1) == "\"\\xC3\"")
        #expect(v.displayForm(of: 0) == "\"\\n\"")
    }

    @Test func canonicallyEquivalentTokensAreDistinct() throws {
        let v = try Vocabulary(tokens: ["e\u{301}", "\u{E9}"], mode: .grapheme)
        #expect(v.id(of: "\u{E9}") == 1)
        #expect(v.id(of: "e\u{301}") == 0)
        #expect(Vocabulary(collecting: ["\u{E9}", "e\u{301}", "\u{E9}"], mode: .grapheme).count == 2)
        #expect(v != (try Vocabulary(tokens: ["\u{E9}", "e\u{301}"], mode: .grapheme)))
    }
}
