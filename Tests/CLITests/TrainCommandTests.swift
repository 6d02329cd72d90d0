import Checkpoints
import Foundation
import RNN
import Testing

@Suite struct TrainCommandTests {
    @Test func trainsWritesCheckpointsLogAndSummary() throws {
        let dir = Fixtures.trained
        let run = dir.appendingPathComponent("checkpoints/run")
        for name in ["latest.safetensors", "best.safetensors", "train.jsonl"] {
            #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent(name).path), "\(name)")
        }
        let log = try String(contentsOf: run.appendingPathComponent("train.jsonl"), encoding: .utf8)
        let records = log.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(records.allSatisfy { $0 != nil })
        #expect(records.contains { $0?["type"] as? String == "eval" })
        let checkpoint = try Checkpoint.read(from: run.appendingPathComponent("latest.safetensors").path)
        #expect(checkpoint.training["iteration"] == "60")
    }

    @Test func defaultCheckpointDirectoryIsNamedAfterTheCorpus() throws {
        let dir = try Binary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Fixtures.corpusText.write(to: dir.appendingPathComponent("poems.txt"), atomically: true, encoding: .utf8)
        let r = try Binary.run(["train", "poems.txt", "--max-iters", "3", "--hidden", "8", "--layers", "1",
                                "--batch-size", "4", "--seq-length", "8"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("charrnn sample --checkpoint checkpoints/poems"))
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("checkpoints/poems/latest.safetensors").path))
    }

    @Test func resumeContinuesToTheNewBudget() throws {
        let dir = try Binary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Fixtures.corpusText.write(to: dir.appendingPathComponent("c.txt"), atomically: true, encoding: .utf8)
        let common = ["--hidden", "8", "--layers", "1", "--batch-size", "4", "--seq-length", "8", "--checkpoint-dir", "run"]
        #expect(try Binary.run(["train", "c.txt", "--max-iters", "5"] + common, in: dir).status == 0)
        let r = try Binary.run(["train", "c.txt", "--resume", "--max-iters", "9", "--checkpoint-dir", "run"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("resuming"))
        let c = try Checkpoint.read(from: dir.appendingPathComponent("run/latest.safetensors").path)
        #expect(c.training["iteration"] == "9")
        // A new run into that directory would destroy it: refused, unless asked for.
        let again = try Binary.run(["train", "c.txt", "--max-iters", "2"] + common, in: dir)
        #expect(again.status != 0)
        #expect(again.stderr.contains("--resume") && again.stderr.contains("--overwrite"))
        #expect(try Checkpoint.read(from: dir.appendingPathComponent("run/latest.safetensors").path).training["iteration"] == "9")
        // A different model is not the same run.
        let bad = try Binary.run(["train", "c.txt", "--resume", "--hidden", "16", "--checkpoint-dir", "run"], in: dir)
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("cannot resume"))
    }

    @Test func sigintSavesACheckpointAndExits130() throws {
        let dir = try Binary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Fixtures.corpusText.write(to: dir.appendingPathComponent("c.txt"), atomically: true, encoding: .utf8)
        let (status, stderr) = try Binary.interruptedTraining(
            ["c.txt", "--hidden", "16", "--layers", "1", "--batch-size", "4", "--seq-length", "8",
             "--max-iters", "10000000", "--eval-every", "100000", "--checkpoint-dir", "run"], in: dir, log: "run/train.jsonl")
        #expect(status == 130)
        let checkpoint = try Checkpoint.read(from: dir.appendingPathComponent("run/latest.safetensors").path)
        #expect(Int(checkpoint.training["iteration"] ?? "0")! >= 3)
        #expect(!stderr.contains("Fatal error"))
    }

    @Test(arguments: [
        (["train", "missing.txt"], "missing.txt"),
        (["train", "adir"], "adir"),
        (["train", "empty.txt"], "empty.txt"),
        (["train", "binary.bin"], "UTF-8"),
        (["train", "small.txt"], "batch-size"),
        (["train", "c.txt", "--hidden", "-5"], "hidden"),
        (["train", "c.txt", "--layers", "0"], "layers"),
        (["train", "c.txt", "--dropout", "1"], "dropout"),
        (["train", "c.txt", "--learning-rate", "0"], "learning-rate"),
        (["train", "c.txt", "--model", "transformer"], "model"),
        (["train", "c.txt", "--max-time", "soon"], "max-time"),
        (["train", "c.txt", "--resume"], "nothing to resume"),
        (["train", "c.txt", "--checkpoint-dir", "c.txt"], "not a directory"),
    ])
    func badInputIsAOneLineErrorAndNonZeroExit(arguments: [String], mention: String) throws {
        let dir = try Binary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Fixtures.corpusText.write(to: dir.appendingPathComponent("c.txt"), atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("adir"), withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: dir.appendingPathComponent("empty.txt").path, contents: Data())
        _ = FileManager.default.createFile(atPath: dir.appendingPathComponent("binary.bin").path, contents: Data([0x41, 0xFF, 0xFE, 0x00, 0x80]))
        try "just a few words\n".write(to: dir.appendingPathComponent("small.txt"), atomically: true, encoding: .utf8)
        let r = try Binary.run(arguments, in: dir)
        #expect(r.status != 0)
        #expect(r.stderr.contains(mention), "stderr: \(r.stderr)")
        #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("Stack dump"))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("checkpoints/c/latest.safetensors").path))
    }
}
