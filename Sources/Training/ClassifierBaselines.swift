import Tokenizer

/// What a classifier must beat on a split (the seeds' baseline metrics): the
/// majority class and naive Bayes over character n-grams of orders 1 to 3,
/// both fitted on the training split and scored on the split asked for.
public struct ClassifierBaselines: Sendable {
    /// Always the most frequent training label.
    public let majority: ClassificationReport
    /// `NaiveBayesBaseline` with its defaults (orders 1...3, α = 1).
    public let naiveBayes: ClassificationReport

    /// - Parameters:
    ///   - corpus: the labelled texts as ids.
    ///   - split: which examples train and which are scored.
    ///   - kind: the split scored (the test split by default).
    public init(corpus: LabelledCorpus, split: LabelledSplit, scoring kind: SplitKind = .test) {
        let labels = corpus.labelIDs
        let k = corpus.labels.count
        let training = split.training, scored = split[kind]
        let truth = scored.map { labels[$0] }
        let majority = MajorityClassBaseline(trainingLabels: training.map { labels[$0] }, labelCount: k)
        self.majority = ClassificationReport(truth: truth, predicted: scored.map { _ in majority.predict() }, labels: corpus.labels)
        let bayes = NaiveBayesBaseline(texts: training.map { corpus.ids[$0] }, labels: training.map { labels[$0] }, labelCount: k)
        naiveBayes = ClassificationReport(truth: truth, predicted: scored.map { bayes.predict(corpus.ids[$0]) }, labels: corpus.labels)
    }
}
