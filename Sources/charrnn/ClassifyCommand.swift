import ArgumentParser
import Checkpoints
import Files
import Foundation
import RNN
import SafeTensors
import Sampler
import Tensor
import Tokenizer
import Training

struct ClassifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Name the label of each line of a text with a classifier (train --task classify).",
        discussion: """
            Reads FILE (or standard input, given - or nothing) and prints one line per input line, so the \
            output lines up with the input (paste(1) can join them): the most probable label, a tab, and its \
            probability; with --json one object per line with its line number and every label's probability. \
            Lines end with LF, CRLF or a lone CR (classic Mac OS). A line is read as training read its \
            texts: cut to the run's --max-chars, characters the model never saw left out (or read as <unk> \
            by a folding vocabulary) and counted on stderr. An empty line, or one none of whose characters the \
            model knows, gets the model's answer with no evidence (its answer from the zero state, \
            "characters": 0 in --json), as `serve`'s /v1/classify answers an empty text.
            """)

    @Argument(help: "UTF-8 text, one input per line; - or nothing for standard input.") var file: String?
    @OptionGroup var checkpointOptions: CheckpointOptions
    @Option(parsing: .unconditional, help: "Lines classified together (default 64); the answers do not depend on it.") var batchSize: Int = 64
    @Flag(help: "Print one JSON object per line: label, probability, and every label's probability.") var json = false
    @OptionGroup var threads: ThreadOptions

    /// Input read whole (a file, or standard input) at most.
    static let maximumInputBytes = 1 << 30

    func validate() throws {
        if !(1...100_000).contains(batchSize) { throw ValidationError("--batch-size must be between 1 and 100000 (got \(batchSize))") }
    }

    func run() throws {
        BLAS.threadCount = threads.count
        let (_, checkpoint) = try checkpointOptions.load()
        if let problem = Classifier.problem(with: checkpoint) { throw failure(problem) }
        let lines = try readInputLines(file, limit: Self.maximumInputBytes)
        let cut = (try? Trainer.storedOptions(in: checkpoint))?.maxTextLength ?? TrainingOptions.defaultMaxTextLength
        let classifier = Classifier(checkpoint: checkpoint, maxCharacters: cut)
        var encoded: [(ids: [Int32], unknown: Int)] = []
        encoded.reserveCapacity(lines.count)
        for (n, line) in lines.enumerated() {
            do { encoded.append(try classifier.encode(line)) } catch { throw failure("line \(n + 1): \(error)") }
        }
        let out = StandardOutput(flushEachWrite: false)
        var start = 0
        // In pieces of 64 batches, so the first answers come before the last lines are read through the model.
        let piece = 64 * batchSize
        while start < encoded.count {
            let part = Array(encoded[start..<min(encoded.count, start + piece)])
            for (offset, c) in classifier.classify(encoded: part, batchSize: batchSize).enumerated() {
                out.write(Array(render(c, labels: classifier.labels, line: start + offset + 1).utf8))
            }
            start += part.count
        }
        out.flush()
        if let problem = out.writeError { throw failure("cannot write to standard output: \(problem)") }
        let unknown = encoded.reduce(0) { $0 + $1.unknown }
        if unknown > 0 {
            let folds = checkpoint.vocabulary.unknownID != nil
            note("\(unknown) character\(unknown == 1 ? "" : "s") outside the model's vocabulary \(folds ? "read as \(Vocabulary.unknownToken)" : "left out")")
        }
    }

    private func render(_ c: Classifier.Classification, labels: [String], line: Int) -> String {
        guard json else { return "\(labels[c.label])\t\(String(format: "%.4f", c.probabilities[c.label]))\n" }
        let all = zip(labels, c.probabilities).map { "\(JSONStringEscaper.quoted($0)):\($1)" }.joined(separator: ",")
        return "{\"line\":\(line),\"label\":\(JSONStringEscaper.quoted(labels[c.label])),\"probability\":\(c.probabilities[c.label]),"
            + "\"probabilities\":{\(all)},\"characters\":\(c.characters),\"unknown\":\(c.unknown)}\n"
    }
}
