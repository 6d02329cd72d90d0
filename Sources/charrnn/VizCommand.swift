import ArgumentParser
import Files
import Checkpoints
import Foundation
import RNN
import Sampler
import Tensor
import Tokenizer
import Visualize

struct VizCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "viz",
        abstract: "Show what hidden units do: a web page of a text coloured by one unit's activation.",
        discussion: """
            Runs the model over the text one character at a time (from the zero state, as sampling does) and \
            writes one self-contained HTML file (no network, nothing external). Each character's background is \
            the chosen unit's value right after reading it: red negative, white 0, blue positive. Pickers choose \
            the layer, h or (LSTM) the cell state c, and the unit; hovering a character shows the model's top 5 \
            guesses for the next one; a side list ranks units by how closely (Pearson's r) they follow simple \
            features of the text: inside quotes, position in line, bracket depth, start of word, line break.

              charrnn viz --checkpoint checkpoints/run --text sample.txt -o viz.html

            For a translation model (train --task translate), viz translates --source (greedy, or --beam N) \
            and draws its attention as an SVG heat map: a column per source character, a row per output \
            character, darker where the decoder looked while writing it.

              charrnn viz --checkpoint checkpoints/dates --source "April 22, 2019" -o attention.svg
            """)

    @OptionGroup var checkpointOptions: CheckpointOptions
    @Option(help: ArgumentHelp("The text file to run the model over.", valueName: "file"), completion: .file())
    var text: String?
    @Option(help: ArgumentHelp("A translation model: the source whose attention is drawn.", valueName: "text"))
    var source: String?
    @Option(parsing: .unconditional, help: "A translation model: hypotheses kept by beam search (default 1: greedy).") var beam: Int = 1
    @Option(parsing: .unconditional, help: "The layer shown first, 0 = nearest the input (default: the layer of the unit that best follows a feature).")
    var layer: Int?
    @Option(parsing: .unconditional, help: "The unit shown first (default: the unit that best follows a feature).")
    var unit: Int?
    @Flag(help: "LSTM: show the cell state c first rather than the output h.")
    var cell = false
    @Option(name: [.short, .customLong("output")],
            help: ArgumentHelp("The HTML file to write (default viz.html; attention.svg for a translation model); - for stdout.", valueName: "file"),
            completion: .file(extensions: ["html", "svg"]))
    var output: String?
    @Option(parsing: .unconditional, help: ArgumentHelp("Characters of the text to show (the page embeds every unit's value for each).", valueName: "n"))
    var maxChars: Int = 5000

    /// The page shows --max-chars characters; reading more than this to find them is pointless.
    static let maximumTextBytes = 1_000_000_000

    /// No browser opens a larger page usefully.
    static let maximumPageBytes = 500_000_000

    func validate() throws {
        if maxChars < 1 { throw ValidationError("--max-chars must be at least 1 (got \(maxChars))") }
        if let layer, layer < 0 { throw ValidationError("--layer must be ≥ 0 (got \(layer))") }
        if let unit, unit < 0 { throw ValidationError("--unit must be ≥ 0 (got \(unit))") }
        if output?.isEmpty == true { throw ValidationError("--output needs a file name (or - for stdout)") }
        if !Translator.beamWidths.contains(beam) { throw ValidationError("--beam must be between 1 and \(Translator.beamWidths.upperBound) (got \(beam))") }
    }

    func run() throws {
        let (path, checkpoint) = try checkpointOptions.load()
        if checkpoint.config.attention != nil { return try drawAttention(path: path, checkpoint: checkpoint) }
        if source != nil { throw failure("--source is for a translation model (train --task translate); \(path) is not one: give --text") }
        guard let text else { throw failure("give --text, the file to run the model over") }
        let output = output ?? "viz.html"
        if checkpoint.config.head != .nextCharacter || checkpoint.config.input != .oneHot {
            throw failure("viz draws the activations of a model of one text; \(path) was trained with --task (a \(checkpoint.config.head.rawValue) head, \(checkpoint.config.input.rawValue) input)")
        }
        let config = checkpoint.config
        if let layer, layer >= config.layerCount {
            throw failure("--layer \(layer) is out of range: the model has \(config.layerCount) layer\(config.layerCount == 1 ? "" : "s") (0–\(config.layerCount - 1))")
        }
        if let unit, unit >= config.hiddenSize {
            throw failure("--unit \(unit) is out of range: layers have \(config.hiddenSize) units (0–\(config.hiddenSize - 1))")
        }
        if cell && !config.cellFacts.carriesCellState { throw failure("--cell needs an LSTM; this model is a \(config.cell.rawValue)") }

        let data: Data
        do throws(FileError) {
            data = Data(try RegularFile(path: text).readAll(limit: Self.maximumTextBytes))
        } catch {
            if case .notFound = error { throw failure("no such file: \(text)") }
            throw failure("cannot read \(text): \(error.reason)")
        }
        var characters: [String]
        do {
            characters = try Tokenizer(settings: checkpoint.tokenizer).units(ofUTF8: data)
        } catch {
            // The tokenizer's own message suggests training flags; here only the text can change.
            if String(validating: data, as: UTF8.self) == nil { throw failure("\(text) is not valid UTF-8 text") }
            throw failure("\(text): \(error)")
        }
        guard !characters.isEmpty else { throw failure("\(text) is empty: nothing to show") }
        let total = characters.count
        if total > maxChars {
            characters = Array(characters.prefix(maxChars))
            note("note: showing the first \(maxChars) of \(total) characters (raise --max-chars to show more; the page grows by about \(Self.bytesPerCharacter(config)) bytes per character)")
        }
        // The page (and the trace behind it, a few times larger) grows with every character shown.
        let pageBytes = characters.count.multipliedReportingOverflow(by: Self.bytesPerCharacter(config))
        if pageBytes.overflow || pageBytes.partialValue > Self.maximumPageBytes {
            throw failure("a page of \(characters.count) characters of this model would be about \(pageBytes.partialValue / 1_000_000) MB "
                          + "(at most \(Self.maximumPageBytes / 1_000_000) MB): lower --max-chars")
        }
        let unknown = Set(characters.filter { checkpoint.vocabulary.readingID(of: $0) == nil })
        if !unknown.isEmpty {
            note("note: \(unknown.count) distinct character\(unknown.count == 1 ? " is" : "s are") not in the model's vocabulary; "
                 + "shown hatched and skipped (the state carries over): " + Vocabulary.displayList(unknown))
        }

        BLAS.threadCount = 1  // batch 1: GEMV-bound, threads only add synchronisation
        let page: ActivationPage
        do {
            page = try ActivationPage(checkpoint: checkpoint, checkpointName: path,
                                      source: URL(fileURLWithPath: text).lastPathComponent, characters: characters,
                                      totalCharacters: total, layer: layer, unit: unit, cellState: cell)
        } catch {
            throw failure("\(error)")
        }
        let html: String
        do { html = try page.html() } catch { throw failure("cannot encode the page: \(error)") }
        let size = html.utf8.count
        if size > 20_000_000 {
            note("note: the page is large (\(size / 1_000_000) MB); a browser may be slow to open it: lower --max-chars")
        }
        guard try writeOutput(Data(html.utf8), to: output, example: "viz.html") else { return }
        let shown = page.payload.initial
        print("wrote \(output) (\(characters.count) characters, \(String(format: "%.1f", Double(size) / 1e6)) MB); "
              + "first shown: layer \(shown.layer) \(shown.kind) unit \(shown.unit)")
    }

    /// A translation model's page: the attention of one source's translation as an SVG heat map.
    func drawAttention(path: String, checkpoint: Checkpoint) throws {
        if let problem = Translator.problem(with: checkpoint) { throw failure("\(path): \(problem)") }
        if text != nil || layer != nil || unit != nil || cell {
            throw failure("\(path) is a translation model: viz draws the attention of one --source (--text, --layer, --unit and --cell are for models of one text)")
        }
        guard let source else { throw failure("\(path) is a translation model: give --source, the text whose attention is drawn") }
        let output = output ?? "attention.svg"
        let translator = Translator(checkpoint: checkpoint)
        let ids: [Int32]
        do { ids = try translator.encode(source) } catch { throw failure("--source: \(error)") }
        BLAS.threadCount = 1
        let t: Translator.Translation
        do { t = try translator.translate(ids, beam: beam, keepAttention: true) } catch { throw failure("\(error)") }
        let tokens = checkpoint.vocabulary.tokens
        let map = AttentionMap(source: ids.map { tokens[Int($0)] }, output: t.ids.map { tokens[Int($0)] } + (t.finished ? ["</s>"] : []),
                               weights: t.attention, title: "\(source) → \(t.text)")
        let svg = map.svg()
        guard try writeOutput(Data(svg.utf8), to: output, example: "attention.svg") else { return }
        print("wrote \(output) (\(ids.count) source × \(map.output.count) output characters): \(t.text)")
    }

    /// About how many bytes each character adds to the page: one int8 per unit,
    /// layer and state (base64: 4/3), plus guesses and the character itself.
    static func bytesPerCharacter(_ config: ModelConfig) -> Int {
        let states = config.layerCount * config.cellFacts.stateNames.count
        return states * config.hiddenSize * 4 / 3 + 60
    }
}
