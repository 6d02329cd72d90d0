import Foundation
import Testing
import Tokenizer
import Training

/// The majority class and naive Bayes over character n-grams: scores by hand, a separable set, the split's report.
@Suite struct ClassifierBaselinesTests {
    func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) < 1e-12 }

    @Test func theMajorityIsTheMostFrequentTrainingLabelTheLowestAmongEquals() {
        #expect(MajorityClassBaseline(trainingLabels: [2, 0, 2, 1], labelCount: 3).predict() == 2)
        #expect(MajorityClassBaseline(trainingLabels: [1, 1, 0, 2, 2], labelCount: 3).predict() == 1)
        #expect(MajorityClassBaseline(trainingLabels: [], labelCount: 3).predict() == 0)
    }

    @Test func unigramScoresByHand() {
        // Class 0 read "aab", class 1 read "b" (a = 0, b = 1): F = 2 features, n_0 = 3, n_1 = 1, α = 1.
        let nb = NaiveBayesBaseline(texts: [[0, 0, 1], [1]], labels: [0, 1], labelCount: 2, orders: 1...1)
        let half = log(0.5)
        let a = nb.scores([0])
        #expect(close(a[0], half + log(3.0 / 5)) && close(a[1], half + log(1.0 / 3)))
        let bc = nb.scores([1, 2])   // c (2) was never seen: left out
        #expect(close(bc[0], half + log(2.0 / 5)) && close(bc[1], half + log(2.0 / 3)))
        #expect(nb.predict([0]) == 0 && nb.predict([1, 2]) == 1)
    }

    @Test func bigramsCountInsideTheText() {
        // Class 0 read "ab", class 1 read "bb": features a, b, ab, bb (F = 4); n_0 = n_1 = 3.
        let nb = NaiveBayesBaseline(texts: [[0, 1], [1, 1]], labels: [0, 1], labelCount: 2, orders: 1...2)
        let s = nb.scores([0, 1])   // a, b, ab
        #expect(close(s[0], log(0.5) + 3 * log(2.0 / 7)))
        #expect(close(s[1], log(0.5) + log(1.0 / 7) + log(3.0 / 7) + log(1.0 / 7)))
    }

    @Test func priorsComeFromTrainingCountsAndEqualScoresGoToTheLowestLabel() {
        let nb = NaiveBayesBaseline(texts: [[0], [0], [0]], labels: [1, 0, 1], labelCount: 2)
        #expect(close(nb.logPriors[0], log(1.0 / 3)) && close(nb.logPriors[1], log(2.0 / 3)))
        #expect(nb.predict([5]) == 1)   // nothing known: the prior decides
        let tie = NaiveBayesBaseline(texts: [[0, 1], [0, 1]], labels: [0, 1], labelCount: 2)
        #expect(tie.predict([0, 1]) == 0)
    }

    /// Writes `lines` as a TSV file and reads it as a labelled corpus.
    func corpus(_ lines: [String]) throws -> LabelledCorpus {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("charrnn-nb-\(UUID().uuidString).tsv")
        try Data(lines.joined(separator: "\n").utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        return try LabelledCorpus(data: try LabelledData.read(path: url.path))
    }

    @Test func naiveBayesSeparatesASeparableSetAndTheMajorityDoesNot() throws {
        var rng = SplitMix64Shuffle(seed: 3)
        func word(_ letters: [Character]) -> String { String((0..<8).map { _ in letters[rng.below(letters.count)] }) }
        let lines = (0..<20).map { _ in "vowels\t" + word(["a", "e", "i", "o", "u"]) }
            + (0..<20).map { _ in "consonants\t" + word(["k", "t", "p", "s", "r"]) }
        let corpus = try corpus(lines)
        let split = try LabelledSplit(labels: corpus.labelIDs, validationFraction: 0.25, testFraction: 0.25, seed: 1)
        let baselines = ClassifierBaselines(corpus: corpus, split: split)
        #expect(baselines.naiveBayes.examples == 10 && baselines.naiveBayes.accuracy == 1 && baselines.naiveBayes.macroF1 == 1)
        // 10 training examples each: the majority is label 0 ("consonants"), right on half the test split.
        #expect(baselines.majority.confusion == [[5, 0], [5, 0]])
        #expect(baselines.majority.accuracy == 0.5)
        let validation = ClassifierBaselines(corpus: corpus, split: split, scoring: .validation)
        #expect(validation.naiveBayes.examples == 10 && validation.naiveBayes.accuracy == 1)
    }

    /// The language-identification set (`make corpora/langid.tsv`): naive Bayes on its stratified test split.
    static let langid = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("corpora/langid.tsv")

    @Test(.enabled(if: FileManager.default.fileExists(atPath: langid.path),
                   "corpora/langid.tsv is absent: make corpora/langid.tsv builds it"))
    func naiveBayesOnTheFortuneLanguages() throws {
        let corpus = try LabelledCorpus(data: try LabelledData.read(path: Self.langid.path))
        let split = try LabelledSplit(labels: corpus.labelIDs, seed: 1)
        let baselines = ClassifierBaselines(corpus: corpus, split: split)
        print("langid: \(corpus.labels.count) languages, \(corpus.ids.count) fortunes, test split \(split.test.count); "
              + "majority accuracy \(baselines.majority.accuracy), naive Bayes accuracy \(baselines.naiveBayes.accuracy), "
              + "macro-F1 \(baselines.naiveBayes.macroF1)\n" + baselines.naiveBayes.table)
        #expect(baselines.naiveBayes.accuracy > 0.8)   // far above chance (1/K): the baseline a classifier must beat
        #expect(baselines.majority.accuracy < 0.2)
    }
}
