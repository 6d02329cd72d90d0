import ArgumentParser
import Foundation
import Visualize

extension LossPlot.XAxis: ExpressibleByArgument {}

struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot",
        abstract: "Plot training and validation loss of one or more runs as an SVG.",
        discussion: """
            Reads each run's train.jsonl (written by charrnn train into its --checkpoint-dir); with no run \
            given, every run under ./checkpoints. Several runs overlay in distinct colours. The left axis is \
            nats per character, the right axis the same in bits per character. The y range leaves out the \
            first steep part of the training curve; curves that leave it are clipped at the top.

              charrnn plot                      # every run under ./checkpoints, to loss.svg
              charrnn plot checkpoints/a checkpoints/b -o compare.svg --x time
            """)

    @Argument(help: ArgumentHelp("Run directories (or train.jsonl files). Default: every run under ./checkpoints.",
                                 valueName: "run-dir"), completion: .directory)
    var runs: [String] = []
    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("The SVG file to write; - for stdout.", valueName: "file"),
            completion: .file(extensions: ["svg"]))
    var output: String = "loss.svg"
    @Option(name: .customLong("x"), help: ArgumentHelp("Horizontal axis: iter (iterations) or time (wall-clock training time).",
                                                       valueName: "iter|time"))
    var xAxis: LossPlot.XAxis = .iter
    @Option(parsing: .unconditional, help: ArgumentHelp("Moving-average weight for the training loss, in [0, 1); 0 draws it raw.", valueName: "weight"))
    var smooth: Double = 0.6
    @Option(help: ArgumentHelp("Title at the top of the plot.", valueName: "text"))
    var title: String = "Training and validation loss"

    func validate() throws {
        if !(smooth >= 0 && smooth < 1) { throw ValidationError("--smooth must be in [0, 1) (got \(smooth))") }
        if output.isEmpty { throw ValidationError("--output needs a file name (or - for stdout)") }
    }

    func run() throws {
        let sources = try runs.isEmpty ? Self.discover(under: "checkpoints") : runs.map { ($0, Self.name(of: $0)) }
        var logs: [TrainingLog] = []
        var leftOut: [String] = []  // why each run without a curve has none
        for (path, name) in Self.disambiguated(sources) {
            let log: TrainingLog
            do { log = try TrainingLog.read(path: path, name: name) } catch {
                leftOut.append("\(error)")   // one run that cannot be read does not keep the others from their plot
                continue
            }
            if !log.malformedLines.isEmpty {
                let lines = log.malformedLines.prefix(5).map(String.init).joined(separator: ", ")
                let more = log.malformedLines.count > 5 ? ", …" : ""
                let count = log.malformedLines.count
                note("note: \(path): skipped \(count) malformed line\(count == 1 ? "" : "s") (\(lines)\(more))")
            }
            if log.isEmpty {
                leftOut.append("\(path) has no loss records to plot")
                continue
            }
            if xAxis == .time && log.lastElapsed == nil {
                leftOut.append("\(path) has no elapsed times to plot against (try --x iter)")
                continue
            }
            logs.append(log)
        }
        guard !logs.isEmpty else {
            throw failure(leftOut.count == 1 ? leftOut[0] : "nothing to plot: " + leftOut.joined(separator: "; "))
        }
        for reason in leftOut { note("note: left out: \(reason)") }
        let svg = LossPlot(runs: logs, xAxis: xAxis, smoothing: smooth, title: title).svg()
        guard try writeOutput(Data(svg.utf8), to: output, example: "loss.svg") else { return }
        let names = logs.map(\.name).joined(separator: ", ")
        print("wrote \(output) (\(logs.count) run\(logs.count == 1 ? "" : "s"): \(names))")
    }

    /// Every directory under `root` holding a train.jsonl, named by its path below `root`.
    static func discover(under root: String) throws(ExitCode) -> [(path: String, name: String)] {
        var found: [(path: String, name: String)] = []
        if let walker = FileManager.default.enumerator(atPath: root) {
            while let relative = walker.nextObject() as? String {
                guard relative == "train.jsonl" || relative.hasSuffix("/train.jsonl") else { continue }
                let directory = String(relative.dropLast("train.jsonl".count)).trimmingCharacters(in: ["/"])
                found.append((directory.isEmpty ? root : root + "/" + directory, directory.isEmpty ? root : directory))
            }
        }
        guard !found.isEmpty else {
            throw failure("no training logs under ./\(root) (looked for */train.jsonl); name run directories: charrnn plot RUN_DIR ...")
        }
        return found.sorted { $0.name < $1.name }
    }

    /// A run's name for the legend: its directory's name (a train.jsonl's folder).
    static func name(of path: String) -> String {
        var url = URL(fileURLWithPath: path).standardized
        if url.lastPathComponent == "train.jsonl" { url.deleteLastPathComponent() }
        return url.lastPathComponent
    }

    /// Runs that would share a legend name keep the path they were given instead.
    static func disambiguated(_ sources: [(path: String, name: String)]) -> [(path: String, name: String)] {
        var counts: [String: Int] = [:]
        for s in sources { counts[s.name, default: 0] += 1 }
        return sources.map { counts[$0.name]! > 1 ? ($0.path, $0.path) : $0 }
    }
}
