import ArgumentParser
import Checkpoints
import Files
import Foundation
import RNN
import SafeTensors
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
            A model trained with --documents writes whole documents: each starts at a document start \
            (then the prime) and ends at the end marker or after --length characters; --count N prints N \
            documents, one per line. A document that holds line breaks (paragraphs, files) is printed \
            as it is, so its lines are not told apart from the next document's: use --json, one object \
            per document.
            """)

    @OptionGroup var checkpointOptions: CheckpointOptions
    // Options parse `.unconditional`ly: `--temp -1` reaches validate() (a clear error) instead of being
    // read as a flag, and `--stop -` or `--prime '-- '` take their dash.
    @Option(name: [.customLong("temp"), .customLong("temperature")], parsing: .unconditional,
            help: "Temperature > 0; lower is safer; 0 is greedy (default \(SampleDefaults.temperature)).") var temperature: Float?
    @Option(parsing: .unconditional, help: "Characters to generate, not counting the prime: 0 to \(Int.max). Streamed as generated, so any length runs in constant memory.")
    var length: Int = SampleDefaults.commandLineLength
    @Option(help: "A label-conditioned model (train --task generate): the label whose texts to write.") var label: String?
    @Option(parsing: .unconditional, help: "Text to start from.") var prime: String?
    @Option(help: "File whose text to start from.") var primeFile: String?
    @Option(parsing: .unconditional, help: "Random seed (default: a fresh one each run).") var seed: UInt64?
    @Option(parsing: .unconditional, help: "Sample only from the K most likely characters.") var topK: Int?
    @Option(parsing: .unconditional, help: "Sample from the smallest set of characters with probability ≥ P (nucleus).") var topP: Float?
    @Flag(help: "Always take the most likely character (same as --temp 0).") var argmax = false
    @Option(name: .customLong("stop"), parsing: .unconditionalSingleValue, help: "Stop once this string has been generated; give --stop again for more: a sample ends at the first it meets.")
    var stops: [String] = []
    @Option(parsing: .unconditional, help: "Number of samples: 1 to \(Int.max), seeds S, S+1, …; each is streamed like one. With a --documents model: N documents, one per line.") var count: Int = 1
    @Flag(help: "With a --documents model: keep only documents that do not occur in the training split (their hashes are stored beside the checkpoint); draws seeds S, S+1, … until --count new ones or \(SampleCommand.novelDrawsPerDocument) × --count draws, holds each document whole, and reports on stderr the fraction that was new.")
    var novel = false
    @Flag(help: "Do not print the prime before the generated text.") var noEcho = false
    @Option(help: "Prime characters the model has never seen: fail (default) or skip. A checkpoint trained with --min-count or --max-vocab reads them as <unk> instead.") var unknown: Sampler.UnknownCharacters = .fail
    @Flag(help: "Print one JSON object per sample: text, seed, mean log-probability.") var json = false
    @Option(parsing: .unconditional, help: "Beam search of this width: the most probable continuation of --length characters, deterministic (no --temp, --top-k, --top-p, --argmax, --seed, --count).") var beam: Int?
    @Option(parsing: .unconditional, help: "Draw N samples (seeds S, S+1, …) and print the one with the highest mean log-probability (not with --count).") var bestOf: Int?
    @OptionGroup var threads: ThreadOptions  // large models' weight products; the text does not depend on it
    @OptionGroup var precisionOptions: PrecisionOptions

    /// A prime is read whole and fed through the model one character at a time.
    static let maximumPrimeBytes = 100_000_000

    func validate() throws {
        if length < 0 { throw ValidationError("--length must be between 0 and \(Int.max) (got \(length))") }
        if count < 1 { throw ValidationError("--count must be at least 1 (got \(count))") }
        if prime != nil && primeFile != nil { throw ValidationError("give --prime or --prime-file, not both") }
        if let p = policy.problem { throw ValidationError(p) }
        if stops.contains("") { throw ValidationError("--stop needs a non-empty string") }
        if argmax && temperature != nil { throw ValidationError("--argmax is --temp 0: give one of them, not both") }
        if beam != nil && bestOf != nil { throw ValidationError("give --beam or --best-of, not both") }
        if novel && (beam != nil || bestOf != nil) { throw ValidationError("--novel draws samples; it cannot be combined with --beam or --best-of") }
        if let b = beam {
            if !(1...Self.maximumBeam).contains(b) { throw ValidationError("--beam must be between 1 and \(Self.maximumBeam) (got \(b))") }
            let sampling = [temperature.map { _ in "--temp" }, topK.map { _ in "--top-k" }, topP.map { _ in "--top-p" },
                            argmax ? "--argmax" : nil, seed.map { _ in "--seed" }, count != 1 ? "--count" : nil].compactMap { $0 }
            if !sampling.isEmpty {
                throw ValidationError("--beam searches deterministically; it takes no \(sampling.joined(separator: ", "))")
            }
            if length > Self.searchedCharacters / b {
                throw ValidationError("--beam \(b) holds \(b) candidates of --length characters: --length must be at most \(Self.searchedCharacters / b) (got \(length))")
            }
        }
        if let n = bestOf {
            if !(1...Self.maximumBestOf).contains(n) { throw ValidationError("--best-of must be between 1 and \(Self.maximumBestOf) (got \(n))") }
            if count != 1 { throw ValidationError("--best-of prints one sample; it cannot be combined with --count") }
            if length > Self.searchedCharacters / 2 {
                throw ValidationError("--best-of holds two samples whole: --length must be at most \(Self.searchedCharacters / 2) (got \(length))")
            }
        }
    }

    /// Search holds its candidates whole: width × length (beam) or 2 × length (best-of) characters at most.
    static let searchedCharacters = 100_000_000
    static let maximumBeam = 10_000
    static let maximumBestOf = 1_000_000

    var policy: SamplingPolicy {
        SamplingPolicy(temperature: argmax ? 0 : temperature ?? SampleDefaults.temperature, topK: topK, topP: topP)
    }

    func run() throws {
        var primeText = prime ?? ""
        if let primeFile {
            let data: [UInt8]
            do throws(FileError) {
                data = try RegularFile(path: primeFile).readAll(limit: Self.maximumPrimeBytes)
            } catch {
                throw failure("cannot read prime file \(primeFile): \(error.reason)")
            }
            guard let text = String(validating: data, as: UTF8.self) else {
                throw failure("prime file \(primeFile) is not valid UTF-8")
            }
            primeText = text
        }
        let (path, checkpoint) = try checkpointOptions.load()
        // Batch 1: a small model's step is latency-bound and runs on one thread whatever this says;
        // a large model's weights (matrices over 1 MB) stream from L3, so each core streams its rows.
        // Every output is computed by one thread in a fixed order, so the text does not depend on it.
        BLAS.threadCount = threads.count
        let labelID = try Self.labelID(label, for: checkpoint, path: path)   // first: it refuses checkpoints that do not write text
        let sampler = Sampler(checkpoint: checkpoint, precision: precisionOptions.precision)
        sampler.label = labelID
        let primeIDs: [Int32]
        do {
            let (ids, skipped, readAsUnknown) = try sampler.encodePrime(primeText, unknown: unknown)
            if !skipped.isEmpty {
                note("skipped \(skipped.count) prime character\(skipped.count == 1 ? "" : "s") the model has never seen: "
                     + Vocabulary.displayList(skipped))
            }
            if !readAsUnknown.isEmpty {
                note("read \(readAsUnknown.count) distinct prime character\(readAsUnknown.count == 1 ? "" : "s") outside the vocabulary as \(Vocabulary.unknownToken): "
                     + Vocabulary.displayList(readAsUnknown))
            }
            primeIDs = ids
        } catch {
            throw failure("\(error)")
        }

        let out = StandardOutput(flushEachWrite: isTerminal(STDOUT_FILENO) && !json)
        let baseSeed = seed ?? UInt64.random(in: 0...UInt64(Int64.max))
        let echo = noEcho ? [] : Array(sampler.vocabulary.decode(primeIDs).utf8)
        let primeJSON = JSONStringEscaper.quoted(String(decoding: echo, as: UTF8.self))
        if beam != nil || bestOf != nil {
            try search(sampler, prime: primeIDs, seed: baseSeed, echo: echo, primeJSON: primeJSON, out: out)
            return
        }
        let documents = checkpoint.documents != nil
        if novel {
            guard documents else { throw failure("--novel needs a model trained with --documents (\(path) was not)") }
            if sampler.label != nil { throw failure("--novel compares with a --documents run's training documents; a --task generate run keeps none") }
            try novelDocuments(sampler, checkpoint: checkpoint, path: path, prime: primeIDs, seed: baseSeed,
                               echo: echo, primeJSON: primeJSON, out: out)
            return
        }
        // The samples step together, up to `batchWidth` at a time (`BatchedGeneration`: each matrix read once
        // per character for all of them, each sample's text what it is alone), written in index order.
        let batch = BatchedGeneration(sampler: sampler)
        let ordered = OrderedSamples(out)
        var overflow: (index: Int, error: NonFiniteOutputError)? = nil
        var started = 0
        func start(_ i: Int) {
            let s = baseSeed &+ UInt64(i)
            var escaper = JSONStringEscaper(), escaped: [UInt8] = []
            if json {
                // Written as generated, field by field: the object never exists whole in memory.
                ordered.write(i, Array("{\"text\":\"".utf8))
            } else {
                if i > 0 { ordered.write(i, documents ? [0x0A] : Array("\n\n──── sample \(i + 1) of \(count), seed \(s) ────\n".utf8)) }
                ordered.write(i, echo)
            }
            let request = BatchedGeneration.Request(prime: primeIDs, length: length, policy: policy, seed: s, stops: stops, label: sampler.label)
            batch.add(request, emit: { _, bytes in
                guard json else { return ordered.write(i, bytes) }
                escaped.removeAll(keepingCapacity: true)
                escaper.append(bytes, to: &escaped)
                return ordered.write(i, escaped)
            }, finished: { outcome in
                switch outcome {
                case .success(let generation):
                    if json {
                        escaped.removeAll(keepingCapacity: true)
                        escaper.finish(to: &escaped)
                        ordered.write(i, escaped)
                        let ended = documents ? ",\"ended\":\(generation.endedDocument)" : ""
                        ordered.write(i, Array(("\",\"prime\":\(primeJSON),\"seed\":\(s),\"characters\":\(generation.characterCount),"
                                                + "\"mean_log_prob\":\(generation.meanLogProbability),\"stopped\":\(generation.stopped)\(ended)}\n").utf8))
                    }
                    ordered.finish(i)
                case .failure(let error):
                    // As one sample after another would have stopped: the samples before this one finish, the later ones go.
                    if overflow.map({ i < $0.index }) ?? true { overflow = (i, error) }
                }
            })
        }
        while started < min(count, Self.batchWidth) { start(started); started += 1 }
        while !batch.isEmpty {
            batch.tick()
            if let f = overflow { batch.cancel { key in key > f.index }; continue }
            while batch.count < Self.batchWidth && started < count && !out.failed { start(started); started += 1 }
        }
        if let f = overflow {
            ordered.flush(through: f.index)   // the text before the overflow is the model's own; keep it
            out.flush()
            throw failure("\(f.error)")
        }
        if !json { out.write([0x0A]) }
        out.flush()
        if let problem = out.writeError { throw failure("cannot write the text to standard output: \(problem)") }
    }
}

extension SampleCommand {
    /// Samples of `--count` generated at once: enough that a step's products are matrix products
    /// (a 2×512 model's weights read once for all of them), few enough that the states stay in cache.
    static let batchWidth = 64
}

/// The samples of `--count`, written in index order while several are generated at once: the first
/// unfinished one writes to the output as it is generated, the later ones are held until it ends.
final class OrderedSamples {
    private let out: StandardOutput
    private var head = 0                        // the sample that writes to `out` now
    private var held: [Int: [UInt8]] = [:]      // later samples' bytes so far
    private var done: Set<Int> = []

    init(_ out: StandardOutput) { self.out = out }

    /// Sample `index`'s next bytes; false once the output has failed (its reader is gone).
    @discardableResult
    func write(_ index: Int, _ bytes: [UInt8]) -> Bool {
        if index == head { return out.write(bytes) }
        held[index, default: []] += bytes
        return !out.failed
    }

    /// Sample `index` is whole: the next ones in order take the output, each writing what it holds.
    func finish(_ index: Int) {
        done.insert(index)
        while done.remove(head) != nil {
            head += 1
            if let bytes = held.removeValue(forKey: head) { out.write(bytes) }
        }
    }

    /// Writes what samples up to `index` hold, in order (the rest is dropped).
    func flush(through index: Int) {
        while head < index {
            head += 1
            if let bytes = held.removeValue(forKey: head) { out.write(bytes) }
        }
    }
}

extension SampleCommand {
    /// `--beam` / `--best-of`: the search, then its text and, on stderr (in the object with --json), its log-probability.
    func search(_ sampler: Sampler, prime: [Int32], seed: UInt64, echo: [UInt8], primeJSON: String, out: StandardOutput) throws {
        let found: Sampler.Continuation
        let how: String
        do {
            if let width = beam {
                found = try sampler.beamSearch(prime: prime, length: length, width: width, stops: stops)
                how = "beam \(width)"
            } else {
                let n = bestOf ?? 1
                found = try sampler.bestOf(n, prime: prime, length: length, policy: policy, seed: seed, stops: stops)
                how = "best of \(n), seed \(found.seed ?? seed)"
            }
        } catch {
            throw failure("\(error)")
        }
        if json {
            var fields = ["\"text\":\(JSONStringEscaper.quoted(found.text))", "\"prime\":\(primeJSON)"]
            if let width = beam { fields.append("\"beam\":\(width)") }
            if let n = bestOf { fields.append("\"best_of\":\(n)"); fields.append("\"seed\":\(found.seed ?? seed)") }
            fields += ["\"characters\":\(found.generated.count)", "\"log_prob\":\(found.logProbabilitySum)",
                       "\"mean_log_prob\":\(found.meanLogProbability)", "\"stopped\":\(found.stopped)"]
            if sampler.vocabulary.documentMarkers != nil { fields.append("\"ended\":\(found.endedDocument)") }
            out.write(Array(("{" + fields.joined(separator: ",") + "}\n").utf8))
        } else {
            out.write(echo + Array(found.text.utf8) + [0x0A])
        }
        out.flush()
        if let problem = out.writeError { throw failure("cannot write the text to standard output: \(problem)") }
        if !json {
            note(String(format: "%@: %d characters, log-probability %.3f nats (mean %.4f nats/char)",
                        how, found.generated.count, found.logProbabilitySum, found.meanLogProbability))
        }
    }
}

extension SampleCommand {
    /// The id of `--label` for a label-conditioned checkpoint; nil for the others. A label the
    /// model does not have, a missing one, or one given to a model without labels is one line.
    static func labelID(_ label: String?, for checkpoint: Checkpoint, path: String) throws -> Int32? {
        let config = checkpoint.config
        if config.attention != nil {
            throw failure("\(path) is a translation model (an encoder–decoder), not a model that writes text: use charrnn translate")
        }
        if config.head != .nextCharacter {
            throw failure("\(path) is a \(config.head.rawValue), not a model that writes text (use charrnn classify)")
        }
        guard config.input == .oneHotAndLabel, let names = checkpoint.labels else {
            if let label { throw failure("--label \(Vocabulary.displayForm(label)): \(path) was not trained on labelled texts (train --task generate)") }
            return nil
        }
        guard let label else {
            throw failure("\(path) writes from a label: give --label, one of \(Vocabulary.displayList(names))")
        }
        guard let id = names.firstIndex(of: label) else {
            throw failure("--label \(Vocabulary.displayForm(label)) is not one of the model's labels: \(Vocabulary.displayList(names))")
        }
        return Int32(id)
    }
}

extension Sampler.UnknownCharacters: ExpressibleByArgument {}

/// File descriptor 1 through its own C stdio stream: buffered in a pipe or file,
/// flushed per character on a terminal. (The only writer of stdout in `sample`.)
///
/// A write that fails (a full disk, or a closed pipe when SIGPIPE is ignored
/// and the write gets EPIPE instead of ending the process) is remembered, so
/// that generation stops there and the command ends with an error rather than
/// generating into nowhere.
final class StandardOutput {
    let flushEachWrite: Bool
    private let stream: UnsafeMutablePointer<FILE>?
    /// Why the first failed write failed (strerror), or nil.
    private(set) var writeError: String?
    var failed: Bool { writeError != nil }

    init(flushEachWrite: Bool) {
        self.flushEachWrite = flushEachWrite
        stream = fdopen(dup(STDOUT_FILENO), "w")
        if stream == nil { writeError = String(cString: strerror(errno)) }
    }
    deinit { if let stream { fclose(stream) } }

    /// Writes `bytes`; false once any write has failed.
    @discardableResult
    func write(_ bytes: [UInt8]) -> Bool {
        guard let stream, writeError == nil else { return false }
        let written = bytes.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, stream) }
        if written < bytes.count || (flushEachWrite && fflush(stream) != 0) { writeError = String(cString: strerror(errno)) }
        return writeError == nil
    }

    func flush() {
        guard let stream, writeError == nil else { return }
        if fflush(stream) != 0 { writeError = String(cString: strerror(errno)) }
    }
}
