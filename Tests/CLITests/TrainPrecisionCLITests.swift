import Foundation
import Tensor
import Testing

/// `train --precision fp32|bf16|auto` (issue 26, parts 1–2) through the built binary: what a run
/// says, records and keeps on resume, what `auto` means on this CPU, and one line for what it refuses.
@Suite struct TrainPrecisionCLITests {
    static let tiny = ["--layers", "1", "--hidden", "24", "--batch-size", "8", "--seq-length", "16", "--eval-every", "20",
                       "--log-every", "1", "--seed", "5", "--no-cache"]
    static var native: Bool { ProductPrecision.isNative(in: Kernels.current) }

    func corpus() throws -> URL {
        let dir = try Binary.temporaryDirectory()
        try Fixtures.corpusText.write(to: dir.appendingPathComponent("corpus.txt"), atomically: true, encoding: .utf8)
        return dir
    }

    /// The "train" records' losses of a run, in order.
    func losses(_ dir: URL, _ run: String) throws -> [Double] {
        let log = try String(contentsOf: dir.appendingPathComponent(run + "/train.jsonl"), encoding: .utf8)
        return log.split(separator: "\n").compactMap { line in
            guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], o["type"] as? String == "train" else { return nil }
            return o["loss"] as? Double
        }
    }

    func records(_ dir: URL, _ run: String, type: String) throws -> [[String: Any]] {
        let log = try String(contentsOf: dir.appendingPathComponent(run + "/train.jsonl"), encoding: .utf8)
        return log.split(separator: "\n").compactMap { line in
            guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], o["type"] as? String == type else { return nil }
            return o
        }
    }

    @Test func bf16SaysSoRecordsItAndStaysNearFP32() throws {
        let dir = try corpus()
        let bf16 = try Binary.run(["train", "corpus.txt", "--checkpoint-dir", "b", "--max-iters", "40", "--precision", "bf16"] + Self.tiny, in: dir)
        #expect(bf16.status == 0, "\(bf16.stderr)")
        #expect(bf16.stdout.hasPrefix("precision: bf16 products, fp32 accumulation"), "\(bf16.stdout)")
        let emulated = bf16.stderr.contains("bf16 products are emulated on this CPU")
        #expect(emulated == !Self.native, "\(bf16.stderr)")
        #expect(try records(dir, "b", type: "start").first?["precision"] as? String == "bf16")
        let info = try Binary.run(["info", "b"], in: dir)
        #expect(info.stdout.contains("bf16 products"), "\(info.stdout)")
        let json = try Binary.run(["info", "b", "--json"], in: dir)
        #expect(json.stdout.contains("\"training_precision\":\"bf16\""), "\(json.stdout)")

        let fp32 = try Binary.run(["train", "corpus.txt", "--checkpoint-dir", "f", "--max-iters", "40"] + Self.tiny, in: dir)
        #expect(fp32.status == 0 && fp32.stdout.hasPrefix("precision: fp32 products"), "\(fp32.stdout)")
        let b = try losses(dir, "b"), f = try losses(dir, "f")
        #expect(b.count == 40 && f.count == 40 && b != f, "bf16 \(b.count), fp32 \(f.count) records")
        let tail = { (x: [Double]) in x.suffix(10).reduce(0, +) / 10 }
        #expect(abs(tail(b) - tail(f)) <= 0.01 * tail(f), "last 10 iterations: bf16 \(tail(b)) vs fp32 \(tail(f))")
    }

    /// Without native bf16, `auto` is fp32 exactly: the same losses, bit for bit, as a run that asks for nothing.
    @Test(.enabled(if: !TrainPrecisionCLITests.native, "this CPU multiplies bf16 natively: auto means bf16 here"))
    func autoIsFP32WithoutNativeBF16() throws {
        let dir = try corpus()
        let auto = try Binary.run(["train", "corpus.txt", "--checkpoint-dir", "a", "--max-iters", "25", "--precision", "auto"] + Self.tiny, in: dir)
        let plain = try Binary.run(["train", "corpus.txt", "--checkpoint-dir", "p", "--max-iters", "25"] + Self.tiny, in: dir)
        #expect(auto.status == 0 && plain.status == 0, "\(auto.stderr) \(plain.stderr)")
        #expect(auto.stdout.hasPrefix("precision: fp32 products") && !auto.stderr.contains("emulated"), "\(auto.stdout)")
        #expect(try losses(dir, "a") == losses(dir, "p"))
    }

    @Test(.enabled(if: TrainPrecisionCLITests.native, "this CPU has no native bf16 products: auto means fp32 here"))
    func autoIsBF16WithNativeBF16() throws {
        let dir = try corpus()
        let auto = try Binary.run(["train", "corpus.txt", "--checkpoint-dir", "a", "--max-iters", "25", "--precision", "auto"] + Self.tiny, in: dir)
        let bf16 = try Binary.run(["train", "corpus.txt", "--checkpoint-dir", "b", "--max-iters", "25", "--precision", "bf16"] + Self.tiny, in: dir)
        #expect(auto.status == 0 && bf16.status == 0, "\(auto.stderr)\(bf16.stderr)")
        #expect(auto.stdout.hasPrefix("precision: bf16 products") && auto.stdout.contains("native"), "\(auto.stdout)")
        #expect(try losses(dir, "a") == losses(dir, "b"))
    }

    /// A bf16 run stopped and resumed (without the flag: the run keeps its precision) gives the losses of one that ran through.
    @Test func bf16ResumesExactly() throws {
        let dir = try corpus()
        let whole = try Binary.run(["train", "corpus.txt", "--checkpoint-dir", "w", "--max-iters", "40", "--precision", "bf16"] + Self.tiny, in: dir)
        let first = try Binary.run(["train", "corpus.txt", "--checkpoint-dir", "r", "--max-iters", "20", "--precision", "bf16"] + Self.tiny, in: dir)
        let rest = try Binary.run(["train", "corpus.txt", "--checkpoint-dir", "r", "--max-iters", "40", "--resume"] + Self.tiny, in: dir)
        #expect(whole.status == 0 && first.status == 0 && rest.status == 0, "\(rest.stderr)")
        #expect(rest.stdout.hasPrefix("precision: bf16 products"), "\(rest.stdout)")
        #expect(try losses(dir, "r") == losses(dir, "w"))
    }

    @Test(arguments: [
        (["--precision", "fp16"], "--precision"), (["--precision", "BF16"], "--precision"), (["--precision", ""], "--precision"),
    ])
    func badPrecisionIsOneLine(_ flags: [String], _ mention: String) throws {
        let dir = try corpus()
        let r = try Binary.run(["train", "corpus.txt", "--max-iters", "5"] + flags, in: dir)
        #expect(r.status == 64 && r.stderr.contains(mention), "\(r.status) \(r.stderr)")
        #expect(r.stderr.split(separator: "\n").filter { $0.hasPrefix("Error") }.count == 1 && !r.stderr.contains("Fatal"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("checkpoints").path), "a refused run wrote checkpoints")
    }

    /// The other shapes train in bf16 too (classify, generate, translate): each says so, records it, and its
    /// losses follow fp32's — the first steps within 1% and not equal, every evaluation within 2% (classify,
    /// generate) or, for the toy reversal whose loss falls steeply, both runs learning (the last evaluation
    /// below half the first) within 10% of each other. A resumed run keeps bf16 and continues exactly.
    @Test(arguments: ["classify", "generate", "translate"])
    func everyShapeTrainsInBF16(_ task: String) throws {
        let dir = try Binary.temporaryDirectory()
        let data = task == "translate" ? ToyPairs.tsv : ToyLabels.balanced
        try Data(data.utf8).write(to: dir.appendingPathComponent("data.tsv"))
        let model = (task == "translate" ? ToyPairs.model : ToyLabels.model) + ["--log-every", "1"]
        func train(_ run: String, _ iterations: Int, _ flags: [String]) throws -> BinaryRun {
            try Binary.run(["train", "data.tsv", "--task", task, "--checkpoint-dir", run, "--max-iters", "\(iterations)"] + model + flags, in: dir)
        }
        let iterations = task == "translate" ? 60 : 40
        let bf16 = try train("b", iterations, ["--precision", "bf16"])
        #expect(bf16.status == 0, "\(bf16.stderr)")
        #expect(bf16.stdout.hasPrefix("precision: bf16 products, fp32 accumulation"), "\(bf16.stdout)")
        #expect(bf16.stderr.contains("bf16 products are emulated on this CPU") == !Self.native, "\(bf16.stderr)")
        #expect(try records(dir, "b", type: "start").first?["precision"] as? String == "bf16")
        let info = try Binary.run(["info", "b"], in: dir)
        #expect(info.stdout.contains("bf16 products"), "\(info.stdout)")
        let fp32 = try train("f", iterations, [])
        #expect(fp32.status == 0 && fp32.stdout.hasPrefix("precision: fp32 products"), "\(fp32.stdout)")
        #expect(try records(dir, "f", type: "start").first?["precision"] as? String == "fp32")

        let b = try losses(dir, "b"), f = try losses(dir, "f")
        #expect(b.count == iterations && f.count == iterations && b != f, "bf16 \(b.count), fp32 \(f.count) records")
        for i in 0..<3 { #expect(abs(b[i] - f[i]) <= 0.01 * f[i], "\(task) iteration \(i + 1): bf16 \(b[i]) vs fp32 \(f[i])") }
        let vb = try records(dir, "b", type: "eval").compactMap { $0["val_loss"] as? Double }
        let vf = try records(dir, "f", type: "eval").compactMap { $0["val_loss"] as? Double }
        #expect(vb.count == vf.count && vb.count >= 2, "\(vb) \(vf)")
        if task == "translate" {
            #expect(vb.last! < 0.5 * vb[0] && vf.last! < 0.5 * vf[0], "bf16 \(vb), fp32 \(vf)")
            #expect(abs(vb.last! - vf.last!) <= 0.1 * vf.last!, "bf16 \(vb), fp32 \(vf)")
        } else {
            for (x, y) in zip(vb, vf) { #expect(abs(x - y) <= 0.02 * y + 1e-3, "\(task): validation bf16 \(vb) vs fp32 \(vf)") }
        }

        let first = try train("r", iterations / 2, ["--precision", "bf16"])
        let rest = try train("r", iterations, ["--resume"])
        #expect(first.status == 0 && rest.status == 0, "\(rest.stderr)")
        #expect(rest.stdout.hasPrefix("precision: bf16 products"), "\(rest.stdout)")
        #expect(try losses(dir, "r") == b)

        // A resumed run may change its precision (as a language model's may): the rest trains in fp32.
        let switched = try train("r", iterations + 5, ["--resume", "--precision", "fp32"])
        #expect(switched.status == 0 && switched.stdout.hasPrefix("precision: fp32 products"), "\(switched.stdout) \(switched.stderr)")
        #expect(try records(dir, "r", type: "start").compactMap { $0["precision"] as? String } == ["bf16", "bf16", "fp32"])
    }

    /// Without native bf16, `auto` trains every shape exactly as fp32 (the same losses as asking for nothing).
    @Test(.enabled(if: !TrainPrecisionCLITests.native, "this CPU multiplies bf16 natively: auto means bf16 here"),
          arguments: ["classify", "translate"])
    func autoIsFP32ForEveryShapeWithoutNativeBF16(_ task: String) throws {
        let dir = try Binary.temporaryDirectory()
        try Data((task == "translate" ? ToyPairs.tsv : ToyLabels.balanced).utf8).write(to: dir.appendingPathComponent("data.tsv"))
        let model = (task == "translate" ? ToyPairs.model : ToyLabels.model) + ["--log-every", "1", "--max-iters", "12"]
        let auto = try Binary.run(["train", "data.tsv", "--task", task, "--checkpoint-dir", "a", "--precision", "auto"] + model, in: dir)
        let plain = try Binary.run(["train", "data.tsv", "--task", task, "--checkpoint-dir", "p"] + model, in: dir)
        #expect(auto.status == 0 && plain.status == 0, "\(auto.stderr) \(plain.stderr)")
        #expect(auto.stdout.hasPrefix("precision: fp32 products") && !auto.stderr.contains("emulated"), "\(auto.stdout)")
        #expect(try losses(dir, "a") == losses(dir, "p"))
    }
}
