import ArgumentParser
import Foundation
import RNN
import Sampler
import Tensor
import Tokenizer

struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Generate text from a trained model.",
        discussion: """
            With no --checkpoint, uses the most recently written checkpoint under ./checkpoints.
            The text goes to stdout as it is generated; everything else goes to stderr.
            """)

    @Option(help: "A checkpoint file, or a run directory (best, else latest).") var checkpoint: String?
    // .unconditional: `--temp -1` reaches validate() (a clear error) instead of being read as a flag.
    @Option(name: [.customLong("temp"), .customLong("temperature")], parsing: .unconditional,
            help: "Temperature > 0; lower is safer; 0 is greedy.") var temperature: Float = 0.8
    @Option(help: "Characters to generate (not counting the prime).") var length: Int = 2000
    @Option(help: "Text to start from.") var prime: String?
    @Option(help: "File whose text to start from.") var primeFile: String?
    @Option(help: "Random seed (default: a fresh one each run).") var seed: UInt64?
    @Option(help: "Sample only from the K most likely characters.") var topK: Int?
    @Option(help: "Sample from the smallest set of characters with probability ≥ P (nucleus).") var topP: Float?
    @Flag(help: "Always take the most likely character (same as --temp 0).") var argmax = false
    @Option(help: "Stop once this string has been generated.") var stop: String?
    @Option(help: "Number of samples.") var count: Int = 1
    @Flag(help: "Do not print the prime before the generated text.") var noEcho = false
    @Option(help: "Prime characters the model has never seen: fail (default) or skip.") var unknown: Sampler.UnknownCharacters = .fail
    @Flag(help: "Print one JSON object per sample: text, seed, mean log-probability.") var json = false
    @Option(help: "Threads for large models' weight products (default: all cores; the text does not depend on it).") var threads: Int?

    func validate() throws {
        if length < 0 { throw ValidationError("--length must be ≥ 0 (got \(length))") }
        if count < 1 { throw ValidationError("--count must be at least 1 (got \(count))") }
        if prime != nil && primeFile != nil { throw ValidationError("give --prime or --prime-file, not both") }
        if let p = policy.problem { throw ValidationError(p) }
        if stop == "" { throw ValidationError("--stop needs a non-empty string") }
        if let t = threads, t < 1 || t > 256 { throw ValidationError("--threads must be between 1 and 256 (got \(t))") }
    }

    var policy: SamplingPolicy {
        SamplingPolicy(temperature: argmax ? 0 : temperature, topK: topK, topP: topP)
    }

    func run() throws {
        var primeText = prime ?? ""
        if let primeFile {
            guard let data = FileManager.default.contents(atPath: primeFile) else {
                throw failure("cannot read prime file \(primeFile)")
            }
            guard let text = String(validating: data, as: UTF8.self) else {
                throw failure("prime file \(primeFile) is not valid UTF-8")
            }
            primeText = text
        }
        let (path, checkpoint) = try CheckpointLocator.load(self.checkpoint)
        _ = path
        // Batch 1: a small model's step is latency-bound and runs on one thread whatever this says;
        // a large model's weights (matrices over 1 MB) stream from L3, so each core streams its rows.
        // Every output is computed by one thread in a fixed order, so the text does not depend on it.
        BLAS.threadCount = threads ?? ProcessInfo.processInfo.activeProcessorCount
        let sampler = Sampler(checkpoint: checkpoint)
        let primeIDs: [Int32]
        do {
            let (ids, skipped) = try sampler.encodePrime(primeText, unknown: unknown)
            if !skipped.isEmpty {
                note("skipped \(skipped.count) prime character\(skipped.count == 1 ? "" : "s") the model has never seen: "
                     + skipped.prefix(20).map(Vocabulary.displayForm).joined(separator: " "))
            }
            primeIDs = ids
        } catch {
            throw failure("\(error)")
        }

        let out = StandardOutput(flushEachWrite: isTerminal(STDOUT_FILENO) && !json)
        let baseSeed = seed ?? UInt64.random(in: 0...UInt64(Int64.max))
        let echo = noEcho ? [] : Array(sampler.vocabulary.decode(primeIDs).utf8)
        for i in 0..<count {
            let s = baseSeed &+ UInt64(i)
            if json {
                let sample = sampler.generate(prime: primeIDs, length: length, policy: policy, seed: s, stop: stop)
                out.write(Array(jsonLine(prime: String(decoding: echo, as: UTF8.self), sample: sample, seed: s).utf8))
            } else {
                if i > 0 { out.write(Array("\n\n──── sample \(i + 1) of \(count), seed \(s) ────\n".utf8)) }
                out.write(echo)
                _ = sampler.generate(prime: primeIDs, length: length, policy: policy, seed: s, stop: stop, emit: out.write)
            }
        }
        if !json { out.write([0x0A]) }
        out.flush()
    }

    private func jsonLine(prime: String, sample: Sampler.Sample, seed: UInt64) -> String {
        func quote(_ s: String) -> String {
            let data = try? JSONEncoder().encode(s)
            return data.map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
        }
        return "{\"text\":\(quote(sample.text)),\"prime\":\(quote(prime)),\"seed\":\(seed),\"characters\":\(sample.generated.count),"
            + "\"mean_log_prob\":\(sample.meanLogProbability),\"stopped\":\(sample.stopped)}\n"
    }
}

extension Sampler.UnknownCharacters: ExpressibleByArgument {}

/// File descriptor 1 through its own C stdio stream: buffered in a pipe or file,
/// flushed per character on a terminal. (The only writer of stdout in `sample`.)
final class StandardOutput {
    let flushEachWrite: Bool
    private let stream: UnsafeMutablePointer<FILE>?
    init(flushEachWrite: Bool) {
        self.flushEachWrite = flushEachWrite
        stream = fdopen(dup(STDOUT_FILENO), "w")
    }
    deinit { if let stream { fclose(stream) } }
    func write(_ bytes: [UInt8]) {
        guard let stream else { return }
        bytes.withUnsafeBufferPointer { _ = fwrite($0.baseAddress, 1, $0.count, stream) }
        if flushEachWrite { fflush(stream) }
    }
    func flush() { if let stream { fflush(stream) } }
}
