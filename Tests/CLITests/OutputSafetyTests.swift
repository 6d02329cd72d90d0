import Foundation
import Testing

/// Where the commands write, as a hostile user points them: a full or closed standard output, and
/// `-o` / `--results` at a device, a FIFO or a symbolic link. Each is one line and exit 1; nothing is
/// replaced that is not a regular file, and no write traps.
@Suite struct OutputSafetyTests {
    static var run: String { Fixtures.trained.appendingPathComponent("checkpoints/run").path }

    /// `charrnn arguments…` with its standard output sent to `target` by the shell (`>` or `>&-`).
    func withStandardOutput(_ redirect: String, _ arguments: [String]) throws -> BinaryRun {
        try Binary.run(["-c", "\"$0\" \"$@\" \(redirect)", Binary.executable.path] + arguments,
                       tool: URL(fileURLWithPath: "/bin/sh"), in: Fixtures.trained)
    }

    @Test func aFullStandardOutputIsAnErrorNeitherATrapNorASilentSuccess() throws {
        guard FileManager.default.fileExists(atPath: "/dev/full") else {
            print("skipped: this system has no /dev/full to fill standard output with")
            return
        }
        let checkpoint = Self.run + "/latest.safetensors"
        for arguments in [["vocab", "corpus.txt"], ["vocab", "corpus.txt", "--json"], ["info", checkpoint], ["info", checkpoint, "--json"],
                          ["eval", "corpus.txt", "--checkpoint", checkpoint], ["plot", Self.run, "-o", "-"],
                          ["--help"], ["sample", "--help"], ["help", "train"], ["--version"]] {
            let r = try withStandardOutput("> /dev/full", arguments)
            #expect(r.status == 1, "\(arguments): \(r.status) \(r.stderr)")
            #expect(r.stderr == "charrnn: error: cannot write to standard output: No space left on device\n", "\(arguments): \(r.stderr)")
        }
        for arguments in [["vocab", "corpus.txt"], ["--help"]] {
            let closed = try withStandardOutput(">&-", arguments)
            #expect(closed.status == 1 && closed.stderr.hasPrefix("charrnn: error: cannot write to standard output: "), "\(arguments): \(closed.stderr)")
            #expect(closed.stderr.split(separator: "\n").count == 1, "\(arguments): \(closed.stderr)")
        }
        // Help still goes to a working stdout, whole, with status 0.
        let help = try withStandardOutput("", ["--help"])
        #expect(help.status == 0 && help.stdout.contains("USAGE: charrnn <subcommand>") && help.stdout.hasSuffix("\n") && help.stderr.isEmpty,
                "\(help.status) \(help.stderr)")
    }

    /// `train` flushes its progress as it goes, and glibc drops what a failed flush held, so the flush
    /// at the end succeeded and a run with a full or closed stdout exited 0. Now the first failure is
    /// reported when the run ends (status 1, one line), and the checkpoints it saved stay. A closed
    /// stdout's number is not given to the first file opened (the run's .lock took the progress lines).
    @Test func trainingWithAStandardOutputItCannotWriteSavesThenFails() throws {
        let dir = try Binary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data(ToyLabels.balanced.utf8).write(to: dir.appendingPathComponent("data.tsv"))
        let plain = ["train", "corpus.txt", "--hidden", "8", "--layers", "1", "--max-iters", "3", "--batch-size", "4", "--seq-length", "8"]
        let labelled = ["train", dir.appendingPathComponent("data.tsv").path, "--task", "classify"] + ToyLabels.model + ["--max-iters", "3"]
        var cases = [(">&-", plain, "Bad file descriptor"), (">&-", labelled, "Bad file descriptor")]
        if FileManager.default.fileExists(atPath: "/dev/full") {
            cases += [("> /dev/full", plain, "No space left on device"), ("> /dev/full", labelled, "No space left on device")]
        }
        for (n, (redirect, arguments, reason)) in cases.enumerated() {
            let run = dir.appendingPathComponent("run\(n)")
            let r = try withStandardOutput(redirect, arguments + ["--checkpoint-dir", run.path])
            #expect(r.status == 1, "\(redirect) \(arguments): \(r.status) \(r.stderr)")
            #expect(r.stderr == "charrnn: error: cannot write to standard output: \(reason)\n", "\(redirect) \(arguments): \(r.stderr)")
            #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent("latest.safetensors").path), "\(redirect) \(arguments)")
            let lock = (try? String(contentsOf: run.appendingPathComponent(".lock"), encoding: .utf8)) ?? ""
            #expect(!lock.contains("checkpoints"), "the progress went into the lock: \(lock)")
        }
    }

    /// `bench` flushes its table row by row: a standard output it cannot write is status 1 and the
    /// error as its last line, as in every command (glibc drops what a failed flush held).
    @Test func benchWithAStandardOutputItCannotWriteFails() throws {
        let dir = try Binary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var cases = [(">&-", "Bad file descriptor")]
        if FileManager.default.fileExists(atPath: "/dev/full") { cases.append(("> /dev/full", "No space left on device")) }
        for (redirect, reason) in cases {
            let r = try withStandardOutput(redirect, ["bench", "--only", "sgemm", "--seconds", "0.05", "--no-reference",
                                                     "--results", dir.appendingPathComponent("bench.jsonl").path])
            #expect(r.status == 1, "\(redirect): \(r.status) \(r.stderr)")
            #expect(r.stderr.hasSuffix("charrnn: error: cannot write to standard output: \(reason)\n"), "\(redirect): \(r.stderr)")
        }
    }

    @Test(.timeLimit(.minutes(2))) func outputsNeverReplaceDevicesFIFOsOrLinks() throws {
        let dir = try Binary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
        #expect(mkfifo(path("fifo"), 0o644) == 0)
        try Data("before\n".utf8).write(to: dir.appendingPathComponent("target.svg"))
        try FileManager.default.createSymbolicLink(atPath: path("link.svg"), withDestinationPath: "target.svg")
        var targets = [("fifo", "it is a FIFO (named pipe); charrnn writes regular files only"),
                       ("link.svg", "it is a symbolic link; give the path of the file it points to, or another name")]
        // A character device of our own (the null device's numbers), never the system's: made only as root.
        if getuid() == 0, mknod(path("device"), S_IFCHR | 0o666, dev_t((1 << 8) | 3)) == 0 {
            targets.append(("device", "it is a character device; charrnn writes regular files only"))
        } else {
            print("skipped the device case: making a device node needs root")
        }
        func kind(_ name: String) -> mode_t {
            var info = stat()
            return lstat(path(name), &info) == 0 ? info.st_mode & S_IFMT : 0
        }
        let kinds = Dictionary(uniqueKeysWithValues: targets.map { ($0.0, kind($0.0)) })
        let text = dir.appendingPathComponent("text.txt")
        try Data("the cat sat on the mat.\n".utf8).write(to: text)
        for (name, reason) in targets {
            for arguments in [["plot", Self.run, "-o", path(name)], ["viz", "--checkpoint", Self.run, "--text", text.path, "-o", path(name)]] {
                let r = try Binary.run(arguments, in: dir)
                #expect(r.status == 1 && r.stderr == "charrnn: error: cannot write \(path(name)): \(reason)\n", "\(arguments): \(r.stderr)")
                #expect(kind(name) == kinds[name], "\(name) was replaced")
            }
        }
        #expect(try String(contentsOf: dir.appendingPathComponent("target.svg"), encoding: .utf8) == "before\n")
        // The results file is looked at before any measuring, not after it.
        for (name, expected) in [("fifo", "it is a FIFO (named pipe)"), (dir.path, "it is a directory")] {
            let results = name.hasPrefix("/") ? name : path(name)
            let r = try Binary.run(["bench", "--only", "tokenize", "--seconds", "0.1", "--no-reference", "--results", results], in: dir)
            #expect(r.status == 1 && r.stderr.hasPrefix("charrnn: error: cannot append the results to \(results): \(expected)"), "\(r.stderr)")
            #expect(!r.stdout.contains("tokenize"), "measured before refusing: \(r.stdout)")
        }
        #expect(kind("fifo") == S_IFIFO)
    }

    @Test func initFromTakesARunDirectoryAndKeepsItsTokenizer() throws {
        let dir = try Binary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Fixtures.corpusText.write(to: dir.appendingPathComponent("corpus.txt"), atomically: true, encoding: .utf8)
        let small = ["--max-iters", "2", "--batch-size", "4", "--seq-length", "8"]
        let fromDirectory = try Binary.run(["train", "corpus.txt", "--init-from", Self.run, "--checkpoint-dir", "a"] + small, in: dir)
        #expect(fromDirectory.status == 0, "\(fromDirectory.stderr)")
        #expect(fromDirectory.stderr.contains("starting from the weights of \(Self.run)/best.safetensors"), "\(fromDirectory.stderr)")
        for (flags, named) in [(["--tokenizer", "byte"], "--tokenizer byte"), (["--no-normalize"], "--no-normalize")] {
            let r = try Binary.run(["train", "corpus.txt", "--init-from", Self.run, "--checkpoint-dir", "b"] + flags + small, in: dir)
            #expect(r.status == 1 && r.stderr == "charrnn: error: --init-from keeps the checkpoint's tokenizer (grapheme, NFC); \(named) cannot change it\n",
                    "\(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("b/latest.safetensors").path))
        }
    }

    /// An argument that is not UTF-8 (Swift would read each bad byte as U+FFFD) is refused in one line.
    @Test func anArgumentThatIsNotUTF8IsRefused() throws {
        for arguments in [["sample", "--checkpoint", Self.run, "--prime", "$(printf 'a\\377b')"], ["vocab", "$(printf 'x\\300.txt')"]] {
            let r = try Binary.run(["-c", "\"$0\" " + arguments.map { "\"\($0)\"" }.joined(separator: " "), Binary.executable.path],
                                   tool: URL(fileURLWithPath: "/bin/sh"), in: Fixtures.trained)
            #expect(r.status == 1 && r.stderr.hasPrefix("charrnn: error: argument ") && r.stderr.hasSuffix(" is not valid UTF-8; charrnn reads its arguments as UTF-8\n"),
                    "\(arguments): \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1 && r.stdout.isEmpty, "\(r.stderr)")
        }
    }

    /// `info` says where a run stands in its epoch (the counter moves when the next epoch starts, so a
    /// run that just ended an epoch is still in it): 4 iterations of a one-batch epoch are the 4th epoch, done.
    @Test func infoSaysWhereTheRunStandsInItsEpoch() throws {
        let dir = try Binary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try String(repeating: "abcdefgh", count: 40).write(to: dir.appendingPathComponent("c.txt"), atomically: true, encoding: .utf8)
        let r = try Binary.run(["train", "c.txt", "--checkpoint-dir", "run", "--max-iters", "4", "--batch-size", "2", "--seq-length", "100",
                                "--hidden", "4", "--layers", "1", "--val-frac", "0.2"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let info = try Binary.run(["info", "run/latest.safetensors"], in: dir)
        #expect(info.stdout.contains("progress:   4 iterations, in epoch 4 (1 batch of it done)"), "\(info.stdout)")
    }

    @Test func sampleRefusesWhatItWouldIgnore() throws {
        for (flags, message) in [(["--stop", "M", "--stop", ""], "Error: --stop needs a non-empty string"),
                                 (["--argmax", "--temp", "0.5"], "Error: --argmax is --temp 0: give one of them, not both"),
                                 (["--top-p", "1e-300"], "Error: top-p must be in (0, 1] (got 0.0; a value under 1e-45 is 0 in 32 bits)")] {
            let r = try Binary.run(["sample", "--checkpoint", Self.run] + flags, in: Fixtures.trained)
            #expect(r.status == 64 && r.stderr.hasPrefix(message + "\n"), "\(flags): \(r.stderr)")
            #expect(r.stdout.isEmpty)
        }
    }
}
