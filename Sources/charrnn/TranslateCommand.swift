import ArgumentParser
import Checkpoints
import Foundation
import RNN
import SafeTensors
import Sampler
import Tensor
import Tokenizer

struct TranslateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "translate",
        abstract: "Translate each line of a text with an encoder–decoder (train --task translate).",
        discussion: """
            Reads FILE (or standard input, given - or nothing) and prints one line per input line: its \
            translation, greedy or by beam search (--beam N); with --json one object per line with the \
            log-probability. A source is read as training read the pairs. An empty line gives an empty line. \
            A line with a character the model never saw (and no <unk> in its vocabulary), or longer than \
            \(Translator.maxSourceCharacters) characters, stops the command with one line naming it (exit 1), \
            after the lines before it were printed. An output not ended by the model within --max-length \
            characters is cut there ("finished":false in --json).
            """)

    @Argument(help: "UTF-8 text, one source per line; - or nothing for standard input.") var file: String?
    @OptionGroup var checkpointOptions: CheckpointOptions
    @Option(parsing: .unconditional, help: "Hypotheses kept by beam search (default 1: greedy).") var beam: Int = 1
    @Option(parsing: .unconditional, help: "Output characters at most (default \(Translator.defaultMaxLength)).") var maxLength: Int = Translator.defaultMaxLength
    @Flag(help: "Print one JSON object per line: line, source, translation, log_prob (nats), finished, characters.") var json = false
    @OptionGroup var threads: ThreadOptions

    static let maximumInputBytes = 1 << 30

    func validate() throws {
        if !Translator.beamWidths.contains(beam) { throw ValidationError("--beam must be between 1 and \(Translator.beamWidths.upperBound) (got \(beam))") }
        if !(1...100_000).contains(maxLength) { throw ValidationError("--max-length must be between 1 and 100000 (got \(maxLength))") }
    }

    func run() throws {
        BLAS.threadCount = threads.count
        let (_, checkpoint) = try checkpointOptions.load()
        if let problem = Translator.problem(with: checkpoint) { throw failure(problem) }
        let lines = try readInputLines(file, limit: Self.maximumInputBytes)
        let translator = Translator(checkpoint: checkpoint)
        let out = StandardOutput(flushEachWrite: true)
        for (n, line) in lines.enumerated() {
            let where_ = "\(file.map { $0 == "-" ? "standard input" : $0 } ?? "standard input"):\(n + 1)"
            if line.isEmpty {
                out.write(Array((json ? "{\"line\":\(n + 1),\"source\":\"\",\"translation\":\"\",\"log_prob\":0,\"finished\":true,\"characters\":0}\n" : "\n").utf8))
                continue
            }
            let ids: [Int32]
            do { ids = try translator.encode(line) } catch {
                out.flush()
                throw failure("\(where_): \(error)")
            }
            let t: Translator.Translation
            do { t = try translator.translate(ids, beam: beam, maxLength: maxLength) } catch { throw failure("\(where_): \(error)") }
            let text = json ? "{\"line\":\(n + 1),\"source\":\(JSONStringEscaper.quoted(line)),\"translation\":\(JSONStringEscaper.quoted(t.text)),"
                + "\"log_prob\":\(t.logProbability),\"finished\":\(t.finished),\"characters\":\(t.ids.count)}\n" : t.text + "\n"
            out.write(Array(text.utf8))
            if let problem = out.writeError { throw failure("cannot write to standard output: \(problem)") }
        }
        out.flush()
        if let problem = out.writeError { throw failure("cannot write to standard output: \(problem)") }
    }
}
