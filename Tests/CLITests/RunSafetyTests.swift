import Foundation
import Testing

/// Issue 16: a hostile user's battery against `train`. Nothing of a run is lost,
/// no value that fits an Int crashes, nothing hangs; each refusal is a short
/// error and a non-zero exit, never a signal.
@Suite struct RunSafetyTests {
    static let corpus = Fixtures.corpusText
    static let small = ["--layers", "1", "--hidden", "8", "--batch-size", "4", "--seq-length", "8"]

    /// A fresh directory with corpus.txt and a finished 20-iteration run in `run/`.
    func directoryWithARun(seed: Int = 1) throws -> URL {
        let dir = try Binary.temporaryDirectory()
        try Self.corpus.write(to: dir.appendingPathComponent("corpus.txt"), atomically: true, encoding: .utf8)
        let r = try Binary.run(["train", "corpus.txt", "--checkpoint-dir", "run", "--max-iters", "20", "--eval-every", "10",
                                "--seed", "\(seed)"] + Self.small, in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        return dir
    }

    func contents(_ dir: URL, _ run: String) throws -> [String: Data] {
        let path = dir.appendingPathComponent(run).path
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: path) where name != ".lock" {
            files[name] = FileManager.default.contents(atPath: path + "/" + name)
        }
        return files
    }

    /// Refused with an error on stderr, an exit status that is not a signal, nothing on stdout.
    func expectRefused(_ r: BinaryRun, mentioning needle: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status == 1 || r.status == 64, "status \(r.status): \(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.contains(needle), "\(r.stderr)", sourceLocation: sourceLocation)
        #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("Stack dump"), "\(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stdout.isEmpty || !r.stdout.contains("iter "), "\(r.stdout)", sourceLocation: sourceLocation)
    }

    // MARK: Runs are never destroyed

    @Test func overwriteWithABadFlagLeavesTheRunAsItWas() throws {
        let dir = try directoryWithARun()
        defer { try? FileManager.default.removeItem(at: dir) }
        let before = try contents(dir, "run")
        let r = try Binary.run(["train", "corpus.txt", "--overwrite", "--lr-schedule", "cosine", "--min-lr-factor", "2",
                                "--checkpoint-dir", "run"], in: dir)
        expectRefused(r, mentioning: "--min-lr-factor")
        #expect(try contents(dir, "run") == before)
        // Every refusal that comes after reading the corpus, too: a model too big for the machine.
        let big = try Binary.run(["train", "corpus.txt", "--overwrite", "--hidden", "16384", "--layers", "1",
                                  "--checkpoint-dir", "run"], in: dir)
        expectRefused(big, mentioning: "memory")
        #expect(try contents(dir, "run") == before)
    }

    @Test func resumeFromAnotherRunNeverReplacesADirectorysOwnRun() throws {
        let dir = try directoryWithARun()
        defer { try? FileManager.default.removeItem(at: dir) }
        let other = try Binary.run(["train", "corpus.txt", "--checkpoint-dir", "runA", "--max-iters", "10", "--eval-every", "5",
                                    "--seed", "7"] + Self.small, in: dir)
        #expect(other.status == 0, "\(other.stderr)")
        let before = try contents(dir, "run")

        let into = try Binary.run(["train", "corpus.txt", "--resume-from", "runA/latest.safetensors", "--checkpoint-dir", "run",
                                   "--max-iters", "15"], in: dir)
        expectRefused(into, mentioning: "another run")
        #expect(try contents(dir, "run") == before)

        // Into an empty directory the run continues there; from the directory's own best, it continues in place.
        let fresh = try Binary.run(["train", "corpus.txt", "--resume-from", "runA/latest.safetensors", "--checkpoint-dir", "runB",
                                    "--max-iters", "15"], in: dir)
        #expect(fresh.status == 0, "\(fresh.stderr)")
        let own = try Binary.run(["train", "corpus.txt", "--resume-from", "run/best.safetensors", "--checkpoint-dir", "run",
                                  "--max-iters", "25"], in: dir)
        #expect(own.status == 0, "\(own.stderr)")
        // And runB now holds runA's run: resuming runA's checkpoint there again is the same run.
        let again = try Binary.run(["train", "corpus.txt", "--resume-from", "runA/latest.safetensors", "--checkpoint-dir", "runB",
                                    "--max-iters", "16"], in: dir)
        #expect(again.status == 0, "\(again.stderr)")
    }

    /// A learning rate far too large makes every shape's loss climb to 1e30 and more while staying
    /// finite: the run stops at the divergence limit (three uniform guesses per character, a hundred
    /// per text), at the first validation of such weights or the next step's training loss, and saves none.
    @Test(arguments: [("classify", "nats/text"), ("generate", "nats/char"), ("translate", "nats/char")])
    func aClimbingLossStopsEveryShapeBeforeItSaves(task: String, unit: String) throws {
        let dir = try Binary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = task == "translate" ? ToyPairs.tsv : ToyLabels.balanced
        try data.write(to: dir.appendingPathComponent("data.tsv"), atomically: true, encoding: .utf8)
        let model = ["data.tsv", "--task", task, "--hidden", "8", "--layers", "1", "--batch-size", "16", "--seed", "4", "--max-iters", "12"]
        let good = try Binary.run(["train"] + model + ["--checkpoint-dir", "good", "--eval-every", "6"], in: dir)
        #expect(good.status == 0, "\(good.stderr)")

        for (every, stop) in [("1", "iteration 1 (validation loss "), ("100", "iteration 2 (loss ")] {
            let run = "wild\(every)"
            let wild = try Binary.run(["train"] + model + ["--checkpoint-dir", run, "--eval-every", every, "--learning-rate", "1e30"], in: dir)
            #expect(wild.status == 1, "\(wild.status): \(wild.stderr)")
            #expect(wild.stderr.hasPrefix("charrnn: error: training diverged at \(stop)"), "\(wild.stderr)")
            #expect(wild.stderr.contains(unit + ", over the limit of ") && wild.stderr.contains("--learning-rate"), "\(wild.stderr)")
            #expect(wild.stderr.split(separator: "\n").count == 1, "\(wild.stderr)")
            let saved = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent(run).path)
            #expect(!saved.contains { $0.hasSuffix(".safetensors") }, "\(saved)")
        }
    }

    /// A resumed run whose --max-iters is already behind it is refused, its checkpoints untouched (it used
    /// to reach its budget at once, evaluate, save again and exit 0), in every shape.
    @Test func resumingPastTheIterationBudgetIsRefused() throws {
        let dir = try directoryWithARun()   // 20 iterations
        defer { try? FileManager.default.removeItem(at: dir) }
        try ToyLabels.balanced.write(to: dir.appendingPathComponent("data.tsv"), atomically: true, encoding: .utf8)
        let labelled = try Binary.run(["train", "data.tsv", "--task", "classify", "--checkpoint-dir", "cls", "--max-iters", "6"]
                                      + ToyLabels.model, in: dir)
        #expect(labelled.status == 0, "\(labelled.stderr)")
        for (arguments, run, at) in [(["corpus.txt"], "run", 20), (["data.tsv", "--task", "classify"], "cls", 6)] {
            let before = try contents(dir, run)
            for budget in [[], ["--max-iters", "3"]] {
                let r = try Binary.run(["train"] + arguments + ["--checkpoint-dir", run, "--resume"] + budget, in: dir)
                let stated = budget.isEmpty ? at : 3
                expectRefused(r, mentioning: "\(run)/latest.safetensors is at iteration \(at), and --max-iters \(stated) counts from the run's start")
                #expect(try contents(dir, run) == before)
            }
        }
        let empty = try Binary.run(["train", "corpus.txt", "--checkpoint-dir", "", "--max-iters", "2"], in: dir)
        #expect(empty.status == 64 && empty.stderr.hasPrefix("Error: --checkpoint-dir needs a directory\n"), "\(empty.stderr)")
    }

    @Test func aNewRunIntoAnOccupiedDirectoryIsRefusedUntilOverwrite() throws {
        let dir = try directoryWithARun()
        defer { try? FileManager.default.removeItem(at: dir) }
        let before = try contents(dir, "run")
        let lock = dir.appendingPathComponent("run/.lock").path
        let lockBefore = FileManager.default.contents(atPath: lock)
        let r = try Binary.run(["train", "corpus.txt", "--checkpoint-dir", "run", "--max-iters", "5"] + Self.small, in: dir)
        expectRefused(r, mentioning: "already holds a run")
        #expect(try contents(dir, "run") == before)
        #expect(lockBefore != nil && FileManager.default.contents(atPath: lock) == lockBefore, "the refusal rewrote .lock")
        // A directory whose latest checkpoint is a FIFO is refused too (as what it is: no run's), and gets no .lock.
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("fifo"), withIntermediateDirectories: true)
        #expect(mkfifo(dir.appendingPathComponent("fifo/latest.safetensors").path, 0o644) == 0)
        expectRefused(try Binary.run(["train", "corpus.txt", "--checkpoint-dir", "fifo", "--max-iters", "5"] + Self.small, in: dir),
                      mentioning: "holds latest.safetensors, which is a FIFO (named pipe), not a file charrnn writes")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("fifo").path) == ["latest.safetensors"])
        let o = try Binary.run(["train", "corpus.txt", "--checkpoint-dir", "run", "--max-iters", "5", "--overwrite"] + Self.small, in: dir)
        #expect(o.status == 0, "\(o.stderr)")
        #expect(try contents(dir, "run")["latest.safetensors"] != before["latest.safetensors"])
    }

    // MARK: Leftovers of killed saves

    @Test func temporaryFilesOfDeadWritersAreRemovedWhenARunResumes() throws {
        let dir = try directoryWithARun()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = dir.appendingPathComponent("run")
        for name in ["latest.safetensors.tmp-999999", "best.safetensors.tmp-4242"] {
            try Data(repeating: 1, count: 4096).write(to: run.appendingPathComponent(name))
        }
        try Data("keep".utf8).write(to: run.appendingPathComponent("notes.tmp-draft"))  // not a writer's name
        let r = try Binary.run(["train", "corpus.txt", "--checkpoint-dir", "run", "--resume", "--max-iters", "25"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let names = try FileManager.default.contentsOfDirectory(atPath: run.path)
        #expect(!names.contains { $0.contains(".safetensors.tmp-") }, "\(names)")
        #expect(names.contains("notes.tmp-draft"))
    }

    /// SIGKILL while saving at every iteration, three times, then a resume: the
    /// newest checkpoint loads and no temporary file is left.
    @Test func killedWhileSavingThenResumedLeavesNothingBehind() throws {
        let dir = try Binary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.corpus.write(to: dir.appendingPathComponent("corpus.txt"), atomically: true, encoding: .utf8)
        for round in 0..<3 {
            let process = Process()
            process.executableURL = Binary.executable
            process.arguments = ["train", "corpus.txt", "--checkpoint-dir", "run", "--eval-every", "1", "--max-iters", "100000"]
                + (round == 0 ? ["--hidden", "64", "--batch-size", "4", "--seq-length", "8"] : ["--resume"])
            process.currentDirectoryURL = dir
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Until a first checkpoint exists, then a moment more: the kill lands at an arbitrary point of the loop.
            let latest = dir.appendingPathComponent("run/latest.safetensors").path
            let deadline = Date().addingTimeInterval(60)
            while !FileManager.default.fileExists(atPath: latest) && Date() < deadline { usleep(10_000) }
            usleep(UInt32(50_000 + 70_000 * round))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        let r = try Binary.run(["train", "corpus.txt", "--checkpoint-dir", "run", "--resume", "--max-time", "1s"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("run").path)
        #expect(!names.contains { $0.contains(".tmp-") }, "\(names)")
    }

    // MARK: Every numeric flag at its edges

    /// (flag, values refused). Each range is the README's "Limits" table.
    static let refusedValues: [(String, [String])] = [
        ("--layers", ["0", "-1", "65", "9223372036854775807"]),
        ("--hidden", ["0", "-1", "16385", "9223372036854775807"]),
        ("--seq-length", ["0", "-1", "100001", "9223372036854775807"]),
        ("--batch-size", ["0", "-1", "100001", "9223372036854775807"]),
        ("--epochs", ["0", "-1", "1000001", "9223372036854775807"]),
        ("--max-iters", ["0", "-1", "1000000000001", "9223372036854775807"]),
        ("--eval-every", ["0", "-1"]),
        ("--log-every", ["0", "-1"]),
        ("--patience", ["0", "-1"]),
        ("--keep", ["-1"]),
        ("--threads", ["0", "-1", "257", "9223372036854775807"]),
        ("--dropout", ["-0.1", "1", "nan", "inf"]),
        ("--recurrent-dropout", ["-0.1", "1", "nan", "inf"]),
        ("--learning-rate", ["0", "-1", "nan", "inf"]),
        ("--grad-clip", ["-1", "nan", "inf"]),
        ("--val-frac", ["-0.1", "1", "nan"]),
        ("--test-frac", ["-0.1", "1", "nan"]),
        ("--forget-bias", ["nan", "inf", "-inf", "1e9"]),
        ("--max-time", ["0", "-1", "1e30", "367d", "abc"]),
    ]

    @Test(arguments: refusedValues) func numericFlagOutsideItsRangeIsRefused(flag: String, values: [String]) throws {
        let dir = try Binary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.corpus.write(to: dir.appendingPathComponent("corpus.txt"), atomically: true, encoding: .utf8)
        for value in values {
            let budget = flag == "--max-iters" ? ["--epochs", "1"] : ["--max-iters", "2"]
            // Both forms: `--flag=-1` and `--flag -1` (a negative value is the value, not a missing one).
            for form in [["\(flag)=\(value)"], [flag, value]] {
                let r = try Binary.run(["train", "corpus.txt"] + form + ["--checkpoint-dir", "run"] + budget, in: dir)
                expectRefused(r, mentioning: flag)
                #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("run/latest.safetensors").path))
            }
        }
    }

    @Test func scheduleFlagsAtIntMaxAreRefusedBeforeTraining() throws {
        let dir = try Binary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.corpus.write(to: dir.appendingPathComponent("corpus.txt"), atomically: true, encoding: .utf8)
        for (flag, schedule) in [("--lr-decay-after", "step"), ("--warmup", "cosine")] {
            for value in ["-1", "9223372036854775807"] {
                let r = try Binary.run(["train", "corpus.txt", "--lr-schedule", schedule, "\(flag)=\(value)", "--max-iters", "2",
                                        "--checkpoint-dir", "run"], in: dir)
                expectRefused(r, mentioning: flag)
            }
        }
    }

    /// Values at the top of their ranges that used to overflow while training now run.
    @Test func largeBudgetsTrainWithoutOverflow() throws {
        let dir = try Binary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.corpus.write(to: dir.appendingPathComponent("corpus.txt"), atomically: true, encoding: .utf8)
        let r = try Binary.run(["train", "corpus.txt", "--epochs", "1000000", "--max-iters", "3", "--eval-every", "9223372036854775807",
                                "--log-every", "9223372036854775807", "--keep", "9223372036854775807", "--patience", "9223372036854775807",
                                "--lr-schedule", "step", "--lr-decay-after", "1000000", "--max-time", "366d",
                                "--checkpoint-dir", "run"] + Self.small, in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let cosine = try Binary.run(["train", "corpus.txt", "--max-iters", "3", "--lr-schedule", "cosine", "--warmup", "1000000000000",
                                     "--checkpoint-dir", "run2"] + Self.small, in: dir)
        #expect(cosine.status == 0, "\(cosine.stderr)")
    }

    // MARK: Inputs that are not files, paths in the way

    @Test(.timeLimit(.minutes(1))) func aFIFOOrADeviceIsRefusedNotWaitedOn() throws {
        let dir = try Binary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(mkfifo(dir.appendingPathComponent("fifo").path, 0o644) == 0)
        let trained = Fixtures.trained.appendingPathComponent("checkpoints/run").path
        for arguments in [["train", "fifo"], ["vocab", "fifo"], ["info", "fifo"], ["eval", "fifo", "--checkpoint", trained],
                          ["train", "/dev/zero"], ["vocab", "/dev/zero"], ["info", "/dev/zero"]] {
            let r = try Binary.run(arguments, in: dir)
            #expect(r.status == 1, "\(arguments): \(r.stderr)")
            #expect(r.stderr.contains("FIFO") || r.stderr.contains("character device"), "\(arguments): \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        }
    }

    @Test func aCheckpointDirectoryBehindAFileIsExplainedInWords() throws {
        let dir = try Binary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.corpus.write(to: dir.appendingPathComponent("corpus.txt"), atomically: true, encoding: .utf8)
        try Data().write(to: dir.appendingPathComponent("afile"))
        let r = try Binary.run(["train", "corpus.txt", "--checkpoint-dir", "afile/sub", "--max-iters", "2"] + Self.small, in: dir)
        expectRefused(r, mentioning: "afile is a file, not a directory")
        #expect(!r.stderr.contains("NSCocoaErrorDomain"))
    }

    // MARK: The other commands

    @Test func everyCommandChecksThreadsTheSameWay() throws {
        let dir = Fixtures.trained
        let run = ["--checkpoint", "checkpoints/run"]
        for command in [["sample", "--length", "5"] + run, ["eval", "corpus.txt"] + run, ["train", "corpus.txt", "--checkpoint-dir", "x"]] {
            for value in ["0", "-1", "257", "9223372036854775807"] {
                let r = try Binary.run(command + ["--threads=\(value)"], in: dir)
                expectRefused(r, mentioning: "--threads must be between 1 and 256")
            }
        }
        for value in ["0", "100001", "9223372036854775807"] {
            expectRefused(try Binary.run(["eval", "corpus.txt", "--batch-size=\(value)"] + run, in: dir), mentioning: "--batch-size")
            expectRefused(try Binary.run(["eval", "corpus.txt", "--seq-length=\(value)"] + run, in: dir), mentioning: "--seq-length")
        }
    }

    @Test(.timeLimit(.minutes(1))) func primeFilesAndTextsAreRegularFilesToo() throws {
        let dir = try Binary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(mkfifo(dir.appendingPathComponent("fifo").path, 0o644) == 0)
        let trained = Fixtures.trained.appendingPathComponent("checkpoints/run").path
        for arguments in [["sample", "--checkpoint", trained, "--prime-file", "fifo"], ["viz", "--checkpoint", trained, "--text", "fifo"],
                          ["sample", "--checkpoint", trained, "--prime-file", "/dev/zero"], ["plot", "fifo"]] {
            let r = try Binary.run(arguments, in: dir)
            #expect(r.status == 1, "\(arguments): \(r.stderr)")
            #expect(r.stderr.contains("FIFO") || r.stderr.contains("character device"), "\(arguments): \(r.stderr)")
        }
    }

    @Test func outputPathsInTheWayAreExplainedInWords() throws {
        let dir = try Binary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("adir"), withIntermediateDirectories: true)
        try Data("some text to show\n".utf8).write(to: dir.appendingPathComponent("t.txt"))
        let trained = Fixtures.trained.appendingPathComponent("checkpoints/run").path
        let viz = try Binary.run(["viz", "--checkpoint", trained, "--text", "t.txt", "-o", "adir"], in: dir)
        expectRefused(viz, mentioning: "adir: it is a directory")
        let missing = try Binary.run(["viz", "--checkpoint", trained, "--text", "t.txt", "-o", "nowhere/v.html"], in: dir)
        expectRefused(missing, mentioning: "the folder nowhere does not exist")
        let plot = try Binary.run(["plot", Fixtures.trained.appendingPathComponent("checkpoints/run").path, "-o", "adir"], in: dir)
        expectRefused(plot, mentioning: "adir: it is a directory")
        for r in [viz, missing, plot] { #expect(!r.stderr.contains("NSCocoaErrorDomain"), "\(r.stderr)") }
    }

    /// (command, flag, values refused) for the commands that read a model.
    static let refusedModelFlags: [([String], String, [String])] = [
        (["sample", "--length", "3"], "--count", ["0", "-1"]),
        (["sample"], "--length", ["-1", "-9223372036854775808"]),
        (["sample", "--length", "3"], "--top-k", ["0", "-1"]),
        (["sample", "--length", "3"], "--top-p", ["0", "-1", "1.1", "nan"]),
        (["sample", "--length", "3"], "--temp", ["-1", "nan", "inf"]),
        (["viz", "--text", "corpus.txt", "-o", "/dev/null"], "--max-chars", ["0", "-1"]),
        (["viz", "--text", "corpus.txt", "-o", "/dev/null"], "--layer", ["-1", "9223372036854775807"]),
        (["viz", "--text", "corpus.txt", "-o", "/dev/null"], "--unit", ["-1", "9223372036854775807"]),
    ]

    @Test(arguments: refusedModelFlags) func modelCommandFlagsOutsideTheirRanges(command: [String], flag: String, values: [String]) throws {
        for value in values {
            let r = try Binary.run(command + ["--checkpoint", "checkpoints/run", "\(flag)=\(value)"], in: Fixtures.trained)
            #expect(r.status == 1 || r.status == 64, "\(flag)=\(value): status \(r.status) \(r.stderr)")
            #expect(!r.stderr.isEmpty && !r.stderr.contains("Fatal error"), "\(flag)=\(value): \(r.stderr)")
            #expect(r.stdout.isEmpty, "\(flag)=\(value): \(r.stdout)")
        }
        // Values at the top of the range that are allowed run: a top-k past the vocabulary is all of it.
        if flag == "--top-k" {
            let r = try Binary.run(command + ["--checkpoint", "checkpoints/run", "--top-k=9223372036854775807", "--seed", "1"], in: Fixtures.trained)
            #expect(r.status == 0, "\(r.stderr)")
        }
    }

    @Test func aPageTooLargeToOpenIsRefusedBeforeItIsComputed() throws {
        let dir = try Binary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let line = "the cat sat on a mat.\n"
        try Data(String(repeating: line, count: 4_000_000 / line.utf8.count).utf8).write(to: dir.appendingPathComponent("big.txt"))
        let trained = Fixtures.trained.appendingPathComponent("checkpoints/run").path
        let r = try Binary.run(["viz", "--checkpoint", trained, "--text", "big.txt", "--max-chars", "9223372036854775807", "-o", "v.html"], in: dir)
        expectRefused(r, mentioning: "lower --max-chars")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("v.html").path))
    }
}
