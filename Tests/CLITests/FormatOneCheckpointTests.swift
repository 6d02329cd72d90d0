import Checkpoints
import Foundation
import Testing

/// Checkpoints written by charrnn before the model description (format 1, `config`
/// instead of `model`; Fixtures/format1/README.md says how they were made) load,
/// sample and score exactly as that charrnn did, and `info --json` keeps every field it printed.
@Suite struct FormatOneCheckpointTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/format1")
    static let models = ["lstm", "gru-layernorm"]

    /// A scratch copy of the fixtures, so that nothing (a token cache, a run) is written beside the sources.
    static func copy() throws -> URL {
        let dir = try Binary.temporaryDirectory()
        for name in try FileManager.default.contentsOfDirectory(atPath: fixtures.path) {
            try FileManager.default.copyItem(at: fixtures.appendingPathComponent(name), to: dir.appendingPathComponent(name))
        }
        return dir
    }

    static func expected(_ name: String) throws -> String {
        try String(contentsOf: fixtures.appendingPathComponent(name), encoding: .utf8)
    }

    static func object(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// `object` written again with sorted keys: two objects with the same fields and values give the same text.
    static func canonical(_ object: [String: Any]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    @Test(arguments: models)
    func readsAsFormatOne(model: String) throws {
        let c = try Checkpoint.read(from: Self.fixtures.appendingPathComponent("\(model).safetensors").path)
        #expect(c.fileFormatVersion == 1)
    }

    @Test(arguments: models)
    func samplesTheSameText(model: String) throws {
        let dir = try Self.copy()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try Binary.run(["sample", "--checkpoint", "\(model).safetensors", "--seed", "7", "--length", "200"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == (try Self.expected("\(model).sample.txt")))
    }

    @Test(arguments: models)
    func scoresTheSameLoss(model: String) throws {
        let dir = try Self.copy()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try Binary.run(["eval", "corpus.txt", "--checkpoint", "\(model).safetensors", "--json", "--batch-size", "1"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        var now = try Self.object(r.stdout)
        let then = try Self.object(try Self.expected("\(model).eval.json"))
        // Added since (issue 26): the weights' precision, fp32 unless --precision says otherwise.
        #expect(now.removeValue(forKey: "precision") as? String == "fp32")
        // The losses to 1e-7 relative, not to the bit: the window's GEMMs are OpenBLAS's, whose kernels for this
        // CPU may round otherwise than those of the CPU that wrote the fixture (a Zen 3 differs from it in the
        // 9th digit, and so did the charrnn that wrote it when run there). Every other field exactly.
        for key in ["loss", "bits_per_char", "perplexity", "unigram_loss", "bigram_loss"] {
            let a = now.removeValue(forKey: key) as? Double, b = then[key] as? Double
            #expect(a != nil && b != nil && abs(a! - b!) <= 1e-7 * abs(b!), "\(key): \(String(describing: a)) vs \(String(describing: b))")
        }
        let rest = then.filter { !["loss", "bits_per_char", "perplexity", "unigram_loss", "bigram_loss"].contains($0.key) }
        #expect(try Self.canonical(now) == Self.canonical(rest), "\(r.stdout)")
    }

    /// Every field of before, with its value, and the description beside them.
    @Test(arguments: models)
    func infoKeepsItsFields(model: String) throws {
        let dir = try Self.copy()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try Binary.run(["info", "\(model).safetensors", "--json"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        var now = try Self.object(r.stdout)
        let then = try Self.object(try Self.expected("\(model).info.json"))
        let description = try #require(now.removeValue(forKey: "model") as? [String: Any])
        #expect(try Self.canonical(now) == Self.canonical(then), "\(r.stdout)")
        #expect(now["format_version"] as? Int == 1)
        let stack = try #require(description["stack"] as? [String: Any])
        #expect(stack["cell"] as? String == then["cell"] as? String)
        #expect(stack["hidden_size"] as? Int == then["hidden"] as? Int && stack["layers"] as? Int == then["layers"] as? Int)
        #expect(stack["layer_norm"] as? Bool == (then["layer_norm"] as? Bool ?? false))
    }

    /// A run resumed from a format-1 checkpoint goes on, and writes format 2.
    @Test func resumesAndWritesTheNewFormat() throws {
        let dir = try Self.copy()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try Binary.run(["train", "corpus.txt", "--resume-from", "lstm.safetensors", "--checkpoint-dir", "run",
                                "--max-iters", "44", "--no-cache"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let resumed = try Checkpoint.read(from: dir.appendingPathComponent("run/latest.safetensors").path)
        let old = try Checkpoint.read(from: dir.appendingPathComponent("lstm.safetensors").path)
        #expect(resumed.fileFormatVersion == Checkpoint.formatVersion)
        #expect(resumed.config == old.config && resumed.training["iteration"] == "44")
    }
}
