import ArgumentParser
import Checkpoints
import Foundation
import RNN
import SafeTensors
import Sampler
import Tensor
import Tokenizer
import Training

// `charrnn eval` of a translation model (train --task translate): exact match and character error
// rate of its translations of the run's test split, beside copying the source (issue 25).
extension EvalCommand {
    func runTranslation(path: String, checkpoint: Checkpoint, options stored: TrainingOptions?) throws {
        guard file.count == 1 else { throw failure("a translation model scores one pairs file (got \(file.count) paths)") }
        if batchSize != nil || seqLength != nil {
            throw failure("--batch-size and --seq-length apply to models of one text; a translation model reads whole pairs")
        }
        let options = stored ?? TrainingOptions()
        let data: PairedData
        do { data = try PairedData.read(path: file[0]) } catch { throw failure(error) }
        let translator = Translator(checkpoint: checkpoint)
        let kind: String
        let indices: [Int]
        if all {
            kind = "all"
            indices = Array(data.pairs.indices)
        } else {
            let split: LabelledSplit
            do {
                split = try LabelledSplit(count: data.pairs.count, validationFraction: options.validationFraction,
                                          testFraction: options.testFraction, seed: options.seed)
            } catch { throw failure("\(file[0]): \(error)") }
            kind = split.test.isEmpty ? "validation" : "test"
            indices = split.test.isEmpty ? split.validation : split.test
        }
        // Both sides in the model's vocabulary; a pair with a character it never saw is left out.
        var sources: [[Int32]] = [], targets: [[Int32]] = [], unreadable = 0
        for i in indices {
            let pair = data.pairs[i]
            guard let s = try? translator.encode(pair.source), let t = try? translator.encode(pair.target) else { unreadable += 1; continue }
            sources.append(s)
            targets.append(t)
        }
        if unreadable > 0 { note("\(unreadable) pair\(unreadable == 1 ? "" : "s") with characters the model never saw left out") }
        guard !sources.isEmpty else { throw failure("\(file[0]): no pair to score in the \(kind) split") }
        let markers = checkpoint.vocabulary.documentMarkers!
        let loss = TranslationTrainer.evaluate(model: translator.model, set: PairSet(sources: sources, targets: targets),
                                               batchSize: options.batchSize, markers: DocumentMarkersIDs(start: markers.start, end: markers.end)).loss
        var model = TranslationScore(), copy = TranslationScore()
        let width = beam ?? 1
        let longest = targets.map(\.count).max() ?? 0
        for (s, t) in zip(sources, targets) {
            let out: Translator.Translation
            do { out = try translator.translate(s, beam: width, maxLength: max(2 * longest + 10, Translator.defaultMaxLength)) } catch {
                throw failure("\(error)")
            }
            model.add(output: out.ids, reference: t)
            copy.add(output: s, reference: t)
        }
        let decoding = width == 1 ? "greedy" : "beam \(width)"
        if json {
            print("{\"file\":\(JSONStringEscaper.quoted(file[0])),\"checkpoint\":\(JSONStringEscaper.quoted(path)),\"split\":\"\(kind)\","
                  + "\"pairs\":\(model.pairs),\"beam\":\(width),\"exact_match\":\(model.exactMatch),\"cer\":\(model.characterErrorRate),"
                  + "\"loss\":\(loss),\"copy\":{\"exact_match\":\(copy.exactMatch),\"cer\":\(copy.characterErrorRate)}}")
        } else {
            print("\(file[0]), \(all ? "every pair" : "\(kind) split of the run") (\(model.pairs) pairs\(all ? "" : ", random, seed \(options.seed)")):")
            print(String(format: "model (%@): exact match %.2f%% (%d of %d), character error rate %.2f%%, loss %.4f nats/char",
                         decoding, 100 * model.exactMatch, model.exact, model.pairs, 100 * model.characterErrorRate, loss))
            print(String(format: "copy the source: exact match %.2f%%, character error rate %.2f%%",
                         100 * copy.exactMatch, 100 * copy.characterErrorRate))
        }
    }
}
