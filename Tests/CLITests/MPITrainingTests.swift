import Checkpoints
import Foundation
import Testing

/// Data-parallel training over Open MPI (issue 28): `mpirun -n 2 charrnn train` gives one process's
/// run (each rank B/2 of every window's streams, gradients summed), refuses what cannot run alike on
/// every rank, and survives a rank killed. Skipped with the reason where `mpirun` is absent; the
/// binary itself never needs MPI (`Sources/MPI` loads libmpi at run time, under mpirun only).
@Suite(.serialized) struct MPITrainingTests {
    static let mpirun: URL? = ["/usr/bin/mpirun", "/usr/local/bin/mpirun"].map(URL.init(fileURLWithPath:))
        .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    static let reason: Comment = "mpirun is not installed (apt-get install openmpi-bin libopenmpi-dev)"
    /// CI runs as root; two ranks on however many cores there are.
    static let environment = ["OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"]

    static let model = ["--layers", "2", "--hidden", "24", "--batch-size", "8", "--seq-length", "16", "--seed", "5",
                        "--log-every", "1", "--threads", "1"]

    /// `charrnn arguments…` under `mpirun -n ranks`, in `directory`.
    static func mpi(_ ranks: Int, _ arguments: [String], in directory: URL) throws -> BinaryRun {
        try Binary.run(["--oversubscribe", "-n", String(ranks), Binary.executable.path] + arguments, tool: mpirun!,
                       in: directory, environment: environment)
    }

    static func corpusDirectory() throws -> URL {
        let dir = try Binary.temporaryDirectory()
        try Fixtures.corpusText.write(to: dir.appendingPathComponent("corpus.txt"), atomically: true, encoding: .utf8)
        return dir
    }

    /// (iteration, training loss) and (iteration, validation loss) of a run's log.
    static func log(_ run: URL) throws -> (train: [Int: Double], eval: [Int: Double], ranks: Int?) {
        var train: [Int: Double] = [:], eval: [Int: Double] = [:], ranks: Int?
        for line in try String(contentsOf: run.appendingPathComponent("train.jsonl"), encoding: .utf8).split(separator: "\n") {
            guard let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], let iter = o["iter"] as? Int else { continue }
            switch o["type"] as? String {
            case "train": train[iter] = o["loss"] as? Double
            case "eval": eval[iter] = o["val_loss"] as? Double
            case "start": ranks = o["ranks"] as? Int
            default: break
            }
        }
        return (train, eval, ranks)
    }

    static func close(_ a: [Int: Double], _ b: [Int: Double], within tolerance: Double) -> Bool {
        a.count == b.count && a.allSatisfy { k, v in b[k].map { abs($0 - v) <= tolerance * abs(v) } ?? false }
    }

    /// The equivalence: 100 iterations, dropout off, 2 ranks × B/2 against 1 process × B: the same loss
    /// curve (within 1e-5 relative: the gradients are summed in another order) and checkpoint; one rank is one process.
    @Test(.enabled(if: mpirun != nil, reason)) func twoRanksTrainAsOneProcess() throws {
        let dir = try Self.corpusDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = ["train", "corpus.txt", "--max-iters", "100", "--eval-every", "50"] + Self.model
        let one = try Binary.run(run + ["--checkpoint-dir", "one"], in: dir)
        #expect(one.status == 0, "\(one.stderr)")
        let two = try Self.mpi(2, run + ["--checkpoint-dir", "two"], in: dir)
        #expect(two.status == 0, "\(two.stderr)")
        #expect(two.stdout.hasPrefix("ranks: 2 "), "\(two.stdout.prefix(200))")
        let single = try Self.mpi(1, run + ["--checkpoint-dir", "single"], in: dir)
        #expect(single.status == 0, "\(single.stderr)")

        let a = try Self.log(dir.appendingPathComponent("one")), b = try Self.log(dir.appendingPathComponent("two"))
        let c = try Self.log(dir.appendingPathComponent("single"))
        #expect(a.train.count == 100 && b.ranks == 2 && a.ranks == 1)
        #expect(Self.close(a.train, b.train, within: 1e-5), "training losses differ")
        #expect(Self.close(a.eval, b.eval, within: 1e-5), "validation losses differ: \(a.eval) vs \(b.eval)")
        #expect(a.train == c.train && a.eval == c.eval, "mpirun -n 1 is not the plain run")

        let x = try Checkpoint.read(from: dir.appendingPathComponent("one/latest.safetensors").path)
        let y = try Checkpoint.read(from: dir.appendingPathComponent("two/latest.safetensors").path)
        let scale = x.parameters.map(abs).max() ?? 1
        #expect(zip(x.parameters, y.parameters).allSatisfy { abs($0 - $1) <= 1e-4 * scale })
        #expect(x.extraTensors.map(\.name) == y.extraTensors.map(\.name))
        for (s, t) in zip(x.extraTensors, y.extraTensors) {   // Adam's moments and the carried state of all B streams
            let m = s.data.map(abs).max() ?? 1
            #expect(s.shape == t.shape && zip(s.data, t.data).allSatisfy { abs($0 - $1) <= 1e-4 * max(m, 1e-12) }, "\(s.name)")
        }
    }

    /// A resumed run may change the number of ranks: 2 ranks for 30 iterations, then 1 process to 50, is the 50-iteration run.
    @Test(.enabled(if: mpirun != nil, reason)) func aResumeMayChangeTheRanks() throws {
        let dir = try Self.corpusDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = ["train", "corpus.txt", "--eval-every", "10"] + Self.model
        #expect(try Binary.run(run + ["--max-iters", "50", "--checkpoint-dir", "whole"], in: dir).status == 0)
        let first = try Self.mpi(2, run + ["--max-iters", "30", "--checkpoint-dir", "split"], in: dir)
        #expect(first.status == 0, "\(first.stderr)")
        let rest = try Binary.run(run + ["--max-iters", "50", "--checkpoint-dir", "split", "--resume"], in: dir)
        #expect(rest.status == 0, "\(rest.stderr)")
        let a = try Self.log(dir.appendingPathComponent("whole")), b = try Self.log(dir.appendingPathComponent("split"))
        #expect(Self.close(a.train, b.train, within: 1e-5))
        #expect(Self.close(a.eval, b.eval, within: 1e-5))
    }

    /// What cannot run alike on every rank is refused with one line: a batch K does not divide, ranks that read other files.
    @Test(.enabled(if: mpirun != nil, reason)) func whatTheRanksCannotShareIsRefused() throws {
        let dir = try Self.corpusDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let odd = try Self.mpi(2, ["train", "corpus.txt", "--batch-size", "7", "--max-iters", "5", "--checkpoint-dir", "odd"], in: dir)
        #expect(odd.status != 0)
        #expect(odd.stderr.contains("--batch-size 7 does not split over 2 ranks"), "\(odd.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("odd/train.jsonl").path))

        try (Fixtures.corpusText + "other").write(to: dir.appendingPathComponent("other.txt"), atomically: true, encoding: .utf8)
        let charrnn = Binary.executable.path, common = ["--max-iters", "5", "--checkpoint-dir", "mixed"] + Self.model
        let mixed = try Binary.run(["--oversubscribe", "-n", "1", charrnn, "train", "corpus.txt"] + common
                                   + [":", "-n", "1", charrnn, "train", "other.txt"] + common,
                                   tool: Self.mpirun!, in: dir, environment: Self.environment)
        #expect(mixed.status != 0)
        #expect(mixed.stderr.contains("rank 1 reads another corpus than rank 0"), "\(mixed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("mixed/latest.safetensors").path))

        let label = try Self.mpi(2, ["train", "corpus.txt", "--task", "classify", "--checkpoint-dir", "labelled"], in: dir)
        #expect(label.status != 0 && label.stderr.contains("mpirun runs language-model training"), "\(label.stderr)")
    }

    /// A rank killed mid-run: the others stop within seconds with charrnn's own line, the last checkpoint
    /// loads, and `--resume` continues.
    @Test(.enabled(if: mpirun != nil, reason)) func aKilledRankStopsTheRunAndItResumes() throws {
        let dir = try Self.corpusDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let process = Process()
        process.executableURL = Self.mpirun!
        process.arguments = ["--oversubscribe", "-n", "2", Binary.executable.path, "train", "corpus.txt", "--max-iters", "1000000",
                             "--eval-every", "10", "--checkpoint-dir", "run"] + Self.model
        process.currentDirectoryURL = dir
        process.environment = ProcessInfo.processInfo.environment.merging(Self.environment) { $1 }
        let err = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = err
        try process.run()
        let latest = dir.appendingPathComponent("run/latest.safetensors").path
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: latest) && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(FileManager.default.fileExists(atPath: latest), "no checkpoint within 60 s")
        let ranks = try Self.children(of: process.processIdentifier)
        #expect(ranks.count == 2, "ranks \(ranks)")
        if let victim = ranks.last { kill(victim, SIGKILL) }
        let killed = Date()
        process.waitUntilExit()
        #expect(Date().timeIntervalSince(killed) < 30, "the job outlived its rank by \(Date().timeIntervalSince(killed)) s")
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus != 0)
        #expect(stderr.contains("charrnn: rank 0 of 2 stopped: mpirun ends every rank"), "\(stderr)")
        let checkpoint = try Checkpoint.read(from: latest)
        let iteration = Int(checkpoint.training[CheckpointLayout.Training.iteration] ?? "") ?? 0
        #expect(iteration >= 10)
        let resumed = try Self.mpi(2, ["train", "corpus.txt", "--resume", "--max-iters", String(iteration + 5), "--checkpoint-dir", "run",
                                       "--threads", "1"], in: dir)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        // The checkpoint goes on from where it was (the log may hold iterations past it from the killed run).
        let after = try Checkpoint.read(from: latest)
        #expect(after.training[CheckpointLayout.Training.iteration] == String(iteration + 5))
    }

    static let libmpiAbsent = !["/usr/lib/x86_64-linux-gnu/libmpi.so.40", "/usr/lib/aarch64-linux-gnu/libmpi.so.40", "/usr/lib/libmpi.so.40",
                                 "/usr/local/lib/libmpi.so.40"].contains { FileManager.default.fileExists(atPath: $0) }

    /// Where Open MPI is absent, a process that mpirun seems to have started (its variable set by hand) says so in one line
    /// and writes nothing (where it is present, MPI_Init without mpirun would start a job of one).
    @Test(.enabled(if: libmpiAbsent, "Open MPI is installed: its absence cannot be seen here")) func withoutOpenMPIItIsOneLine() throws {
        let dir = try Self.corpusDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try Binary.run(["train", "corpus.txt", "--max-iters", "2", "--checkpoint-dir", "run"], in: dir,
                               environment: ["OMPI_COMM_WORLD_SIZE": "2"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("libmpi.so.40 cannot be loaded") && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("run").path))
    }

    /// The processes whose parent is `pid` (mpirun starts its local ranks itself).
    static func children(of pid: Int32) throws -> [Int32] {
        try FileManager.default.contentsOfDirectory(atPath: "/proc").compactMap(Int32.init).filter { child in
            guard let stat = try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 2 && Int32(fields[1]) == pid
        }.sorted()
    }
}
