import ArgumentParser
import Foundation
import RNN
import Sampler
import Tensor
import Tokenizer
import Training

/// `charrnn bench`: how fast charrnn is on this machine, beside PyTorch and
/// numpy measured in the same run.
///
/// Every workload runs in its own child process (`charrnn bench --only NAME
/// --in-process`), so that its peak RSS (ru_maxrss, read by wait4) is its
/// own; right after it, the same workload runs in the reference script
/// (bench/torch_reference.py under $CHARRNN_PYTHON or --torch), so that the
/// two figures of a row are taken a few seconds apart on the same machine.
/// Results: a table on stdout (or JSON lines with --json), and one JSON line
/// per workload appended to bench-results/bench.jsonl.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure training, sampling and tokenizing speed (beside PyTorch, when available).",
        discussion: """
            Workloads: \(Workload.all.map(\.name).joined(separator: ", ")).

            Training runs the real step (batching, forward, backward, gradient clipping, optimizer) on \
            random characters with V = 65. GFLOP/s counts GEMM FLOPs, StackedRNN.trainingFLOPs = \
            6·N·H·(G·H·(2L − 1) + V) per window with N = B·T; "of GEMM" divides it by the machine's large \
            sgemm throughput measured in the same run. Each workload runs in a child process, so its peak \
            RSS is its own.

            PyTorch and numpy run bench/torch_reference.py with the Python in $CHARRNN_PYTHON or --torch \
            (`make torch-venv` makes one; `make bench` uses it).
            """)

    @Flag(help: "Print JSON lines instead of the table.") var json = false
    @Option(help: "Run only these workloads: a name, a prefix (train, sample) or a comma-separated list.") var only: String?
    @Option(help: "Seconds of timing per workload and implementation.") var seconds: Double = 10
    @OptionGroup var threads: ThreadOptions  // charrnn's and PyTorch's
    @Option(help: "Rounds per timed workload, alternating charrnn and the references; the best round counts.") var `repeat`: Int = 1
    @Option(help: "Python with torch (and numpy) for the reference figures (default: $CHARRNN_PYTHON).") var torch: String?
    @Flag(help: "Skip the PyTorch and numpy references.") var noReference = false
    @Option(help: "Append JSON lines here ('-' for none).") var results: String = "bench-results/bench.jsonl"
    @Option(help: .private) var referenceScript: String?
    @Flag(help: .private) var inProcess = false   // run one workload here and print its measurement

    func validate() throws {
        if !(seconds > 0 && seconds <= 3600) { throw ValidationError("--seconds must be in (0, 3600] (got \(seconds))") }
        if `repeat` < 1 || `repeat` > 20 { throw ValidationError("--repeat must be between 1 and 20") }
        if inProcess && (only.map { Workload.named($0) } ?? nil) == nil {
            throw ValidationError("--in-process needs --only with one workload name")
        }
        if let o = only, Workload.selected(by: o).isEmpty {
            throw ValidationError("no workload matches '\(o)'; workloads: \(Workload.all.map(\.name).joined(separator: ", "))")
        }
    }

    var threadCount: Int { threads.count }

    func run() throws {
        if inProcess {
            let m = try Workload.named(only!)!.measureInProcess(seconds: seconds, threads: threadCount)
            print(String(decoding: try BenchJSON.encode(m), as: UTF8.self))
            return
        }
        try BenchRun(options: self).run()
    }
}

// MARK: - Workloads

/// One thing `charrnn bench` measures.
struct Workload: Sendable {
    enum Kind: Sendable {
        case sgemm(size: Int)
        case train(TrainSpec)
        case sample(ModelShape)
        case tokenize(megabytes: Int)
        case firstCharacter(ModelShape)
    }
    struct ModelShape: Sendable {
        var cell: CellKind, layers: Int, hidden: Int, vocabulary = 65
        var config: ModelConfig {
            ModelConfig(cell: cell, activation: .tanh, vocabularySize: vocabulary, hiddenSize: hidden, layerCount: layers)
        }
        var label: String { "\(config.cellFacts.name) \(layers)×\(hidden)" }
    }
    struct TrainSpec: Sendable {
        var shape: ModelShape
        var batch = 50, sequence = 50
        var optimizer: OptimizerKind = .adam, learningRate: Float = 2e-3
        var clipMode: ClipMode = .norm, clip: Float = 5
    }

    let name: String
    let kind: Kind
    /// The references that can run it: "pytorch", "numpy".
    let references: [String]

    /// Timed for `--seconds`, so worth repeating (the tokenizer and sgemm rows take their best of several runs already).
    var isRepeatable: Bool {
        switch kind {
        case .train, .sample, .firstCharacter: return true
        case .sgemm, .tokenize: return false
        }
    }

    var label: String {
        switch kind {
        case .sgemm(let n): return "sgemm \(n)³"
        case .train(let s): return "train " + (name.hasSuffix("min-char-rnn") ? "min-char-rnn" : s.shape.label)
        case .sample(let s): return "sample " + (name.hasSuffix("min-char-rnn") ? "min-char-rnn" : s.label)
        case .tokenize(let mb): return "tokenize \(mb) MB"
        case .firstCharacter: return "first character"
        }
    }

    /// min-char-rnn's model and training (Karpathy's gist): one tanh layer of 100, T = 25, batch 1, Adagrad 0.1, clip ±5.
    static let minCharRNN = ModelShape(cell: .rnn, layers: 1, hidden: 100)

    static let all: [Workload] = [
        Workload(name: "sgemm", kind: .sgemm(size: 2048), references: []),
        Workload(name: "train-lstm-2x128", kind: .train(TrainSpec(shape: ModelShape(cell: .lstm, layers: 2, hidden: 128))), references: ["pytorch"]),
        Workload(name: "train-lstm-2x512", kind: .train(TrainSpec(shape: ModelShape(cell: .lstm, layers: 2, hidden: 512))), references: ["pytorch"]),
        Workload(name: "train-gru-2x256", kind: .train(TrainSpec(shape: ModelShape(cell: .gru, layers: 2, hidden: 256))), references: ["pytorch"]),
        Workload(name: "train-rnn-tanh-2x256", kind: .train(TrainSpec(shape: ModelShape(cell: .rnn, layers: 2, hidden: 256))), references: ["pytorch"]),
        Workload(name: "train-min-char-rnn", kind: .train(TrainSpec(shape: minCharRNN, batch: 1, sequence: 25, optimizer: .adagrad,
                                                                      learningRate: 0.1, clipMode: .value, clip: 5)),
                 references: ["pytorch", "numpy"]),
        Workload(name: "sample-lstm-2x128", kind: .sample(ModelShape(cell: .lstm, layers: 2, hidden: 128)), references: ["pytorch"]),
        Workload(name: "sample-lstm-2x512", kind: .sample(ModelShape(cell: .lstm, layers: 2, hidden: 512)), references: ["pytorch"]),
        Workload(name: "sample-min-char-rnn", kind: .sample(minCharRNN), references: ["pytorch", "numpy"]),
        Workload(name: "tokenize", kind: .tokenize(megabytes: 100), references: []),
        Workload(name: "first-char", kind: .firstCharacter(ModelShape(cell: .lstm, layers: 2, hidden: 128)), references: ["pytorch"]),
    ]

    static func named(_ name: String) -> Workload? { all.first { $0.name == name } }

    /// An exact name, a prefix ("train"), or a comma-separated list of either.
    static func selected(by filter: String) -> [Workload] {
        let parts = filter.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        return all.filter { w in parts.contains { !$0.isEmpty && w.name.hasPrefix($0) } }
    }

    /// The reference script's arguments for this workload (nil: no reference for `impl`).
    func referenceArguments(impl: String, seconds: Double, threads: Int, checkpoint: String?) -> [String]? {
        guard references.contains(impl) else { return nil }
        var a = ["--impl", impl == "pytorch" ? "torch" : "numpy", "--threads", String(threads), "--seconds", String(seconds)]
        func shape(_ s: ModelShape) -> [String] {
            ["--cell", s.cell.rawValue, "--layers", String(s.layers), "--hidden", String(s.hidden), "--vocab", String(s.vocabulary)]
        }
        switch kind {
        case .train(let s):
            a += ["--kind", "train"] + shape(s.shape) + ["--batch", String(s.batch), "--seq", String(s.sequence),
                  "--optimizer", s.optimizer.rawValue, "--lr", String(s.learningRate),
                  "--clip-mode", s.clipMode.rawValue, "--clip", String(s.clip)]
        case .sample(let s):
            a += ["--kind", "sample"] + shape(s)
        case .firstCharacter:
            guard let checkpoint else { return nil }
            a += ["--kind", "first-char", "--checkpoint", checkpoint]
        case .sgemm, .tokenize:
            return nil
        }
        return a
    }
}

// MARK: - Measurements

/// What one implementation did on one workload (the reference script prints the same keys).
struct BenchMeasurement: Codable, Sendable {
    var impl: String                     // charrnn | pytorch | numpy
    var version: String? = nil
    var charsPerSecond: Double? = nil    // training: B·T per second of whole steps; sampling: characters per second
    var msPerIteration: Double? = nil    // median step (training), mean per character (sampling)
    var iterations: Int? = nil
    var gflops: Double? = nil            // sgemm, training (GEMM FLOPs, see the command's help)
    var megabytesPerSecond: Double? = nil       // tokenize: the tokenizer (grapheme, NFC, ids)
    var icuMegabytesPerSecond: Double? = nil    // tokenize: a bare ICU break-iterator loop over the same file
    var weightGigabytesPerSecond: Double? = nil // sampling: weight bytes read per step × steps per second
    var charsPerSecondOneThread: Double? = nil  // sampling: on one thread (the main figure uses --threads, as charrnn sample does)
    var firstCharMs: Double? = nil       // first-char: median, process start to first byte on stdout
    var threads: Int? = nil
    var mkldnn: Bool? = nil
    var peakRssMb: Double? = nil         // ru_maxrss of the process (set by the parent from wait4)
    var note: String? = nil
    var rounds: Int? = nil               // rounds measured; the figures are the best round's

    /// The faster of two measurements of the same thing (nil-tolerant), counting the rounds.
    static func better(_ a: BenchMeasurement?, _ b: BenchMeasurement?) -> BenchMeasurement? {
        guard let a else { return b }
        guard let b else { return a }
        func score(_ m: BenchMeasurement) -> Double {
            m.charsPerSecond ?? m.gflops ?? m.megabytesPerSecond ?? m.firstCharMs.map { -$0 } ?? 0
        }
        var best = score(b) > score(a) ? b : a
        best.rounds = (a.rounds ?? 1) + (b.rounds ?? 1)
        return best
    }

    enum CodingKeys: String, CodingKey {
        case impl, version, iterations, gflops, threads, mkldnn, note, rounds
        case charsPerSecond = "chars_per_s", msPerIteration = "ms_per_iter"
        case megabytesPerSecond = "mb_per_s", icuMegabytesPerSecond = "icu_mb_per_s"
        case weightGigabytesPerSecond = "weight_gb_per_s", firstCharMs = "first_char_ms", peakRssMb = "peak_rss_mb"
        case charsPerSecondOneThread = "chars_per_s_one_thread"
    }
}

/// One line of bench-results/bench.jsonl: a workload, every implementation, the ratios.
struct BenchRecord: Codable, Sendable {
    var date: String, machine: String, cores: Int, threads: Int, seconds: Double
    var commit: String?, blasCore: String
    var workload: String, label: String
    var charrnn: BenchMeasurement?
    var pytorch: BenchMeasurement?
    var numpy: BenchMeasurement?
    var speedupVsPytorch: Double?        // charrnn ÷ PyTorch (chars/s; for first-char, time ratio PyTorch ÷ charrnn)
    var rssRatioVsPytorch: Double?       // charrnn peak RSS ÷ PyTorch's
    var fractionOfSgemm: Double?         // training GFLOP/s ÷ large sgemm GFLOP/s

    enum CodingKeys: String, CodingKey {
        case date, machine, cores, threads, seconds, commit, workload, label, charrnn, pytorch, numpy
        case blasCore = "blas_core", speedupVsPytorch = "speedup_vs_pytorch", rssRatioVsPytorch = "rss_ratio_vs_pytorch"
        case fractionOfSgemm = "fraction_of_sgemm"
    }
}

enum BenchJSON {
    static func encode<T: Encodable>(_ value: T) throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try e.encode(value)
    }
    static func decodeLastLine<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) -> T? {
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
        guard let last = lines.last(where: { $0.hasPrefix("{") }) else { return nil }
        return try? JSONDecoder().decode(type, from: Data(last.utf8))
    }
}

// MARK: - In-process measurement (the child)

extension Workload {
    func measureInProcess(seconds: Double, threads: Int) throws -> BenchMeasurement {
        switch kind {
        case .sgemm(let n): return Self.measureSGEMM(n: n, seconds: min(seconds, 3), threads: threads)
        case .train(let spec): return Self.measureTraining(spec, seconds: seconds, threads: threads)
        case .sample(let shape): return Self.measureSampling(shape, seconds: seconds, threads: threads)
        case .tokenize(let mb): return try Self.measureTokenizer(megabytes: mb)
        case .firstCharacter: throw ValidationError("first-char is measured by the parent process")
        }
    }

    static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }

    /// C = A·B for n×n matrices on all threads: OpenBLAS's best case, the ceiling the engine is compared with.
    static func measureSGEMM(n: Int, seconds: Double, threads: Int) -> BenchMeasurement {
        BLAS.threadCount = threads
        let a = AlignedBuffer<Float>(count: n * n), b = AlignedBuffer<Float>(count: n * n), c = AlignedBuffer<Float>(count: n * n)
        var rng = SplitMix64(seed: 1)
        for i in 0..<(n * n) { a.base[i] = rng.nextFloat() - 0.5; b.base[i] = rng.nextFloat() - 0.5 }
        // Split across the threads as the engine splits its large products (OpenBLAS runs single-threaded).
        func once() { BLAS.parallelSGEMM(.none, .none, m: n, n: n, k: n, a: a.base, lda: n, b: b.base, ldb: n, c: c.base, ldc: n) }
        once()
        var times: [Double] = []
        let start = now()
        while now() - start < seconds || times.count < 3 {
            let t0 = now()
            once()
            times.append(now() - t0)
        }
        let flops = 2 * Double(n) * Double(n) * Double(n)
        return BenchMeasurement(impl: "charrnn", version: "OpenBLAS \(BLAS.coreName)", msPerIteration: median(times) * 1e3,
                                iterations: times.count, gflops: flops / median(times) / 1e9, threads: threads)
    }

    /// The trainer's step (Trainer.run): fill the window, zero the gradients, forward,
    /// backward, clip, optimizer step; B streams of random characters, state carried.
    static func measureTraining(_ spec: TrainSpec, seconds: Double, threads: Int) -> BenchMeasurement {
        BLAS.threadCount = threads
        let config = spec.shape.config, b = spec.batch, t = spec.sequence
        let model = StackedRNN(config: config)
        var rng = SplitMix64(seed: 1)
        model.initialize(rng: &rng, options: InitOptions(forgetGateBias: config.cellFacts.takesForgetGateBias ? 1 : nil))
        let ids = (0..<(b * 200 * t + 1)).map { _ in Int32(rng.next() % UInt64(config.vocabularySize)) }
        let streams = try! BatchStreams(ids: ids, range: 0..<ids.count, batchSize: b, sequenceLength: t)
        var optimizer = Optimizer(settings: OptimizerSettings(kind: spec.optimizer), parameterCount: model.parameters.count)
        var state = RecurrentState.zeros(config: config, batchSize: b)
        var inputs = [Int32](repeating: 0, count: b * t), targets = inputs
        var window = 0

        func step() {
            if window == streams.batchCount { window = 0; state = .zeros(config: config, batchSize: b) }
            inputs.withUnsafeMutableBufferPointer { i in
                targets.withUnsafeMutableBufferPointer { o in streams.fill(batch: window, inputs: i, targets: o) }
            }
            model.zeroGradients()
            let loss = inputs.withUnsafeBufferPointer { i in
                targets.withUnsafeBufferPointer { o in
                    model.forward(inputs: i, targets: o, batchSize: b, sequenceLength: t, state: &state, training: true, rng: &rng)
                }
            }
            precondition(loss.isFinite, "bench: non-finite training loss")
            model.backward()
            _ = model.gradients.withUnsafeMutableBufferPointer { clipGradients($0, mode: spec.clipMode, threshold: spec.clip) }
            model.parameters.withUnsafeMutableBufferPointer { p in
                model.gradients.withUnsafeBufferPointer { g in optimizer.step(parameters: p, gradients: g, learningRate: spec.learningRate) }
            }
            window += 1
        }

        for _ in 0..<3 { step() }
        var times: [Double] = []
        var total = 0.0
        while total < seconds || times.count < 3 {
            let t0 = now()
            step()
            let dt = now() - t0
            times.append(dt)
            total += dt
        }
        let cps = Double(b * t * times.count) / total
        let flops = model.trainingFLOPs(batchSize: b, sequenceLength: t) * Double(times.count) / total
        return BenchMeasurement(impl: "charrnn", charsPerSecond: cps, msPerIteration: median(times) * 1e3,
                                iterations: times.count, gflops: flops / 1e9, threads: threads)
    }

    /// 65 printable characters: a newline, then ASCII from the space on.
    static func benchVocabulary(_ v: Int) -> Vocabulary {
        let tokens = ["\n"] + (0..<(v - 1)).map { String(UnicodeScalar(UInt8(32 + $0))) }
        return try! Vocabulary(tokens: tokens, mode: .grapheme)
    }

    static func randomCheckpoint(_ shape: ModelShape) -> Checkpoint {
        let config = shape.config
        let model = StackedRNN(config: config)
        var rng = SplitMix64(seed: 1)
        model.initialize(rng: &rng)
        return Checkpoint(config: config, vocabulary: benchVocabulary(shape.vocabulary), tokenizer: TokenizerSettings(),
                          parameters: model.parameters)
    }

    /// `charrnn sample`'s path: Sampler.generate (streaming, text discarded) at temperature 0.8, batch 1, on one
    /// thread as `charrnn sample` runs it; then again on `threads` threads (the
    /// engine splits matrices larger than L2 across them), reported in the note.
    static func measureSampling(_ shape: ModelShape, seconds: Double, threads: Int) -> BenchMeasurement {
        let sampler = Sampler(checkpoint: randomCheckpoint(shape))
        let policy = SamplingPolicy(temperature: 0.8)
        func rate(threads: Int, seconds: Double) -> (charsPerSecond: Double, count: Int) {
            BLAS.threadCount = threads
            // Freshly initialised weights are small: their activations cannot overflow, so generate cannot throw.
            _ = try! sampler.generate(prime: [], length: 200, policy: policy, seed: 0) { _, _ in true }
            var count = 0, seed: UInt64 = 1
            let start = now()
            var elapsed = 0.0
            while elapsed < seconds || count == 0 {
                count += try! sampler.generate(prime: [], length: 1000, policy: policy, seed: seed) { _, _ in true }.characterCount
                seed += 1
                elapsed = now() - start
            }
            return (Double(count) / elapsed, count)
        }
        // The main figure on `threads` threads, as `charrnn sample` runs (all cores by default; a small
        // model's step stays on one thread anyway); one thread beside it.
        let main = rate(threads: threads, seconds: seconds / 2)
        let single = threads > 1 ? rate(threads: 1, seconds: seconds / 4).charsPerSecond : main.charsPerSecond
        let config = shape.config
        // Bytes of weights a step reads: all parameters but the layer-0 input matrix, of which one column.
        let g = config.cell.gateCount * config.hiddenSize
        let stepBytes = Double(4 * (config.parameterCount - g * config.vocabularySize + g))
        let cps = main.charsPerSecond
        return BenchMeasurement(impl: "charrnn", charsPerSecond: cps, msPerIteration: 1e3 / cps, iterations: main.count,
                                weightGigabytesPerSecond: stepBytes * cps / 1e9,
                                charsPerSecondOneThread: threads > 1 ? single : nil, threads: threads,
                                note: "\(threads) threads, as charrnn sample runs; chars_per_s_one_thread: 1 thread")
    }

    /// The tokenizer (grapheme clusters, NFC, ids and vocabulary: `Corpus.load`) against a
    /// bare ICU break-iterator loop over the same file: corpora/shakespeare.txt repeated
    /// to `megabytes`, or generated text when that corpus is absent. Best of two runs each.
    static func measureTokenizer(megabytes: Int) throws -> BenchMeasurement {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("charrnn-bench-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("tokenize.txt").path
        var piece: [UInt8]
        var source = "corpora/shakespeare.txt"
        if let data = FileManager.default.contents(atPath: source), !data.isEmpty {
            piece = Array(data)
        } else {
            source = "generated text"
            piece = Array(generatedText(bytes: 1 << 20).utf8)
        }
        var text: [UInt8] = []
        text.reserveCapacity(megabytes << 20 + piece.count)
        while text.count < megabytes << 20 { text += piece }
        guard FileManager.default.createFile(atPath: path, contents: Data(text)) else { throw ValidationError("cannot write \(path)") }
        let bytes = Double(text.count)
        text = []

        var tokenizer = Double.infinity, icu = Double.infinity
        for _ in 0..<2 {
            var t0 = now()
            let corpus = try Corpus.load(path: path, settings: TokenizerSettings())
            tokenizer = min(tokenizer, now() - t0)
            precondition(!corpus.ids.isEmpty)
            t0 = now()
            let clusters = try TokenizerBenchmark.bareBreakIteratorCount(path: path)
            icu = min(icu, now() - t0)
            precondition(clusters > 0)
        }
        return BenchMeasurement(impl: "charrnn", megabytesPerSecond: bytes / tokenizer / 1e6,
                                icuMegabytesPerSecond: bytes / icu / 1e6,
                                note: "\(Int(bytes / 1e6)) MB of \(source), grapheme mode with NFC")
    }

    /// Words of Latin, Greek and CJK letters, with accents and an emoji now and then.
    static func generatedText(bytes: Int) -> String {
        let words = ["the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "café", "naïve", "λόγος",
                     "смысл", "漢字", "かな", "👍", "résumé", "Zürich", "and", "of", "to"]
        var rng = SplitMix64(seed: 7)
        var s = ""
        while s.utf8.count < bytes {
            s += words[Int(rng.next() % UInt64(words.count))]
            s += rng.next() % 12 == 0 ? ".\n" : " "
        }
        return s
    }
}

// MARK: - The parent: children, references, the table

/// One `charrnn bench` invocation: runs the selected workloads and reports them.
struct BenchRun {
    let options: BenchCommand
    let workloads: [Workload]
    let threads: Int
    let executable: String
    let python: String?
    let script: String?

    init(options: BenchCommand) {
        self.options = options
        threads = options.threadCount
        var selected = options.only.map(Workload.selected(by:)) ?? Workload.all
        // The training rows are compared with the large-GEMM throughput: measure it too.
        if selected.contains(where: { if case .train = $0.kind { true } else { false } }), !selected.contains(where: { $0.name == "sgemm" }) {
            selected.insert(Workload.named("sgemm")!, at: 0)
        }
        workloads = selected
        executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        python = options.noReference ? nil : (options.torch ?? ProcessInfo.processInfo.environment["CHARRNN_PYTHON"])
        script = options.referenceScript ?? BenchRun.findScript(from: executable)
    }

    /// bench/torch_reference.py under the working directory, or above the executable (.build/…/charrnn).
    static func findScript(from executable: String) -> String? {
        let name = "bench/torch_reference.py"
        if FileManager.default.fileExists(atPath: name) { return name }
        var dir = URL(fileURLWithPath: executable).deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = dir.appendingPathComponent(name).path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }

    func run() throws {
        let date = ISO8601DateFormatter().string(from: Date())
        let machine = BenchRun.cpuModel()
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let commit = BenchRun.commit()

        // Which references can run.
        var available: [String: String] = [:]   // impl → version
        var referenceNote: String
        if options.noReference {
            referenceNote = "references skipped (--no-reference)"
        } else if let python, let script {
            let probe = try? Spawn.run(python, [script, "--kind", "probe"])
            struct Probe: Decodable { var torch: String?; var numpy: String? }
            if let p = probe.flatMap({ BenchJSON.decodeLastLine(Probe.self, from: $0.stdout) }) {
                if let v = p.torch { available["pytorch"] = v }
                if let v = p.numpy { available["numpy"] = v }
            }
            referenceNote = available.isEmpty ? "\(python) cannot import torch or numpy" :
                "reference: " + [available["pytorch"].map { "PyTorch \($0)" }, available["numpy"].map { "numpy \($0)" }]
                    .compactMap { $0 }.joined(separator: ", ") + " (\(python))"
            if available["pytorch"] == nil {
                referenceNote += "; for the PyTorch column run `make torch-venv` (or pass --torch PYTHON with torch installed)"
            }
        } else if script == nil {
            referenceNote = "no PyTorch reference: bench/torch_reference.py not found (run from the charrnn checkout)"
        } else {
            referenceNote = "no PyTorch reference: set CHARRNN_PYTHON or pass --torch PYTHON (`make torch-venv` makes one; `make bench` uses it)"
        }

        let table = BenchTable(json: options.json)
        table.header([
            "charrnn bench · \(date) · \(machine) · kernels: \(Kernels.current) · \(cores) cores · \(threads) threads · \(BenchRun.formatSeconds(options.seconds)) per timing",
            "charrnn \(CharRNN.version)\(commit.map { " (\($0))" } ?? "") · OpenBLAS core \(BLAS.coreName) · \(referenceNote)",
        ])

        var sgemm: Double? = nil
        var log: [BenchRecord] = []
        let tempDir = FileManager.default.temporaryDirectory.appendingPathComponent("charrnn-bench-\(getpid())")
        try FileManager.default.createDirectory(at: tempDir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tempDir) }

        for w in workloads {
            var record = BenchRecord(date: date, machine: machine, cores: cores, threads: threads, seconds: options.seconds,
                                     commit: commit, blasCore: BLAS.coreName, workload: w.name, label: w.label)
            var checkpoint: String? = nil
            if case .firstCharacter(let shape) = w.kind {
                let path = tempDir.appendingPathComponent("first-char.safetensors").path
                try Workload.randomCheckpoint(shape).write(to: path)
                checkpoint = path
            }
            // Rounds alternate charrnn and the references, so that a busy spell of the machine
            // hits both; each implementation keeps its best round (interference only slows down).
            let rounds = w.isRepeatable ? options.repeat : 1
            for round in 0..<rounds {
                let suffix = rounds > 1 ? " (round \(round + 1) of \(rounds))" : ""
                table.progress("running \(w.name)\(suffix) …")
                let c: BenchMeasurement?
                if checkpoint != nil {
                    c = try measureFirstCharacter(command: executable,
                                                  arguments: ["sample", "--checkpoint", checkpoint!, "--length", "1", "--seed", "1"],
                                                  runs: 15, impl: "charrnn")
                } else {
                    c = try runChild(w)
                }
                record.charrnn = BenchMeasurement.better(record.charrnn, c)
                for impl in ["pytorch", "numpy"] where available[impl] != nil {
                    guard let python, let script,
                          let args = w.referenceArguments(impl: impl, seconds: options.seconds, threads: threads, checkpoint: checkpoint)
                    else { continue }
                    table.progress("running \(w.name) (\(impl))\(suffix) …")
                    let m: BenchMeasurement?
                    if case .firstCharacter = w.kind {
                        m = try? measureFirstCharacter(command: python, arguments: [script] + args, runs: 3, impl: impl)
                    } else {
                        m = runReference(python, [script] + args, impl: impl)
                    }
                    if impl == "pytorch" { record.pytorch = BenchMeasurement.better(record.pytorch, m) }
                    else { record.numpy = BenchMeasurement.better(record.numpy, m) }
                }
            }
            if case .sgemm = w.kind { sgemm = record.charrnn?.gflops }
            if let c = record.charrnn, let p = record.pytorch {
                if let a = c.charsPerSecond, let b = p.charsPerSecond { record.speedupVsPytorch = a / b }
                if let a = c.firstCharMs, let b = p.firstCharMs { record.speedupVsPytorch = b / a }
                if let a = c.peakRssMb, let b = p.peakRssMb { record.rssRatioVsPytorch = a / b }
            }
            if case .train = w.kind, let g = record.charrnn?.gflops, let s = sgemm { record.fractionOfSgemm = g / s }
            table.row(record, sgemm: sgemm)
            log.append(record)
        }
        table.footer(hasReference: !available.isEmpty)
        table.targets(log)
        try appendLog(log)
    }

    /// `charrnn bench --only NAME --in-process` in a child; its peak RSS from wait4.
    func runChild(_ w: Workload) throws -> BenchMeasurement? {
        let args = ["bench", "--only", w.name, "--in-process", "--seconds", String(options.seconds), "--threads", String(threads)]
        let r = try Spawn.run(executable, args)
        guard r.status == 0, var m = BenchJSON.decodeLastLine(BenchMeasurement.self, from: r.stdout) else {
            FileHandle.standardError.write(Data("charrnn bench: \(w.name) failed (status \(r.status)): \(r.stderrTail)\n".utf8))
            return nil
        }
        m.peakRssMb = r.peakRSSMegabytes
        return m
    }

    func runReference(_ python: String, _ args: [String], impl: String) -> BenchMeasurement? {
        guard let r = try? Spawn.run(python, args) else { return nil }
        guard r.status == 0, var m = BenchJSON.decodeLastLine(BenchMeasurement.self, from: r.stdout) else {
            FileHandle.standardError.write(Data("charrnn bench: the \(impl) reference failed (status \(r.status)): \(r.stderrTail)\n".utf8))
            return nil
        }
        m.peakRssMb = r.peakRSSMegabytes
        return m
    }

    /// The median, over `runs` runs after one untimed warm-up, of the time from
    /// spawning the process to the first byte on its stdout (a pipe).
    func measureFirstCharacter(command: String, arguments: [String], runs: Int, impl: String) throws -> BenchMeasurement {
        _ = try Spawn.run(command, arguments)
        var times: [Double] = [], rss: [Double] = []
        for _ in 0..<runs {
            let r = try Spawn.run(command, arguments)
            guard r.status == 0, let first = r.firstByteSeconds else {
                throw ValidationError("\(impl) first-char run failed (status \(r.status)): \(r.stderrTail)")
            }
            times.append(first)
            rss.append(r.peakRSSMegabytes)
        }
        return BenchMeasurement(impl: impl, iterations: runs, firstCharMs: median(times) * 1e3,
                                peakRssMb: rss.max(), note: "median of \(runs) runs, process start to first stdout byte")
    }

    func appendLog(_ records: [BenchRecord]) throws {
        guard options.results != "-" else { return }
        let url = URL(fileURLWithPath: options.results)
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        var data = Data()
        for r in records { data += try BenchJSON.encode(r); data += Data("\n".utf8) }
        if let handle = try? FileHandle(forWritingTo: url) {
            handle.seekToEndOfFile()
            handle.write(data)
            try? handle.close()
        } else {
            guard FileManager.default.createFile(atPath: url.path, contents: data) else { throw ValidationError("cannot write \(url.path)") }
        }
        if !options.json { note("results appended to \(options.results)") }
    }

    static func cpuModel() -> String {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown CPU" }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            if let colon = line.firstIndex(of: ":") { return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces) }
        }
        return "unknown CPU"
    }

    /// `git describe --always --dirty` of the working directory, when it is a checkout.
    static func commit() -> String? {
        guard let r = try? Spawn.run("/usr/bin/env", ["git", "describe", "--always", "--dirty"]), r.status == 0 else { return nil }
        let s = String(decoding: r.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return s.isEmpty ? nil : s
    }

    static func formatSeconds(_ s: Double) -> String { s == s.rounded() ? "\(Int(s)) s" : "\(s) s" }
}

/// The human-readable table (or JSON lines with --json).
final class BenchTable {
    let json: Bool
    let interactive = isTerminal(STDERR_FILENO)
    init(json: Bool) { self.json = json }

    static let columns = "workload              charrnn           per step      GFLOP/s  of GEMM  RSS MB │ PyTorch          RSS MB │ speed    RSS  │ numpy"

    func header(_ lines: [String]) {
        guard !json else { return }
        print(lines.joined(separator: "\n") + "\n")
        print(Self.columns)
        flush()
    }

    func progress(_ s: String) {
        if interactive { FileHandle.standardError.write(Data("\r\u{1B}[K\(s)".utf8)) }
    }

    func row(_ r: BenchRecord, sgemm: Double?) {
        if interactive { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        if json {
            if let data = try? BenchJSON.encode(r) { print(String(decoding: data, as: UTF8.self)) }
            flush()
            return
        }
        func pad(_ s: String, _ n: Int, right: Bool = false) -> String {
            let count = s.count
            guard count < n else { return s }
            let fill = String(repeating: " ", count: n - count)
            return right ? fill + s : s + fill
        }
        func mb(_ m: BenchMeasurement?) -> String { m?.peakRssMb.map { String(format: "%.0f", $0) } ?? "—" }
        func rate(_ m: BenchMeasurement?) -> String {
            guard let m else { return "—" }
            if let c = m.charsPerSecond { return formatRate(c) + " chars/s" }
            if let f = m.firstCharMs { return String(format: "%.0f ms", f) }
            return "—"
        }
        let c = r.charrnn
        var perStep = "", gflops = "", ofGEMM = "", charrnn = rate(c)
        switch Workload.named(r.workload)?.kind {
        case .sgemm?:
            charrnn = c?.gflops.map { String(format: "%.1f GFLOP/s", $0) } ?? "failed"
            perStep = c?.msPerIteration.map { String(format: "%.1f ms", $0) } ?? ""
        case .train?:
            perStep = c?.msPerIteration.map { String(format: "%.2f ms", $0) } ?? ""
            gflops = c?.gflops.map { String(format: "%.1f", $0) } ?? ""
            ofGEMM = r.fractionOfSgemm.map { String(format: "%.0f%%", $0 * 100) } ?? ""
        case .sample?:
            perStep = c?.msPerIteration.map { String(format: "%.1f µs", $0 * 1e3) } ?? ""
            gflops = c?.weightGigabytesPerSecond.map { String(format: "%.0f GB/s", $0) } ?? ""
            if let t = c?.charsPerSecondOneThread { ofGEMM = "(1t \(formatRate(t)))" }
        case .tokenize?:
            charrnn = c?.megabytesPerSecond.map { String(format: "%.0f MB/s", $0) } ?? "failed"
            perStep = c?.icuMegabytesPerSecond.map { String(format: "ICU %.0f MB/s", $0) } ?? ""
        default:
            break
        }
        var line = pad(r.label, 22) + pad(charrnn, 18) + pad(perStep, 14) + pad(gflops, 9) + pad(ofGEMM, 9) + pad(mb(c), 7)
        if r.pytorch != nil || r.numpy != nil || r.speedupVsPytorch != nil {
            line += "│ " + pad(rate(r.pytorch), 17) + pad(mb(r.pytorch), 7) + "│ "
            line += pad(r.speedupVsPytorch.map { String(format: "%.2f×", $0) } ?? "", 9)
            line += pad(r.rssRatioVsPytorch.map { String(format: "%.2f", $0) } ?? "", 5) + "│ " + rate(r.numpy)
        } else if case .tokenize? = Workload.named(r.workload)?.kind, let a = c?.megabytesPerSecond, let b = c?.icuMegabytesPerSecond {
            line += "│ tokenizer ÷ a bare ICU break-iterator loop: \(String(format: "%.2f×", a / b))"
        }
        print(line)
        flush()
    }

    func footer(hasReference: Bool) {
        guard !json else { return }
        print("""

            chars/s: characters predicted (training: B·T per step, whole steps timed) or generated (sampling) per second.
            GFLOP/s: GEMM FLOPs per second (StackedRNN.trainingFLOPs = 6·N·H·(G·H·(2L − 1) + V) per step, N = B·T);
            of GEMM: that ÷ the sgemm row. Sampling: µs per character, weight bytes read per second, and in
            parentheses the rate on one thread (charrnn sample uses all cores, as the main figure).
            RSS: peak resident set (ru_maxrss) of the process that ran the workload. speed: charrnn ÷ PyTorch
            (first character: PyTorch's time ÷ charrnn's); RSS: charrnn ÷ PyTorch. PyTorch sampling is the
            fastest of threads {N, 1} × mkldnn {on, off}. min-char-rnn: Karpathy's model and training (tanh RNN
            1×100, T = 25, batch 1, Adagrad 0.1, clip ±5), numpy: his min-char-rnn.py. Other rows: T = 50, B = 50,
            V = 65, Adam 2e-3, gradient-norm clip 5.
            """)
        flush()
    }

    /// Issue 6's goals, each with what this run measured.
    func targets(_ records: [BenchRecord]) {
        guard !json else { return }
        func record(_ name: String) -> BenchRecord? { records.first { $0.workload == name } }
        var lines: [String] = []
        func speed(_ name: String, _ goal: Double) {
            guard let r = record(name), let x = r.speedupVsPytorch else { return }
            lines.append("\(x >= goal ? "✓" : "✗") \(r.label) ≥ \(String(format: "%g", goal))× PyTorch: \(String(format: "%.2f", x))×")
        }
        speed("train-lstm-2x128", 1.5)
        speed("train-lstm-2x512", 1.2)
        speed("train-gru-2x256", 2)
        speed("train-rnn-tanh-2x256", 1.5)
        speed("sample-lstm-2x128", 10)
        speed("sample-lstm-2x512", 10)
        let rss = records.compactMap { r in r.rssRatioVsPytorch.map { (r.label, $0) } }
        if let worst = rss.max(by: { $0.1 < $1.1 }) {
            lines.append("\(worst.1 <= 0.25 ? "✓" : "✗") peak RSS ≤ ¼ of PyTorch's: largest ratio \(String(format: "%.2f", worst.1)) (\(worst.0))"
                         + (worst.1 > 0.25 ? "; " + rss.filter { $0.1 > 0.25 }.map(\.0).joined(separator: ", ") + " above" : ""))
        }
        if let f = record("first-char")?.charrnn?.firstCharMs {
            lines.append("\(f < 50 ? "✓" : "✗") charrnn sample, first character < 50 ms: \(String(format: "%.0f", f)) ms")
        }
        if let c = record("tokenize")?.charrnn, let a = c.megabytesPerSecond, let b = c.icuMegabytesPerSecond {
            lines.append("\(a / b >= 0.5 ? "✓" : "✗") tokenizing within 2× of a bare ICU loop: \(String(format: "%.2f", b / a))× its time")
        }
        guard !lines.isEmpty else { return }
        print("\ntargets (issue 6):\n  " + lines.joined(separator: "\n  "))
        flush()
    }

    func flush() { fflush(nil) }  // all C streams: print() goes through stdout's buffer
}

// MARK: - Child processes

/// posix_spawn with stdout captured through a pipe (the time of its first byte
/// noted), stderr to a temporary file, and the child's rusage from wait4.
struct Spawn {
    var status: Int32
    var stdout: [UInt8]
    var stderrTail: String
    var firstByteSeconds: Double?
    var peakRSSMegabytes: Double

    static func run(_ path: String, _ arguments: [String]) throws -> Spawn {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw ValidationError("pipe failed") }
        let errPath = FileManager.default.temporaryDirectory.appendingPathComponent("charrnn-bench-stderr-\(getpid())").path
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        posix_spawn_file_actions_addclose(&actions, fds[1])
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var pid: pid_t = 0
        let start = Workload.now()
        let spawned = path.contains("/")
            ? posix_spawn(&pid, path, &actions, nil, argv, environ)
            : posix_spawnp(&pid, path, &actions, nil, argv, environ)
        close(fds[1])
        guard spawned == 0 else {
            close(fds[0])
            throw ValidationError("cannot run \(path): \(String(cString: strerror(spawned)))")
        }
        var out: [UInt8] = []
        var first: Double? = nil
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
            if n > 0 {
                if first == nil { first = Workload.now() - start }
                out += buffer[0..<n]
            } else if n == 0 || errno != EINTR {
                break
            }
        }
        close(fds[0])
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        let err = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(atPath: errPath)
        let exited = status & 0x7f == 0
        return Spawn(status: exited ? (status >> 8) & 0xff : 128 + (status & 0x7f), stdout: out,
                     stderrTail: String(err.suffix(400)).replacingOccurrences(of: "\n", with: " "),
                     firstByteSeconds: first, peakRSSMegabytes: Double(usage.ru_maxrss) / 1024)
    }
}
