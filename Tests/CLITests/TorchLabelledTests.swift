import Checkpoints
import Foundation
import Testing

/// Labelled checkpoints trained through the binary, read by an independent PyTorch module
/// (scripts/torch_labelled.py: nn.LSTM / GRU / RNN + nn.Linear, float64): a classifier's
/// probabilities equal `charrnn classify --json`'s, and a conditioned (or unconditioned)
/// generator's nats per character equal `charrnn eval`'s. Not the only check of either:
/// LabelledCLITests checks what the commands print, the RNN tests the gradients.
@Suite(.enabled(if: TorchPython.available,
                "\(TorchPython.path) cannot import torch and safetensors (make torch-venv, or set CHARRNN_PYTHON)"))
struct TorchLabelledTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/torch_labelled.py").path

    func object(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(text)", sourceLocation: sourceLocation)
    }

    func torch(_ arguments: [String]) throws -> [String: Any] {
        let r = try runProcess(TorchPython.path, [Self.script] + arguments)
        #expect(r.status == 0, "\(r.stderr)")
        return try object(r.stdout)
    }

    /// Lines of several lengths (so batches hold padding), one longer than --max-chars 20
    /// (cut), one empty (the zero state's answer) and one with a character never seen (left out).
    static let lines = ["xxxxxxxx", "yyyyyyyy", "", "xxzxxx", "yyyxyy", "x", "y", "xyxyxyxyxy",
                        "xxxxxxxxxxyyyyyyyyyyyyyyyyyyyy", "yyyyxxxxyyyyxxxxyyyyxxxxy", "yxy", "xxyxxyxxyxx"]

    /// classify --json (B = 5, so rows of different lengths share batches) against PyTorch, every probability within 1e-4.
    @Test(arguments: zip(["lstm", "gru", "lstm", "gru", "rnn"], ["last", "mean", "mean", "last", "last"]))
    func classifierProbabilitiesAgree(cell: String, pooling: String) throws {
        try inTextTree(["data.tsv": Array(ToyLabels.balanced.utf8), "lines.txt": Array(Self.lines.map { $0 + "\n" }.joined().utf8)]) { dir in
            let train = try Binary.run(["train", "data.tsv", "--task", "classify", "--model", cell, "--pooling", pooling, "--layers", "2",
                                        "--hidden", "8", "--batch-size", "16", "--max-iters", "24", "--max-chars", "20",
                                        "--learning-rate", "0.03", "--checkpoint-dir", "run"], in: dir)
            #expect(train.status == 0, "\(train.stderr)")
            let ours = try Binary.run(["classify", "--checkpoint", "run", "lines.txt", "--json", "--batch-size", "5"], in: dir)
            #expect(ours.status == 0, "\(ours.stderr)")
            let answers = try ours.stdout.split(separator: "\n").map { try object(String($0)) }
            let theirs = try torch(["classify", dir.appendingPathComponent("run/latest.safetensors").path,
                                    dir.appendingPathComponent("lines.txt").path])
            let labels = try #require(theirs["labels"] as? [String])
            let rows = try #require(theirs["probabilities"] as? [[Double]])
            #expect(labels == ["a", "b"] && answers.count == Self.lines.count && rows.count == Self.lines.count)
            var largest = 0.0
            for (answer, row) in zip(answers, rows) {
                let p = try #require(answer["probabilities"] as? [String: Double])
                for (k, name) in labels.enumerated() { largest = max(largest, abs(p[name]! - row[k])) }
            }
            #expect(largest < 1e-4, "\(cell)/\(pooling): largest difference \(largest)")
            print("torch agreement: classify \(cell) pooling \(pooling), 2 layers: max |p_charrnn − p_torch| = \(largest)")
        }
    }

    /// eval --json of a generator on 3 copies of one text per label (the run's split puts one of each
    /// in test, so eval scores exactly those two texts) against PyTorch's log-probabilities of the same texts.
    @Test(arguments: zip(["lstm", "gru", "rnn", "gru"], ["conditioned", "conditioned", "conditioned", "unconditioned"]))
    func generatorNatsPerCharacterAgree(cell: String, kind: String) throws {
        let texts = ["a": "xxxyxxxxxx", "b": "yyxyyyyy"]
        let scored = texts.sorted { $0.key < $1.key }.map { "\($0.key)\t\($0.value)\n" }.joined()
        let copies = texts.sorted { $0.key < $1.key }.map { String(repeating: "\($0.key)\t\($0.value)\n", count: 3) }.joined()
        try inTextTree(["data.tsv": Array(ToyLabels.balanced.utf8), "copies.tsv": Array(copies.utf8), "scored.tsv": Array(scored.utf8)]) { dir in
            // gru conditioned cuts texts at 6 steps: the cut is scored the same way on both sides.
            let cut = cell == "gru" && kind == "conditioned" ? ["--max-chars", "6"] : []
            let train = try Binary.run(["train", "data.tsv", "--task", "generate", "--model", cell, "--layers", "2", "--hidden", "8",
                                        "--batch-size", "16", "--max-iters", "24", "--learning-rate", "0.03", "--checkpoint-dir", "run"]
                                       + cut + (kind == "unconditioned" ? ["--unconditioned"] : []), in: dir)
            #expect(train.status == 0, "\(train.stderr)")
            let ours = try Binary.run(["eval", "copies.tsv", "--checkpoint", "run", "--json"], in: dir)
            #expect(ours.status == 0, "\(ours.stderr)")
            let o = try object(ours.stdout)
            #expect(o["texts"] as? Int == 2 && o["split"] as? String == "test", "\(ours.stdout)")
            let perLabel = try #require(o["per_label"] as? [String: Double])
            let loss = try #require(o["loss"] as? Double)

            let theirs = try torch(["generate", dir.appendingPathComponent("run/latest.safetensors").path,
                                    dir.appendingPathComponent("scored.tsv").path])
            let results = try #require(theirs["texts"] as? [[String: Any]])
            #expect(results.count == 2)
            let nats = results.map { $0["nats"] as? Double ?? .nan }, steps = results.map { $0["steps"] as? Int ?? 0 }
            #expect(steps == (cut.isEmpty ? [11, 9] : [6, 6]))
            let a = nats[0] / Double(steps[0]), b = nats[1] / Double(steps[1])
            let total = (nats[0] + nats[1]) / Double(steps[0] + steps[1])
            let largest = max(abs(perLabel["a"]! - a), abs(perLabel["b"]! - b), abs(loss - total))
            #expect(largest < 1e-4, "charrnn a \(perLabel["a"]!) b \(perLabel["b"]!) all \(loss); PyTorch a \(a) b \(b) all \(total)")
            print("torch agreement: generate \(cell) \(kind)\(cut.isEmpty ? "" : " (cut at 6)"), 2 layers: nats/char a \(a), b \(b), all \(total); max |Δ| = \(largest)")
        }
    }
}
