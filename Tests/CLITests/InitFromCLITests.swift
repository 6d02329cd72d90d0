import Checkpoints
import Foundation
import RNN
import Testing
import Training

/// `train --init-from` continues the checkpoint's model whole, for every cell
/// and option: one iteration at a learning rate of 1e-7 leaves a model that
/// scores the text as the source does, and `info` shows the same architecture.
@Suite struct InitFromCLITests {
    static let models: [[String]] = [
        ["--model", "lstm", "--layer-norm"], ["--model", "gru", "--layer-norm"], ["--model", "rnn", "--layer-norm"],
        ["--model", "rnn", "--activation", "relu", "--layer-norm"],
        ["--model", "lstm"], ["--model", "gru"], ["--model", "rnn", "--activation", "relu"],
    ]

    @Test(arguments: models)
    func continuesTheSameModel(model: [String]) throws {
        let dir = try Binary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Fixtures.corpusText.write(to: dir.appendingPathComponent("corpus.txt"), atomically: true, encoding: .utf8)
        try String(Fixtures.corpusText.prefix(3000)).write(to: dir.appendingPathComponent("held.txt"), atomically: true, encoding: .utf8)
        let source = try Binary.run(["train", "corpus.txt", "--checkpoint-dir", "source", "--layers", "2", "--hidden", "16",
                                     "--batch-size", "4", "--seq-length", "16", "--max-iters", "30", "--eval-every", "30",
                                     "--learning-rate", "0.01", "--seed", "4"] + model, in: dir)
        #expect(source.status == 0, "\(source.stderr)")
        // No model flag: everything comes from the checkpoint.
        let tuned = try Binary.run(["train", "corpus.txt", "--init-from", "source/latest.safetensors", "--checkpoint-dir", "tuned",
                                    "--max-iters", "1", "--learning-rate", "1e-7", "--batch-size", "4", "--seq-length", "16"], in: dir)
        #expect(tuned.status == 0, "\(tuned.stderr)")

        let a = try Checkpoint.read(from: dir.appendingPathComponent("source/latest.safetensors").path)
        let b = try Checkpoint.read(from: dir.appendingPathComponent("tuned/latest.safetensors").path)
        #expect(a.config.withoutDropout == b.config.withoutDropout)
        let infoA = try Binary.run(["info", "source/latest.safetensors", "--json"], in: dir)
        let infoB = try Binary.run(["info", "tuned/latest.safetensors", "--json"], in: dir)
        #expect(try Self.architecture(infoA.stdout) == Self.architecture(infoB.stdout), "\(infoA.stdout)\n\(infoB.stdout)")

        let evalA = try Binary.run(["eval", "held.txt", "--checkpoint", "source/latest.safetensors", "--batch-size", "1", "--json"], in: dir)
        let evalB = try Binary.run(["eval", "held.txt", "--checkpoint", "tuned/latest.safetensors", "--batch-size", "1", "--json"], in: dir)
        #expect(evalA.status == 0 && evalB.status == 0, "\(evalA.stderr)\(evalB.stderr)")
        let lossA = try Self.loss(evalA.stdout), lossB = try Self.loss(evalB.stdout)
        #expect(abs(lossA - lossB) <= 0.01 * lossA, "source \(lossA), init-from \(lossB)")
    }

    /// A model flag that contradicts the checkpoint is refused in one line; one that agrees is fine.
    @Test func contradictingModelFlagsAreRefused() throws {
        let dir = try Binary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Fixtures.corpusText.write(to: dir.appendingPathComponent("corpus.txt"), atomically: true, encoding: .utf8)
        let source = try Binary.run(["train", "corpus.txt", "--checkpoint-dir", "source", "--model", "gru", "--layer-norm",
                                     "--max-iters", "2"] + tinyModel, in: dir)
        #expect(source.status == 0, "\(source.stderr)")
        for flags in [["--no-layer-norm"], ["--model", "lstm"], ["--hidden", "9"], ["--layers", "2"]] {
            expectOneLineFailure(try Binary.run(["train", "corpus.txt", "--init-from", "source/latest.safetensors",
                                                 "--checkpoint-dir", "t", "--max-iters", "1"] + flags, in: dir),
                                 mentioning: "--init-from keeps the checkpoint's model (gru (layer-normalized), 1 × 8)")
        }
        let same = try Binary.run(["train", "corpus.txt", "--init-from", "source/latest.safetensors", "--checkpoint-dir", "t",
                                   "--max-iters", "1", "--model", "gru", "--layer-norm", "--hidden", "8"], in: dir)
        #expect(same.status == 0, "\(same.stderr)")
    }

    /// Every field of the model description travels: `adoptModel` then `modelConfig` gives back
    /// a config whose every field differs from the defaults (so a field added later and not
    /// carried by `adoptModel` fails here), the dropouts staying the run's.
    @Test func adoptModelCarriesEveryField() {
        let model = ModelConfig(cell: .rnn, activation: .relu, vocabularySize: 77, hiddenSize: 33, layerCount: 3,
                                dropout: 0.3, recurrentDropout: 0.2, layerNorm: true)
        let defaults = ModelConfig(vocabularySize: 1)
        // The input and head kinds are not a run of one text's to choose: it trains one-hot next-character
        // models only, and --init-from and --resume refuse a checkpoint of any other (LabelledCLITests,
        // TranslateCLITests); attention belongs to translation models alone.
        let otherShapes: Set = ["input", "labelCount", "valueWidth", "head", "pooling", "outputSize", "attention"]
        for (field, value) in Mirror(reflecting: model).children where !otherShapes.contains(field ?? "") {
            let other = Mirror(reflecting: defaults).children.first { $0.label == field }!.value
            #expect("\(value)" != "\(other)", "give \(field ?? "?") a value other than its default in this test")
        }
        var options = TrainingOptions()
        options.dropout = 0.1
        options.adoptModel(model)
        var expected = model
        expected.dropout = 0.1
        expected.recurrentDropout = 0
        #expect(options.modelConfig(vocabularySize: 77) == expected)
    }

    static func architecture(_ json: String) throws -> [String] {
        let o = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        return ["cell", "activation", "layers", "hidden", "layer_norm", "parameters"].map { "\($0)=\(o[$0] ?? "none")" }
    }

    static func loss(_ json: String) throws -> Double {
        let o = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        return try #require(o["loss"] as? Double)
    }
}
