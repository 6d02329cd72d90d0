import Checkpoints
import Foundation
import Tensor

/// A trainer of whole texts or pairs (`LabelledTrainer`, `TranslationTrainer`): what differs between
/// them — how an epoch's batches are drawn, one optimizer step, the scores, the checkpoint — and
/// where the run stands, which `runWholeTexts` (the one loop of both) reads and moves on.
protocol WholeTextTraining: AnyObject {
    var options: TrainingOptions { get }
    var directory: RunDirectory { get }
    var iteration: Int { get set }                  // completed optimizer steps
    var epoch: Int { get set }                      // completed epochs
    var batchIndex: Int { get set }                 // next batch within the epoch
    var rng: SplitMix64 { get set }                 // dropout masks, and the next epoch's order
    var epochRNG: SplitMix64 { get set }            // `rng` as it was when this epoch's order was drawn
    var bestValidation: Double? { get set }
    var history: [(iteration: Int, loss: Double)] { get set }
    var elapsedBefore: Double { get set }           // seconds trained by earlier sessions

    /// One epoch's batches (indices into the training set), drawn from `rng`.
    func epochOrder(_ rng: inout SplitMix64) -> [ArraySlice<Int>]
    /// What the run reports first, given the order its first (or resumed) epoch draws.
    func started(firstOrder: [ArraySlice<Int>], plannedIterations: Int?) -> LabelledStart
    /// One optimizer step on the batch of these indices: its loss and the characters it read. A loss or
    /// gradient that is not finite throws before the weights change.
    func trainBatch(_ indices: ArraySlice<Int>, learningRate: Float) throws(TrainingError) -> (loss: Float, characters: Int)
    /// The scores of the validation and test sets (nil when the set is empty).
    func evaluateValidation() -> LabelledEvaluation?
    func evaluateTest() -> LabelledEvaluation?
    /// A `train.jsonl` eval record's fields besides the loss (a classifier's accuracy).
    func evalRecordExtras(_ v: LabelledEvaluation) -> [String: JSONValue]
    /// The loss past which the run has diverged (`DivergenceLimit`), training or validation, and its unit.
    var divergence: (limit: Float, unit: String) { get }
    /// The checkpoint of the run as it stands, after `elapsed` seconds of this session.
    func makeCheckpoint(elapsed: Double) throws(TrainingError) -> Checkpoint
}

extension WholeTextTraining {
    /// Takes up where a resumed run stood (nothing for a new run).
    func continueFrom(_ point: ResumePoint?) {
        guard let p = point else { return }
        iteration = p.iteration; epoch = p.epoch; batchIndex = p.batchIndex
        bestValidation = p.bestValidation; history = p.history; elapsedBefore = p.elapsedBefore
    }

    /// Trains until the budget (epochs, iterations, time) ends or `shouldStop` says so; saves
    /// `latest` (and `best`) at every evaluation and at the end, then scores the test set
    /// (not after Ctrl-C: saved, then out).
    func runWholeTexts(report: (LabelledEvent) -> Void, shouldStop: () -> Bool) throws(TrainingError) -> LabelledSummary {
        var preview = batchIndex == 0 ? rng : epochRNG
        let first = epochOrder(&preview)
        let batchesPerEpoch = first.count
        let epochs = options.epochBudget
        let planned = [options.maxIterations, epochs.map { $0 * batchesPerEpoch }].compactMap { $0 }.min()
        let schedule = Trainer.resolve(options.schedule, options: options, iterationsPerEpoch: batchesPerEpoch)
        let start = started(firstOrder: first, plannedIterations: planned)
        report(.started(start))
        try? directory.appendLog(["type": .string("start"), "iter": .int(iteration), "precision": .string(start.precision.rawValue),
                                  "kernels": .string(start.kernels), "threads": .int(Parallel.threadCount)])
        let began = Date()
        var ending: TrainingSummary.Ending = .epochs
        var progress = StepProgress(start: began)
        var lastEvaluation: LabelledEvaluation? = nil
        training: while true {
            if let e = epochs, epoch >= e { ending = .epochs; break }
            // A new epoch draws its order from `rng`; a resumed one draws it again from where it was drawn.
            if batchIndex == 0 { epochRNG = rng }
            var drawing = epochRNG
            let order = epochOrder(&drawing)
            if batchIndex == 0 { rng = drawing }
            for (index, indices) in order.enumerated() where index >= batchIndex {
                let (stop, elapsed) = progress.ending(iteration: iteration, options: options, shouldStop: shouldStop)
                if let stop { ending = stop; break training }
                let rate = schedule.learningRate(base: options.learningRate, iteration: iteration, elapsed: elapsed)
                let (loss, characters) = try trainBatch(indices, learningRate: rate)
                iteration += 1
                batchIndex = index + 1
                progress.record(loss: loss, characters: characters, iteration: iteration,
                                epoch: Double(epoch) + Double(index + 1) / Double(order.count), logEvery: options.logEvery,
                                directory: directory, report: report)
                if iteration % options.evalEvery == 0 {
                    lastEvaluation = try evaluateAndSave(report: report, elapsed: Date().timeIntervalSince(began))
                }
            }
            epoch += 1
            batchIndex = 0
        }
        let seconds = Date().timeIntervalSince(began)
        if lastEvaluation == nil || iteration % options.evalEvery != 0 {
            lastEvaluation = try evaluateAndSave(report: report, elapsed: seconds)
        }
        let test = ending != .interrupted ? evaluateTest() : nil
        return LabelledSummary(ending: ending, iterations: iteration, epoch: Double(iteration) / Double(max(batchesPerEpoch, 1)),
                               seconds: seconds, bestValidation: bestValidation, finalValidation: lastEvaluation, test: test,
                               latest: directory.latest, best: directory.savedBest)
    }

    /// Scores the validation set (a new best is remembered, logged and reported), then saves `best`
    /// when it improved (or when there is nothing to score), then `latest`. A validation loss past the
    /// divergence limit (or not finite) stops the run instead, and the weights it scored are not saved.
    private func evaluateAndSave(report: (LabelledEvent) -> Void, elapsed: Double) throws(TrainingError) -> LabelledEvaluation? {
        let v = evaluateValidation()
        var improved = false
        if let v {
            let (limit, unit) = divergence
            if DivergenceLimit.stops(Float(v.loss), limit: limit) {
                throw .diverged(iteration: iteration, detail: DivergenceLimit.detail(Float(v.loss), limit: limit, unit: unit, of: "validation loss"),
                                lastGood: directory.lastGood)
            }
            improved = bestValidation.map { v.loss < $0 } ?? true
            if improved { bestValidation = v.loss }
            history.append((iteration, v.loss))
            report(.evaluated(iteration: iteration, validation: v, improved: improved))
            let record: [String: JSONValue] = ["type": .string("eval"), "iter": .int(iteration), "val_loss": .number(v.loss),
                                               "elapsed": .number(elapsed)]
            try? directory.appendLog(record.merging(evalRecordExtras(v)) { a, _ in a })
        }
        let checkpoint = try makeCheckpoint(elapsed: elapsed)
        // `best` before `latest`: `latest` records this loss as the run's best, and a resumed run rewrites
        // `best` only on a lower one, so were `best` to fail after it (a full disk) these weights would be lost.
        for path in improved || v == nil ? [directory.best, directory.latest] : [directory.latest] {
            do { try checkpoint.write(to: path) } catch { throw .checkpoint("could not save \(path): \(error)") }
            report(.saved(path: path))
        }
        return v
    }
}

/// Where a whole-text run begins (`LabelledTrainer`, `TranslationTrainer`): a new run, its weights drawn
/// from `options.seed`, or the run of `resume` exactly where it stood (optimizer, random states, counters);
/// either way its directory claimed and its id.
struct WholeTextStart {
    var point: ResumePoint?
    var rng: SplitMix64
    var epochRNG: SplitMix64
    var directory: RunDirectory
    var runID: String

    /// `initialize` draws new weights from the generator it is given; `restore` sets the checkpoint's.
    init(options: TrainingOptions, resume: Checkpoint?, resumeSource: String?, checkpointDirectory: String, overwrite: Bool,
         parameterCount: Int, batchesPerEpoch: @autoclosure () -> Int, optimizer: inout Optimizer,
         initialize: (inout SplitMix64) -> Void, restore: ([Float]) -> Void) throws(TrainingError) {
        rng = SplitMix64(seed: options.seed)
        epochRNG = rng
        if let resume {
            let p = try ResumePoint(resume, optimizer: &optimizer, batchesPerEpoch: batchesPerEpoch())
            guard let e = resume.training[CheckpointLayout.Training.epochRNG].flatMap(UInt64.init) else {
                throw .resumeMismatch("training state epoch_rng is missing")
            }
            restore(resume.parameters)
            point = p
            rng = p.rng
            epochRNG = SplitMix64(seed: e)
        } else {
            initialize(&rng)
        }
        directory = try RunDirectory(path: checkpointDirectory, checkpointBytes: 4 * 3 * parameterCount + 65536)
        let resumedID = resume?.training[CheckpointLayout.Training.runID]
        let claim: RunDirectory.Claim = resume == nil ? .newRun(overwrite: overwrite)
            : .continueRun(runID: resumedID, source: resumeSource ?? directory.latest)
        if try directory.claim(claim) { directory.clearRun() }
        let id = String(UInt64.random(in: 1...UInt64.max), radix: 16)
        runID = resumedID ?? String(repeating: "0", count: 16 - id.count) + id
    }
}
