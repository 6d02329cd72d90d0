import ArgumentParser
import Checkpoints
import Foundation
import RNN
import SafeTensors
import Tokenizer
import Training

// `charrnn eval --checkpoint RUN DATA` for a model trained on labelled texts (--task): the run's own
// stratified split of DATA (its seed and fractions), scored as the run scored it.
extension EvalCommand {
    /// The task of a checkpoint trained on labelled texts, or nil for a model of one text.
    static func labelledTask(_ checkpoint: Checkpoint, options: TrainingOptions?) -> LabelledTask? {
        if checkpoint.config.head == .classifier { return .classify }
        if checkpoint.config.input == .oneHotAndLabel { return .generate }
        if checkpoint.config.attention != nil { return .translate }
        // The model decides; the stored options only tell an unconditioned generator (a next-character model
        // of labelled texts) from a model of one text. A task no such model has (a damaged header) is not followed.
        return options?.task == .generate ? .generate : nil
    }

    func runLabelled(path: String, checkpoint: Checkpoint, task: LabelledTask, options stored: TrainingOptions?) throws {
        if task == .translate { return try runTranslation(path: path, checkpoint: checkpoint, options: stored) }
        if task == .classify, precisionOptions.precision == .int8 {
            throw failure("--precision int8 applies to models that generate (each step's activations are quantized); \(path) is a classifier, scored in fp32 or bf16")
        }
        guard file.count == 1 else { throw failure("a model trained with --task \(task.rawValue) scores one labelled data set (got \(file.count) paths)") }
        if batchSize != nil || seqLength != nil {
            throw failure("--batch-size and --seq-length apply to models of one text; a --task \(task.rawValue) model reads whole texts")
        }
        var options = stored ?? TrainingOptions()
        options.tokenizer = checkpoint.tokenizer
        let (corpus, split) = try LabelledRunData.read(path: file[0], options: options, task: task, vocabulary: checkpoint.vocabulary)
        // The data's labels as the model's ids (a label the model does not know cannot be scored).
        let modelLabels = checkpoint.labels
        var toModel: [Int32] = []
        for name in corpus.labels {
            if let names = modelLabels {
                guard let id = names.firstIndex(of: name) else {
                    throw failure("\(file[0]) has the label \(Vocabulary.displayForm(name)), which the model does not know (its labels: \(Vocabulary.displayList(names)))")
                }
                toModel.append(Int32(id))
            } else {
                toModel.append(Int32(toModel.count))   // an unconditioned generator: the labels only group the texts
            }
        }
        if !corpus.unknown.isEmpty {
            let n = corpus.unknown.values.reduce(0, +)
            note("\(n) character\(n == 1 ? "" : "s") outside the model's vocabulary \(checkpoint.vocabulary.unknownID != nil ? "read as \(Vocabulary.unknownToken)" : "left out") (\(corpus.unknown.count) distinct)")
        }
        let kind: SplitKind = split.test.isEmpty ? .validation : .test
        let indices = split[kind]
        guard !indices.isEmpty else { throw failure("\(file[0]): the run's split leaves no validation or test texts to score") }
        let set = LabelledSet(texts: indices.map { corpus.ids[$0] }, labels: indices.map { toModel[corpus.labelIDs[$0]] })
        let model = StackedRNN(config: checkpoint.config)
        model.parameters = checkpoint.parameters
        if task == .classify {
            // A classifier runs in fp32 everywhere else; bf16 weights are its rounded parameters, int8 has none.
            model.parameters = model.roundedParameters(precisionOptions.precision)
        } else {
            model.weightPrecision = precisionOptions.precision   // scored through the sampling step (`sample --label`)
        }
        let markers = checkpoint.vocabulary.documentMarkers.map { DocumentMarkersIDs(start: $0.start, end: $0.end) }
        let cap = options.maxTextLength ?? TrainingOptions.defaultMaxTextLength
        let names = modelLabels ?? corpus.labels
        let e = LabelledTrainer.evaluate(model: model, set: set, task: task, batchSize: options.batchSize, cap: cap,
                                         markers: markers, labelCount: names.count)
        switch task {
        case .translate:
            preconditionFailure("handled by runTranslation")
        case .classify:
            let report = ClassificationReport(truth: set.labels.map(Int.init), predicted: e.predictions.map(Int.init), labels: names)
            let baselines = ClassifierBaselines(corpus: corpus, split: split, scoring: kind)
            if json {
                print("{\"file\":\(JSONStringEscaper.quoted(file[0])),\"checkpoint\":\(JSONStringEscaper.quoted(path)),\"split\":\"\(kind.rawValue)\","
                      + "\"texts\":\(set.count),\"loss\":\(e.loss),\"model\":\(Checkpoint.json(report)),"
                      + "\"majority\":\(Checkpoint.json(baselines.majority)),\"naive_bayes\":\(Checkpoint.json(baselines.naiveBayes))}")
            } else {
                print("\(file[0]), \(kind.rawValue) split of the run (\(set.count) texts, stratified, seed \(options.seed)):")
                print(report.table)
                print(String(format: "loss %.4f nats/text", e.loss))
                print(String(format: "baselines fitted on the training split: majority class accuracy %.2f%% (macro-F1 %.4f); "
                             + "naive Bayes over character 1–3-grams accuracy %.2f%% (macro-F1 %.4f)",
                             100 * baselines.majority.accuracy, baselines.majority.macroF1,
                             100 * baselines.naiveBayes.accuracy, baselines.naiveBayes.macroF1))
            }
        case .generate:
            let perLabel = zip(corpus.labels, e.perLabelLoss.isEmpty ? [] : corpus.labels.indices.map { e.perLabelLoss[Int(toModel[$0])] })
            if json {
                let fields = perLabel.map { "\(JSONStringEscaper.quoted($0)):\($1.map { "\($0)" } ?? "null")" }.joined(separator: ",")
                print("{\"file\":\(JSONStringEscaper.quoted(file[0])),\"checkpoint\":\(JSONStringEscaper.quoted(path)),\"split\":\"\(kind.rawValue)\","
                      + "\"texts\":\(set.count),\"loss\":\(e.loss),\"per_label\":{\(fields)}}")
            } else {
                print(String(format: "%@, %@ split of the run (%d texts): %.4f nats/char over every character and each text's end",
                             file[0], kind.rawValue, set.count, e.loss))
                for (name, loss) in perLabel {
                    print("  " + Vocabulary.displayForm(name) + (loss.map { String(format: "  %.4f nats/char", $0) } ?? "  (no texts)"))
                }
            }
        }
    }
}
