import Foundation
import Testing

/// `sample --beam N` and `--best-of N` through the binary.
@Suite struct SearchCLITests {
    let dir = Fixtures.trained
    let run = ["--checkpoint", "checkpoints/run", "--prime", "the", "--length", "40"]

    func object(_ stdout: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any])
    }

    @Test func beamPrintsTheTextAndItsLogProbabilityTheSameEveryTime() throws {
        let a = try Binary.run(["sample", "--beam", "4"] + run, in: dir)
        let b = try Binary.run(["sample", "--beam", "4"] + run, in: dir)
        #expect(a.status == 0, "\(a.stderr)")
        #expect(a.stdout == b.stdout && a.stdout.hasPrefix("the"))
        #expect(a.stderr.contains("beam 4: 40 characters, log-probability"), "\(a.stderr)")
        let json = try object(try Binary.run(["sample", "--beam", "4", "--json"] + run, in: dir).stdout)
        #expect(json["beam"] as? Int == 4 && json["characters"] as? Int == 40)
        let mean = try #require(json["mean_log_prob"] as? Double)
        #expect(mean < 0 && mean.isFinite)
        #expect("the" + (try #require(json["text"] as? String)) + "\n" == a.stdout)
        // Width 1 is greedy decoding.
        let greedy = try Binary.run(["sample", "--argmax", "--seed", "1"] + run, in: dir)
        let one = try Binary.run(["sample", "--beam", "1"] + run, in: dir)
        #expect(one.stdout == greedy.stdout)
    }

    @Test func bestOfReportsASeedThatRedrawsItsText() throws {
        let r = try Binary.run(["sample", "--best-of", "5", "--seed", "40", "--json"] + run, in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let json = try object(r.stdout)
        let seed = try #require(json["seed"] as? Int)
        #expect((40...44).contains(seed))
        let again = try object(try Binary.run(["sample", "--seed", "\(seed)", "--json"] + run, in: dir).stdout)
        #expect(again["text"] as? String == json["text"] as? String)
        #expect(again["mean_log_prob"] as? Double == json["mean_log_prob"] as? Double)
        // No other of the five seeds scores higher.
        for s in 40...44 {
            let other = try object(try Binary.run(["sample", "--seed", "\(s)", "--json"] + run, in: dir).stdout)
            #expect((other["mean_log_prob"] as? Double ?? 0) <= (json["mean_log_prob"] as? Double ?? -1))
        }
    }

    @Test(arguments: [
        ["--beam", "0"], ["--beam", "10001"], ["--beam", "3", "--temp", "0.5"], ["--beam", "3", "--seed", "1"],
        ["--beam", "3", "--count", "2"], ["--beam", "2", "--best-of", "2"], ["--best-of", "0"], ["--best-of", "3", "--count", "2"],
        ["--beam", "10000", "--length", "20000"],
    ])
    func badCombinationsAreOneLineErrors(_ flags: [String]) throws {
        let r = try Binary.run(["sample", "--checkpoint", "checkpoints/run"] + flags, in: dir)
        #expect(r.status != 0, "\(flags)")
        let errorLines = r.stderr.split(separator: "\n").filter { $0.contains("Error") || $0.contains("error:") }
        #expect(errorLines.count == 1, "\(flags): \(r.stderr)")
    }
}
