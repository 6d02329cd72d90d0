import Checkpoints
import Foundation
import Sampler
import Serve
import Tensor
import Testing

/// `sample`, `serve` and `eval --precision fp32|bf16|int8` (issue 26, part 3): weight copies made
/// once at load, through the built binary and the server in process.
@Suite struct PrecisionCLITests {
    let dir = Fixtures.trained
    let run = ["--checkpoint", "checkpoints/run"]

    func object(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(text)")
    }

    /// The same seed writes text of the asked length in each precision, and a reduced one stays close:
    /// the mean log-probability of the greedy text is within 2% of fp32's.
    @Test func sampleRunsInEachPrecision() throws {
        var logProbabilities: [String: Double] = [:]
        for precision in ["fp32", "bf16", "int8"] {
            let r = try Binary.run(["sample", "--argmax", "--length", "120", "--json", "--precision", precision] + run, in: dir)
            #expect(r.status == 0, "\(precision): \(r.stderr)")
            let o = try object(r.stdout)
            #expect((o["text"] as? String)?.count == 120, "\(precision): \(r.stdout)")
            logProbabilities[precision] = o["mean_log_prob"] as? Double
        }
        let fp32 = try #require(logProbabilities["fp32"])
        for precision in ["bf16", "int8"] {
            let p = try #require(logProbabilities[precision], "\(logProbabilities)")
            #expect(abs(p - fp32) <= 0.02 * abs(fp32) + 1e-3, "\(precision) \(p) vs fp32 \(fp32)")
        }
    }

    @Test(arguments: [["sample", "--precision", "fp16"], ["sample", "--precision", "BF16"], ["eval", "corpus.txt", "--precision", "int4"],
                      ["serve", "--precision", "fp64"]])
    func unknownPrecisionIsOneLine(_ args: [String]) throws {
        let r = try Binary.run(args + run, in: dir)
        #expect(r.status != 0 && !r.stderr.contains("Fatal error"), "\(r.stderr)")
        #expect(r.stderr.contains("--precision") && r.stderr.split(separator: "\n").filter { $0.contains("Error") }.count == 1, "\(r.stderr)")
    }

    /// eval --precision scores what sample computes: bf16 within 0.5% of fp32 and int8 within 1.5% on the
    /// fixture (the issue's bounds), each different from fp32 (something was rounded), named in the output.
    @Test func evalScoresTheReducedProducts() throws {
        var loss: [String: Double] = [:]
        for precision in ["fp32", "bf16", "int8"] {
            let r = try Binary.run(["eval", "corpus.txt", "--json", "--precision", precision] + run, in: dir)
            #expect(r.status == 0, "\(r.stderr)")
            let o = try object(r.stdout)
            #expect(o["precision"] as? String == precision)
            loss[precision] = o["loss"] as? Double
        }
        let fp32 = try #require(loss["fp32"]), bf16 = try #require(loss["bf16"]), int8 = try #require(loss["int8"])
        #expect(bf16 != fp32 && int8 != fp32 && bf16 != int8, "\(loss)")
        #expect(abs(bf16 - fp32) <= 0.005 * fp32 && abs(int8 - fp32) <= 0.015 * fp32, "\(loss)")
        let text = try Binary.run(["eval", "corpus.txt", "--precision", "int8"] + run, in: dir)
        #expect(text.stdout.contains("(int8 weights and activations)"), "\(text.stdout)")
    }

    /// A label-conditioned (and an unconditioned) generator is scored through its sampling step in bf16 and
    /// int8: close to fp32 and not equal; a classifier takes bf16 (its rounded weights) and refuses int8 in one
    /// line, with nothing written.
    @Test func labelledModelsTakeTheirPrecisions() throws {
        for dir in [ToyLabels.generator, ToyLabels.unconditioned] {
            var loss: [String: Double] = [:]
            for precision in ["fp32", "bf16", "int8"] {
                let r = try Binary.run(["eval", "data.tsv", "--checkpoint", "run", "--json", "--precision", precision], in: dir)
                #expect(r.status == 0, "\(precision): \(r.stderr)")
                loss[precision] = try object(r.stdout)["loss"] as? Double
            }
            let fp32 = try #require(loss["fp32"]), int8 = try #require(loss["int8"]), bf16 = try #require(loss["bf16"])
            #expect(int8 != fp32 && abs(int8 - fp32) <= 0.03 * fp32 && abs(bf16 - fp32) <= 0.01 * fp32, "\(loss)")
        }
        let classifier = ToyLabels.classifier
        let bf16 = try Binary.run(["eval", "data.tsv", "--checkpoint", "run", "--precision", "bf16"], in: classifier)
        #expect(bf16.status == 0, "\(bf16.stderr)")
        let before = try FileManager.default.contentsOfDirectory(atPath: classifier.path).sorted()
        let int8 = try Binary.run(["eval", "data.tsv", "--checkpoint", "run", "--precision", "int8"], in: classifier)
        #expect(int8.status != 0 && !int8.stderr.contains("Fatal error"), "\(int8.stderr)")
        #expect(int8.stderr.split(separator: "\n").count == 1 && int8.stderr.contains("--precision int8 applies to models that generate"),
                "\(int8.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: classifier.path).sorted() == before)
    }

    /// A translation model is scored in fp32 only: one line.
    @Test func evalOfATranslationModelRefusesPrecision() throws {
        let r = try Binary.run(["eval", "pairs.tsv", "--checkpoint", ToyPairs.checkpoint, "--precision", "bf16"], in: ToyPairs.directory)
        #expect(r.status != 0 && r.stderr.contains("--precision applies to models that sample or classify"), "\(r.stderr)")
    }

    /// The server's text is `sample --precision`'s for the same seed (the same copies, the same step).
    @Test func serveSamplesFromTheReducedCopies() throws {
        let listener = try ServeAPITests.listen { $0.precision = .int8 }
        defer { listener.stop() }
        let answer = try ServeAPITests.generate(listener.port, #"{"prime":"the","length":80,"seed":4,"temperature":0.7}"#)
        let served = ServeAPITests.samples(answer).first?["text"] as? String
        let sampled = try Binary.run(["sample", "--prime", "the", "--length", "80", "--seed", "4", "--temp", "0.7", "--no-echo",
                                      "--json", "--precision", "int8"] + run, in: dir)
        #expect(sampled.status == 0, "\(sampled.stderr)")
        let printed = try object(sampled.stdout)["text"] as? String
        #expect(served != nil && served == printed, "served \(served ?? "nil") vs sampled \(printed ?? "nil")")
        // In process too: a Sampler with int8 copies writes the same text.
        let sampler = Sampler(checkpoint: try Checkpoint.read(from: ServeAPITests.checkpointPath), precision: .int8)
        #expect(sampler.model.weightPrecision == .int8)
    }

    /// `serve --precision` names the precision in its start line only when a model that writes text uses it,
    /// and says in one line which models stay fp32.
    @Test func serveSaysWhichModelsUseThePrecision() throws {
        let translationOnly = try ServeCommandTests.ServeProcess(["--checkpoint", ToyPairs.checkpoint, "--port", "0", "--precision", "bf16"])
        _ = try translationOnly.port()
        kill(translationOnly.process.processIdentifier, SIGINT)
        #expect(translationOnly.exitStatus() == 0)
        let alone = translationOnly.errorOutput
        #expect(alone.contains("--precision bf16 applies to the models that write text; run runs in fp32"), "\(alone)")
        #expect(!alone.contains("bf16 weights"), "\(alone)")

        let both = try ServeCommandTests.ServeProcess(["--checkpoint", "checkpoints/run", "--checkpoint", ToyPairs.checkpoint,
                                                       "--port", "0", "--precision", "int8"])
        _ = try both.port()
        kill(both.process.processIdentifier, SIGINT)
        #expect(both.exitStatus() == 0)
        #expect(both.errorOutput.contains("; int8 weights); Ctrl-C to stop") && both.errorOutput.contains("run-2 runs in fp32"),
                "\(both.errorOutput)")
    }
}
