import ArgumentParser
import Checkpoints
import Foundation
import RNN
import SafeTensors
import Tokenizer
import Training

struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Describe a checkpoint: model, vocabulary, tokenizer, training progress.")

    @Argument(help: "A checkpoint file or run directory (default: the newest under ./checkpoints).") var checkpoint: String?
    @Flag(help: "Print one JSON object.") var json = false

    /// `n` when a run can have counted it (0 ..< Int.max: `info` adds one to the epoch), else nil.
    static func count(_ n: Int) -> Int? { (0..<Int.max).contains(n) ? n : nil }

    func run() throws {
        let (path, c) = try CheckpointLocator.load(checkpoint)
        let options = try? Trainer.storedOptions(in: c)
        typealias Key = CheckpointLayout.Training
        let iterations = c.training[Key.iteration].flatMap(Int.init)
        // Figures no run writes (a damaged or hostile header: NaN, ±∞, a count at Int.max) are left out,
        // so that the lines below never overflow and --json stays JSON.
        let best = c.training[Key.bestValidationLoss].flatMap(Double.init).flatMap(\.finiteValue)
        let seconds = c.training[Key.elapsedSeconds].flatMap(Double.init).flatMap(\.finiteValue)
        let epoch = c.training[Key.epoch].flatMap(Int.init).flatMap(Self.count)
        let batchesDone = c.training[Key.batch].flatMap(Int.init)   // batches (windows) done in the current epoch
        let inputs = c.training[Key.inputs].flatMap { try? JSONDecoder().decode(CorpusInputs.self, from: Data($0.utf8)) }
        let documents = c.training[Key.documents].flatMap { try? JSONDecoder().decode(DocumentCounts.self, from: Data($0.utf8)) }
        if json {
            var fields: [String] = [
                "\"path\":\(JSONStringEscaper.quoted(path))", "\"format_version\":\(c.fileFormatVersion)",
                "\"cell\":\(JSONStringEscaper.quoted(c.config.cell.rawValue))", "\"activation\":\(JSONStringEscaper.quoted(c.config.activation.rawValue))",
                "\"layers\":\(c.config.layerCount)", "\"hidden\":\(c.config.hiddenSize)", "\"dropout\":\(c.config.dropout)",
                "\"vocabulary_size\":\(c.config.vocabularySize)", "\"parameters\":\(c.config.parameterCount)",
                "\"vocabulary\":\(c.vocabulary.jsonString())",
                "\"tokenizer\":{\"mode\":\(JSONStringEscaper.quoted(c.tokenizer.mode.rawValue)),\"normalize\":\(c.tokenizer.normalize)}",
            ]
            // Only when on, so that other models' output is unchanged: recurrent_dropout after dropout (index 6), layer_norm after activation.
            if c.config.recurrentDropout > 0 { fields.insert("\"recurrent_dropout\":\(c.config.recurrentDropout)", at: 7) }
            if c.config.layerNorm { fields.insert("\"layer_norm\":true", at: 4) }
            // The model whole, as `GET /v1/models` lists it: the keys above stay for those who read them.
            fields.append("\"model\":\(c.modelDescription.json)")
            if let task = c.training[Key.task] { fields.append("\"task\":\(JSONStringEscaper.quoted(task))") }
            if let labels = c.labels { fields.append("\"labels\":[" + labels.map { JSONStringEscaper.quoted($0) }.joined(separator: ",") + "]") }
            if let iterations { fields.append("\"iterations\":\(iterations)") }
            if let epoch { fields.append("\"epochs\":\(epoch)") }
            if let best { fields.append("\"best_val_loss\":\(best)"); fields.append("\"best_val_bpc\":\(best / log(2.0))") }
            if let seconds { fields.append("\"seconds_trained\":\(seconds)") }
            if let o = options { fields.append("\"corpus\":\(JSONStringEscaper.quoted(o.corpusPath))") }
            if let p = options?.precision { fields.append("\"training_precision\":\"\(p.rawValue)\"") }
            if let reasons = options?.autoReasons {
                fields.append("\"auto\":[" + reasons.map { JSONStringEscaper.quoted($0) }.joined(separator: ",") + "]")
            }
            if let inputs { fields.append("\"inputs\":" + Checkpoint.json(inputs)) }   // as the checkpoint records them
            if let f = c.folding, let u = c.vocabulary.unknownID {
                var policy: [String] = []
                if let n = f.policy.minCount { policy.append("\"min_count\":\(n)") }
                if let k = f.policy.maxCharacters { policy.append("\"max_vocab\":\(k)") }
                fields.append("\"folding\":{" + (policy + ["\"unknown_id\":\(u)", "\"folded_characters\":\(f.foldedCharacters)",
                                                          "\"folded_occurrences\":\(f.foldedOccurrences)"]).joined(separator: ",") + "}")
            }
            if let mode = c.documents, let m = c.vocabulary.documentMarkers {
                let counts = documents.map { ",\"documents\":\($0.documents),\"training\":\($0.training),\"validation\":\($0.validation),\"test\":\($0.test)" } ?? ""
                fields.append("\"documents\":{\"mode\":\"\(mode.rawValue)\",\"start_id\":\(m.start),\"end_id\":\(m.end)\(counts)}")
            }
            print("{" + fields.joined(separator: ",") + "}")
            return
        }
        let cell = c.config.cellFacts.readableName
        print("checkpoint: \(path) (charrnn format \(c.fileFormatVersion))")
        let recurrent = c.config.recurrentDropout > 0 ? ", recurrent dropout \(c.config.recurrentDropout)" : ""
        print("model:      \(cell), \(c.config.layerCount) × \(c.config.hiddenSize), dropout \(c.config.dropout)\(recurrent), \(c.config.parameterCount) parameters")
        if let task = c.training[Key.task] {
            let head = c.config.attention.map { "next character, from a decoder with \($0.rawValue) attention over an encoder of the source (same cell and size)" }
                ?? (c.config.head == .classifier ? "classifier of \(c.config.outputSize) classes on the \(c.config.pooling.rawValue) state" : "next character")
            let input = c.config.input == .oneHotAndLabel ? "character and label (one-hot, \(c.config.labelCount) labels)" : "character (one-hot)"
            print("task:       --task \(task): input \(input), head \(head)\(task == "generate" && c.config.input == .oneHot ? " (--unconditioned)" : "")")
        }
        if let labels = c.labels { print("labels:     \(labels.count): \(Vocabulary.displayList(labels))") }
        print("tokenizer:  \(c.tokenizer.mode.rawValue)\(c.tokenizer.normalize && c.tokenizer.mode != .byte ? ", NFC" : "")")
        let preview = (0..<min(c.vocabulary.count, 40)).map { c.vocabulary.displayForm(of: Int32($0)) }.joined(separator: " ")
        print("vocabulary: \(c.vocabulary.count) characters: \(preview)\(c.vocabulary.count > 40 ? " …" : "")")
        if let f = c.folding, let u = c.vocabulary.unknownID { print("folding:    \(f.summary); \(Vocabulary.unknownToken) is id \(u)") }
        if let mode = c.documents, let m = c.vocabulary.documentMarkers {
            print("documents:  --documents \(mode.rawValue), \(DocumentMarkers.startToken) is id \(m.start), \(DocumentMarkers.endToken) is id \(m.end)"
                  + (documents.map { "; \($0.summary)" } ?? ""))
        }
        if let o = options {
            let window = o.task == nil ? "T=\(o.sequenceLength)" : "texts cut at \(o.maxTextLength ?? TrainingOptions.defaultMaxTextLength)"
            let products = o.precision.map { ", \($0.rawValue) products" } ?? ""
            print("trained on: \(o.corpusPaths.joined(separator: " ")) (B=\(o.batchSize), \(window), \(o.optimizer.kind.rawValue), lr \(o.learningRate)\(products))")
        }
        if let inputs { print("read:       \(inputs.summary)") }
        if let iterations {
            // The epoch counter moves when the next epoch's first window is taken: a run that just finished
            // its epoch still counts it as the current one, so this says where it stands rather than "full epochs".
            var line = "progress:   \(iterations) iterations, in epoch \((epoch ?? 0) + 1)"
            if let batchesDone { line += " (\(batchesDone) batch\(batchesDone == 1 ? "" : "es") of it done)" }
            if let seconds { line += ", \(formatDuration(seconds)) of training" }
            print(line)
        }
        if let best {
            let unit = c.config.head == .classifier ? "text" : "char"  // a classifier's loss is per text (LabelledEvaluation)
            print(String(format: "best val:   %.4f nats/%@ (%.4f bits/%@)", best, unit, best / log(2.0), unit))
        }
        for (i, reason) in (options?.autoReasons ?? []).enumerated() { print((i == 0 ? "chosen by:  --auto: " : "            ") + reason) }
    }
}

private extension Double {
    /// The value when it is finite, else nil (JSON has no NaN or infinity).
    var finiteValue: Double? { isFinite ? self : nil }
}
