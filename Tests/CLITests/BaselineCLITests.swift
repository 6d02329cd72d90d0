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

    /// The defect: the checkpoint kept the corpus path as typed, so `eval --json` run anywhere
    /// but the training directory left the baselines out without a word.
    @Test func evalGivesTheSameBaselinesFromAnyDirectory() throws {
        let dir = Fixtures.trained
        let here = try Binary.run(["eval", "corpus.txt", "--checkpoint", "checkpoints/run", "--json"], in: dir)
        let elsewhere = try Binary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: elsewhere) }
        let there = try Binary.run(["eval", dir.appendingPathComponent("corpus.txt").path, "--checkpoint",
                                    dir.appendingPathComponent("checkpoints/run").path, "--json"], in: elsewhere)
        #expect(here.status == 0 && there.status == 0, "\(here.stderr)\(there.stderr)")
        #expect(there.stderr.isEmpty, "\(there.stderr)")
        let a = try #require(try JSONSerialization.jsonObject(with: here.stdoutBytes) as? [String: Any])
        let b = try #require(try JSONSerialization.jsonObject(with: there.stdoutBytes) as? [String: Any])
        #expect(a["unigram_loss"] is Double && a["bigram_loss"] is Double)
        #expect(a["unigram_loss"] as? Double == b["unigram_loss"] as? Double && a["bigram_loss"] as? Double == b["bigram_loss"] as? Double,
                "\(here.stdout)\(there.stdout)")
    }

    /// A header that names the corpus 100,000 times (damaged, or written by hand): its files and sizes
    /// differ from those recorded, so the baselines are left out before anything is read. It was
    /// tokenized first: 2 GB of token cache, 2.1 GB of memory and a 2 MB line naming every path.
    @Test func aCorpusNamedManyTimesIsNotReadToLearnItChanged() throws {
        let dir = try Binary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = Fixtures.trained.appendingPathComponent("corpus.txt").path
        let paths = String(decoding: try JSONSerialization.data(withJSONObject: Array(repeating: corpus, count: 100_000)), as: UTF8.self)
        try DamagedRunStateTests.patched(Fixtures.trained.appendingPathComponent("checkpoints/run/latest.safetensors"),
                                         "options.absoluteCorpusPaths", paths, to: dir.appendingPathComponent("many.safetensors"))
        let r = try Binary.run(["eval", corpus, "--checkpoint", "many.safetensors"], in: dir)
        #expect(r.status == 0 && r.stdout.contains("nats/char"), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.count < 400
                && r.stderr.contains("… (100000 paths) has changed since training (1 file"), "\(r.stderr.prefix(400))")
        let cached = (try? FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent(".token-cache").path)) ?? []
        #expect(cached.isEmpty, "\(cached)")
    }

    /// Baselines that cannot be fitted (the training corpus moved away, or edited since) are left
    /// out with one line on stderr that says why; the model's own figures are unchanged.
    @Test func baselinesThatCannotBeFittedAreOneLine() throws {
        try inTextTree(["corpus.txt": TokenCacheCLITests.text]) { dir in
            #expect(try Binary.run(TokenCacheCLITests.train + ["--checkpoint-dir", "runs/a"], in: dir).status == 0)
            try FileManager.default.copyItem(at: dir.appendingPathComponent("corpus.txt"), to: dir.appendingPathComponent("copy.txt"))
            let eval = ["eval", "copy.txt", "--checkpoint", "runs/a", "--json"]
            let whole = try Binary.run(eval, in: dir)
            #expect(whole.status == 0 && whole.stderr.isEmpty && whole.stdout.contains("\"bigram_loss\""), "\(whole.stderr)")
            let loss = { (r: BinaryRun) in (try? JSONSerialization.jsonObject(with: r.stdoutBytes) as? [String: Any])?["loss"] as? Double }

            try Data(TokenCacheCLITests.text + Array("an edit\n".utf8)).write(to: dir.appendingPathComponent("corpus.txt"))
            let edited = try Binary.run(eval, in: dir)
            #expect(edited.status == 0 && !edited.stdout.contains("unigram_loss") && loss(edited) == loss(whole), "\(edited.stdout)")
            #expect(edited.stderr.split(separator: "\n").count == 1 && edited.stderr.contains("baselines")
                    && edited.stderr.contains("changed"), "\(edited.stderr)")

            try FileManager.default.moveItem(at: dir.appendingPathComponent("corpus.txt"), to: dir.appendingPathComponent("moved.txt"))
            let moved = try Binary.run(eval, in: dir)
            #expect(moved.status == 0 && !moved.stdout.contains("unigram_loss") && loss(moved) == loss(whole), "\(moved.stdout)")
            #expect(moved.stderr.split(separator: "\n").count == 1 && moved.stderr.contains("baselines")
                    && moved.stderr.contains("corpus.txt"), "\(moved.stderr)")
        }
    }
}
