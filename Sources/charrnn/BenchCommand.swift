import ArgumentParser
import Bench

/// `charrnn bench`: how fast charrnn is on this machine, beside PyTorch and
/// numpy measured in the same run.
///
/// Every workload runs in its own child process (`charrnn bench --only NAME
/// --in-process`), so that its peak RSS (ru_maxrss, read by wait4) is its
/// own; right after it, the same workload runs in the reference script
/// (bench/torch_reference.py under $CHARRNN_PYTHON or --torch), so that the
/// two figures of a row are taken a few seconds apart on the same machine.
/// Results: a table on stdout (or JSON lines with --json), and one JSON line
/// per workload appended to bench-results/bench.jsonl.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure training, sampling and tokenizing speed (beside PyTorch, when available).",
        discussion: """
            Workloads: \(Workload.all.map(\.name).joined(separator: ", ")).

            Training runs the real step (batching, forward, backward, gradient clipping, optimizer) on \
            random characters with V = 65. GFLOP/s counts GEMM FLOPs, StackedRNN.trainingFLOPs = \
            6·N·H·(G·H·(2L − 1) + V) per window with N = B·T; "of GEMM" divides it by the machine's large \
            sgemm throughput measured in the same run. Each workload runs in a child process, so its peak \
            RSS is its own.

            PyTorch and numpy run bench/torch_reference.py with the Python in $CHARRNN_PYTHON or --torch \
            (`make torch-venv` makes one; `make bench` uses it).
            """)

    @Flag(help: "Print JSON lines instead of the table.") var json = false
    @Option(help: "Run only these workloads: a name, a prefix (train, sample) or a comma-separated list.") var only: String?
    @Option(parsing: .unconditional, help: "Seconds of timing per workload and implementation.") var seconds: Double = 10
    @OptionGroup var threads: ThreadOptions  // charrnn's and PyTorch's
    @Option(help: "Rounds per timed workload, alternating charrnn and the references; the best round counts.") var `repeat`: Int = 1
    @Option(help: "Python with torch (and numpy) for the reference figures (default: $CHARRNN_PYTHON).") var torch: String?
    @Flag(help: "Skip the PyTorch and numpy references.") var noReference = false
    @Option(help: "Append JSON lines here ('-' for none).") var results: String = "bench-results/bench.jsonl"
    @Option(help: .private) var referenceScript: String?
    @Flag(help: .private) var inProcess = false   // run one workload here and print its measurement
    @Option(help: .private) var serveClients: String?   // PORT,CLIENTS,LENGTH,SECONDS: a serve row's clients (ServeLoad)

    func validate() throws {
        if !(seconds > 0 && seconds <= 3600) { throw ValidationError("--seconds must be in (0, 3600] (got \(seconds))") }
        if `repeat` < 1 || `repeat` > 20 { throw ValidationError("--repeat must be between 1 and 20") }
        if inProcess && (only.map { Workload.named($0) } ?? nil) == nil {
            throw ValidationError("--in-process needs --only with one workload name")
        }
        if let o = only, Workload.selected(by: o).isEmpty {
            throw ValidationError("no workload matches '\(o)'; workloads: \(Workload.all.map(\.name).joined(separator: ", "))")
        }
    }

    /// The bench lives in the Bench module. A serve row's client spec it cannot read is a usage error;
    /// what fails while measuring (a workload, a reference, the results file) is a one-line error, exit 1.
    func run() throws {
        do {
            if let spec = serveClients {
                try ServeLoad.clientsMain(spec)
                return
            }
        } catch let error as BenchError {
            throw ValidationError(error.message)
        }
        do {
            if inProcess {
                try BenchRun.runInProcess(workload: only!, seconds: seconds, threads: threads.count)
            } else {
                try BenchRun(settings: BenchSettings(
                    json: json, only: only, seconds: seconds, threads: threads.count, rounds: `repeat`, torch: torch,
                    noReference: noReference, results: results, referenceScript: referenceScript),
                    version: CharRNN.version, flushOutput: flushStandardOutput).run()
            }
        } catch let error as BenchError {
            throw failure(error.message)
        }
    }
}
