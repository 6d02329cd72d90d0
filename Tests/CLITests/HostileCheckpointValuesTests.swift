import Foundation
import Testing

/// Checkpoints whose container is valid but whose header holds values no run writes: figures that are
/// NaN, infinite or at Int.max, training options that disagree with the model they describe. `info`,
/// `eval` and `serve` read them without a trap, and what they print stays what it promises (JSON is JSON).
@Suite struct HostileCheckpointValuesTests {
    let safety = RunSafetyTests()

    /// `info` added one to a stored epoch of Int.max (a trap), and `info --json` printed a NaN or infinite
    /// best loss or training time as `nan` / `inf`, which no JSON reader takes. Such figures are left out.
    @Test func infoLeavesOutFiguresNoRunWrites() throws {
        let dir = try safety.directoryWithARun()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("damaged.safetensors")
        for (key, value, field) in [("training.epoch", "\(Int.max)", "epochs"), ("training.best_val_loss", "nan", "best_val_loss"),
                                    ("training.best_val_loss", "-inf", "best_val_loss"), ("training.elapsed_seconds", "inf", "seconds_trained")] {
            try DamagedRunStateTests.patched(dir.appendingPathComponent("run/best.safetensors"), key, value, to: file)
            let text = try Binary.run(["info", file.path], in: dir)
            #expect(text.status == 0 && !text.stderr.contains("Fatal error"), "\(key)=\(value): \(text.status) \(text.stderr)")
            #expect(!text.stdout.contains("nan") && !text.stdout.contains("inf "), "\(key)=\(value): \(text.stdout)")
            let json = try Binary.run(["info", "--json", file.path], in: dir)
            #expect(json.status == 0, "\(key)=\(value): \(json.stderr)")
            let object = try JSONSerialization.jsonObject(with: json.stdoutBytes) as? [String: Any]
            #expect(object != nil && object?[field] == nil, "\(key)=\(value): \(json.stdout)")
            #expect(object?["iterations"] as? Int == 20, "\(key)=\(value): \(json.stdout)")
        }
    }

    /// Training options that say `--documents lines` for a model without document markers made `eval`'s
    /// baselines split the corpus into documents with no markers: a trap. The baselines are left out.
    @Test func evalLeavesOutBaselinesWhenTheOptionsDisagreeWithTheVocabulary() throws {
        let dir = try safety.directoryWithARun()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("documents.safetensors")
        try DamagedRunStateTests.patched(dir.appendingPathComponent("run/best.safetensors"), "options.documents", "\"lines\"", to: file)
        let r = try Binary.run(["eval", "--checkpoint", file.path, "corpus.txt"], in: dir)
        #expect(r.status == 0, "\(r.status): \(r.stderr)")
        #expect(r.stderr.contains("baselines left out: the checkpoint's training options say --documents lines "
                                  + "but its vocabulary was made for no --documents"), "\(r.stderr)")
    }

    /// A translation model whose stored options said `--task classify` was scored as a classifier: `eval`
    /// read the pairs as labelled texts and printed a line per pair. The model decides: it is scored as pairs.
    @Test func evalScoresAnEncoderDecoderAsOneWhateverItsOptionsSay() throws {
        let dir = try Binary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data(ToyPairs.tsv.utf8).write(to: dir.appendingPathComponent("pairs.tsv"))
        let trained = try Binary.run(["train", "pairs.tsv", "--task", "translate", "--checkpoint-dir", "run", "--max-iters", "2"]
                                     + ToyPairs.model, in: dir)
        #expect(trained.status == 0, "\(trained.stderr)")
        let file = dir.appendingPathComponent("classify.safetensors")
        try DamagedRunStateTests.patched(dir.appendingPathComponent("run/latest.safetensors"), "options.task", "\"classify\"", to: file)
        let r = try Binary.run(["eval", "--checkpoint", file.path, "pairs.tsv"], in: dir)
        #expect(r.status == 0, "\(r.status): \(r.stderr)")
        #expect(!r.stderr.contains("label"), "\(r.stderr)")
    }
}
