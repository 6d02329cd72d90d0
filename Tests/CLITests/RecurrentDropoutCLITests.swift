import Checkpoints
import Foundation
import RNN
import Testing

/// `train --recurrent-dropout P`: a short run, what the checkpoint records, `info`,
/// resume (keeps P, refuses another), bad values, and no trace in other runs.
/// (The numerics are RNNTests.RecurrentDropoutTests'.)
@Suite struct RecurrentDropoutCLITests {
    static let train = ["train", "corpus.txt", "--checkpoint-dir", "run", "--model", "gru", "--layers", "2", "--hidden", "12",
                        "--batch-size", "4", "--seq-length", "8", "--eval-every", "4", "--seed", "4"]

    @Test func trainsRecordsShowsAndResumes() throws {
        let dir = try Binary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Fixtures.corpusText.write(to: dir.appendingPathComponent("corpus.txt"), atomically: true, encoding: .utf8)
        let r = try Binary.run(Self.train + ["--recurrent-dropout", "0.25", "--max-iters", "6"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let path = dir.appendingPathComponent("run/latest.safetensors").path
        let checkpoint = try Checkpoint.read(from: path)
        #expect(checkpoint.config.recurrentDropout == 0.25)
        #expect(checkpoint.training["iteration"] == "6")
        #expect(try #require(checkpoint.training["options"]).contains("\"recurrentDropoutProbability\":0.25"))

        let info = try Binary.run(["info", path], in: dir)
        #expect(info.status == 0, "\(info.stderr)")
        #expect(info.stdout.contains("dropout 0.0, recurrent dropout 0.25,"), "\(info.stdout)")
        let json = try Binary.run(["info", path, "--json"], in: dir)
        let o = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(o["recurrent_dropout"] as? Double == 0.25)

        // Resume keeps it; another value is another run.
        let resumed = try Binary.run(["train", "corpus.txt", "--resume", "--checkpoint-dir", "run", "--max-iters", "8"], in: dir)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let after = try Checkpoint.read(from: path)
        #expect(after.config.recurrentDropout == 0.25 && after.training["iteration"] == "8")
        for changed in ["0.5", "0"] {
            let bad = try Binary.run(["train", "corpus.txt", "--resume", "--checkpoint-dir", "run", "--max-iters", "10",
                                      "--recurrent-dropout", changed], in: dir)
            #expect(bad.status == 1)
            #expect(bad.stderr.hasPrefix("charrnn: error: cannot resume with different settings"), "\(bad.stderr)")
        }
        #expect(try Checkpoint.read(from: path).training["iteration"] == "8")
    }

    /// Outside [0, 1): one line on stderr, status 1, nothing written.
    @Test func aBadValueIsAOneLineError() throws {
        let dir = try Binary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Fixtures.corpusText.write(to: dir.appendingPathComponent("corpus.txt"), atomically: true, encoding: .utf8)
        for (value, shown) in [("1.0", "1.0"), ("-0.1", "-0.1"), ("nan", "nan")] {
            for arguments in [["--recurrent-dropout=\(value)"], ["--recurrent-dropout", value]] {
                let r = try Binary.run(Self.train + arguments + ["--max-iters", "2"], in: dir)
                #expect(r.status == 1, "\(arguments): \(r.stderr)")
                #expect(r.stderr == "charrnn: error: --recurrent-dropout must be in [0, 1) (got \(shown))\n", "\(arguments)")
                #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("run").path))
            }
        }
    }

    /// A run without it writes no trace of the option (config, training options, info).
    @Test func otherRunsRecordNothingNew() throws {
        let path = Fixtures.trained.appendingPathComponent("checkpoints/run/latest.safetensors").path
        let checkpoint = try Checkpoint.read(from: path)
        #expect(checkpoint.config.recurrentDropout == 0)
        #expect(!(try #require(checkpoint.training["options"])).contains("recurrentDropout"))
        let info = try Binary.run(["info", path], in: Fixtures.trained)
        #expect(info.status == 0 && !info.stdout.contains("recurrent"), "\(info.stdout)")
        let json = try Binary.run(["info", path, "--json"], in: Fixtures.trained)
        #expect(json.status == 0)
        let o = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(o["recurrent_dropout"] == nil, "the top-level keys are those of before the option")
        #expect((o["model"] as? [String: Any]).flatMap { $0["stack"] as? [String: Any] }?["recurrent_dropout"] as? Double == 0)
    }
}
