import Files
import Foundation
import Tensor

/// One `charrnn bench` invocation: runs the selected workloads and reports them.
public struct BenchRun {
    let settings: BenchSettings
    let version: String                 // charrnn's, for the header
    let workloads: [Workload]
    let threads: Int
    let executable: String
    let python: String?
    let script: String?

    /// Flushes standard output as rows are printed (`BenchTable.flush`).
    let flushOutput: () -> Void

    public init(settings: BenchSettings, version: String, flushOutput: @escaping () -> Void = { fflush(nil) }) {
        self.settings = settings
        self.flushOutput = flushOutput
        self.version = version
        threads = settings.threads
        var selected = settings.only.map(Workload.selected(by:)) ?? Workload.all
        // The training rows are compared with the large-GEMM throughput: measure it too.
        if selected.contains(where: { if case .train = $0.kind { true } else { false } }), !selected.contains(where: { $0.name == "sgemm" }) {
            selected.insert(Workload.named("sgemm")!, at: 0)
        }
        workloads = selected
        executable = Self.selfExecutable
        python = settings.noReference ? nil : (settings.torch ?? ProcessInfo.processInfo.environment["CHARRNN_PYTHON"])
        script = settings.referenceScript ?? BenchRun.findScript(from: executable)
    }

    /// The child's side (`charrnn bench --only NAME --in-process`): measures one workload here
    /// and prints its measurement as one JSON line for the parent.
    /// This process's executable (`charrnn`), to run parts of the bench in children.
    static var selfExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    public static func runInProcess(workload name: String, seconds: Double, threads: Int) throws {
        guard let w = Workload.named(name) else { throw BenchError("no workload is named '\(name)'") }
        let m = try w.measureInProcess(seconds: seconds, threads: threads)
        print(String(decoding: try BenchJSON.encode(m), as: UTF8.self))
    }

    public func run() throws {
        try checkResultsFile()
        let date = ISO8601DateFormatter().string(from: Date())
        let machine = BenchRun.cpuModel()
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let commit = BenchRun.commit()

        // Which references can run.
        let (available, referenceNote) = probeReferences()

        let table = BenchTable(json: settings.json, flushOutput: flushOutput)
        table.header([
            "charrnn bench · \(date) · \(machine) · kernels: \(Kernels.current) · \(cores) cores · \(threads) threads · \(BenchRun.formatSeconds(settings.seconds)) per timing",
            "charrnn \(version)\(commit.map { " (\($0))" } ?? "") · OpenBLAS core \(BLAS.coreName) · \(referenceNote)",
        ])

        var sgemm: Double? = nil
        var log: [BenchRecord] = []
        let tempDir = FileManager.default.temporaryDirectory.appendingPathComponent("charrnn-bench-\(getpid())")
        try FileManager.default.createDirectory(at: tempDir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tempDir) }

        for w in workloads {
            var record = BenchRecord(date: date, machine: machine, cores: cores, threads: threads, seconds: settings.seconds,
                                     commit: commit, blasCore: BLAS.coreName, workload: w.name, label: w.label)
            var checkpoint: String? = nil
            if case .firstCharacter(let shape) = w.kind {
                let path = tempDir.appendingPathComponent("first-char.safetensors").path
                try Workload.randomCheckpoint(shape).write(to: path)
                checkpoint = path
            }
            // Rounds alternate charrnn and the references, so that a busy spell of the machine
            // hits both; each implementation keeps its best round (interference only slows down).
            let rounds = w.isRepeatable ? settings.rounds : 1
            for round in 0..<rounds {
                let suffix = rounds > 1 ? " (round \(round + 1) of \(rounds))" : ""
                table.progress("running \(w.name)\(suffix) …")
                let c: BenchMeasurement?
                if checkpoint != nil {
                    c = try measureFirstCharacter(command: executable,
                                                  arguments: ["sample", "--checkpoint", checkpoint!, "--length", "1", "--seed", "1"],
                                                  runs: 15, impl: "charrnn")
                } else {
                    c = try runChild(w)
                }
                record.charrnn = BenchMeasurement.better(record.charrnn, c)
                for impl in ["pytorch", "pytorch-bf16", "numpy"] where available[impl] != nil {
                    guard let python, let script,
                          let args = w.referenceArguments(impl: impl, seconds: settings.seconds, threads: threads, checkpoint: checkpoint)
                    else { continue }
                    table.progress("running \(w.name) (\(impl))\(suffix) …")
                    let m: BenchMeasurement?
                    if case .firstCharacter = w.kind {
                        m = try? measureFirstCharacter(command: python, arguments: [script] + args, runs: 3, impl: impl)
                    } else {
                        m = runReference(python, [script] + args, impl: impl)
                    }
                    switch impl {
                    case "pytorch": record.pytorch = BenchMeasurement.better(record.pytorch, m)
                    case "pytorch-bf16": record.pytorchBF16 = BenchMeasurement.better(record.pytorchBF16, m)
                    default: record.numpy = BenchMeasurement.better(record.numpy, m)
                    }
                }
            }
            if let a = record.charrnn?.charsPerSecond, let b = record.pytorchBF16?.charsPerSecond { record.speedupVsPytorchBF16 = a / b }
            if case .sgemm = w.kind { sgemm = record.charrnn?.gflops }
            if let c = record.charrnn, let p = record.pytorch {
                if let a = c.charsPerSecond, let b = p.charsPerSecond { record.speedupVsPytorch = a / b }
                if let a = c.firstCharMs, let b = p.firstCharMs { record.speedupVsPytorch = b / a }
                if let a = c.peakRssMb, let b = p.peakRssMb { record.rssRatioVsPytorch = a / b }
            }
            if case .train = w.kind, let g = record.charrnn?.gflops, let s = sgemm { record.fractionOfSgemm = g / s }
            table.row(record)
            log.append(record)
        }
        table.footer()
        table.targets(log)
        try appendLog(log)
    }

    /// `charrnn bench --only NAME --in-process` in a child; its peak RSS from wait4.
    func runChild(_ w: Workload) throws -> BenchMeasurement? {
        let args = ["bench", "--only", w.name, "--in-process", "--seconds", String(settings.seconds), "--threads", String(threads)]
        let r = try Spawn.run(executable, args)
        guard r.status == 0, var m = BenchJSON.decodeLastLine(BenchMeasurement.self, from: r.stdout) else {
            FileHandle.standardError.write(Data("charrnn bench: \(w.name) failed (status \(r.status)): \(r.stderrLastLine)\n".utf8))
            return nil
        }
        m.peakRssMb = r.peakRSSMegabytes
        return m
    }

    /// The median, over `runs` runs after one untimed warm-up, of the time from
    /// spawning the process to the first byte on its stdout (a pipe).
    func measureFirstCharacter(command: String, arguments: [String], runs: Int, impl: String) throws -> BenchMeasurement {
        _ = try Spawn.run(command, arguments)
        var times: [Double] = [], rss: [Double] = []
        for _ in 0..<runs {
            let r = try Spawn.run(command, arguments)
            guard r.status == 0, let first = r.firstByteSeconds else {
                throw BenchError("\(impl) first-char run failed (status \(r.status)): \(r.stderrLastLine)")
            }
            times.append(first)
            rss.append(r.peakRSSMegabytes)
        }
        return BenchMeasurement(impl: impl, iterations: runs, firstCharMs: median(times) * 1e3,
                                peakRssMb: rss.max(), note: "median of \(runs) runs, process start to first stdout byte")
    }

    /// The results file can take lines (its folder made when missing): checked before minutes of
    /// measuring, not after them.
    func checkResultsFile() throws {
        guard settings.results != "-" else { return }
        let url = URL(fileURLWithPath: settings.results)
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        if let problem = OutputPath.appendProblem(url.path) { throw BenchError("cannot append the results to \(url.path): \(problem)") }
    }

    func appendLog(_ records: [BenchRecord]) throws {
        guard settings.results != "-" else { return }
        try checkResultsFile()   // again: minutes have passed since the first look
        let url = URL(fileURLWithPath: settings.results)
        var data = Data()
        for r in records { data += try BenchJSON.encode(r); data += Data("\n".utf8) }
        do {
            let handle = try FileHandle(forWritingTo: url)
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: data)
        } catch {
            throw BenchError("cannot append the results to \(url.path): \(error.localizedDescription)")
        }
        if !settings.json { FileHandle.standardError.write(Data("results appended to \(settings.results)\n".utf8)) }
    }

    static func cpuModel() -> String {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown CPU" }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            if let colon = line.firstIndex(of: ":") { return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces) }
        }
        return "unknown CPU"
    }

    /// `git describe --always --dirty` of the working directory, when it is a checkout.
    static func commit() -> String? {
        guard let r = try? Spawn.run("/usr/bin/env", ["git", "describe", "--always", "--dirty"]), r.status == 0 else { return nil }
        let s = String(decoding: r.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return s.isEmpty ? nil : s
    }

    static func formatSeconds(_ s: Double) -> String { s == s.rounded() ? "\(Int(s)) s" : "\(s) s" }
}
