import Foundation
import Testing

/// `sample --count N` steps its samples together (`BatchedGeneration`, up to `SampleCommand.batchWidth`
/// at once, rows joining as others end) and writes them in index order: each is the text that
/// `--count 1` with its seed writes, whatever ran beside it.
@Suite struct BatchedSampleTests {
    static func lines(_ args: [String]) throws -> [[String: Any]] {
        let r = try Binary.run(["sample", "--checkpoint", "checkpoints/run", "--json"] + args, in: Fixtures.trained)
        #expect(r.status == 0, "\(r.stderr)")
        return try r.stdout.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:] }
    }

    /// 70 samples (past one batch of 64), a stop string so that they end at different steps.
    @Test func eachSampleIsItsTextAloneInIndexOrder() throws {
        let all = try Self.lines(["--count", "70", "--seed", "100", "--length", "80", "--stop", "at", "--prime", "the "])
        #expect(all.count == 70)
        #expect(all.map { $0["seed"] as? Int } == (100..<170).map { Optional($0) })
        #expect(Set(all.compactMap { $0["characters"] as? Int }).count > 1, "every sample ended at the same step: the test shows nothing")
        for i in [0, 1, 37, 63, 64, 69] {
            let alone = try Self.lines(["--count", "1", "--seed", String(100 + i), "--length", "80", "--stop", "at", "--prime", "the "])
            #expect(alone.first?["text"] as? String == all[i]["text"] as? String, "sample \(i)")
            #expect(alone.first?["mean_log_prob"] as? Double == all[i]["mean_log_prob"] as? Double, "sample \(i)")
        }
    }

    /// The plain text form: the separators and texts of one sample after another.
    @Test func plainTextKeepsItsSeparators() throws {
        let r = try Binary.run(["sample", "--checkpoint", "checkpoints/run", "--count", "3", "--seed", "9", "--length", "40"], in: Fixtures.trained)
        #expect(r.status == 0, "\(r.stderr)")
        var expected = ""
        for i in 0..<3 {
            let one = try Binary.run(["sample", "--checkpoint", "checkpoints/run", "--seed", String(9 + i), "--length", "40"], in: Fixtures.trained)
            if i > 0 { expected += "\n\n──── sample \(i + 1) of 3, seed \(9 + i) ────\n" }
            expected += String(one.stdout.dropLast())   // one sample ends with one newline
        }
        #expect(r.stdout == expected + "\n")
    }
}
