import Checkpoints
import Foundation
import RNN
import SafeTensors
import Testing
import Tokenizer

/// `--min-count` / `--max-vocab`: rare characters fold into <unk>, which sampling never emits.
@Suite struct FoldingCLITests {
    @Test func vocabListsWhatFoldedWithExactCounts() throws {
        // Counts: "a" 4, " " 3, "b" 3, "c" 2, "\n" 1, "d" 1, "é" 1.
        try inTextTree(["c.txt": Array("aaaa bbb cc dé\n".utf8)]) { dir in
            let r = try Binary.run(["vocab", "c.txt", "--min-count", "2"], in: dir)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.split(separator: "\n").map(String.init) == [
                "0  \" \"  3",
                "1  \"a\"  4",
                "2  \"b\"  3",
                "3  \"c\"  2",
                "4  <unk>  3",
                "15 characters, 5 distinct, 16 bytes (grapheme mode, NFC)",
                "folded 3 distinct characters (3 occurrences) into <unk> (--min-count 2)",
            ])
            let json = try Binary.run(["vocab", "c.txt", "--max-vocab", "2", "--json"], in: dir)
            let object = try #require(try JSONSerialization.jsonObject(with: json.stdoutBytes) as? [String: Any])
            #expect(object["tokens"] as? [String] == [" ", "a", "<unk>"])   // " " and "b" tie at 3: U+0020 first
            #expect(object["counts"] as? [Int] == [3, 4, 8])
            #expect(object["unknown_id"] as? Int == 2)
            #expect(object["folded_characters"] as? Int == 5)
            #expect(object["folded_occurrences"] as? Int == 8)
            let plain = try Binary.run(["vocab", "c.txt", "--json"], in: dir)
            #expect(!plain.stdout.contains("unknown_id") && !plain.stdout.contains("folded"))
            expectOneLineFailure(try Binary.run(["vocab", "c.txt", "--min-count", "5"], in: dir), mentioning: "--min-count 5 leaves no character")
            let bad = try Binary.run(["vocab", "c.txt", "--min-count", "0"], in: dir)
            #expect(bad.status == 64 && bad.stderr.contains("--min-count must be at least 1"), "\(bad.stderr)")
        }
    }

    @Test func aFoldingRunSizesTheModelAndEveryCommandFollowsItsPolicy() throws {
        try inTextTree(["c.txt": Array(Fixtures.corpusText.utf8), "new.txt": Array("the cat жжж sat on a mat.\n".utf8)]) { dir in
            let vocab = try Binary.run(["vocab", "c.txt", "--max-vocab", "6", "--json"], in: dir)
            let figures = try #require(try JSONSerialization.jsonObject(with: vocab.stdoutBytes) as? [String: Any])
            let folded = try #require(figures["folded_characters"] as? Int), occurrences = try #require(figures["folded_occurrences"] as? Int)
            #expect(folded > 0 && occurrences > 0)

            let r = try Binary.run(["train", "c.txt", "--max-vocab", "6", "--max-iters", "3", "--checkpoint-dir", "run"] + tinyModel, in: dir)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.contains("vocabulary: folded \(folded) distinct characters (\(occurrences) occurrences) into <unk> (--max-vocab 6); 7 ids with <unk>"),
                    "\(r.stdout)")
            let path = dir.appendingPathComponent("run/latest.safetensors").path
            let checkpoint = try Checkpoint.read(from: path)
            #expect(checkpoint.vocabulary.count == 7 && checkpoint.vocabulary.unknownID == 6 && checkpoint.config.vocabularySize == 7)
            #expect(try SafeTensorsFile.read(path: path)["head.weight"]?.shape == [7, 8])
            #expect(try SafeTensorsFile.read(path: path)["rnn.weight_ih_l0"]?.shape == [32, 7])
            let kept = Set(checkpoint.vocabulary.tokens.dropLast())

            let info = try Binary.run(["info", "run"], in: dir)
            #expect(info.stdout.contains("folding:    folded \(folded) distinct characters (\(occurrences) occurrences) into <unk> (--max-vocab 6); <unk> is id 6"))
            let infoJSON = try #require(try JSONSerialization.jsonObject(with: try Binary.run(["info", "run", "--json"], in: dir).stdoutBytes) as? [String: Any])
            let folding = try #require(infoJSON["folding"] as? [String: Any])
            #expect(folding["max_vocab"] as? Int == 6 && folding["unknown_id"] as? Int == 6 && folding["folded_occurrences"] as? Int == occurrences)

            // Sampling: prime characters the model lacks read as <unk>; nothing generated is a folded character.
            let prime = "ж" + (checkpoint.vocabulary.tokens.first { $0 != "\n" } ?? "")
            let sample = try Binary.run(["sample", "--checkpoint", "run", "--prime", prime, "--no-echo", "--length", "300", "--seed", "2"], in: dir)
            #expect(sample.status == 0, "\(sample.stderr)")
            #expect(sample.stderr.contains("read 1 distinct prime character outside the vocabulary as <unk>: \"ж\""), "\(sample.stderr)")
            let generated = sample.stdout.dropLast()   // the closing line break
            #expect(generated.count == 300)
            #expect(generated.allSatisfy { kept.contains(String($0)) }, "\(generated)")

            // Eval counts the characters outside the vocabulary and scores them as <unk>.
            let newText = "the cat жжж sat on a mat.\n"
            let unknown = newText.filter { !kept.contains(String($0)) }.count
            let eval = try Binary.run(["eval", "new.txt", "--checkpoint", "run", "--batch-size", "1"], in: dir)
            #expect(eval.status == 0, "\(eval.stderr)")
            #expect(eval.stdout.contains("over \(newText.count - 1) characters; \(unknown) unknown, read as <unk>"), "\(eval.stdout)")
            let evalJSON = try #require(try JSONSerialization.jsonObject(
                with: try Binary.run(["eval", "new.txt", "--checkpoint", "run", "--json"], in: dir).stdoutBytes) as? [String: Any])
            #expect(evalJSON["unknown"] as? Int == unknown && evalJSON["skipped"] as? Int == 0)

            // Fine-tuning on a text with characters the vocabulary lacks keeps the policy.
            let tuned = try Binary.run(["train", "new.txt", "--init-from", path, "--max-iters", "2", "--checkpoint-dir", "tuned",
                                        "--batch-size", "1", "--seq-length", "8"], in: dir)
            #expect(tuned.status == 0, "\(tuned.stderr)")
            let fineTuned = try Checkpoint.read(from: dir.appendingPathComponent("tuned/latest.safetensors").path)
            #expect(fineTuned.vocabulary == checkpoint.vocabulary)
            #expect(fineTuned.folding?.foldedOccurrences == unknown)

            // The policy is the run's: --init-from cannot change it, and resume cannot either.
            let refused = try Binary.run(["train", "new.txt", "--init-from", path, "--min-count", "2"], in: dir)
            #expect(refused.status == 64 && refused.stderr.contains("--init-from keeps the checkpoint's vocabulary"), "\(refused.stderr)")
            expectOneLineFailure(try Binary.run(["train", "c.txt", "--resume", "--max-vocab", "7", "--checkpoint-dir", "run"], in: dir),
                                 mentioning: "cannot resume with different settings")
        }
    }
}
