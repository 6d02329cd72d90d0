import Checkpoints
import Foundation
import RNN
import SafeTensors
import Tensor
import Testing

/// Toy pairs a tiny encoder–decoder starts to learn in a few dozen iterations: every string of 1–4
/// characters over "a", "b" and "é" (one grapheme, two UTF-8 bytes), with its reversal as the target.
enum ToyPairs {
    static let pairs: [(source: String, target: String)] = {
        var words = [""]
        var all: [String] = []
        for _ in 1...4 {
            words = words.flatMap { w in ["a", "b", "é"].map { w + $0 } }
            all += words
        }
        return all.map { ($0, String($0.reversed())) }
    }()
    static let tsv = pairs.map { "\($0.source)\t\($0.target)\n" }.joined()

    /// A tiny model's flags: 120 pairs, 96 to train (12 iterations an epoch), 12 validation, 12 test.
    static let model = ["--hidden", "16", "--layers", "1", "--batch-size", "8", "--learning-rate", "0.02", "--eval-every", "10",
                        "--seed", "2", "--val-frac", "0.1", "--test-frac", "0.1"]

    /// A fresh directory holding `pairs.tsv`, with a run trained in `run/` by `train pairs.tsv --task translate flags…`.
    static func trained(_ flags: [String]) -> (dir: URL, run: BinaryRun) {
        let dir = try! Binary.temporaryDirectory()
        try! Data(tsv.utf8).write(to: dir.appendingPathComponent("pairs.tsv"))
        let r = try! Binary.run(["train", "pairs.tsv", "--task", "translate", "--checkpoint-dir", "run"] + model + flags, in: dir)
        precondition(r.status == 0, "toy translation training \(flags) failed: \(r.stderr)")
        return (dir, r)
    }

    /// Made once per test process, shared by the tests (never changed by them).
    static let run = trained(["--max-iters", "60"])
    static var directory: URL { run.dir }
    /// The same directory once a plain character model is trained beside the translation model, in `gen/`.
    static let withGenerator: URL = {
        let r = try! Binary.run(["train", "pairs.tsv", "--checkpoint-dir", "gen"] + tinyModel + ["--max-iters", "2"], in: directory)
        precondition(r.status == 0, "toy character model failed: \(r.stderr)")
        return directory
    }()
    static var checkpoint: String { directory.appendingPathComponent("run/latest.safetensors").path }
}

/// `charrnn train PAIRS --task translate`, `translate`, `eval` and `viz` of an encoder–decoder (issue 25),
/// through the built binary on the toy reversal pairs.
@Suite struct TranslateCLITests {
    func lines(_ text: String) -> [String] { text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init) }

    func object(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(text)", sourceLocation: sourceLocation)
    }

    func write(_ text: String, _ name: String) throws -> URL {
        let url = ToyPairs.directory.appendingPathComponent("\(name)-\(UUID().uuidString).txt")
        try Data(text.utf8).write(to: url)
        return url
    }

    // MARK: - train

    /// Training prints the split and the target padding, falls below the loss of a uniform guess, and saves
    /// a checkpoint whose tensors are named as docs/checkpoint-format.md says (encoder, decoder, attention, combine, head).
    @Test func trainingReportsTheSplitAndSavesTheNamedTensors() throws {
        let out = ToyPairs.run.run.stdout
        #expect(out.contains("120 pairs; train 96, val 12, test 12 (random split)"), "\(out)")
        #expect(out.contains("% padding (targets; batches hold sources of one length)"), "\(out)")
        let checkpoint = try Checkpoint.read(from: ToyPairs.checkpoint)
        #expect(checkpoint.config.attention == .general && checkpoint.config.cell == .lstm)
        #expect(checkpoint.training["task"] == "translate")
        // The vocabulary: a, b, é, and the two markers.
        #expect(checkpoint.vocabulary.count == 5, "\(checkpoint.vocabulary.tokens)")
        let loss = try #require(Double(checkpoint.training["best_val_loss"] ?? ""))
        #expect(loss < log(5.0) * 0.8, "best validation loss \(loss) nats/char after 60 iterations")
        let file = try SafeTensorsFile.read(path: ToyPairs.checkpoint)
        let names = Set(file.tensors.map(\.name).filter { !$0.hasPrefix("optim.") })   // and Adam's moments, optim.m and optim.v
        #expect(names == ["encoder.weight_ih_l0", "encoder.weight_hh_l0", "encoder.bias_ih_l0", "encoder.bias_hh_l0",
                          "decoder.weight_ih_l0", "decoder.weight_hh_l0", "decoder.bias_ih_l0", "decoder.bias_hh_l0",
                          "attention.weight", "combine.weight", "combine.bias", "head.weight", "head.bias"], "\(names.sorted())")
        let shapes = Dictionary(uniqueKeysWithValues: file.tensors.map { ($0.name, $0.shape) })
        #expect(shapes["encoder.weight_ih_l0"] == [64, 5] && shapes["attention.weight"] == [16, 16])
        #expect(shapes["combine.weight"] == [16, 32] && shapes["head.weight"] == [5, 16])
    }

    /// Dot attention has no attention.weight; every cell trains.
    @Test(arguments: ["gru", "rnn", "lstm"])
    func dotAttentionAndEveryCellTrain(cell: String) throws {
        let (dir, _) = ToyPairs.trained(["--attention", "dot", "--model", cell, "--max-iters", "4"])
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = try SafeTensorsFile.read(path: dir.appendingPathComponent("run/latest.safetensors").path)
        #expect(!file.tensors.contains { $0.name == "attention.weight" })
        #expect(file.tensors.contains { $0.name == "combine.weight" })
        let info = try Binary.run(["info", "run"], in: dir)
        #expect(info.stdout.contains("--task translate") && info.stdout.contains("dot attention"), "\(info.stdout)")
    }

    /// --resume continues a translation run bit for bit: 6 iterations then 6 more equal 12 at once (dropout on).
    @Test func resumeContinuesExactly() throws {
        let flags = ["--dropout", "0.2", "--eval-every", "6"]
        let (straight, _) = ToyPairs.trained(flags + ["--max-iters", "12"])
        let (halves, _) = ToyPairs.trained(flags + ["--max-iters", "6"])
        defer { for d in [straight, halves] { try? FileManager.default.removeItem(at: d) } }
        let more = try Binary.run(["train", "pairs.tsv", "--task", "translate", "--checkpoint-dir", "run"] + ToyPairs.model + flags
                                  + ["--max-iters", "12", "--resume"], in: halves)
        #expect(more.status == 0 && more.stderr.contains("resuming"), "\(more.stderr)")
        let a = try Checkpoint.read(from: straight.appendingPathComponent("run/latest.safetensors").path)
        let b = try Checkpoint.read(from: halves.appendingPathComponent("run/latest.safetensors").path)
        #expect(a.parameters == b.parameters)
        #expect(a.training["iteration"] == "12" && b.training["iteration"] == "12")
        // The checkpoint of a translation run goes on as one only.
        for args in [["train", "pairs.tsv", "--checkpoint-dir", "run", "--resume"],
                     ["train", "pairs.tsv", "--task", "classify", "--checkpoint-dir", "run", "--resume"],
                     ["train", "pairs.tsv", "--init-from", "run/latest.safetensors", "--checkpoint-dir", "other"]] {
            #expect(errorLines(try Binary.run(args, in: halves)).count == 1, "\(args)")
        }
    }

    /// `--auto` sizes an encoder–decoder as it does a language model: a pair is a batch row, the
    /// probe times the run's own pairs, the flags given win, and `info` shows why.
    @Test func autoSizesTheEncoderDecoder() throws {
        try inTextTree(["pairs.tsv": Array(ToyPairs.tsv.utf8)]) { dir in
            let r = try Binary.run(["train", "pairs.tsv", "--task", "translate", "--auto", "--max-time", "2s", "--batch-size", "8",
                                    "--seed", "2", "--checkpoint-dir", "run"], in: dir)
            #expect(r.status == 0, "\(r.stderr)")
            let auto = r.stdout.split(separator: "\n").filter { $0.hasPrefix("auto: ") }
            #expect(auto.count == 6, "\(r.stdout)")
            #expect(r.stdout.contains("auto: precision \(ProductPrecision.isNative(in: Kernels.current) ? "bf16" : "fp32"): this CPU"), "\(r.stdout)")
            #expect(r.stdout.contains("auto: cell: layer-normalized lstm, 2 layers, B = 8 pairs"), "\(r.stdout)")
            #expect(r.stdout.contains(" chars/s, "), "the probe's rate is in the budget line: \(r.stdout)")
            // 96 training pairs of 5.4 characters: no size above the smallest has fewer parameters than that.
            #expect(r.stdout.contains("auto: hidden 64 "), "\(r.stdout)")
            let c = try Checkpoint.read(from: dir.appendingPathComponent("run/latest.safetensors").path)
            #expect(c.config.attention == .general && c.config.layerNorm && c.config.hiddenSize == 64 && c.config.layerCount == 2)
            let info = try Binary.run(["info", "run"], in: dir)
            #expect(info.stdout.contains("chosen by:  --auto: cell: layer-normalized lstm"), "\(info.stdout)")
            let given = try Binary.run(["train", "pairs.tsv", "--task", "translate", "--auto", "--max-iters", "2", "--model", "gru",
                                        "--hidden", "12", "--attention", "dot", "--checkpoint-dir", "given"], in: dir)
            #expect(given.status == 0, "\(given.stderr)")
            #expect(given.stdout.contains("auto: hidden 12: given"), "\(given.stdout)")
            let g = try Checkpoint.read(from: dir.appendingPathComponent("given/latest.safetensors").path)
            #expect(g.config.cell == .gru && g.config.hiddenSize == 12 && g.config.attention == .dot)
        }
    }

    /// Pairs files that are not pairs, and flags without meaning for them, are one line each.
    @Test(arguments: [
        (["bad.tsv"], "bad.tsv:2"),                              // a line without a tab
        (["pairs.tsv", "--attention", "dot", "--task", "classify"], "--attention applies to --task translate"),
        (["pairs.tsv", "--auto", "--resume"], "--auto"),
        (["pairs.tsv", "pairs.tsv"], "one"),
    ] as [([String], String)])
    func badPairsAndFlagsAreRefused(arguments: [String], message: String) throws {
        try inTextTree(["pairs.tsv": Array(ToyPairs.tsv.utf8), "bad.tsv": Array("ab\tba\nno tab here\n".utf8)]) { dir in
            let r = try Binary.run(["train"] + arguments + (arguments.contains("--task") ? [] : ["--task", "translate"])
                                   + ["--max-iters", "1", "--checkpoint-dir", "run"], in: dir)
            #expect(r.status != 0 && !r.stderr.contains("Fatal error") && r.stderr.contains(message), "\(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("run/latest.safetensors").path))
        }
    }

    // MARK: - translate and eval

    /// translate prints one line per input line (an empty line for an empty one); --json has the
    /// log-probability; greedy is --beam 1; eval --all's exact match is the share of those lines equal to the targets.
    @Test func translateAgreesWithEval() throws {
        let sources = ToyPairs.pairs.map(\.source)
        let input = try write((sources[..<60] + [""] + sources[60...]).map { $0 + "\n" }.joined(), "sources")
        defer { try? FileManager.default.removeItem(at: input) }
        let plain = try Binary.run(["translate", "--checkpoint", "run", input.path], in: ToyPairs.directory)
        #expect(plain.status == 0 && plain.stderr.isEmpty, "\(plain.stderr)")
        var outputs = lines(plain.stdout)
        #expect(outputs.count == 121 && outputs[60] == "")
        outputs.remove(at: 60)
        let beamOne = try Binary.run(["translate", "--checkpoint", "run", "--beam", "1", input.path], in: ToyPairs.directory)
        #expect(beamOne.stdout == plain.stdout)
        let json = try Binary.run(["translate", "--checkpoint", "run", "--json", input.path], in: ToyPairs.directory)
        let objects = try lines(json.stdout).map { try object($0) }
        #expect(objects.count == 121)
        #expect(objects[60]["translation"] as? String == "" && objects[60]["line"] as? Int == 61)
        #expect(objects[0]["source"] as? String == sources[0] && objects[0]["translation"] as? String == outputs[0])
        for o in objects { #expect((o["log_prob"] as? Double ?? 1) <= 0 && o["finished"] is Bool && o["characters"] is Int) }
        let beam = try Binary.run(["translate", "--checkpoint", "run", "--beam", "4", input.path], in: ToyPairs.directory)
        #expect(beam.status == 0 && lines(beam.stdout).count == 121, "\(beam.stderr)")

        let exact = zip(outputs, ToyPairs.pairs).filter { $0 == $1.target }.count
        let eval = try Binary.run(["eval", "pairs.tsv", "--checkpoint", "run", "--all", "--json"], in: ToyPairs.directory)
        #expect(eval.status == 0, "\(eval.stderr)")
        let scored = try object(eval.stdout)
        #expect(scored["pairs"] as? Int == 120 && scored["split"] as? String == "all")
        #expect(abs((scored["exact_match"] as? Double ?? -1) - Double(exact) / 120) < 1e-9, "\(eval.stdout) vs \(exact) of 120")
        let copy = try #require(scored["copy"] as? [String: Any])
        // Copying the source is right for palindromes: 3 + 3 + 9 + 9 of the 120.
        #expect(abs((copy["exact_match"] as? Double ?? -1) - 24.0 / 120) < 1e-9, "\(copy)")
    }

    /// --max-length cuts an output the model has not ended: "finished" is false, and the cut output is
    /// never ended by force (an </s> the model did not choose would add its log-probability).
    @Test func maxLengthCutsWithoutEnding() throws {
        let r = try Binary.run(["translate", "--checkpoint", "run", "--max-length", "1", "--json", "-"], in: ToyPairs.directory,
                               stdin: Data("abéa\n".utf8))
        #expect(r.status == 0, "\(r.stderr)")
        let o = try object(r.stdout)
        #expect(o["finished"] as? Bool == false && o["characters"] as? Int == 1, "\(o)")
        let full = try object(try Binary.run(["translate", "--checkpoint", "run", "--json", "-"], in: ToyPairs.directory,
                                             stdin: Data("abéa\n".utf8)).stdout)
        #expect((o["log_prob"] as? Double ?? -1) > (full["log_prob"] as? Double ?? 0) || full["characters"] as? Int == 1, "\(o) \(full)")
    }

    /// eval of a translation model scores the run's test split (12 pairs) by default and prints both lines.
    @Test func evalPrintsModelAndCopyLines() throws {
        let r = try Binary.run(["eval", "pairs.tsv", "--checkpoint", "run"], in: ToyPairs.directory)
        #expect(r.status == 0, "\(r.stderr)")
        let out = lines(r.stdout)
        #expect(out.count == 3, "\(r.stdout)")
        #expect(out[0].contains("test split of the run (12 pairs"), "\(out)")
        #expect(out[1].hasPrefix("model (greedy): exact match ") && out[1].contains("character error rate"), "\(out)")
        #expect(out[2].hasPrefix("copy the source: exact match "), "\(out)")
        let beam = try Binary.run(["eval", "pairs.tsv", "--checkpoint", "run", "--beam", "3"], in: ToyPairs.directory)
        #expect(beam.stdout.contains("model (beam 3)"), "\(beam.stdout)\(beam.stderr)")
    }

    /// A line the model cannot read stops translate with one line naming it, after the lines before it.
    @Test func anUnreadableLineStopsWithItsNumber() throws {
        for (line, message) in [("abz", "z"), (String(repeating: "a", count: 10_001), "10000")] {
            let input = try write("ab\n\(line)\nba\n", "bad")
            defer { try? FileManager.default.removeItem(at: input) }
            let r = try Binary.run(["translate", "--checkpoint", "run", input.path], in: ToyPairs.directory)
            #expect(r.status == 1 && lines(r.stdout).count == 1, "\(r.stdout)")
            #expect(r.stderr.hasPrefix("charrnn: error: \(input.path):2: ") && r.stderr.contains(message)
                    && lines(r.stderr).count == 1, "\(r.stderr)")
        }
        let stdin = try Binary.run(["translate", "--checkpoint", "run", "-"], in: ToyPairs.directory, stdin: Data([0x61, 0x62, 0x0A, 0xFF, 0x0A]))
        #expect(stdin.status == 1 && lines(stdin.stderr).count == 1, "\(stdin.stderr)")
    }

    /// Options out of range and checkpoints of another kind are one line and exit 1 (64 for usage).
    @Test(arguments: [
        (["translate", "--checkpoint", "run", "--beam", "0"], "--beam"),
        (["translate", "--checkpoint", "run", "--beam", "65"], "--beam"),
        (["translate", "--checkpoint", "run", "--max-length", "0"], "--max-length"),
        (["translate", "--checkpoint", "gen"], "not a translation model"),
        (["translate", "--checkpoint", "run", "missing.txt"], "missing.txt"),
        (["sample", "--checkpoint", "run"], "is a translation model"),
        (["classify", "--checkpoint", "run", "pairs.tsv"], "not a classifier"),
        (["viz", "--checkpoint", "run", "--text", "pairs.tsv"], "is a translation model"),
        (["viz", "--checkpoint", "run"], "give --source"),
        (["viz", "--checkpoint", "run", "--source", "abz"], "z"),
        (["viz", "--checkpoint", "gen", "--source", "ab"], "--source is for a translation model"),
        (["eval", "pairs.tsv", "--checkpoint", "gen", "--beam", "2"], "--beam"),
        (["eval", "pairs.tsv", "pairs.tsv", "--checkpoint", "run"], "one pairs file"),
        (["eval", "pairs.tsv", "--checkpoint", "run", "--batch-size", "4"], "--batch-size"),
    ] as [([String], String)])
    func refusalsAreOneLine(arguments: [String], message: String) throws {
        let r = try Binary.run(arguments, in: ToyPairs.withGenerator)
        #expect(r.status == 1 || r.status == 64, "\(r.status) \(r.stderr)")
        #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("Backtrac") && r.stderr.contains(message), "\(arguments): \(r.stderr)")
    }
}
