import Checkpoints
import Foundation
import RNN
import SafeTensors
import Sampler
import Tokenizer
import Training

extension SampleCommand {
    /// `--novel` draws at most this many documents per document asked for.
    static let novelDrawsPerDocument = 100

    /// `--novel`: documents drawn with seeds S, S+1, … whose text (prime and
    /// generated characters) is not a training document's, until `count` are
    /// found or the draws run out; each is held whole, then printed as one
    /// line (or one JSON object). The fraction of draws that were new goes to stderr.
    func novelDocuments(_ sampler: Sampler, checkpoint: Checkpoint, path: String, prime: [Int32], seed: UInt64,
                        echo: [UInt8], primeJSON: String, out: StandardOutput) throws {
        let training = try Self.trainingHashes(beside: path, checkpoint: checkpoint)
        let primeHash = DocumentHashes.fnv1a(sampler.vocabulary.decodedBytes(prime))
        let (product, overflow) = count.multipliedReportingOverflow(by: Self.novelDrawsPerDocument)
        let bound = overflow ? Int.max : product
        var drawn = 0, kept = 0
        while kept < count && drawn < bound && !out.failed {
            let s = seed &+ UInt64(drawn)
            drawn += 1
            let document: Sampler.Sample
            do { document = try sampler.sample(prime: prime, length: length, policy: policy, seed: s, stops: stops) } catch {
                out.flush()
                throw failure("\(error)")
            }
            if training.contains(DocumentHashes.fnv1a(document.text.utf8, continuing: primeHash)) { continue }
            kept += 1
            if json {
                out.write(Array(("{\"text\":\(JSONStringEscaper.quoted(document.text)),"
                                 + "\"prime\":\(primeJSON),\"seed\":\(s),\"characters\":\(document.generated.count),"
                                 + "\"mean_log_prob\":\(document.meanLogProbability),\"stopped\":\(document.stopped),"
                                 + "\"ended\":\(document.endedDocument),\"novel\":true}\n").utf8))
            } else {
                out.write(echo + Array(document.text.utf8) + [0x0A])
            }
        }
        out.flush()
        if let problem = out.writeError { throw failure("cannot write the text to standard output: \(problem)") }
        let percent = String(format: "%.1f", 100 * Double(kept) / Double(max(drawn, 1)))
        let shortfall = kept < count ? " (stopped after \(drawn) draws: fewer than the \(count) asked for)" : ""
        note("novel: \(kept) of \(drawn) documents drawn were new (\(percent)%); the others occur in the training split\(shortfall)")
    }

    /// The training documents' hashes of the run `checkpoint` belongs to: the
    /// file beside it, checked against the count the checkpoint recorded.
    static func trainingHashes(beside checkpointPath: String, checkpoint: Checkpoint) throws -> DocumentHashes {
        let file = RunDirectory.documentHashes(in: (checkpointPath as NSString).deletingLastPathComponent.nonEmpty ?? ".")
        let hashes: DocumentHashes
        do { hashes = try DocumentHashes.read(path: file) } catch { throw failure("\(error)") }
        let recorded = checkpoint.training[CheckpointLayout.Training.documents]
            .flatMap { try? JSONDecoder().decode(DocumentCounts.self, from: Data($0.utf8)) }
        if let recorded, recorded.distinctTraining != hashes.count {
            throw failure("\(file) holds \(hashes.count) document hashes but \(checkpointPath) was trained on "
                          + "\(recorded.distinctTraining) distinct documents: it belongs to another run")
        }
        return hashes
    }
}

extension Vocabulary {
    /// The bytes of `ids`' text, joined (what `decode` turns into a string).
    func decodedBytes(_ ids: [Int32]) -> [UInt8] { ids.flatMap { bytes(of: $0) } }
}

extension String {
    /// nil for the empty string.
    var nonEmpty: String? { isEmpty ? nil : self }
}
