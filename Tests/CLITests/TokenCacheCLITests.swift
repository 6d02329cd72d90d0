import Foundation
import Testing

/// `charrnn train` and its token cache: written once beside the runs, read by
/// the next run of the same corpus and by `--resume`, made again when the
/// corpus changes, and never in the way when it cannot be written.
@Suite struct TokenCacheCLITests {
    static let text = Array(String(repeating: "the cat sat on the mat; a cat is not a hat.\n", count: 40).utf8)
    static let train = ["train", "corpus.txt", "--max-iters", "3"] + tinyModel

    /// The `tokens:` line of a run's output.
    func tokensLine(_ r: BinaryRun) -> String {
        r.stdout.split(separator: "\n").first { $0.hasPrefix("tokens: ") }.map(String.init) ?? ""
    }

    @Test func theSecondRunReadsTheCacheTheFirstWrote() throws {
        try inTextTree(["corpus.txt": Self.text]) { dir in
            let first = try Binary.run(Self.train + ["--checkpoint-dir", "runs/a"], in: dir)
            #expect(first.status == 0, "\(first.stderr)")
            #expect(tokensLine(first).hasPrefix("tokens: token ids cached in runs/.token-cache/"), "\(first.stdout)")
            #expect(tokensLine(first).contains("(1 byte per id;"))
            let cached = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("runs/.token-cache").path)
            #expect(cached.count == 1 && cached[0].hasSuffix(".tokens"), "only the finished cache file is left: \(cached)")

            let second = try Binary.run(Self.train + ["--checkpoint-dir", "runs/b"], in: dir)
            #expect(second.status == 0, "\(second.stderr)")
            #expect(tokensLine(second) == "tokens: token ids read from runs/.token-cache/\(cached[0]) (1 byte per id)")
            // Same corpus, same ids: the same run.
            let loss = { (r: BinaryRun) in r.stdout.split(separator: "\n").filter { $0.contains("val loss") } }
            #expect(loss(first) == loss(second) && !loss(first).isEmpty)

            let resumed = try Binary.run(["train", "corpus.txt", "--resume", "--checkpoint-dir", "runs/a", "--max-iters", "6"], in: dir)
            #expect(resumed.status == 0, "\(resumed.stderr)")
            #expect(tokensLine(resumed).hasPrefix("tokens: token ids read from runs/.token-cache/"), "\(resumed.stdout)")
        }
    }

    @Test func anEditedCorpusIsTokenizedAgain() throws {
        try inTextTree(["corpus.txt": Self.text]) { dir in
            #expect(try Binary.run(Self.train + ["--checkpoint-dir", "runs/a"], in: dir).status == 0)
            try Data(Self.text + Array("a new line: zebra!\n".utf8)).write(to: dir.appendingPathComponent("corpus.txt"))
            let again = try Binary.run(Self.train + ["--checkpoint-dir", "runs/b"], in: dir)
            #expect(again.status == 0 && again.stderr.isEmpty, "an edited corpus is no news: \(again.stderr)")
            #expect(tokensLine(again).hasPrefix("tokens: token ids cached in"), "\(again.stdout)")
            #expect(again.stdout.contains("distinct"))
            let cached = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("runs/.token-cache").path)
            #expect(cached.count == 1, "the new cache replaces the old one: \(cached)")
        }
    }

    @Test func anUnwritableCacheIsANoticeNotAFailure() throws {
        try inTextTree(["corpus.txt": Self.text, "blocker": Array("not a folder".utf8)]) { dir in
            let r = try Binary.run(Self.train + ["--cache-dir", "blocker/cache"], in: dir)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(tokensLine(r).contains("cannot write the token cache") && tokensLine(r).contains("held in memory instead"), "\(r.stdout)")
            let none = try Binary.run(Self.train + ["--no-cache", "--checkpoint-dir", "runs/n"], in: dir)
            #expect(none.status == 0 && tokensLine(none).isEmpty, "\(none.stdout)")
            #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("runs/.token-cache").path))
            let both = try Binary.run(Self.train + ["--no-cache", "--cache-dir", "x"], in: dir)
            #expect(both.status == 64 && both.stderr.contains("give --cache-dir or --no-cache, not both"), "\(both.stderr)")
            let empty = try Binary.run(Self.train + ["--cache-dir", ""], in: dir)
            #expect(empty.status == 64 && empty.stderr.contains("--cache-dir needs a directory"), "\(empty.stderr)")
        }
    }
}

/// Issue 22 part 1: a token cache is checked before its ids are used. A damaged
/// or foreign one is made again with one line on stderr saying why, and the run
/// is the one `--no-cache` gives.
@Suite struct DamagedTokenCacheCLITests {
    static let train = TokenCacheCLITests.train

    /// The one cache file beside the runs in `dir`.
    static func cacheFile(in dir: URL) throws -> URL {
        let folder = dir.appendingPathComponent("runs/.token-cache")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".tokens") }
        try #require(names.count == 1, "\(names)")
        return folder.appendingPathComponent(names[0])
    }

    /// Where a cache file's ids start: after the 16-byte preamble and the header, at a multiple of 4,096.
    static func idsOffset(_ bytes: Data) -> Int {
        let length = Int(bytes[12]) | Int(bytes[13]) << 8 | Int(bytes[14]) << 16 | Int(bytes[15]) << 24
        return (16 + length + 4095) / 4096 * 4096
    }

    /// Ways to damage a cache file whose header stays readable or not, each with a word the notice must say.
    enum Damage: String, CaseIterable, CustomTestStringConvertible {
        case idsOutsideTheVocabulary, otherFormatVersion, truncatedHeader, idsShorterThanTheHeaderSays, countsThatLie
        var testDescription: String { rawValue }

        func apply(to url: URL) throws {
            var bytes = try Data(contentsOf: url)
            let start = DamagedTokenCacheCLITests.idsOffset(bytes)
            switch self {
            case .idsOutsideTheVocabulary: bytes.replaceSubrange(start..., with: Data(repeating: 0xFF, count: bytes.count - start))
            case .otherFormatVersion: bytes[8] = 9
            case .truncatedHeader: bytes = bytes.prefix(40)
            case .idsShorterThanTheHeaderSays: bytes = bytes.prefix(start + 100)
            case .countsThatLie:  // "counts":[a,… → "counts":[9…: the same length, the same ids, counts that no longer add up
                let header = bytes[16..<start]
                let key = Data("\"counts\":[".utf8)
                let at = try #require(header.range(of: key)).upperBound
                bytes[at] = bytes[at] == UInt8(ascii: "9") ? UInt8(ascii: "8") : UInt8(ascii: "9")
            }
            try bytes.write(to: url)
        }

        var word: String {
            switch self {
            case .idsOutsideTheVocabulary: return "id 255 at position 0 is outside the 14-character vocabulary"
            case .otherFormatVersion: return "format version 9"
            case .truncatedHeader: return "header"
            case .idsShorterThanTheHeaderSays: return "bytes of ids"
            case .countsThatLie: return "counts"
            }
        }
    }

    /// Validation losses, as train prints them.
    func losses(_ r: BinaryRun) -> [Substring] { r.stdout.split(separator: "\n").filter { $0.contains("val loss") || $0.contains("test loss") } }

    /// The defect: ids overwritten with 0xff after a valid header killed `train` with SIGILL.
    @Test(arguments: Damage.allCases)
    func aDamagedCacheIsMadeAgainWithOneLine(damage: Damage) throws {
        try inTextTree(["corpus.txt": TokenCacheCLITests.text]) { dir in
            #expect(try Binary.run(Self.train + ["--checkpoint-dir", "runs/a"], in: dir).status == 0)
            let cache = try Self.cacheFile(in: dir)
            try damage.apply(to: cache)
            let r = try Binary.run(Self.train + ["--checkpoint-dir", "runs/b"], in: dir)
            #expect(r.status == 0, "\(r.stderr)")
            let lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            #expect(lines.count == 1 && r.stderr.contains(cache.lastPathComponent) && r.stderr.contains(damage.word)
                    && r.stderr.contains("tokenized again"), "\(r.stderr)")
            #expect(r.stdout.contains("tokens: token ids cached in"), "\(r.stdout)")
            let none = try Binary.run(Self.train + ["--no-cache", "--checkpoint-dir", "runs/n"], in: dir)
            #expect(none.status == 0, "\(none.stderr)")
            #expect(losses(r) == losses(none) && !losses(r).isEmpty, "\(r.stdout)\n---\n\(none.stdout)")
            // The cache made again is read, quietly.
            let again = try Binary.run(Self.train + ["--checkpoint-dir", "runs/c"], in: dir)
            #expect(again.status == 0 && again.stderr.isEmpty, "\(again.stderr)")
            #expect(again.stdout.contains("tokens: token ids read from"), "\(again.stdout)")
        }
    }

    /// The defect: `eval` read the same cache for its baselines and died with SIGILL.
    @Test func evalOnADamagedCacheGivesTheSameFiguresWithOneLine() throws {
        try inTextTree(["corpus.txt": TokenCacheCLITests.text]) { dir in
            #expect(try Binary.run(Self.train + ["--checkpoint-dir", "runs/a"], in: dir).status == 0)
            let eval = ["eval", "corpus.txt", "--checkpoint", "runs/a", "--json"]
            let before = try Binary.run(eval, in: dir)
            #expect(before.status == 0 && before.stderr.isEmpty, "\(before.stderr)")
            #expect(before.stdout.contains("\"bigram_loss\""), "\(before.stdout)")
            try Damage.idsOutsideTheVocabulary.apply(to: try Self.cacheFile(in: dir))
            let after = try Binary.run(eval, in: dir)
            #expect(after.status == 0, "\(after.stderr)")
            #expect(after.stdout == before.stdout)
            #expect(after.stderr.split(separator: "\n").count == 1 && after.stderr.contains("id 255 at position 0 is outside the 14-character vocabulary"), "\(after.stderr)")
        }
    }
}
