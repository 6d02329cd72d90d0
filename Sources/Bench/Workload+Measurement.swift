import Checkpoints
import Foundation
import RNN
import Sampler
import Tensor
import Tokenizer
import Training

extension Workload {
    func measureInProcess(seconds: Double, threads: Int) throws -> BenchMeasurement {
        switch kind {
        case .sgemm(let n): return Self.measureSGEMM(n: n, seconds: min(seconds, 3), threads: threads)
        case .train(let spec): return Self.measureTraining(spec, seconds: seconds, threads: threads)
        case .sample(let shape, let precision): return Self.measureSampling(shape, precision: precision, seconds: seconds, threads: threads)
        case .sampleMany(let shape, let precision, let count, let length):
            return Self.measureSamplingMany(shape, precision: precision, count: count, length: length, seconds: seconds, threads: threads)
        case .tokenize(let mb): return try Self.measureTokenizer(megabytes: mb)
        case .firstCharacter: throw BenchError("first-char is measured by the parent process")
        case .serve(let shape, let precision, let clients, let length):
            return try ServeLoad.measure(shape, precision: precision, clients: clients, length: length, seconds: seconds, threads: threads,
                                         clientProcess: BenchRun.selfExecutable)
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

    /// The trainer's step on random characters (`TrainingProbe`, which `train --auto` uses too).
    static func measureTraining(_ spec: TrainSpec, seconds: Double, threads: Int) -> BenchMeasurement {
        BLAS.threadCount = threads
        var setup = TrainingProbe.Setup(config: spec.shape.config)
        setup.batchSize = spec.batch; setup.sequenceLength = spec.sequence
        setup.optimizer = OptimizerSettings(kind: spec.optimizer); setup.learningRate = spec.learningRate
        setup.clipMode = spec.clipMode; setup.clip = spec.clip
        setup.precision = spec.precision
        let r = TrainingProbe.measure(setup, seconds: seconds)
        return BenchMeasurement(impl: "charrnn", charsPerSecond: r.charactersPerSecond, msPerIteration: r.medianStepSeconds * 1e3,
                                iterations: r.steps, gflops: r.flopsPerSecond / 1e9, threads: threads)
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

    /// `charrnn sample`'s path: Sampler.generate (streaming, text discarded) at its default temperature, batch 1, on one
    /// thread as `charrnn sample` runs it; then again on `threads` threads (the
    /// engine splits matrices larger than L2 across them), reported in the note.
    static func measureSampling(_ shape: ModelShape, precision: WeightPrecision, seconds: Double, threads: Int) -> BenchMeasurement {
        let sampler = Sampler(checkpoint: randomCheckpoint(shape), precision: precision)
        let policy = SamplingPolicy(temperature: SampleDefaults.temperature)
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
        // Bytes of weights a step reads: all parameters but the layer-0 input matrix, of which one column
        // (fp32), the rest in the precision of the copies (biases, a few, counted alike).
        let g = config.cell.gateCount * config.hiddenSize
        let stepBytes = Double(precision.bytesPerWeight * (config.parameterCount - g * config.vocabularySize) + 4 * g)
        let cps = main.charsPerSecond
        return BenchMeasurement(impl: "charrnn", charsPerSecond: cps, msPerIteration: 1e3 / cps, iterations: main.count,
                                weightGigabytesPerSecond: stepBytes * cps / 1e9,
                                charsPerSecondOneThread: threads > 1 ? single : nil, threads: threads,
                                note: "\(threads) threads, as charrnn sample runs; chars_per_s_one_thread: 1 thread")
    }

    /// `charrnn sample --count N --length L`'s path: N generations of L characters in one `BatchedGeneration`
    /// (seeds S, S+1, …, text discarded) on `threads` threads, again and again for half the time, beside one
    /// sample alone (`measureSampling`, the other half) in the same process.
    static func measureSamplingMany(_ shape: ModelShape, precision: WeightPrecision, count: Int, length: Int,
                                    seconds: Double, threads: Int) -> BenchMeasurement {
        let one = measureSampling(shape, precision: precision, seconds: seconds / 2, threads: threads)
        let sampler = Sampler(checkpoint: randomCheckpoint(shape), precision: precision)
        let policy = SamplingPolicy(temperature: SampleDefaults.temperature)
        BLAS.threadCount = threads
        func run(seed: UInt64) -> Int {
            let batch = BatchedGeneration(sampler: sampler)
            var characters = 0
            for i in 0..<count {
                let request = BatchedGeneration.Request(prime: [], length: length, policy: policy, seed: seed &+ UInt64(i))
                batch.add(request, emit: { _, _ in true }, finished: { outcome in
                    if case .success(let generation) = outcome { characters += generation.characterCount }
                })
            }
            while !batch.isEmpty { batch.tick() }
            return characters
        }
        _ = run(seed: 0)
        var characters = 0, seed: UInt64 = 1
        let start = now()
        var elapsed = 0.0
        while elapsed < seconds / 2 || characters == 0 {
            characters += run(seed: seed)
            seed &+= UInt64(count)
            elapsed = now() - start
        }
        let cps = Double(characters) / elapsed
        var m = BenchMeasurement(impl: "charrnn", charsPerSecond: cps, msPerIteration: 1e3 / cps, iterations: characters, threads: threads,
                                 note: "sample --count \(count) --length \(length) on \(threads) threads; chars_per_s_alone: one sample")
        m.charsPerSecondAlone = one.charsPerSecond
        return m
    }

    /// The tokenizer (grapheme clusters, NFC, ids and vocabulary: `Corpus.load`), on
    /// every core and on one thread, against a
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
        guard FileManager.default.createFile(atPath: path, contents: Data(text)) else { throw BenchError("cannot write \(path)") }
        let bytes = Double(text.count)
        text = []

        var tokenizer = Double.infinity, oneThread = Double.infinity, icu = Double.infinity
        let files = CorpusFiles(arguments: [path], files: [path])
        let threads = ProcessInfo.processInfo.activeProcessorCount
        for _ in 0..<2 {
            var t0 = now()
            let corpus = try Corpus.load(files: files, settings: TokenizerSettings(), threads: threads)
            tokenizer = min(tokenizer, now() - t0)
            precondition(!corpus.tokenIDs.isEmpty)
            t0 = now()
            let single = try Corpus.load(files: files, settings: TokenizerSettings(), threads: 1)
            oneThread = min(oneThread, now() - t0)
            precondition(single.tokenIDs.count == corpus.tokenIDs.count)
            t0 = now()
            let clusters = try TokenizerBenchmark.bareBreakIteratorCount(path: path)
            icu = min(icu, now() - t0)
            precondition(clusters > 0)
        }
        return BenchMeasurement(impl: "charrnn", megabytesPerSecond: bytes / tokenizer / 1e6,
                                icuMegabytesPerSecond: bytes / icu / 1e6,
                                megabytesPerSecondOneThread: bytes / oneThread / 1e6, threads: threads,
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
