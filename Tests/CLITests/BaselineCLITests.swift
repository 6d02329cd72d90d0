import Foundation
import Testing

/// Issue 12 part 5: the unigram and bigram baselines at the start of training, in train.jsonl, and in eval.
@Suite struct BaselineCLITests {
    @Test func trainPrintsAndLogsTheBaselinesAndEvalRepeatsThem() throws {
        let dir = Fixtures.trained
        let log = try String(contentsOf: dir.appendingPathComponent("checkpoints/run/train.jsonl"), encoding: .utf8)
        let record = try #require(log.split(separator: "\n").first { $0.contains("\"baseline\"") })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(record.utf8)) as? [String: Any])
        let unigram = try #require(object["unigram_val_loss"] as? Double), bigram = try #require(object["bigram_val_loss"] as? Double)
        #expect(bigram < unigram && unigram < log1p(100))
        // The fixture's model was trained long enough to beat the bigram on its own validation text.
        let eval = try Binary.run(["eval", "corpus.txt", "--checkpoint", "checkpoints/run", "--json"], in: dir)
        #expect(eval.status == 0, "\(eval.stderr)")
        let e = try #require(try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any])
        #expect(e["unigram_loss"] is Double && e["bigram_loss"] is Double)
        let plain = try Binary.run(["eval", "corpus.txt", "--checkpoint", "checkpoints/run"], in: dir)
        #expect(plain.stdout.contains("baselines fitted on the training split: unigram"))
    }
}
