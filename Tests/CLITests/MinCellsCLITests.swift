import Checkpoints
import Foundation
import RNN
import SafeTensors
import Serve
import Testing

/// `train --model mingru|minlstm` (Feng et al. 2024): training, what the
/// checkpoint holds (PyTorch's names, no weight_hh), sampling, exact resume,
/// serving, the options they refuse, and `charrnn eval` against a small
/// PyTorch module that loads the checkpoint (scripts/torch_eval_mincells.py).
@Suite struct MinCellsCLITests {
    static let cells = ["mingru", "minlstm"]

    /// A directory with `corpus.txt` and a `cell` model trained `iterations` in `run/`.
    static func trained(_ cell: String, iterations: Int = 30, in existing: URL? = nil, extra: [String] = []) throws -> URL {
        let dir = try existing ?? Binary.temporaryDirectory()
        try Fixtures.corpusText.write(to: dir.appendingPathComponent("corpus.txt"), atomically: true, encoding: .utf8)
        let r = try Binary.run(["train", "corpus.txt", "--model", cell, "--checkpoint-dir", "run", "--layers", "2",
                                "--hidden", "20", "--batch-size", "4", "--seq-length", "16", "--max-iters", "\(iterations)",
                                "--eval-every", "15", "--learning-rate", "0.01", "--seed", "4"] + extra, in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        return dir
    }

    @Test(arguments: cells)
    func trainsRecordsSamplesAndServes(cell: String) throws {
        let dir = try Self.trained(cell)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("run/latest.safetensors").path
        let checkpoint = try Checkpoint.read(from: path)
        #expect(checkpoint.config.cell.rawValue == cell)
        let names = try SafeTensorsFile.read(path: path).tensors.map(\.name)
        #expect(names.contains("rnn.weight_ih_l1") && names.contains("rnn.bias_ih_l0"))
        #expect(!names.contains { $0.hasPrefix("rnn.weight_hh") || $0.hasPrefix("rnn.bias_hh") })
        let history = try JSONDecoder().decode([[Double]].self, from: Data(try #require(checkpoint.training["history"]).utf8))
        #expect(try #require(history.last)[1] < log(Double(checkpoint.config.vocabularySize)), "the loss went down")

        let info = try Binary.run(["info", path, "--json"], in: dir)
        let o = try #require(try JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [String: Any])
        #expect(o["cell"] as? String == cell)

        let a = try Binary.run(["sample", "--checkpoint", path, "--seed", "5", "--length", "120"], in: dir)
        #expect(a.status == 0, "\(a.stderr)")
        #expect(a.stdout.count >= 100)

        // The server writes what `charrnn sample` writes for the same seed.
        let server = Server(models: [("run", checkpoint)], limits: ServeLimits())
        let listener = try server.listen(host: "127.0.0.1", port: 0)
        defer { listener.stop() }
        let r = try HTTP.request(port: listener.port, "POST", "/v1/generate", json: #"{"length": 120, "seed": 5}"#)
        #expect(r.status == 200, "\(r.text)")
        let text = (try r.json()["samples"] as? [[String: Any]])?.first?["text"] as? String
        #expect(text.map { a.stdout.hasPrefix($0) } == true, "served \(text ?? "nothing") vs sampled \(a.stdout)")
    }

    /// 20 iterations, then `--resume` to 30, ends with the weights of 30 straight.
    @Test(arguments: cells)
    func resumesExactly(cell: String) throws {
        let straight = try Self.trained(cell)
        defer { try? FileManager.default.removeItem(at: straight) }
        let resumed = try Self.trained(cell, iterations: 20)
        defer { try? FileManager.default.removeItem(at: resumed) }
        let r = try Binary.run(["train", "corpus.txt", "--resume", "--max-iters", "30", "--checkpoint-dir", "run"], in: resumed)
        #expect(r.status == 0, "\(r.stderr)")
        let a = try Checkpoint.read(from: straight.appendingPathComponent("run/latest.safetensors").path)
        let b = try Checkpoint.read(from: resumed.appendingPathComponent("run/latest.safetensors").path)
        #expect(a.parameters == b.parameters)
    }

    @Test func optionsWithoutMeaningForThemAreRefused() throws {
        try inTextTree(["corpus.txt": Array(Fixtures.corpusText.utf8)]) { dir in
            expectOneLineFailure(try Binary.run(["train", "corpus.txt", "--model", "mingru", "--layer-norm"] + tinyModel, in: dir),
                                 mentioning: "mingru has no layer-normalized form")
            expectOneLineFailure(try Binary.run(["train", "corpus.txt", "--model", "minlstm", "--recurrent-dropout", "0.2"] + tinyModel, in: dir),
                                 mentioning: "minlstm has no W_hh")
            let help = try Binary.run(["train", "--help"], in: dir)
            let words = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")   // the help wraps lines
            #expect(words.contains("(values: rnn, lstm, gru, mingru, minlstm)"), "\(help.stdout)")
        }
    }

    @Test(.enabled(if: TorchPython.available,
                   "\(TorchPython.path) cannot import torch and safetensors (make torch-venv, or set CHARRNN_PYTHON)"),
          arguments: cells)
    func evalAgreesWithAPyTorchModule(cell: String) throws {
        let dir = try Self.trained(cell)
        defer { try? FileManager.default.removeItem(at: dir) }
        try expectEvalAgreesWithPyTorch(in: dir, checkpoint: dir.appendingPathComponent("run/latest.safetensors").path,
                                        script: "torch_eval_mincells.py")
    }
}
