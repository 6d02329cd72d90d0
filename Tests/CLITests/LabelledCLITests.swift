import Checkpoints
import Foundation
import RNN
import Testing

/// Toy labelled data a tiny model learns in a few dozen iterations: label a's
/// texts are mostly 'x' and label b's mostly 'y' (about one character in six
/// is the other letter), 6–14 characters each, from a fixed LCG. A model that
/// does not read its input cannot beat the majority share.
enum ToyLabels {
    static func tsv(_ labels: [(name: String, major: Character, minor: Character, count: Int)], seed: UInt64 = 5) -> String {
        var state = seed
        func next() -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int(state >> 33)
        }
        var out = ""
        for l in labels {
            for _ in 0..<l.count {
                let n = 6 + next() % 9
                out += l.name + "\t" + String((0..<n).map { _ in next() % 6 == 0 ? l.minor : l.major }) + "\n"
            }
        }
        return out
    }

    /// 60 texts of each label: 48 train, 6 validation, 6 test each.
    static let balanced = tsv([("a", "x", "y", 60), ("b", "y", "x", 60)])
    /// 80 of a, 16 of b: the test split holds 8 and 2, so the majority class scores 80%.
    static let unbalanced = tsv([("a", "x", "y", 80), ("b", "y", "x", 16)])

    /// A tiny model's flags (B = 16, so an epoch of the balanced data is 6 iterations; 10% validation, 10% test).
    static let model = ["--hidden", "8", "--layers", "1", "--batch-size", "16", "--learning-rate", "0.03", "--eval-every", "20", "--seed", "4",
                        "--val-frac", "0.1", "--test-frac", "0.1"]

    /// A fresh directory holding `data.tsv`, with a run trained in `run/` by `train data.tsv --checkpoint-dir run flags…`.
    static func trained(_ flags: [String], data: String = balanced) -> URL {
        let dir = try! Binary.temporaryDirectory()
        try! Data(data.utf8).write(to: dir.appendingPathComponent("data.tsv"))
        let r = try! Binary.run(["train", "data.tsv", "--checkpoint-dir", "run"] + model + flags, in: dir)
        precondition(r.status == 0, "toy training \(flags) failed: \(r.stderr)")
        return dir
    }

    /// Made once per test process, shared by the tests (never changed by them).
    static let classifier = trained(["--task", "classify", "--max-iters", "60"])
    static let generator = trained(["--task", "generate", "--max-iters", "150"])
    static let unconditioned = trained(["--task", "generate", "--unconditioned", "--max-iters", "150"])
}

/// `charrnn train DATA --task classify|generate`, `classify`, `eval`, `sample --label` and `info`
/// of labelled models (issue 24), through the built binary on the x/y toy data.
@Suite struct LabelledCLITests {
    func lines(_ text: String) -> [String] { text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init) }

    func object(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], sourceLocation: sourceLocation)
    }

    /// Only the files the test wrote: no run directory, no default checkpoints/ folder, no token cache.
    func expectNothingWritten(in dir: URL, besides files: Set<String>, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let entries = Set(try FileManager.default.contentsOfDirectory(atPath: dir.path))
        #expect(entries == files, "left behind: \(entries.subtracting(files))", sourceLocation: sourceLocation)
    }

    /// (accuracy, correct, examples) from the classification table's last line.
    func accuracy(in text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> (Double, Int, Int) {
        let line = try #require(lines(text).first { $0.hasPrefix("accuracy ") }, "\(text)", sourceLocation: sourceLocation)
        let m = try #require(line.wholeMatch(of: /accuracy (\d\.\d{3}) \((\d+) of (\d+)\), macro-F1 (\d\.\d{3})/), "\(line)",
                             sourceLocation: sourceLocation)
        return (Double(m.1)!, Int(m.2)!, Int(m.3)!)
    }

    // MARK: - train --task classify, and eval of a classifier

    /// The toy task is learnt (≥ 90% on 12 test texts where the majority class gets 50%), with either pooling;
    /// eval prints the confusion matrix, per-class lines, accuracy, macro-F1 and both baselines, and its JSON has them.
    @Test(arguments: ["last", "mean"])
    func aClassifierLearnsTheToyTask(pooling: String) throws {
        let dir = pooling == "last" ? ToyLabels.classifier : ToyLabels.trained(["--task", "classify", "--pooling", "mean", "--max-iters", "60"])
        let info = try Binary.run(["info", "run"], in: dir)
        #expect(info.stdout.contains("head classifier of 2 classes on the \(pooling) state"), "\(info.stdout)")

        let r = try Binary.run(["eval", "data.tsv", "--checkpoint", "run"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let out = lines(r.stdout)
        #expect(out.first == "data.tsv, test split of the run (12 texts, stratified, seed 4):", "\(r.stdout)")
        #expect(out.contains("confusion matrix (rows: true label, columns: predicted)"))
        #expect(out.contains { $0.wholeMatch(of: /a +\d+ +\d+/) != nil } && out.contains { $0.wholeMatch(of: /b +\d+ +\d+/) != nil }, "\(r.stdout)")
        #expect(out.contains("label  precision  recall     f1  support"))
        let (acc, _, examples) = try accuracy(in: r.stdout)
        #expect(examples == 12)
        #expect(acc >= 0.9, "\(r.stdout)")
        #expect(out.contains { $0.wholeMatch(of: /loss \d+\.\d{4} nats\/text/) != nil })
        let baselines = try #require(out.last)
        #expect(baselines.contains("majority class accuracy 50.00% (macro-F1 0.3333)"), "\(baselines)")
        #expect(baselines.contains("naive Bayes over character 1–3-grams accuracy"), "\(baselines)")

        let json = try Binary.run(["eval", "data.tsv", "--checkpoint", "run", "--json"], in: dir)
        #expect(json.status == 0, "\(json.stderr)")
        let o = try object(json.stdout)
        #expect(o["split"] as? String == "test" && o["texts"] as? Int == 12)
        let model = try #require(o["model"] as? [String: Any])
        #expect(abs((model["accuracy"] as? Double ?? -1) - acc) < 0.0005)
        #expect(model["labels"] as? [String] == ["a", "b"])
        #expect((model["confusion"] as? [[Int]])?.joined().reduce(0, +) == 12)
        #expect(model["macro_f1"] is Double)
        let majority = try #require(o["majority"] as? [String: Any])
        #expect(majority["accuracy"] as? Double == 0.5)
        let bayes = try #require(o["naive_bayes"] as? [String: Any])
        #expect(bayes["accuracy"] is Double && bayes["confusion"] is [[Int]])
    }

    /// --class-weights balanced on 5:1 data trains, is stored, and still finds the rare label.
    @Test func balancedClassWeightsTrainOnUnbalancedData() throws {
        let dir = ToyLabels.trained(["--task", "classify", "--class-weights", "balanced", "--max-iters", "60"], data: ToyLabels.unbalanced)
        defer { try? FileManager.default.removeItem(at: dir) }
        let checkpoint = try Checkpoint.read(from: dir.appendingPathComponent("run/latest.safetensors").path)
        #expect(checkpoint.training["options"]?.contains("\"classWeighting\":\"balanced\"") == true)
        let r = try Binary.run(["eval", "data.tsv", "--checkpoint", "run", "--json"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let o = try object(r.stdout)
        let model = try #require(o["model"] as? [String: Any])
        #expect((model["accuracy"] as? Double ?? 0) >= 0.9, "\(r.stdout)")
        #expect((model["recall"] as? [Double])?.last == 1, "the two b texts of the test split: \(r.stdout)")
        #expect((o["majority"] as? [String: Any])?["accuracy"] as? Double == 0.8)
    }

    /// eval of data holding a label the classifier does not know: one line.
    @Test func evalRefusesALabelTheModelDoesNotKnow() throws {
        let dir = ToyLabels.classifier
        let name = "unknown-label-\(UUID().uuidString).tsv"
        try Data("a\txxxx\na\txxxxx\nb\tyyyy\nb\tyyy\nc\txy\nc\tyx\n".utf8).write(to: dir.appendingPathComponent(name))
        defer { try? FileManager.default.removeItem(at: dir.appendingPathComponent(name)) }
        expectOneLineFailure(try Binary.run(["eval", name, "--checkpoint", "run"], in: dir),
                             mentioning: "has the label \"c\", which the model does not know (its labels: \"a\" \"b\")")
    }

    // MARK: - classify

    static let classifyInput = "xxxxxxxx\nyyyyyyyy\n\nxxzxxx\nyyyxyy\n"

    /// One answer per input line, in order, whether the lines come from a file, `-` or standard input
    /// with no argument (and with CRLF endings); the empty line gets one; the character never seen is counted.
    @Test func classifyAnswersEveryLineInOrder() throws {
        let dir = ToyLabels.classifier
        let name = "lines-\(UUID().uuidString).txt"
        try Data(Self.classifyInput.utf8).write(to: dir.appendingPathComponent(name))
        defer { try? FileManager.default.removeItem(at: dir.appendingPathComponent(name)) }
        let file = try Binary.run(["classify", "--checkpoint", "run", name], in: dir)
        #expect(file.status == 0, "\(file.stderr)")
        let answers = lines(file.stdout)
        #expect(answers.count == 5, "\(file.stdout)")
        #expect(answers.allSatisfy { $0.wholeMatch(of: /[ab]\t(0\.\d{4}|1\.0000)/) != nil }, "\(file.stdout)")
        #expect(answers.map { $0.prefix(1) } == ["a", "b", answers[2].prefix(1), "a", "b"], "\(file.stdout)")
        #expect(file.stderr == "1 character outside the model's vocabulary left out\n", "\(file.stderr)")

        let dash = try Binary.run(["classify", "--checkpoint", "run", "-"], in: dir, stdin: Data(Self.classifyInput.utf8))
        let none = try Binary.run(["classify", "--checkpoint", "run"], in: dir, stdin: Data(Self.classifyInput.utf8))
        let crlf = try Binary.run(["classify", "--checkpoint", "run"], in: dir,
                                  stdin: Data(Self.classifyInput.replacingOccurrences(of: "\n", with: "\r\n").utf8).dropLast(2))   // no last line break
        for r in [dash, none, crlf] {
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout == file.stdout)
            #expect(r.stderr == file.stderr)
        }
    }

    /// --json: one object per line with its number, the label, its probability, every label's
    /// probability (summing to 1), the characters read and those left out; the empty line's answer
    /// is softmax(head.bias), the zero state's.
    @Test func classifyJSONHasEveryProbability() throws {
        let dir = ToyLabels.classifier
        let r = try Binary.run(["classify", "--checkpoint", "run", "--json"], in: dir, stdin: Data(Self.classifyInput.utf8))
        #expect(r.status == 0, "\(r.stderr)")
        let objects = try lines(r.stdout).map { try object($0) }
        #expect(objects.count == 5)
        for (i, o) in objects.enumerated() {
            #expect(o["line"] as? Int == i + 1)
            let label = try #require(o["label"] as? String)
            let all = try #require(o["probabilities"] as? [String: Double])
            #expect(Set(all.keys) == ["a", "b"])
            let total: Double = all.values.reduce(0, +)
            #expect(abs(total - 1) < 1e-9, "\(all)")
            #expect(o["probability"] as? Double == all[label])
            #expect(all[label]! >= all.values.max()!)
        }
        #expect(objects.map { $0["characters"] as? Int } == [8, 8, 0, 5, 6])
        #expect(objects.map { $0["unknown"] as? Int } == [0, 0, 0, 1, 0])
        #expect(objects.map { $0["label"] as? String }.enumerated().filter { $0.offset != 2 }.map(\.element) == ["a", "b", "a", "b"])

        let checkpoint = try Checkpoint.read(from: dir.appendingPathComponent("run/latest.safetensors").path)
        let bias = checkpoint.parameters[StackedRNN(config: checkpoint.config).layout.head.bias.range].map(Double.init)
        let e = bias.map { exp($0 - bias.max()!) }
        let prior = e.map { $0 / e.reduce(0, +) }
        let empty = try #require(objects[2]["probabilities"] as? [String: Double])
        #expect(abs(empty["a"]! - prior[0]) < 1e-12 && abs(empty["b"]! - prior[1]) < 1e-12, "\(empty) vs softmax(bias) \(prior)")
    }

    /// Texts are batched by length; the answers (every digit of the JSON) do not depend on --batch-size.
    @Test func batchSizeDoesNotChangeTheAnswers() throws {
        let dir = ToyLabels.classifier
        let input = Data(ToyLabels.tsv([("a", "x", "y", 30), ("b", "y", "x", 30)], seed: 77).split(separator: "\n")
            .map { $0.split(separator: "\t")[1] + "\n" }.joined().utf8)
        let one = try Binary.run(["classify", "--checkpoint", "run", "--json", "--batch-size", "1"], in: dir, stdin: input)
        let many = try Binary.run(["classify", "--checkpoint", "run", "--json", "--batch-size", "64"], in: dir, stdin: input)
        let some = try Binary.run(["classify", "--checkpoint", "run", "--json", "--batch-size", "7"], in: dir, stdin: input)
        #expect(one.status == 0 && lines(one.stdout).count == 60, "\(one.stderr)")
        #expect(many.stdout == one.stdout)
        #expect(some.stdout == one.stdout)
    }

    /// Input that is not UTF-8, a directory, a missing file, and a checkpoint that is not a classifier: one line each.
    @Test func classifyRefusesInOneLine() throws {
        try inTextTree(["bad.txt": Array("xx\n".utf8) + [0xFF, 0x0A], "folder/x.txt": Array("x".utf8)]) { dir in
            let run = ToyLabels.classifier.appendingPathComponent("run").path
            expectOneLineFailure(try Binary.run(["classify", "--checkpoint", run, "bad.txt"], in: dir), mentioning: "bad.txt is not valid UTF-8")
            expectOneLineFailure(try Binary.run(["classify", "--checkpoint", run], in: dir, stdin: Data([0x78, 0xC3, 0x0A])),
                                 mentioning: "standard input is not valid UTF-8")
            expectOneLineFailure(try Binary.run(["classify", "--checkpoint", run, "folder"], in: dir), mentioning: "cannot read folder")
            expectOneLineFailure(try Binary.run(["classify", "--checkpoint", run, "missing.txt"], in: dir), mentioning: "cannot read missing.txt")
            let generator = ToyLabels.generator.appendingPathComponent("run").path
            expectOneLineFailure(try Binary.run(["classify", "--checkpoint", generator], in: dir, stdin: Data("x\n".utf8)),
                                 mentioning: "the checkpoint is not a classifier (its head is next_character)")
            let plain = Fixtures.trained.appendingPathComponent("checkpoints/run").path
            expectOneLineFailure(try Binary.run(["classify", "--checkpoint", plain], in: dir, stdin: Data("x\n".utf8)),
                                 mentioning: "the checkpoint is not a classifier")
        }
    }

    // MARK: - train --task generate, sample --label

    /// Documents from a label: one per line with --count, no line break inside, JSON objects with `ended`,
    /// the same seed the same text; and the label shows: a's samples are mostly x, b's mostly y.
    @Test func aGeneratorWritesDocumentsInItsLabelsStyle() throws {
        let dir = ToyLabels.generator
        let base = ["sample", "--checkpoint", "run", "--count", "20", "--seed", "3", "--length", "40"]
        let a = try Binary.run(base + ["--label", "a"], in: dir)
        #expect(a.status == 0, "\(a.stderr)")
        let documents = lines(a.stdout)
        #expect(documents.count == 20, "\(a.stdout)")
        #expect(!a.stdout.contains("<s>") && !a.stdout.contains("</s>") && !a.stdout.contains("\r"))
        #expect(try Binary.run(base + ["--label", "a"], in: dir).stdout == a.stdout)
        let json = try Binary.run(base + ["--label", "a", "--json"], in: dir)
        let objects = try lines(json.stdout).map { try object($0) }
        #expect(objects.count == 20 && objects.allSatisfy { $0["ended"] is Bool })
        #expect(objects.map { $0["text"] as? String } == documents.map { $0 })

        let b = try Binary.run(base + ["--label", "b"], in: dir)
        #expect(b.status == 0, "\(b.stderr)")
        #expect(b.stdout != a.stdout)
        func share(of letter: Character, _ text: String) -> Double {
            let letters = text.filter { $0 == "x" || $0 == "y" }
            return Double(letters.filter { $0 == letter }.count) / Double(max(1, letters.count))
        }
        #expect(share(of: "x", a.stdout) > 0.7, "label a: \(a.stdout)")
        #expect(share(of: "y", b.stdout) > 0.7, "label b: \(b.stdout)")
    }

    /// A missing or unknown --label, --label on a model without labels (unconditioned, plain, classifier), and --novel: one line each.
    @Test func sampleRefusesLabelMistakesInOneLine() throws {
        let generator = ToyLabels.generator.appendingPathComponent("run").path
        let dir = try Binary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        expectOneLineFailure(try Binary.run(["sample", "--checkpoint", generator], in: dir),
                             mentioning: "writes from a label: give --label, one of \"a\" \"b\"")
        expectOneLineFailure(try Binary.run(["sample", "--checkpoint", generator, "--label", "c"], in: dir),
                             mentioning: "--label \"c\" is not one of the model's labels: \"a\" \"b\"")
        expectOneLineFailure(try Binary.run(["sample", "--checkpoint", generator, "--label", "a", "--novel"], in: dir),
                             mentioning: "--novel compares with a --documents run's training documents")
        for other in [ToyLabels.unconditioned.appendingPathComponent("run").path,
                      Fixtures.trained.appendingPathComponent("checkpoints/run").path] {
            expectOneLineFailure(try Binary.run(["sample", "--checkpoint", other, "--label", "a"], in: dir),
                                 mentioning: "was not trained on labelled texts (train --task generate)")
        }
        expectOneLineFailure(try Binary.run(["sample", "--checkpoint", ToyLabels.classifier.appendingPathComponent("run").path, "--label", "a"], in: dir),
                             mentioning: "is a classifier, not a model that writes text")
    }

    /// eval of a generator: the overall figure and one line per label; --json has per_label.
    @Test(arguments: ["conditioned", "unconditioned"])
    func generatorEvalPrintsPerLabelLines(kind: String) throws {
        let dir = kind == "conditioned" ? ToyLabels.generator : ToyLabels.unconditioned
        let r = try Binary.run(["eval", "data.tsv", "--checkpoint", "run"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let out = lines(r.stdout)
        #expect(out.count == 3, "\(r.stdout)")
        #expect(out[0].wholeMatch(of: /data.tsv, test split of the run \(12 texts\): \d+\.\d{4} nats\/char over every character and each text's end/) != nil,
                "\(r.stdout)")
        #expect(out[1].wholeMatch(of: /\ \ "a"  \d+\.\d{4} nats\/char/) != nil, "\(r.stdout)")
        #expect(out[2].wholeMatch(of: /\ \ "b"  \d+\.\d{4} nats\/char/) != nil, "\(r.stdout)")
        let json = try object(try Binary.run(["eval", "data.tsv", "--checkpoint", "run", "--json"], in: dir).stdout)
        let perLabel = try #require(json["per_label"] as? [String: Double])
        #expect(Set(perLabel.keys) == ["a", "b"])
        let loss = try #require(json["loss"] as? Double)
        #expect(loss > 0 && loss < log(4.0), "a model that learnt nothing scores log V (V = 4: x, y, <s>, </s>): \(loss)")
        let info = try Binary.run(["info", "run"], in: dir)
        #expect(info.stdout.contains(kind == "conditioned" ? "--task generate: input character and label (one-hot, 2 labels), head next character\n"
                                                           : "--task generate: input character (one-hot), head next character (--unconditioned)\n"),
                "\(info.stdout)")
        let sample = try Binary.run(["sample", "--checkpoint", "run", "--count", "3", "--seed", "1", "--length", "30"]
                                    + (kind == "conditioned" ? ["--label", "b"] : []), in: dir)
        #expect(sample.status == 0 && lines(sample.stdout).count == 3, "\(sample.stderr)")
    }

    /// A labelled run follows --lr-schedule as a run of one text does: cosine from the rate down to a tenth.
    @Test func aLabelledRunTakesALearningRateSchedule() throws {
        let dir = ToyLabels.trained(["--task", "classify", "--max-iters", "20", "--lr-schedule", "cosine"])
        let info = try Binary.run(["info", "run", "--json"], in: dir)
        let o = try #require(try JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [String: Any])
        #expect(o["task"] as? String == "classify", "\(info.stdout)")
        let checkpoint = dir.appendingPathComponent("run/latest.safetensors").path
        let options = try #require(try Checkpoint.read(from: checkpoint).training["options"])
        #expect(options.contains("cosine"), "\(options)")
    }

    /// Ctrl-C during a labelled run: `latest` saved (a loadable classifier with its labels), exit 130, no trap.
    @Test func sigintSavesALabelledRunAndExits130() throws {
        let dir = try Binary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data(ToyLabels.balanced.utf8).write(to: dir.appendingPathComponent("data.tsv"))
        let (status, stderr) = try Binary.interruptedTraining(
            ["data.tsv", "--task", "classify", "--hidden", "8", "--layers", "1", "--batch-size", "4", "--log-every", "1",
             "--max-iters", "10000000", "--eval-every", "1000000", "--checkpoint-dir", "run"], in: dir, log: "run/train.jsonl")
        #expect(status == 130)
        let checkpoint = try Checkpoint.read(from: dir.appendingPathComponent("run/latest.safetensors").path)
        #expect(Int(checkpoint.training["iteration"] ?? "0")! >= 3)
        #expect(checkpoint.labels == ["a", "b"] && checkpoint.config.head == .classifier)
        #expect(!stderr.contains("Fatal error"), "\(stderr)")
    }

    /// --resume continues a labelled run bit for bit: 12 iterations then 12 more equal 24 at once (dropout on,
    /// so the generator's state is restored too), for both tasks; another task or a changed setting is one line.
    @Test(arguments: ["classify", "generate"])
    func resumeContinuesALabelledRunExactly(task: String) throws {
        let flags = ["--task", task, "--dropout", "0.2", "--eval-every", "12", "--batch-size", "8", "--seed", "3"]
        let straight = ToyLabels.trained(flags + ["--max-iters", "24"])
        let halves = ToyLabels.trained(flags + ["--max-iters", "12"])
        let more = try Binary.run(["train", "data.tsv", "--checkpoint-dir", "run"] + ToyLabels.model + flags + ["--max-iters", "24", "--resume"],
                                  in: halves)
        #expect(more.status == 0, "\(more.stderr)")
        #expect(more.stderr.contains("resuming"), "\(more.stderr)")
        let a = try Checkpoint.read(from: straight.appendingPathComponent("run/latest.safetensors").path)
        let b = try Checkpoint.read(from: halves.appendingPathComponent("run/latest.safetensors").path)
        #expect(a.parameters == b.parameters)
        #expect(a.training["iteration"] == "24" && b.training["iteration"] == "24")
        let other = task == "classify" ? "generate" : "classify"
        let wrong = try Binary.run(["train", "data.tsv", "--checkpoint-dir", "run", "--task", other, "--resume"], in: halves)
        #expect(wrong.status == 1 && errorLines(wrong).count == 1 && wrong.stderr.contains("cannot resume with --task \(other)"), "\(wrong.stderr)")
        let changed = try Binary.run(["train", "data.tsv", "--checkpoint-dir", "run"] + ToyLabels.model + flags + ["--hidden", "9", "--resume"], in: halves)
        #expect(changed.status == 1 && errorLines(changed).count == 1 && changed.stderr.contains("different settings"), "\(changed.stderr)")
    }

    /// "é" as one scalar and as e + U+0301 is one label (put in NFC as texts are): the run trains
    /// and saves; before, the reader kept two labels and the first save refused them, losing the run.
    @Test(arguments: ["classify", "generate"])
    func labelsThatDifferOnlyInNormalizationTrainAsOne(task: String) throws {
        let data = ToyLabels.tsv([("\u{E9}", "x", "y", 20), ("e\u{301}", "x", "y", 20), ("b", "y", "x", 40)])
        let dir = try Binary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data(data.utf8).write(to: dir.appendingPathComponent("data.tsv"))
        let r = try Binary.run(["train", "data.tsv", "--task", task, "--checkpoint-dir", "run"] + ToyLabels.model
                               + ["--max-iters", "4", "--eval-every", "2"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("80 texts, 2 labels (\"b\" \"\u{E9}\")"), "\(r.stdout)")
        let saved = try Checkpoint.read(from: dir.appendingPathComponent("run/best.safetensors").path)
        #expect(saved.labels?.map { Array($0.unicodeScalars) } == [["b"], ["\u{E9}"]])
    }

    // MARK: - refusals of train

    static let refusedFlags: [[String]] = [
        ["--init-from", "x.safetensors"], ["--auto"], ["--documents", "lines"],
        ["--seq-length", "8"], ["--patience", "2"], ["--keep", "2"], ["--min-count", "2"],
        ["--max-vocab", "5"], ["--cache-dir", "cache"], ["--no-cache"],
    ]

    /// Every flag a labelled run does not read: one line, exit 1, nothing written (no run, no checkpoints/).
    @Test(arguments: refusedFlags)
    func aFlagWithoutMeaningForLabelledDataIsRefused(flag: [String]) throws {
        try inTextTree(["data.tsv": Array(ToyLabels.balanced.utf8)]) { dir in
            for task in ["classify", "generate"] {
                expectOneLineFailure(try Binary.run(["train", "data.tsv", "--task", task, "--max-iters", "2"] + flag, in: dir),
                                     mentioning: "\(flag[0]) does not apply to --task \(task)")
                expectOneLineFailure(try Binary.run(["train", "data.tsv", "--task", task, "--max-iters", "2", "--checkpoint-dir", "run"] + flag, in: dir),
                                     mentioning: "\(flag[0]) does not apply to --task \(task)")
                try expectNothingWritten(in: dir, besides: ["data.tsv"])
            }
        }
    }

    /// Labelled data with problems: one line per problem with its line number, exit 1, no checkpoint directory.
    @Test(arguments: ["classify", "generate"])
    func badLabelledDataIsOneLinePerProblem(task: String) throws {
        try inTextTree(["bad.tsv": Array("a\txxxx\nno tab here\nb\tyyy\na\t\nb\tyy\nsolo\txy\na\txx\n".utf8)]) { dir in
            let lines = errorLines(try Binary.run(["train", "bad.tsv", "--task", task, "--checkpoint-dir", "run"] + ToyLabels.model, in: dir))
            #expect(lines == [
                "bad.tsv:2: no tab; each line is label<TAB>text",
                "bad.tsv:4: empty text for label \"a\"",
                "bad.tsv:6: label \"solo\" has only this example; each label needs at least 2 (one to train on, one to validate with)",
            ])
            try expectNothingWritten(in: dir, besides: ["bad.tsv"])
        }
    }

    /// The labelled flags without --task (or with the other task) are refused before anything runs.
    @Test func labelledFlagsNeedTheirTask() throws {
        try inTextTree(["corpus.txt": Array("some plain text to learn\n".utf8), "data.tsv": Array(ToyLabels.balanced.utf8)]) { dir in
            for (args, message) in [(["corpus.txt", "--pooling", "mean"], "--pooling applies to labelled data: give --task classify or --task generate"),
                                    (["corpus.txt", "--class-weights", "balanced"], "--class-weights applies to labelled data"),
                                    (["corpus.txt", "--max-chars", "40"], "--max-chars applies to labelled data"),
                                    (["corpus.txt", "--unconditioned"], "--unconditioned applies to --task generate"),
                                    (["data.tsv", "--task", "classify", "--unconditioned"], "--unconditioned applies to --task generate"),
                                    (["data.tsv", "--task", "generate", "--pooling", "mean"], "--pooling applies to --task classify, not generate")] {
                let r = try Binary.run(["train"] + args + ["--max-iters", "2"], in: dir)
                #expect(r.status != 0 && r.stdout.isEmpty, "\(args)")
                #expect(r.stderr.contains(message), "\(args): \(r.stderr)")
                try expectNothingWritten(in: dir, besides: ["corpus.txt", "data.tsv"])
            }
        }
    }

    /// train --resume and --init-from of a labelled checkpoint (classifier, conditioned or unconditioned generator): one line.
    @Test(arguments: ["classifier", "generator", "unconditioned"])
    func resumeAndInitFromRefuseALabelledCheckpoint(kind: String) throws {
        let source = ["classifier": ToyLabels.classifier, "generator": ToyLabels.generator, "unconditioned": ToyLabels.unconditioned][kind]!
        try inTextTree(["corpus.txt": Array(String(repeating: "xyxy yxxy\n", count: 40).utf8)]) { dir in
            let latest = source.appendingPathComponent("run/latest.safetensors").path
            let lines = errorLines(try Binary.run(["train", "corpus.txt", "--init-from", latest, "--checkpoint-dir", "tuned", "--max-iters", "2"], in: dir))
            #expect(lines.count == 1 && lines.first?.contains("trained on labelled texts") == true, "\(lines)")
            let resumed = errorLines(try Binary.run(["train", "corpus.txt", "--resume-from", latest, "--checkpoint-dir", "more", "--max-iters", "2"], in: dir))
            #expect(resumed.count == 1 && resumed.first?.contains("trained on labelled texts") == true, "\(resumed)")
            try expectNothingWritten(in: dir, besides: ["corpus.txt"])
        }
        // --resume in (a copy of) the run's own directory, without --task: the directory is left as it was.
        let dir = try Binary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in ["run", "data.tsv"] { try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: dir.appendingPathComponent(name)) }
        let run = dir.appendingPathComponent("run")
        let before = try FileManager.default.contentsOfDirectory(atPath: run.path).sorted()
        let bytes = try Data(contentsOf: run.appendingPathComponent("latest.safetensors"))
        let r = errorLines(try Binary.run(["train", "data.tsv", "--resume", "--checkpoint-dir", "run", "--max-iters", "400"], in: dir))
        #expect(r.count == 1 && r.first?.contains("trained on labelled texts") == true, "\(r)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: run.path).sorted() == before)
        #expect(try Data(contentsOf: run.appendingPathComponent("latest.safetensors")) == bytes)
        try expectNothingWritten(in: dir, besides: ["run", "data.tsv"])
    }

    // MARK: - info

    /// info and info --json name the task and the labels.
    @Test func infoShowsTaskAndLabels() throws {
        for (dir, task, head, labels) in [(ToyLabels.classifier, "classify", "head classifier of 2 classes on the last state", true),
                                          (ToyLabels.generator, "generate", "head next character", true),
                                          (ToyLabels.unconditioned, "generate", "head next character (--unconditioned)", false)] {
            let r = try Binary.run(["info", "run"], in: dir)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.contains("task:       --task \(task): "), "\(r.stdout)")
            #expect(r.stdout.contains(head + "\n"), "\(r.stdout)")
            #expect(r.stdout.contains("labels:     2: \"a\" \"b\"\n") == labels, "\(r.stdout)")
            #expect(r.stdout.contains("texts cut at 500"), "\(r.stdout)")
            let o = try object(try Binary.run(["info", "run", "--json"], in: dir).stdout)
            #expect(o["task"] as? String == task)
            #expect(o["labels"] as? [String] == (labels ? ["a", "b"] : nil))
        }
    }
}
