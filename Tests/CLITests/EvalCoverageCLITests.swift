import Foundation
import Testing

/// Issue 22 part 7: `charrnn eval` scores every character that has one before
/// it, whatever the batch size, and says when it leaves any out.
@Suite struct EvalCoverageCLITests {
    /// A model trained at B = 50, T = 50, and the first 5,000 characters of its corpus.
    static let trainedAtBatch50: URL = {
        let dir = try! Binary.temporaryDirectory()
        try! Fixtures.corpusText.write(to: dir.appendingPathComponent("corpus.txt"), atomically: true, encoding: .utf8)
        try! String(Fixtures.corpusText.prefix(5000)).write(to: dir.appendingPathComponent("five.txt"), atomically: true, encoding: .utf8)
        let r = try! Binary.run(["train", "corpus.txt", "--checkpoint-dir", "run", "--layers", "1", "--hidden", "32",
                                 "--batch-size", "50", "--seq-length", "50", "--max-iters", "30", "--eval-every", "30",
                                 "--learning-rate", "0.01", "--seed", "5"], in: dir)
        precondition(r.status == 0, "training at batch 50 failed: \(r.stderr)")
        return dir
    }()

    func eval(_ extra: [String]) throws -> [String: Any] {
        let r = try Binary.run(["eval", "five.txt", "--checkpoint", "run", "--json"] + extra, in: Self.trainedAtBatch50)
        #expect(r.status == 0 && r.stderr.isEmpty, "\(r.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: r.stdoutBytes) as? [String: Any])
    }

    /// The defect: 2,500 characters scored of 5,000 at the default batch size (50), 4,900 at 2, and
    /// `"skipped": 0` all the same; each stream's tail after its last whole window was dropped.
    @Test func everyCharacterIsScoredAtAnyBatchSize() throws {
        let fifty = try eval([])
        #expect(fifty["characters"] as? Int == 4999 && fifty["skipped"] as? Int == 0, "\(fifty)")
        for b in ["1", "2", "7", "50", "64"] {
            let o = try eval(["--batch-size", b])
            #expect(o["characters"] as? Int == 4999, "--batch-size \(b): \(o)")
        }
        // Fifty streams start from a zero state where one stream carries the whole text: close, not equal.
        let one = try eval(["--batch-size", "1"])
        let a = try #require(fifty["loss"] as? Double), b = try #require(one["loss"] as? Double)
        #expect(abs(a - b) < 0.1 && a != b, "batch 50: \(a), batch 1: \(b)")
    }

    @Test func helpSaysWhatStreamsCost() throws {
        let r = try Binary.run(["eval", "--help"])
        #expect(r.status == 0)
        let text = r.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(text.contains("every character after the first is scored") && text.contains("zero state"), "\(r.stdout)")
    }
}
