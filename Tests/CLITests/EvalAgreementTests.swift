import Checkpoints
import Foundation
import RNN
import Testing
import Tokenizer

/// `charrnn eval` against the trainer's own validation figure and against an
/// independent PyTorch forward of the same weights on the same ids.
@Suite struct EvalAgreementTests {
    let dir = Fixtures.trained

    @Test func evalOfTheValidationTextReproducesTheTrainersValidationLoss() throws {
        let path = dir.appendingPathComponent("checkpoints/run/latest.safetensors").path
        let checkpoint = try Checkpoint.read(from: path)
        // The trainer evaluated at its last iteration (60, a multiple of --eval-every 30).
        let history = try #require(checkpoint.training["history"])
        let pairs = try JSONDecoder().decode([[Double]].self, from: Data(history.utf8))
        let last = try #require(pairs.last)
        #expect(last[0] == 60)
        // The validation split's text, written out and scored by `charrnn eval` with the training B and T.
        let corpus = try Corpus(text: Fixtures.corpusText, settings: checkpoint.tokenizer)
        let splits = try DataSplits(tokenCount: corpus.ids.count)
        let text = corpus.vocabulary.decode(corpus.ids[splits.validation])
        try text.write(to: dir.appendingPathComponent("val.txt"), atomically: true, encoding: .utf8)
        let r = try Binary.run(["eval", "val.txt", "--checkpoint", "checkpoints/run/latest.safetensors", "--json"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let o = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let loss = try #require(o["loss"] as? Double)
        #expect(abs(loss - last[1]) < 1e-9, "eval \(loss) vs trainer \(last[1])")
    }

    @Test(.enabled(if: TorchPython.available,
                   "\(TorchPython.path) cannot import torch and safetensors (make torch-venv, or set CHARRNN_PYTHON)"))
    func evalAgreesWithPyTorch() throws {
        try expectEvalAgreesWithPyTorch(in: dir, checkpoint: dir.appendingPathComponent("checkpoints/run/latest.safetensors").path,
                                        script: "torch_eval.py")
    }
}

/// `charrnn eval --json` on corpus.txt in `directory` and `scripts/<script>` on the same
/// ids (B = 4, T = 16) give the same loss within 1e-4 nats/char and score as many characters.
func expectEvalAgreesWithPyTorch(in directory: URL, checkpoint path: String, script: String,
                                 sourceLocation: SourceLocation = #_sourceLocation) throws {
    let checkpoint = try Checkpoint.read(from: path)
    let ids = try Corpus.encode(path: directory.appendingPathComponent("corpus.txt").path,
                                settings: checkpoint.tokenizer, vocabulary: checkpoint.vocabulary).ids
    let idsFile = directory.appendingPathComponent("ids.json")
    try JSONEncoder().encode(ids).write(to: idsFile)
    let ours = try Binary.run(["eval", "corpus.txt", "--checkpoint", path, "--batch-size", "4", "--seq-length", "16", "--json"], in: directory)
    #expect(ours.status == 0, "\(ours.stderr)", sourceLocation: sourceLocation)
    let o = try #require(try JSONSerialization.jsonObject(with: Data(ours.stdout.utf8)) as? [String: Any], sourceLocation: sourceLocation)
    let scriptPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/\(script)").path
    let theirs = try runProcess(TorchPython.path, [scriptPath, path, idsFile.path, "--batch-size", "4", "--seq-length", "16"])
    #expect(theirs.status == 0, "\(theirs.stderr)", sourceLocation: sourceLocation)
    let t = try #require(try JSONSerialization.jsonObject(with: Data(theirs.stdout.utf8)) as? [String: Any], sourceLocation: sourceLocation)
    let a = try #require(o["loss"] as? Double, sourceLocation: sourceLocation)
    let b = try #require(t["loss"] as? Double, sourceLocation: sourceLocation)
    #expect(o["characters"] as? Int == t["characters"] as? Int, sourceLocation: sourceLocation)
    #expect(abs(a - b) < 1e-4, "charrnn \(a) vs PyTorch \(b)", sourceLocation: sourceLocation)
}

/// The Python for PyTorch checks: `CHARRNN_PYTHON`, else /tmp/torchenv/bin/python if
/// present, else python3. Tests that need it are skipped, with the reason, when it cannot
/// import torch and safetensors; the probe runs once per test run, and only if such a test runs.
enum TorchPython {
    static let path: String = {
        if let p = ProcessInfo.processInfo.environment["CHARRNN_PYTHON"], !p.isEmpty { return p }
        return FileManager.default.isExecutableFile(atPath: "/tmp/torchenv/bin/python") ? "/tmp/torchenv/bin/python" : "python3"
    }()

    static let available: Bool = {
        guard let r = try? runProcess(path, ["-c", "import torch, safetensors"]) else { return false }
        return r.status == 0
    }()
}

func runProcess(_ executable: String, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = [executable] + arguments
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}
