import Foundation
import Testing

/// Small texts and a trained checkpoint shared by the CLI tests.
enum Fixtures {
    /// ~25 KB of structured text with non-ASCII graphemes (accents, an emoji, a ZWJ family).
    static let corpusText: String = {
        let words = ["the", "cat", "sat", "on", "a", "mat", "and", "café", "naïve", "🙂", "dog", "ran", "👨‍👩‍👧"]
        var state: UInt64 = 11
        func next() -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int(state >> 33)
        }
        var text = ""
        for _ in 0..<900 {
            text += (0..<(3 + next() % 4)).map { _ in words[next() % words.count] }.joined(separator: " ") + ".\n"
        }
        return text
    }()

    /// A directory with `corpus.txt` and a model trained on it (`run/`), made once per test process.
    static let trained: URL = {
        let dir = try! Binary.temporaryDirectory()
        try! corpusText.write(to: dir.appendingPathComponent("corpus.txt"), atomically: true, encoding: .utf8)
        let r = try! Binary.run(["train", "corpus.txt", "--checkpoint-dir", "checkpoints/run", "--layers", "1",
                                 "--hidden", "32", "--batch-size", "8", "--seq-length", "16", "--max-iters", "60",
                                 "--eval-every", "30", "--learning-rate", "0.01", "--seed", "3"], in: dir)
        precondition(r.status == 0, "fixture training failed: \(r.stderr)")
        return dir
    }()

    /// `charrnn sample --checkpoint checkpoints/run FLAGS --json` on the trained fixture: one object per sample
    /// (what the server's answers are compared with). The run must succeed.
    static func sampleJSON(_ flags: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> [[String: Any]] {
        let cli = try Binary.run(["sample", "--checkpoint", "checkpoints/run"] + flags + ["--json"], in: trained)
        #expect(cli.status == 0, "\(cli.stderr)", sourceLocation: sourceLocation)
        return try cli.stdout.split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:]
        }
    }

    /// The texts of `sampleJSON`.
    static func sampleTexts(_ flags: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> [String] {
        try sampleJSON(flags, sourceLocation: sourceLocation).map { $0["text"] as? String ?? "" }
    }
}
