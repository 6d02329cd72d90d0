import Foundation
import RNN
import Tensor
import Testing

/// The whole engine on charrnn's AVX-512 C kernels against the portable Swift
/// ones (`CHARRNN_KERNELS=portable`), through the binary: the same short
/// training run must log the same losses up to float rounding (the gate
/// kernels are bit-identical, the packed per-step products sum in another
/// order than OpenBLAS), and greedy sampling from one checkpoint the same text.
/// Per-kernel comparisons are in RNNTests.GateKernelTests and TensorTests.PackedGEMMTests.
@Suite struct KernelChoiceTests {
    static func losses(in run: URL) throws -> [Double] {
        let log = try String(contentsOf: run.appendingPathComponent("train.jsonl"), encoding: .utf8)
        return log.split(separator: "\n").compactMap { line -> Double? in
            guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
            return o["type"] as? String == "eval" ? o["val_loss"] as? Double : o["loss"] as? Double
        }
    }

    @Test(arguments: ["lstm", "gru", "rnn"])
    func portableAndAVX512KernelsTrainAndSampleAlike(cell: String) throws {
        guard Kernels.avx512Available else {
            print("KernelChoiceTests: skipped, this CPU has no AVX-512: only the portable kernels can run here")
            return
        }
        let dir = try Binary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Fixtures.corpusText.write(to: dir.appendingPathComponent("corpus.txt"), atomically: true, encoding: .utf8)
        var losses: [[Double]] = [], samples: [String] = []
        for (name, env) in [("fast", [String: String]()), ("portable", ["CHARRNN_KERNELS": "portable"])] {
            let r = try Binary.run(["train", "corpus.txt", "--checkpoint-dir", name, "--model", cell, "--layers", "2",
                                    "--hidden", "40", "--batch-size", "6", "--seq-length", "12", "--max-iters", "40",
                                    "--eval-every", "20", "--log-every", "1", "--seed", "4"], in: dir, environment: env)
            #expect(r.status == 0, "\(r.stderr)")
            losses.append(try Self.losses(in: dir.appendingPathComponent(name)))
            let s = try Binary.run(["sample", "--checkpoint", "fast", "--argmax", "--length", "80", "--prime", "the "],
                                   in: dir, environment: env)
            #expect(s.status == 0, "\(s.stderr)")
            samples.append(s.stdout)
        }
        #expect(losses[0].count >= 40 && losses[0].count == losses[1].count)
        for (a, b) in zip(losses[0], losses[1]) {
            #expect(abs(a - b) <= 1e-4 * abs(b), "\(cell): loss \(a) (AVX-512) vs \(b) (portable)")
        }
        #expect(samples[0] == samples[1])
    }
}
