import Foundation
import RNN
import Tensor
import TestSupport
import Testing

/// The whole engine in each fast kernel set (`CHARRNN_KERNELS=avx2|avx512`)
/// against the portable one, through the binary: the same short training run
/// must log the same losses up to float rounding (the gate kernels are
/// bit-identical, the packed per-step products use FMA and sum in another
/// order than OpenBLAS: relative 1e-4 after 40 iterations), and greedy
/// sampling from one checkpoint the same text. A set this CPU lacks is
/// skipped with its reason (`.enabled(if:)`). Per-kernel comparisons are in
/// RNNTests.GateKernelTests and TensorTests.PackedGEMMTests. Also: how a bad
/// `CHARRNN_KERNELS` is refused, and `--version` naming the set in use.
@Suite struct KernelChoiceTests {
    static func losses(in run: URL) throws -> [Double] {
        let log = try String(contentsOf: run.appendingPathComponent("train.jsonl"), encoding: .utf8)
        return log.split(separator: "\n").compactMap { line -> Double? in
            guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
            return o["type"] as? String == "eval" ? o["val_loss"] as? Double : o["loss"] as? Double
        }
    }

    /// Every cell, plain and layer-normalized.
    static let cells = ["lstm", "gru", "rnn", "lstm --layer-norm", "gru --layer-norm", "rnn --layer-norm"]

    @Test(.enabled(if: Kernels.runs("avx2"), "this CPU (or OS) has no AVX2 + FMA"), arguments: cells)
    func avx2TrainsAndSamplesLikePortable(cell: String) throws { try Self.compareWithPortable(.avx2, cell: cell) }

    @Test(.enabled(if: Kernels.runs("avx512"), "this CPU (or OS) has no AVX-512"), arguments: cells)
    func avx512TrainsAndSamplesLikePortable(cell: String) throws { try Self.compareWithPortable(.avx512, cell: cell) }

    /// Trains 40 iterations in `set` and in the portable set, then samples greedily
    /// from the portable run's checkpoint in both sets.
    static func compareWithPortable(_ set: KernelSet, cell: String) throws {
        let dir = try Binary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Fixtures.corpusText.write(to: dir.appendingPathComponent("corpus.txt"), atomically: true, encoding: .utf8)
        var losses: [[Double]] = [], samples: [String] = []
        for kernels in [set, .portable] {
            let env = ["CHARRNN_KERNELS": kernels.name], name = kernels.name
            let r = try Binary.run(["train", "corpus.txt", "--checkpoint-dir", name, "--layers", "2",
                                    "--hidden", "40", "--batch-size", "6", "--seq-length", "12", "--max-iters", "40",
                                    "--eval-every", "20", "--log-every", "1", "--seed", "4", "--model"] + cell.split(separator: " ").map(String.init),
                                   in: dir, environment: env)
            #expect(r.status == 0, "\(r.stderr)")
            losses.append(try Self.losses(in: dir.appendingPathComponent(name)))
        }
        for kernels in [set, .portable] {
            let s = try Binary.run(["sample", "--checkpoint", "portable", "--argmax", "--length", "80", "--prime", "the "],
                                   in: dir, environment: ["CHARRNN_KERNELS": kernels.name])
            #expect(s.status == 0, "\(s.stderr)")
            samples.append(s.stdout)
        }
        #expect(losses[0].count >= 40 && losses[0].count == losses[1].count)
        for (a, b) in zip(losses[0], losses[1]) {
            #expect(abs(a - b) <= 1e-4 * abs(b), "\(cell): loss \(a) (\(set)) vs \(b) (portable)")
        }
        #expect(!samples[0].isEmpty && samples[0] == samples[1], "\(cell): greedy samples differ between \(set) and portable")
    }

    /// `--version` names the set in use and the available ones; CHARRNN_KERNELS picks the set.
    @Test func versionNamesTheKernelSet() throws {
        let available = Kernels.available.map(\.name).joined(separator: ", ")
        let best = try Binary.run(["--version"], environment: ["CHARRNN_KERNELS": ""])  // empty: as if unset
        #expect(best.status == 0, "\(best.stderr)")
        #expect(best.stdout == "0.1.0 (kernels: \(Kernels.available.last!); available: \(available))\n")
        for set in Kernels.available {
            let r = try Binary.run(["--version"], environment: ["CHARRNN_KERNELS": set.name])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout == "0.1.0 (kernels: \(set); available: \(available))\n")
        }
    }

    /// An unknown set is one line on stderr and status 1, before any subcommand runs.
    @Test(arguments: [["--version"], ["info", "--checkpoint", "nowhere"], ["train", "corpus.txt"]])
    func unknownSetIsRefused(arguments: [String]) throws {
        let dir = try Binary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try Binary.run(arguments, in: dir, environment: ["CHARRNN_KERNELS": "avx9"])
        #expect(r.status == 1)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr == "charrnn: error: CHARRNN_KERNELS=avx9: unknown kernel set (expected one of portable, avx2, avx512, avx512bf16)\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty, "nothing written")
    }

    /// A set this CPU lacks is refused, in these words whatever the CPU (the pure choice
    /// function); `missingSetIsRefusedByTheBinary` does it through the binary.
    @Test(.enabled(if: KernelSet.named("avx2") != nil && KernelSet.named("avx512") != nil, "this build holds no x86-64 kernel sets"))
    func missingSetIsRefused() throws {
        func refusal(_ requested: String, _ available: [KernelSet]) -> String? {
            if case .failure(let error) = Kernels.choose(requested: requested, available: available) { return error.message }
            return nil
        }
        #expect(refusal("avx512", [.portable, .avx2]) == "CHARRNN_KERNELS=avx512: this CPU lacks AVX-512 (available: portable, avx2)")
        #expect(refusal("avx2", [.portable]) == "CHARRNN_KERNELS=avx2: this CPU lacks AVX2 and FMA (available: portable)")
        #expect(refusal("AVX2", [.portable, .avx2])?.hasSuffix("unknown kernel set (expected one of portable, avx2, avx512, avx512bf16)") == true,
                "names are lower case, as documented")
        #expect(Kernels.choose(requested: nil, available: [.portable, .avx2]) == .success(.avx2))
        #expect(Kernels.choose(requested: "", available: [.portable]) == .success(.portable))
        #expect(Kernels.choose(requested: "portable", available: [.portable, .avx2, .avx512]) == .success(.portable))
    }

    static let missing = KernelSet.all.first { !Kernels.available.contains($0) }

    @Test(.enabled(if: KernelChoiceTests.missing != nil, "this CPU has every kernel set: none to refuse"))
    func missingSetIsRefusedByTheBinary() throws {
        let missing = try #require(Self.missing)
        let r = try Binary.run(["--version"], environment: ["CHARRNN_KERNELS": missing.name])
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("charrnn: error: CHARRNN_KERNELS=\(missing): this CPU lacks "))
    }
}
