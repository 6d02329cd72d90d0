import Checkpoints
import Foundation
import Testing

@Suite struct SampleCommandTests {
    let dir = Fixtures.trained
    let run = ["--checkpoint", "checkpoints/run"]

    @Test func sameSeedSameTextOtherSeedOtherText() throws {
        let a = try Binary.run(["sample", "--seed", "5", "--length", "200"] + run, in: dir)
        let b = try Binary.run(["sample", "--seed", "5", "--length", "200"] + run, in: dir)
        let c = try Binary.run(["sample", "--seed", "6", "--length", "200"] + run, in: dir)
        #expect(a.status == 0, "\(a.stderr)")
        #expect(a.stdout == b.stdout)
        #expect(a.stdout != c.stdout)
    }

    @Test func threadCountDoesNotChangeTheText() throws {
        let one = try Binary.run(["sample", "--seed", "9", "--length", "300", "--json", "--threads", "1"] + run, in: dir)
        let two = try Binary.run(["sample", "--seed", "9", "--length", "300", "--json", "--threads", "2"] + run, in: dir)
        #expect(one.status == 0, "\(one.stderr)")
        #expect(one.stdout == two.stdout)  // text and mean log-probability (large models: see RNNTests.StepThreadsTests)
    }

    @Test func negativeTemperatureIsRefusedByName() throws {
        for form in [["--temp", "-1"], ["--temp=-1"]] {
            let r = try Binary.run(["sample"] + form + run, in: dir)
            #expect(r.status != 0)
            #expect(r.stderr.contains("temperature"), "\(form): \(r.stderr)")
        }
    }

    @Test func lengthCountsGeneratedCharactersNotThePrime() throws {
        let r = try Binary.run(["sample", "--seed", "1", "--length", "40", "--prime", "the café", "--json"] + run, in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(object["characters"] as? Int == 40)
        #expect((object["text"] as? String)?.count == 40)  // graphemes: Swift's Character is a grapheme cluster
        #expect(object["prime"] as? String == "the café")
        #expect(object["seed"] as? Int == 1)
        #expect(object["mean_log_prob"] is Double)
        let plain = try Binary.run(["sample", "--seed", "1", "--length", "40", "--prime", "the café"] + run, in: dir)
        #expect(plain.stdout.hasPrefix("the café"))
        #expect(plain.stdout.count == "the café".count + 40 + 1)  // and a final newline
        let quiet = try Binary.run(["sample", "--seed", "1", "--length", "40", "--prime", "the café", "--no-echo"] + run, in: dir)
        #expect(quiet.stdout.count == 41)
        #expect(plain.stdout.hasSuffix(quiet.stdout))
    }

    @Test func unknownPrimeCharactersAreListedOrSkipped() throws {
        let bad = try Binary.run(["sample", "--prime", "the Ωmega ж"] + run, in: dir)
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("Ω") && bad.stderr.contains("ж") && bad.stderr.contains("--unknown skip"))
        #expect(bad.stdout.isEmpty)
        let skipped = try Binary.run(["sample", "--prime", "the Ωmega", "--unknown", "skip", "--length", "10", "--seed", "2"] + run, in: dir)
        #expect(skipped.status == 0, "\(skipped.stderr)")
        #expect(skipped.stderr.contains("skipped"))
        #expect(skipped.stdout.hasPrefix("the mega"))
    }

    @Test func greedyIsDeterministicWhateverTheSeed() throws {
        let a = try Binary.run(["sample", "--argmax", "--seed", "1", "--length", "50"] + run, in: dir)
        let b = try Binary.run(["sample", "--temp", "0", "--seed", "99", "--length", "50"] + run, in: dir)
        #expect(a.status == 0 && a.stdout == b.stdout)
    }

    @Test func stopStringEndsTheSample() throws {
        let r = try Binary.run(["sample", "--stop", ".", "--length", "500", "--seed", "4", "--no-echo"] + run, in: dir)
        #expect(r.status == 0)
        let text = String(r.stdout.dropLast())  // the closing newline
        #expect(text.hasSuffix("."))
        #expect(text.filter { $0 == "." }.count == 1)
    }

    /// Several --stop strings: the sample is the unstopped one cut at the first of them it meets.
    @Test func severalStopStringsEndAtTheFirstMet() throws {
        let free = try Binary.run(["sample", "--length", "500", "--seed", "4", "--no-echo"] + run, in: dir)
        let text = String(free.stdout.dropLast())
        let stops = [".", ",", "th"]
        let cut = try #require(stops.compactMap { s in text.range(of: s).map { text[..<$0.upperBound] } }.min { $0.count < $1.count })
        var flags = ["sample", "--length", "500", "--seed", "4", "--no-echo"] + run
        for s in stops { flags += ["--stop", s] }
        let r = try Binary.run(flags, in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == cut + "\n")
    }

    @Test func topKAndTopPAndCount() throws {
        let k1 = try Binary.run(["sample", "--top-k", "1", "--length", "60", "--seed", "1"] + run, in: dir)
        let greedy = try Binary.run(["sample", "--argmax", "--length", "60"] + run, in: dir)
        #expect(k1.stdout == greedy.stdout)  // top-1 is greedy
        let p = try Binary.run(["sample", "--top-p", "0.5", "--length", "60", "--seed", "1"] + run, in: dir)
        #expect(p.status == 0)
        let two = try Binary.run(["sample", "--count", "2", "--length", "30", "--seed", "1", "--json"] + run, in: dir)
        #expect(two.stdout.split(separator: "\n").count == 2)
        let plainTwo = try Binary.run(["sample", "--count", "2", "--length", "30", "--seed", "1"] + run, in: dir)
        #expect(plainTwo.stdout.contains("sample 2 of 2"))
    }

    @Test func newestCheckpointIsUsedWhenNoneIsNamedAndNamedOnStderr() throws {
        let r = try Binary.run(["sample", "--length", "20", "--seed", "1"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("checkpoints/run/"))
        #expect(!r.stdout.contains("checkpoints"))  // stdout holds only text
    }

    @Test func noCheckpointAnywhereSaysHowToTrainOne() throws {
        let empty = try Binary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: empty) }
        let r = try Binary.run(["sample"], in: empty)
        #expect(r.status != 0)
        #expect(r.stderr.contains("charrnn train"))
    }

    @Test(arguments: [
        ["sample", "--temp", "-1"], ["sample", "--temp", "nan"], ["sample", "--top-p", "0"], ["sample", "--top-p", "1.5"],
        ["sample", "--top-k", "0"], ["sample", "--length", "-3"], ["sample", "--threads", "0"], ["sample", "--checkpoint", "corpus.txt"],
        ["sample", "--checkpoint", "nowhere.safetensors"], ["sample", "--prime-file", "missing.txt"],
        ["eval", "corpus.txt", "--checkpoint", "corpus.txt"], ["info", "corpus.txt"], ["eval", "missing.txt"],
    ])
    func badInputIsAnErrorNotACrash(arguments: [String]) throws {
        let r = try Binary.run(arguments + (arguments.contains("--checkpoint") || arguments[0] == "info" ? [] : run), in: dir)
        #expect(r.status != 0)
        #expect(!r.stderr.isEmpty)
        #expect(r.stdout.isEmpty)
        #expect(!r.stderr.contains("Fatal error"))
    }

    @Test func futureFormatVersionIsRefused() throws {
        let source = dir.appendingPathComponent("checkpoints/run/latest.safetensors")
        var bytes = [UInt8](try Data(contentsOf: source))
        let header = String(decoding: bytes[8..<(8 + Int(bytes[0]) + Int(bytes[1]) << 8 + Int(bytes[2]) << 16)], as: UTF8.self)
        let range = try #require(header.range(of: "\"format_version\":\"\(Checkpoint.formatVersion)\""))
        let offset = 8 + header.utf8.distance(from: header.startIndex, to: range.lowerBound) + "\"format_version\":\"".utf8.count
        bytes[offset] = UInt8(ascii: "9")
        let future = dir.appendingPathComponent("future.safetensors")
        try Data(bytes).write(to: future)
        let r = try Binary.run(["sample", "--checkpoint", "future.safetensors"], in: dir)
        #expect(r.status != 0)
        #expect(r.stderr.contains("newer"), "\(r.stderr)")
    }
}

@Suite struct EvalInfoCommandTests {
    let dir = Fixtures.trained

    @Test func evalReportsNatsBitsAndPerplexity() throws {
        let r = try Binary.run(["eval", "corpus.txt", "--checkpoint", "checkpoints/run", "--json"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let o = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let loss = try #require(o["loss"] as? Double)
        let bpc = try #require(o["bits_per_char"] as? Double)
        let ppl = try #require(o["perplexity"] as? Double)
        #expect(abs(bpc - loss / log(2)) < 1e-9)
        #expect(abs(ppl - exp(loss)) < 1e-6)
        #expect(loss > 0 && loss < 3)
        #expect(o["skipped"] as? Int == 0)
    }

    @Test func evalCountsAndSaysOutOfVocabularyCharacters() throws {
        try "the cat sat on the Ωmat. the dog ran ж.\n".write(to: dir.appendingPathComponent("odd.txt"), atomically: true, encoding: .utf8)
        let r = try Binary.run(["eval", "odd.txt", "--checkpoint", "checkpoints/run", "--json"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let o = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(o["skipped"] as? Int == 2)
        #expect(r.stderr.contains("skipped 2"))
    }

    /// The defect: with one stream, the last partial window was dropped (1,980 of 2,000 at T = 20).
    @Test func evalWithOneStreamScoresEveryCharacter() throws {
        let text = String(repeating: "the cat sat on a mat and the dog ran.\n", count: 60)  // 38 × 60 = 2,280 characters
        try text.write(to: dir.appendingPathComponent("every.txt"), atomically: true, encoding: .utf8)
        let r = try Binary.run(["eval", "every.txt", "--checkpoint", "checkpoints/run", "--batch-size", "1",
                                "--seq-length", "20", "--json"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let o = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(o["characters"] as? Int == text.count - 1)
    }

    @Test func infoDescribesTheCheckpoint() throws {
        let r = try Binary.run(["info", "checkpoints/run"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("lstm"))
        #expect(r.stdout.contains("60 iterations"))
        let j = try Binary.run(["info", "checkpoints/run", "--json"], in: dir)
        let o = try #require(try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [String: Any])
        #expect(o["hidden"] as? Int == 32)
        #expect(o["layers"] as? Int == 1)
        #expect((o["vocabulary"] as? [String])?.contains("🙂") == true)
        #expect(o["iterations"] as? Int == 60)
    }
}
