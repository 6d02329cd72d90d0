import Foundation
import Testing

/// A run directory a crash, a full disk or a hostile hand left in a strange state: counters and settings
/// no run can hold in a checkpoint's header, a `.lock` or `train.jsonl` that is a symbolic link, a log
/// whose last record was cut short. Each is refused in one line (and never a trap), or mended, and no
/// file outside the run is written.
@Suite struct DamagedRunStateTests {
    let safety = RunSafetyTests()

    /// `source` with its header's metadata `key` set to `value` (a string, as the format stores it), or,
    /// for `options.<field>`, that field of the stored training options set to the JSON `value`.
    static func patched(_ source: URL, _ key: String, _ value: String, to target: URL) throws {
        let bytes = try Data(contentsOf: source)
        let length = Int(bytes.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }.littleEndian)
        var header = try #require(try JSONSerialization.jsonObject(with: bytes.subdata(in: 8 ..< 8 + length)) as? [String: Any])
        var metadata = try #require(header["__metadata__"] as? [String: String])
        if key.hasPrefix("options.") {
            let stored = try #require(metadata["training.options"])
            var options = try #require(try JSONSerialization.jsonObject(with: Data(stored.utf8)) as? [String: Any])
            options[String(key.dropFirst("options.".count))] = try JSONSerialization.jsonObject(with: Data(value.utf8), options: .fragmentsAllowed)
            metadata["training.options"] = String(decoding: try JSONSerialization.data(withJSONObject: options), as: UTF8.self)
        } else {
            metadata[key] = value
        }
        header["__metadata__"] = metadata
        let json = try JSONSerialization.data(withJSONObject: header)
        var out = withUnsafeBytes(of: UInt64(json.count).littleEndian) { Data($0) }
        out += json
        out += bytes.subdata(in: 8 + length ..< bytes.count)
        try out.write(to: target)
    }

    /// Counters at Int.max overflowed the trainer's `+ 1`s and a NaN best loss kept `best` from ever being
    /// written again; settings outside every flag's range were reported as flags the user never gave.
    @Test func damagedCountersAndSettingsAreRefusedOnResume() throws {
        let dir = try safety.directoryWithARun()
        defer { try? FileManager.default.removeItem(at: dir) }
        let latest = dir.appendingPathComponent("run/latest.safetensors")
        let original = try Data(contentsOf: latest)
        let huge = "\(Int.max)"
        for (key, value, message) in [("training.optimizer_steps", huge, "training state optimizer_steps is missing or damaged"),
                                      ("training.evals_without_improvement", huge, "training state evals_without_improvement is missing or damaged"),
                                      ("training.epoch", huge, "training state epoch is missing or damaged"),
                                      ("training.best_val_loss", "nan", "training state best_val_loss is missing or damaged"),
                                      ("training.best_val_loss", "-inf", "training state best_val_loss is missing or damaged"),
                                      ("training.elapsed_seconds", "nan", "training state elapsed_seconds is missing or damaged"),
                                      ("options.batchSize", "4611686018427387904",
                                       "the checkpoint's training options are damaged (--batch-size must be between 1 and 100000")] {
            try Self.patched(dir.appendingPathComponent("run/best.safetensors"), key, value, to: latest)
            let damaged = try Data(contentsOf: latest)
            let r = try Binary.run(["train", "corpus.txt", "--checkpoint-dir", "run", "--resume", "--max-iters", "40"] + RunSafetyTests.small, in: dir)
            safety.expectRefused(r, mentioning: "cannot resume: " + message)
            #expect(try Data(contentsOf: latest) == damaged, "\(key): the refused resume rewrote latest")
        }
        try original.write(to: latest)
        let resumed = try Binary.run(["train", "corpus.txt", "--checkpoint-dir", "run", "--resume", "--max-iters", "30"] + RunSafetyTests.small, in: dir)
        #expect(resumed.status == 0, "\(resumed.stderr)")
    }

    /// Figures no run writes are served without them: `serve` multiplied an iteration count near Int.max
    /// by B·T for "characters trained" (a trap at startup), and one checkpoint's NaN or infinite best loss
    /// made `GET /v1/models` answer `{"error":"cannot encode the answer"}` (status 200) for every model.
    @Test(arguments: [("training.iteration", "\(Int.max)", "characters_trained"), ("training.best_val_loss", "nan", "best_validation_loss"),
                      ("training.best_val_loss", "inf", "best_validation_loss")])
    func aFigureNoRunWritesIsServedWithoutIt(key: String, value: String, field: String) throws {
        let dir = try safety.directoryWithARun()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("damaged.safetensors")
        try Self.patched(dir.appendingPathComponent("run/best.safetensors"), key, value, to: file)
        let serve = try ServeCommandTests.ServeProcess(["--checkpoint", file.path, "--checkpoint", dir.appendingPathComponent("run").path,
                                                        "--port", "0"])
        defer { serve.stop() }
        let r = try HTTP.request(port: try serve.port(), "GET", "/v1/models")
        #expect(r.status == 200, "\(r.text)")
        let models = try #require(try r.json()["data"] as? [[String: Any]], "\(r.text)")
        #expect(models.map { $0["id"] as? String } == ["damaged", "run"], "\(r.text)")
        #expect(models.first?[field] == nil && models.last?[field] != nil, "the damaged model lacks \(field), the run has it: \(models)")
    }

    /// The pid a run writes into its `.lock` replaced the file a symbolic link named (as root, any file);
    /// a resumed run appended its records to the file a symbolic `train.jsonl` named.
    @Test func aSymbolicLockOrLogIsNeverFollowed() throws {
        let dir = try safety.directoryWithARun()
        defer { try? FileManager.default.removeItem(at: dir) }
        let victim = dir.appendingPathComponent("victim.txt")
        try "precious\n".write(to: victim, atomically: true, encoding: .utf8)
        let fresh = dir.appendingPathComponent("fresh")
        try FileManager.default.createDirectory(at: fresh, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: fresh.appendingPathComponent(".lock"), withDestinationURL: victim)
        let locked = try Binary.run(["train", "corpus.txt", "--checkpoint-dir", "fresh", "--max-iters", "2"] + RunSafetyTests.small, in: dir)
        safety.expectRefused(locked, mentioning: "checkpoint directory fresh holds a .lock that is not a regular file (a symbolic link)")

        let log = dir.appendingPathComponent("run/train.jsonl")
        try FileManager.default.removeItem(at: log)
        try FileManager.default.createSymbolicLink(at: log, withDestinationURL: victim)
        let resumed = try Binary.run(["train", "corpus.txt", "--checkpoint-dir", "run", "--resume", "--max-iters", "30"] + RunSafetyTests.small, in: dir)
        safety.expectRefused(resumed, mentioning: "checkpoint directory run cannot take train.jsonl's records (it is a symbolic link; remove it)")
        #expect(try String(contentsOf: victim, encoding: .utf8) == "precious\n")
    }

    /// A dangling symbolic link or a loop of them as `--checkpoint-dir` was reported as a directory that
    /// "is not writable".
    @Test func aCheckpointDirectoryThatIsABrokenLinkIsNamedSo() throws {
        let dir = try Binary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try RunSafetyTests.corpus.write(to: dir.appendingPathComponent("corpus.txt"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("dangling").path, withDestinationPath: "nowhere/at/all")
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("loopa").path, withDestinationPath: "loopb")
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("loopb").path, withDestinationPath: "loopa")
        for (target, words) in [("dangling", "cannot be created: dangling is a symbolic link to a path that does not exist"),
                                ("loopa/run", "cannot be used: loopa is a loop of symbolic links")] {
            let r = try Binary.run(["train", "corpus.txt", "--checkpoint-dir", target, "--max-iters", "2"] + RunSafetyTests.small, in: dir)
            safety.expectRefused(r, mentioning: "checkpoint directory \(target) \(words)")
        }
    }

    /// A checkpoint that is a broken symbolic link (a loop, or to nothing) was "no checkpoint at" or, for
    /// `--resume`, "does not exist": now each command names the link.
    @Test func aCheckpointThatIsABrokenLinkIsNamedSo() throws {
        let dir = try Binary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try RunSafetyTests.corpus.write(to: dir.appendingPathComponent("corpus.txt"), atomically: true, encoding: .utf8)
        for (run, target, words) in [("looped", "latest.safetensors", "a loop of symbolic links"),
                                     ("dangling", "nowhere/at/all.safetensors", "a symbolic link to a path that does not exist")] {
            try FileManager.default.createDirectory(at: dir.appendingPathComponent(run), withIntermediateDirectories: false)
            let latest = "\(run)/latest.safetensors"
            try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent(latest).path, withDestinationPath: target)
            for command in [["sample", "--checkpoint", latest], ["info", latest], ["eval", "corpus.txt", "--checkpoint", latest]] {
                safety.expectRefused(try Binary.run(command, in: dir), mentioning: "cannot read \(latest): it is \(words)")
            }
            let resume = try Binary.run(["train", "corpus.txt", "--checkpoint-dir", run, "--resume", "--max-iters", "2"] + RunSafetyTests.small, in: dir)
            safety.expectRefused(resume, mentioning: "cannot resume: \(latest) is \(words)")
        }
    }

    /// A run that kept only its best checkpoint: `--resume` said to train without it first, and a new run
    /// said to continue with --resume. Both now name --resume-from with the best, which continues it.
    @Test func aRunWithOnlyItsBestPointsToResumeFrom() throws {
        let dir = try safety.directoryWithARun()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.removeItem(at: dir.appendingPathComponent("run/latest.safetensors"))
        let resume = try Binary.run(["train", "corpus.txt", "--checkpoint-dir", "run", "--resume", "--max-iters", "30"] + RunSafetyTests.small, in: dir)
        safety.expectRefused(resume, mentioning: "nothing to resume: run/latest.safetensors does not exist; continue from the run's best with --resume-from run/best.safetensors")
        let again = try Binary.run(["train", "corpus.txt", "--checkpoint-dir", "run", "--max-iters", "30"] + RunSafetyTests.small, in: dir)
        safety.expectRefused(again, mentioning: "already holds a run; continue it with --resume-from run/best.safetensors,")
        let from = try Binary.run(["train", "corpus.txt", "--checkpoint-dir", "run", "--resume-from", "run/best.safetensors",
                                   "--max-iters", "30"] + RunSafetyTests.small, in: dir)
        #expect(from.status == 0, "\(from.stderr)")
    }

    /// `eval` of a checkpoint whose stored options are damaged blamed the text ("fewer than 2 characters
    /// the model knows") or said the corpus was not recorded: it says the options are damaged and scores.
    @Test func evalSaysTheStoredOptionsAreDamaged() throws {
        let dir = try safety.directoryWithARun()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("damaged.safetensors")
        try Self.patched(dir.appendingPathComponent("run/latest.safetensors"), "options.batchSize", "0", to: file)
        let r = try Binary.run(["eval", "corpus.txt", "--checkpoint", file.path], in: dir)
        #expect(r.status == 0 && r.stdout.contains("nats/char"), "\(r.stderr)")
        #expect(r.stderr == "baselines left out: the checkpoint's training options are damaged (--batch-size must be between 1 and 100000 (got 0))\n",
                "\(r.stderr)")
    }

    /// A record cut short (a full disk, a kill mid-write) has no line end: the resumed run's first record
    /// was glued to it, and both were lost to `plot`. The partial record is removed; every line parses.
    @Test func aLogRecordCutShortIsRemovedWhenTheRunResumes() throws {
        let dir = try safety.directoryWithARun()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("run/train.jsonl")
        let whole = try Data(contentsOf: log)
        let lines = whole.split(separator: 0x0A)
        let cut = whole.count - lines.last!.count / 2 - 1   // half of the last record, without its line end
        try whole.prefix(cut).write(to: log)
        let r = try Binary.run(["train", "corpus.txt", "--checkpoint-dir", "run", "--resume", "--max-iters", "30"] + RunSafetyTests.small, in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let after = try String(contentsOf: log, encoding: .utf8).split(separator: "\n")
        #expect(after.count > lines.count - 1)
        for line in after { #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil, "\(line)") }
        #expect(after.prefix(lines.count - 1).map { Data($0.utf8) } == lines.dropLast().map { Data($0) })   // the whole records kept
    }

    /// `--keep` removed every `iter-<N>.safetensors` beyond the newest N: a directory of that name with
    /// all it held, `iter-007` and `iter-+6` (read as 7 and 6), a symbolic link, another run's checkpoint.
    /// It removes only its own run's numbered checkpoints (the run id in their header).
    @Test func keepRemovesOnlyTheRunsOwnNumberedCheckpoints() throws {
        let dir = try safety.directoryWithARun()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = dir.appendingPathComponent("run")
        let files = FileManager.default
        try files.createDirectory(at: run.appendingPathComponent("iter-5.safetensors"), withIntermediateDirectories: true)
        try Data("precious".utf8).write(to: run.appendingPathComponent("iter-5.safetensors/data"))
        for name in ["iter-007.safetensors", "iter-+6.safetensors", "iter--1.safetensors", "iter-1000.safetensors"] {
            try Data("precious".utf8).write(to: run.appendingPathComponent(name))
        }
        try Data("precious".utf8).write(to: dir.appendingPathComponent("victim"))
        try files.createSymbolicLink(atPath: run.appendingPathComponent("iter-8.safetensors").path, withDestinationPath: "../victim")
        try Self.patched(run.appendingPathComponent("best.safetensors"), "training.run_id", "another-run", to: run.appendingPathComponent("iter-9.safetensors"))
        let foreign = try files.contentsOfDirectory(atPath: run.path).filter { $0.hasPrefix("iter-") }.sorted()

        let r = try Binary.run(["train", "corpus.txt", "--checkpoint-dir", "run", "--resume", "--max-iters", "50", "--eval-every", "10",
                                "--keep", "2"] + RunSafetyTests.small, in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let after = try files.contentsOfDirectory(atPath: run.path).filter { $0.hasPrefix("iter-") }.sorted()
        #expect(after == (foreign + ["iter-40.safetensors", "iter-50.safetensors"]).sorted())
        #expect(files.contents(atPath: run.appendingPathComponent("iter-5.safetensors/data").path) == Data("precious".utf8))
    }

    /// `--overwrite` removed a directory named `latest.safetensors` (or `train.jsonl`, or the document
    /// hashes) with everything in it, after saying the folder "already holds a run"; a directory or FIFO
    /// under such a name on `--resume` failed only at the first save, after training. Both are refused
    /// first, in one line, and the directory keeps what it held.
    @Test func aDirectoryOrFIFOUnderARunFilesNameIsRefusedNotRemoved() throws {
        let dir = try safety.directoryWithARun()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = dir.appendingPathComponent("run")
        for (name, flag, fifo) in [("latest.safetensors", "--overwrite", false), ("train.jsonl", "--resume", false),
                                   ("training-documents.hashes", "--overwrite", false), ("best.safetensors", "--resume", true)] {
            let file = run.appendingPathComponent(name)
            let saved = FileManager.default.contents(atPath: file.path)
            try? FileManager.default.removeItem(at: file)
            if fifo {
                #expect(mkfifo(file.path, 0o644) == 0)
            } else {
                try FileManager.default.createDirectory(at: file, withIntermediateDirectories: true)
                try Data("precious".utf8).write(to: file.appendingPathComponent("data"))
            }
            let r = try Binary.run(["train", "corpus.txt", "--checkpoint-dir", "run", "--max-iters", "40", flag] + RunSafetyTests.small, in: dir)
            let kind = fifo ? "a FIFO (named pipe)" : "a directory"
            safety.expectRefused(r, mentioning: "checkpoint directory run holds \(name), which is \(kind), not a file charrnn writes")
            if !fifo { #expect(FileManager.default.contents(atPath: file.appendingPathComponent("data").path) == Data("precious".utf8), "\(name)") }
            try FileManager.default.removeItem(at: file)
            if let saved { try saved.write(to: file) }
        }
    }
}
