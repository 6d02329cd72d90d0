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
            #expect(again.status == 0, "\(again.stderr)")
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
