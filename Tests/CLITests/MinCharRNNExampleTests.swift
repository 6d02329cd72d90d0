import Foundation
import Testing

/// The library example (Examples/MinCharRNN, docs/library.md) through its built binary: it
/// learns a repetitive text, and the checkpoint it saves is one `charrnn` reads: `sample` with
/// the example's seed and temperature prints the example's own sample.
@Suite struct MinCharRNNExampleTests {
    static let program = "MinCharRNN"
    static let line = "the cat sat on the mat.\n"

    @Test func itLearnsAndCharrnnSamplesWhatItSaved() throws {
        let dir = try Binary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let text = String(repeating: Self.line, count: 60)
        try Data(text.utf8).write(to: dir.appendingPathComponent("cat.txt"))
        let run = try Binary.run(["cat.txt", "100", "cat.safetensors"], program: Self.program, in: dir)
        #expect(run.status == 0 && run.stderr.isEmpty, "\(run.stderr)")
        let distinct = Set(text).count
        #expect(run.stdout.hasPrefix("cat.txt: \(text.count) characters, \(distinct) distinct\n"), "\(run.stdout)")

        // The loss starts at about an untrained model's ln V and ends far below it (the line repeats).
        let losses = run.stdout.split(separator: "\n").compactMap { line -> Float? in
            guard line.hasPrefix("iteration "), let r = line.range(of: ": loss ") else { return nil }
            return Float(line[r.upperBound...].prefix { $0 != "," })
        }
        #expect(losses.count == 2, "\(run.stdout)")   // iterations 1 and 100
        let uniform = log(Float(distinct))
        #expect(abs((losses.first ?? 0) - uniform) < 0.1, "first loss \(losses) vs ln V \(uniform)")
        #expect((losses.last ?? .infinity) < 0.5 * uniform, "\(losses)")

        let sample = try #require(run.stdout.range(of: "──── sample, temperature 0.8 ────\n")).upperBound
        let cli = try Binary.run(["sample", "--checkpoint", "cat.safetensors", "--temp", "0.8", "--seed", "1", "--length", "300"], in: dir)
        #expect(cli.status == 0, "\(cli.stderr)")
        #expect(cli.stdout == String(run.stdout[sample...]), "charrnn sample:\n\(cli.stdout)\nthe example:\n\(run.stdout[sample...])")
    }

    /// Bad arguments are one line and exit 1, before any training (an unwritable output is refused first).
    @Test(arguments: [
        (["missing.txt"], "MinCharRNN: error: missing.txt: no such file"),
        (["cat.txt", "0"], "MinCharRNN: error: iterations must be a whole number ≥ 1 (got 0)"),
        (["short.txt", "1"], "MinCharRNN: error: short.txt has 3 characters: 16 streams of 50 need at least 801"),
        (["cat.txt", "1", "cat.txt/model.safetensors"], "MinCharRNN: error: cannot save to cat.txt/model.safetensors: cat.txt is not a directory"),
    ])
    func badArgumentsAreOneLine(arguments: [String], message: String) throws {
        let dir = try Binary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data(String(repeating: Self.line, count: 60).utf8).write(to: dir.appendingPathComponent("cat.txt"))
        try Data("abc".utf8).write(to: dir.appendingPathComponent("short.txt"))
        let r = try Binary.run(arguments, program: Self.program, in: dir)
        #expect(r.status == 1 && r.stdout.isEmpty, "\(r.stdout)")
        #expect(r.stderr.hasPrefix(message) && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
    }
}
