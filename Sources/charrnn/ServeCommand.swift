import ArgumentParser
import Checkpoints
import Dispatch
import Foundation
import RNN
import Serve
import Tensor

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve models over HTTP: a page to write with, and a JSON API to generate, score, classify and translate text.",
        discussion: """
            GET / is the page; GET /v1/models lists the models; POST /v1/generate samples (streamed as \
            server-sent events with "stream": true; "label" for a model trained with --task generate); \
            POST /v1/score scores a text; POST /v1/classify names the label of texts with a classifier \
            (--task classify); POST /v1/translate translates sources with a translation model (--task \
            translate). Each --checkpoint is one model, named after its run directory (or file). SIGINT or SIGTERM stops accepting, lets \
            the requests in flight finish for a few seconds, cuts the rest and exits 0.
            """)

    @Option(name: .customLong("checkpoint"), help: ArgumentHelp(
        "A checkpoint file or run directory; repeat for more models (the first is the default). Default: the newest under ./checkpoints.",
        valueName: "path"), completion: .file(extensions: ["safetensors"]))
    var checkpoints: [String] = []
    @Option(help: "Address to listen on (localhost by default; 0.0.0.0 for every interface).") var host = "127.0.0.1"
    // Numbers parse `.unconditional`ly: `--port -1` reaches the range check (one line), not "Missing value".
    @Option(parsing: .unconditional, help: "Port to listen on (0: any free port, printed).") var port = 8080
    @Option(parsing: .unconditional, help: "Most characters one sample may generate, a search may step through, or a text to score may hold.") var maxLength = ServeLimits().maxLength
    @Option(parsing: .unconditional, help: "Most UTF-8 bytes in a prime (413 past it).") var maxPrimeBytes = ServeLimits().maxPrimeBytes
    @Option(parsing: .unconditional, help: "Most bytes in a request body (413 past it).") var maxBodyBytes = ServeLimits().maxBodyBytes
    @Option(parsing: .unconditional, help: "Generations computing at once (default: the cores).") var workers = ServeLimits().lanes
    @Option(parsing: .unconditional, help: "Requests being generated at once, taking turns on the workers.") var maxGenerations = ServeLimits().maxGenerations
    @Option(parsing: .unconditional, help: "Requests waiting beyond those; past it, 503 with Retry-After.") var queue = ServeLimits().queue
    @Option(parsing: .unconditional, help: ArgumentHelp("Seconds a stream may wait for its client to read what it was sent (64 KiB) before the server closes it.",
                               valueName: "seconds")) var stallTimeout = ServeLimits().stallSeconds
    @OptionGroup var precisionOptions: PrecisionOptions

    var limits: ServeLimits {
        var l = ServeLimits()
        l.maxLength = maxLength
        l.maxPrimeBytes = maxPrimeBytes
        l.maxBodyBytes = maxBodyBytes
        l.lanes = workers
        l.maxGenerations = maxGenerations
        l.queue = queue
        l.stallSeconds = stallTimeout
        l.precision = precisionOptions.precision
        return l
    }

    func validate() throws {
        if !(0...65_535).contains(port) { throw ValidationError("--port must be between 0 and 65535 (got \(port))") }
        if let problem = limits.problem { throw ValidationError(problem) }
    }

    func run() throws {
        var models: [(name: String, checkpoint: Checkpoint)] = []
        for given in checkpoints.isEmpty ? [nil] : checkpoints.map(Optional.some) {
            let (path, checkpoint) = try CheckpointLocator.load(given)
            if let problem = Server.problem(serving: checkpoint) { throw failure("\(path): \(problem)") }
            var name = Self.modelName(path: path)
            if models.contains(where: { $0.name == name }) { name += "-\(models.count + 1)" }
            models.append((name, checkpoint))
        }
        // --precision applies to the models that write text (their steps); the others run in fp32.
        let fp32Only = models.filter { ModelTask(checkpoint: $0.checkpoint) != .generate }
        let reduced = limits.precision != .fp32 && fp32Only.count < models.count
        if limits.precision != .fp32, let other = fp32Only.first {
            note("--precision \(limits.precision.rawValue) applies to the models that write text; \(other.name)"
                 + (fp32Only.count > 1 ? " and the other classifiers or translation models run" : " runs") + " in fp32")
        }
        BLAS.threadCount = 1   // batch-1 steps: one thread each; the workers are the parallelism
        let server = Server(models: models, limits: limits)
        let listener: Listener
        do {
            listener = try server.listen(host: host, port: port)
        } catch {
            throw failure("\(error)")
        }
        let stop = DispatchSemaphore(value: 0)
        var sources: [any DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)   // delivered to the dispatch source instead
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { stop.signal() }
            source.resume()
            sources.append(source)
        }
        note("charrnn serve: http://\(host.contains(":") ? "[\(host)]" : host):\(listener.port)/ "
             + "(models: \(models.map(\.name).joined(separator: ", "))"
             + (reduced ? "; \(limits.precision.rawValue) weights" : "") + "); Ctrl-C to stop")
        stop.wait()
        note("charrnn serve: stopping")
        listener.stop(grace: 3)
        _ = sources
    }

    /// A run directory's name for its best / latest checkpoint, else the file's name without `.safetensors`.
    static func modelName(path: String) -> String {
        let url = URL(fileURLWithPath: path)
        let file = url.deletingPathExtension().lastPathComponent
        return ["best", "latest"].contains(file) ? url.deletingLastPathComponent().lastPathComponent : file
    }
}
