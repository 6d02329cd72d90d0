import Foundation
import RNN
import Training

// MARK: - The reference script's arguments for a workload

extension Workload {
    /// The reference script's arguments for this workload (nil: no reference for `impl`).
    func referenceArguments(impl: String, seconds: Double, threads: Int, checkpoint: String?) -> [String]? {
        guard references.contains(impl) else { return nil }
        var a = ["--impl", impl == "numpy" ? "numpy" : "torch", "--threads", String(threads), "--seconds", String(seconds)]
        if impl == "pytorch-bf16" { a.append("--bf16") }
        func shape(_ s: ModelShape) -> [String] {
            ["--cell", s.cell.rawValue, "--layers", String(s.layers), "--hidden", String(s.hidden), "--vocab", String(s.vocabulary)]
        }
        switch kind {
        case .train(let s):
            a += ["--kind", "train"] + shape(s.shape) + ["--batch", String(s.batch), "--seq", String(s.sequence),
                  "--optimizer", s.optimizer.rawValue, "--lr", String(s.learningRate),
                  "--clip-mode", s.clipMode.rawValue, "--clip", String(s.clip)]
        case .sample(let s, _):
            a += ["--kind", "sample"] + shape(s)
        case .firstCharacter:
            guard let checkpoint else { return nil }
            a += ["--kind", "first-char", "--checkpoint", checkpoint]
        case .sgemm, .tokenize, .serve, .sampleMany:
            return nil
        }
        return a
    }
}

// MARK: - Running the reference script

extension BenchRun {
    /// bench/torch_reference.py under the working directory, or above the executable (.build/…/charrnn).
    static func findScript(from executable: String) -> String? {
        let name = "bench/torch_reference.py"
        if FileManager.default.fileExists(atPath: name) { return name }
        var dir = URL(fileURLWithPath: executable).deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = dir.appendingPathComponent(name).path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }

    /// The implementations the reference script can run here (impl → version), and the header's note on them.
    func probeReferences() -> (available: [String: String], note: String) {
        var available: [String: String] = [:]   // impl → version
        var referenceNote: String
        if settings.noReference {
            referenceNote = "references skipped (--no-reference)"
        } else if let python, let script {
            let probe = try? Spawn.run(python, [script, "--kind", "probe"])
            struct Probe: Decodable { var torch: String?; var numpy: String? }
            if let p = probe.flatMap({ BenchJSON.decodeLastLine(Probe.self, from: $0.stdout) }) {
                if let v = p.torch { available["pytorch"] = v; available["pytorch-bf16"] = v }
                if let v = p.numpy { available["numpy"] = v }
            }
            referenceNote = available.isEmpty ? "\(python) cannot import torch or numpy" :
                "reference: " + [available["pytorch"].map { "PyTorch \($0)" }, available["numpy"].map { "numpy \($0)" }]
                    .compactMap { $0 }.joined(separator: ", ") + " (\(python))"
            if available["pytorch"] == nil {
                referenceNote += "; for the PyTorch column run `make torch-venv` (or pass --torch PYTHON with torch installed)"
            }
        } else if script == nil {
            referenceNote = "no PyTorch reference: bench/torch_reference.py not found (run from the charrnn checkout)"
        } else {
            referenceNote = "no PyTorch reference: set CHARRNN_PYTHON or pass --torch PYTHON (`make torch-venv` makes one; `make bench` uses it)"
        }
        return (available, referenceNote)
    }

    func runReference(_ python: String, _ args: [String], impl: String) -> BenchMeasurement? {
        guard let r = try? Spawn.run(python, args) else { return nil }
        guard r.status == 0, var m = BenchJSON.decodeLastLine(BenchMeasurement.self, from: r.stdout) else {
            FileHandle.standardError.write(Data("charrnn bench: the \(impl) reference failed (status \(r.status)): \(r.stderrLastLine)\n".utf8))
            return nil
        }
        m.peakRssMb = r.peakRSSMegabytes
        return m
    }
}
