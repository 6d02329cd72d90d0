import Foundation
import Testing
@testable import Tokenizer

@Suite struct TokenizerTests {
    let grapheme = Tokenizer(settings: TokenizerSettings(mode: .grapheme))
    let graphemeRaw = Tokenizer(settings: TokenizerSettings(mode: .grapheme, normalize: false))
    let scalar = Tokenizer(settings: TokenizerSettings(mode: .scalar))
    let scalarRaw = Tokenizer(settings: TokenizerSettings(mode: .scalar, normalize: false))
    let byte = Tokenizer(settings: TokenizerSettings(mode: .byte))

    // MARK: NFC

    @Test func nfcComposesAndRawKeepsTheDecomposedForm() throws {
        let text = "e\u{301}"
        #expect(scalars(try grapheme.units(of: text)) == [[0xE9]])
        #expect(scalars(try graphemeRaw.units(of: text)) == [[0x65, 0x301]])  // one grapheme, another string
        #expect(scalars(try scalar.units(of: text)) == [[0xE9]])
        #expect(scalars(try scalarRaw.units(of: text)) == [[0x65], [0x301]])
        #expect(scalars(try byte.units(of: text)) == [[0x65], [0xCC], [0x81]])  // NFC ignored in byte mode
        // Canonical reordering of marks and singleton decompositions.
        #expect(scalars(try grapheme.units(of: "q\u{307}\u{323}")) == [[0x71, 0x323, 0x307]])
        #expect(scalars(try grapheme.units(of: "\u{212B}")) == [[0xC5]])  // ANGSTROM SIGN → Å
        #expect(scalars(try graphemeRaw.units(of: "\u{212B}")) == [[0x212B]])
        // A composition-excluded character grows under NFC.
        #expect(scalars(try scalar.units(of: "\u{958}")) == [[0x915], [0x93C]])
    }

    // MARK: Clusters

    @Test func emojiFlagsAndSkinTonesAreOneCharacterEach() throws {
        let family = "👨‍👩‍👧"
        #expect(try grapheme.units(of: family).count == 1)
        #expect(try scalar.units(of: family).count == 5)
        #expect(try byte.units(of: family).count == family.utf8.count)
        #expect(try grapheme.units(of: "🇫🇷🇩🇪🇮") == ["🇫🇷", "🇩🇪", "🇮"])
        #expect(try grapheme.units(of: "👍🏽👍") == ["👍🏽", "👍"])
        #expect(try grapheme.units(of: "a👍🏽b") == ["a", "👍🏽", "b"])
    }

    @Test func combiningMarksJoinTheCharacterBeforeThem() throws {
        #expect(scalars(try graphemeRaw.units(of: "xo\u{308}\u{301}y")) == [[0x78], [0x6F, 0x308, 0x301], [0x79]])
        #expect(scalars(try graphemeRaw.units(of: "x\u{20DD}")) == [[0x78, 0x20DD]])  // ASCII then an enclosing mark
        #expect(scalars(try graphemeRaw.units(of: "ab\u{200D}")) == [[0x61], [0x62, 0x200D]])  // ZWJ joins ASCII
        // A lone combining mark at the start is a character of its own.
        #expect(scalars(try graphemeRaw.units(of: "\u{301}a")) == [[0x301], [0x61]])
    }

    @Test func crlfIsOneGraphemeButTwoScalars() throws {
        #expect(try grapheme.units(of: "a\r\nb\r\rc\n\r") == ["a", "\r\n", "b", "\r", "\r", "c", "\n", "\r"])
        #expect(try scalar.units(of: "a\r\nb") == ["a", "\r", "\n", "b"])
        // CRLF next to non-ASCII text, where the fast path hands over to ICU.
        #expect(try grapheme.units(of: "é\r\né\r\n") == ["é", "\r\n", "é", "\r\n"])
        #expect(try grapheme.units(of: "\r\n\u{301}") == ["\r\n", "\u{301}"])
    }

    @Test func hangulJamoAndDevanagariFormClusters() throws {
        // Conjoining jamo: L V T is one syllable; with NFC it becomes the precomposed 각.
        #expect(scalars(try graphemeRaw.units(of: "\u{1100}\u{1161}\u{11A8}")) == [[0x1100, 0x1161, 0x11A8]])
        #expect(try grapheme.units(of: "\u{1100}\u{1161}\u{11A8}") == ["각"])
        #expect(try grapheme.units(of: "한국어") == ["한", "국", "어"])
        // Devanagari: vowel signs and viramas stay with their consonant, and ICU 72 (CLDR 42's
        // aksara rule, later Unicode 15.1's GB9c) keeps a conjunct "consonant virama consonant" whole.
        #expect(try grapheme.units(of: "क्षि") == ["क्षि"])
        #expect(try grapheme.units(of: "नमस्ते") == ["न", "म", "स्ते"])
        #expect(try scalar.units(of: "क्षि").count == 4)
    }

    @Test func prependJoinsTheFollowingCharacter() throws {
        // U+0600 ARABIC NUMBER SIGN is Prepend: it joins the ASCII digit after it.
        #expect(scalars(try graphemeRaw.units(of: "a\u{600}1b")) == [[0x61], [0x600, 0x31], [0x62]])
    }

    @Test func modesOnMixedText() throws {
        let text = "Zoë 🇫🇷!"
        #expect(try grapheme.units(of: text) == ["Z", "o", "ë", " ", "🇫🇷", "!"])
        #expect(try scalar.units(of: text).count == 7)
        #expect(scalars(try byte.units(of: "ë")) == [[0xC3], [0xAB]])
        #expect(try byte.units(of: text).count == text.utf8.count)
    }

    @Test func emptyTextHasNoUnits() throws {
        #expect(try grapheme.units(of: "").isEmpty)
        #expect(try byte.units(ofUTF8: [UInt8]()).isEmpty)
    }

    // MARK: Bytes: BOM and invalid UTF-8

    @Test func byteOrderMarkIsDroppedFromBytesButKeptInStrings() throws {
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        #expect(try grapheme.units(ofUTF8: bom + Array("hi".utf8)) == ["h", "i"])
        #expect(try byte.units(ofUTF8: bom + Array("hi".utf8)) == ["h", "i"])
        #expect(try grapheme.units(of: "\u{FEFF}hi") == ["\u{FEFF}", "h", "i"])
        // Only at the start.
        #expect(try grapheme.units(ofUTF8: Array("h".utf8) + bom) == ["h", "\u{FEFF}"])
    }

    @Test func invalidUTF8NamesTheByteOffset() throws {
        #expect(throws: TokenizerError.invalidUTF8(path: nil, offset: 2)) {
            try grapheme.units(ofUTF8: [0x61, 0x62, 0xFF, 0x63])
        }
        // Offsets count the byte order mark (they are offsets in the original bytes).
        #expect(throws: TokenizerError.invalidUTF8(path: nil, offset: 4)) {
            try grapheme.units(ofUTF8: [0xEF, 0xBB, 0xBF, 0x61, 0xC3])  // truncated "é" at the end
        }
        #expect(throws: TokenizerError.invalidUTF8(path: nil, offset: 1)) {
            try scalar.units(ofUTF8: [0x61, 0xED, 0xA0, 0x80])  // an encoded surrogate
        }
        #expect(throws: TokenizerError.invalidUTF8(path: nil, offset: 0)) {
            try grapheme.units(ofUTF8: [0xC0, 0xAF])  // overlong "/"
        }
        let message = TokenizerError.invalidUTF8(path: "c.txt", offset: 7).description
        #expect(message.contains("c.txt") && message.contains("byte 7") && message.contains("--lossy"))
        // Byte mode takes anything.
        #expect(try byte.units(ofUTF8: [0xFF, 0xC0]).count == 2)
    }

    @Test func lossyReplacesLikeSwiftsDecoder() throws {
        let lossy = Tokenizer(settings: TokenizerSettings(mode: .scalar, normalize: false, lossy: true))
        let samples: [[UInt8]] = [
            [0x61, 0xFF, 0x62], [0xC3], [0xE2, 0x82], [0xE2, 0x82, 0x41], [0xF0, 0x9F, 0x98], [0xF0, 0x9F, 0x98, 0x80],
            [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0xF4, 0x90, 0x80, 0x80], [0x80, 0x80, 0x41], [0xE0, 0x80, 0x80],
            [0xF8, 0x88, 0x80, 0x80, 0x80], [0x41, 0xE1, 0x80, 0xE2, 0xF0, 0x91, 0x92, 0xF1, 0xBF, 0x42],
        ]
        for bytes in samples {
            let got = try lossy.units(ofUTF8: bytes).joined()
            let want = String(decoding: bytes, as: UTF8.self)
            #expect(Array(got.unicodeScalars) == Array(want.unicodeScalars), "\(bytes)")
        }
        let graphemeLossy = Tokenizer(settings: TokenizerSettings(lossy: true))
        #expect(try graphemeLossy.units(ofUTF8: [0x61, 0xFF, 0x62]) == ["a", "\u{FFFD}", "b"])
    }

    // MARK: Against a plain ICU reference

    /// The ASCII fast path and the ICU regions together must split exactly as
    /// ICU alone does on the whole text, in every mode.
    @Test(arguments: [UInt64(1), 2, 3, 4, 5, 6, 7, 8])
    func fastPathAgreesWithPlainICU(seed: UInt64) throws {
        let text = randomTrickyText(seed: seed, pieces: 1500)
        for mode in TokenizerMode.allCases {
            for normalize in [true, false] {
                let settings = TokenizerSettings(mode: mode, normalize: normalize)
                let got = try Tokenizer(settings: settings).units(of: text)
                let want = try referenceUnits(text, settings: settings)
                #expect(scalars(got) == scalars(want), "\(mode) normalize \(normalize) seed \(seed)")
            }
        }
    }

    @Test func safeCutsAreWhereICUBreaks() throws {
        // Every safe cut of a tricky text is a cluster boundary of the whole.
        let text = randomTrickyText(seed: 42, pieces: 300)
        let settings = TokenizerSettings(mode: .grapheme, normalize: true)
        let clusters = try referenceUnits(text, settings: settings)
        var boundaries = Set<Int>()
        var offset = 0
        for c in clusters { offset += c.utf8.count; boundaries.insert(offset) }
        let normalized = clusters.joined()
        // Check pairs of adjacent scalars in the NFC text.
        let s = Array(normalized.unicodeScalars)
        var byteOffset = s.first.map { String($0).utf8.count } ?? 0
        for i in 1..<s.count {
            if SafeCut.isSafe(prev: s[i - 1].value, s[i].value, normalize: true) {
                #expect(boundaries.contains(byteOffset), "cut before U+\(String(s[i].value, radix: 16)) after U+\(String(s[i - 1].value, radix: 16))")
            }
            byteOffset += String(s[i]).utf8.count
        }
    }
}
