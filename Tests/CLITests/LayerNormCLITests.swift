import Checkpoints
import Foundation
import RNN
import Testing
import Tokenizer

/// `train --layer-norm` for each cell: training, what the checkpoint records,
/// info, sampling, resume, and `charrnn eval` against an independent PyTorch
/// implementation of the equations (scripts/torch_eval_layernorm.py).
@Suite struct LayerNormCLITests {
    /// A directory with `corpus.txt` and a layer-normalized `cell` model trained 30 iterations in `run/`.
    static func trained(_ cell: String, extra: [String] = []) throws -> URL {
        let dir = try Binary.temporaryDirectory()
        try Fixtures.corpusText.write(to: dir.appendingPathComponent("corpus.txt"), atomically: true, encoding: .utf8)
        let r = try Binary.run(["train", "corpus.txt", "--model", cell, "--layer-norm", "--checkpoint-dir", "run",
                                "--layers", "2", "--hidden", "16", "--batch-size", "4", "--seq-length", "16",
                                "--max-iters", "30", "--eval-every", "15", "--learning-rate", "0.01", "--seed", "4"] + extra, in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        return dir
    }

    @Test(arguments: ["lstm", "gru", "rnn"])
    func trainsRecordsAndSamples(cell: String) throws {
        let dir = try Self.trained(cell)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("run/latest.safetensors").path
        let checkpoint = try Checkpoint.read(from: path)
        #expect(checkpoint.config.layerNorm)
        #expect(checkpoint.config.cell.rawValue == cell)
        #expect(checkpoint.training["iteration"] == "30")
        let names = ParameterLayout(config: checkpoint.config).entries.map(\.name)
        #expect(names.contains("rnn.ln_weight_l1") && names.contains("rnn.ln_bias_l0") && !names.contains("rnn.bias_ih_l0"))
        // The loss went down from the uniform guess.
        let history = try JSONDecoder().decode([[Double]].self, from: Data(try #require(checkpoint.training["history"]).utf8))
        let last = try #require(history.last)
        #expect(last[1].isFinite && last[1] < log(Double(checkpoint.config.vocabularySize)))

        let info = try Binary.run(["info", path], in: dir)
        #expect(info.status == 0, "\(info.stderr)")
        #expect(info.stdout.contains("layer-normalized"), "\(info.stdout)")
        let json = try Binary.run(["info", path, "--json"], in: dir)
        let o = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(o["layer_norm"] as? Bool == true)

        let a = try Binary.run(["sample", "--checkpoint", path, "--seed", "5", "--length", "120"], in: dir)
        let b = try Binary.run(["sample", "--checkpoint", path, "--seed", "5", "--length", "120"], in: dir)
        #expect(a.status == 0, "\(a.stderr)")
        #expect(!a.stdout.isEmpty && a.stdout == b.stdout)
    }

    /// Resume keeps layer normalization from the checkpoint; asking for a different model is refused.
    @Test func resumeKeepsLayerNorm() throws {
        let dir = try Self.trained("gru")
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try Binary.run(["train", "corpus.txt", "--resume", "--max-iters", "35", "--checkpoint-dir", "run"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let c = try Checkpoint.read(from: dir.appendingPathComponent("run/latest.safetensors").path)
        #expect(c.config.layerNorm && c.training["iteration"] == "35")

        let plain = try Binary.run(["train", "corpus.txt", "--checkpoint-dir", "plain", "--max-iters", "2", "--hidden", "8",
                                    "--layers", "1", "--batch-size", "4", "--seq-length", "8"], in: dir)
        #expect(plain.status == 0, "\(plain.stderr)")
        let bad = try Binary.run(["train", "corpus.txt", "--resume", "--layer-norm", "--checkpoint-dir", "plain"], in: dir)
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("cannot resume"))
    }

    /// A model without --layer-norm writes no trace of the option (config and training options as before).
    @Test func otherModelsRecordNothingNew() throws {
        let path = Fixtures.trained.appendingPathComponent("checkpoints/run/latest.safetensors").path
        let checkpoint = try Checkpoint.read(from: path)
        #expect(!checkpoint.config.layerNorm)
        let options = try #require(checkpoint.training["options"])
        #expect(!options.contains("layerNorm"))
        let info = try Binary.run(["info", path, "--json"], in: Fixtures.trained)
        let o = try #require(try JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [String: Any])
        #expect(o["layer_norm"] == nil, "the top-level keys are those of before the option")
        #expect((o["model"] as? [String: Any]).flatMap { $0["stack"] as? [String: Any] }?["layer_norm"] as? Bool == false)
    }

    @Test(.enabled(if: TorchPython.available,
                   "\(TorchPython.path) cannot import torch and safetensors (make torch-venv, or set CHARRNN_PYTHON)"),
          arguments: ["lstm", "gru", "rnn"])
    func evalAgreesWithPyTorch(cell: String) throws {
        let dir = try Self.trained(cell, extra: cell == "rnn" ? ["--activation", "relu"] : [])
        defer { try? FileManager.default.removeItem(at: dir) }
        try expectEvalAgreesWithPyTorch(in: dir, checkpoint: dir.appendingPathComponent("run/latest.safetensors").path,
                                        script: "torch_eval_layernorm.py")
    }
}
