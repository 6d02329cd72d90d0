import Checkpoints
import Foundation
import RNN
import Tensor
import Testing

/// `train --auto`: what it prints, what it stores, and that explicit flags win.
@Suite struct AutoCLITests {
    static func corpusDirectory() throws -> URL {
        let dir = try Binary.temporaryDirectory()
        try Fixtures.corpusText.write(to: dir.appendingPathComponent("corpus.txt"), atomically: true, encoding: .utf8)
        return dir
    }

    @Test func choosesPrintsAndStoresItsReasons() throws {
        let dir = try Self.corpusDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // An iteration budget: no probe, the smallest model (a few iterations are little to train).
        let r = try Binary.run(["train", "corpus.txt", "--auto", "--max-iters", "4", "--batch-size", "4", "--seq-length", "8",
                                "--checkpoint-dir", "run", "--eval-every", "4"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").filter { $0.hasPrefix("auto: ") }
        #expect(lines.count == 6, "\(r.stdout)")
        #expect(r.stdout.contains("auto: hidden 64 "), "\(r.stdout)")
        // The products' precision: bf16 where this CPU multiplies it natively, else fp32 (issue 26).
        let native = ProductPrecision.isNative(in: Kernels.current)
        #expect(r.stdout.contains(native ? "auto: precision bf16: " : "auto: precision fp32: "), "\(r.stdout)")
        #expect(r.stdout.contains(native ? "\nprecision: bf16 products" : "\nprecision: fp32 products"), "\(r.stdout)")

        let c = try Checkpoint.read(from: dir.appendingPathComponent("run/latest.safetensors").path)
        #expect(c.config.layerNorm && c.config.cell == .lstm && c.config.hiddenSize == 64 && c.config.layerCount == 2)
        let info = try Binary.run(["info", "run"], in: dir)
        #expect(info.stdout.contains("chosen by:  --auto: cell: layer-normalized lstm"), "\(info.stdout)")
        let json = try Binary.run(["info", "run", "--json"], in: dir)
        let o = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect((o["auto"] as? [String])?.count == 6)
        // The batch and window given on the command line were kept.
        #expect(r.stdout.contains("T = 8, B = 4"), "\(r.stdout)")
    }

    @Test func explicitFlagsWinAndAProbeRunsForATimeBudget() throws {
        let dir = try Self.corpusDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try Binary.run(["train", "corpus.txt", "--auto", "--max-time", "2s", "--model", "gru", "--no-layer-norm",
                                "--hidden", "12", "--layers", "1", "--batch-size", "4", "--seq-length", "8",
                                "--checkpoint-dir", "run"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("auto: hidden 12: given"), "\(r.stdout)")
        #expect(r.stdout.contains(" chars/s, "), "the probe's rate is in the budget line: \(r.stdout)")
        let c = try Checkpoint.read(from: dir.appendingPathComponent("run/latest.safetensors").path)
        #expect(!c.config.layerNorm && c.config.cell == .gru && c.config.hiddenSize == 12 && c.config.layerCount == 1)
    }

    @Test func refusedWithResumeAndInitFrom() throws {
        let dir = try Self.corpusDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for extra in [["--resume"], ["--init-from", "x.safetensors"]] {
            let r = try Binary.run(["train", "corpus.txt", "--auto", "--max-iters", "2"] + extra, in: dir)
            #expect(r.status != 0)
            #expect(r.stderr.contains("--auto"), "\(r.stderr)")
            let errorLines = r.stderr.split(separator: "\n").filter { $0.contains("Error") || $0.contains("error:") }
            #expect(errorLines.count == 1, "\(r.stderr)")
        }
    }
}
