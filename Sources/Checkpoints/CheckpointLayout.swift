/// Every name a charrnn checkpoint uses, written down once: the `__metadata__`
/// keys, the trainer's `training.<key>` entries, and the names of the tensors
/// besides the parameters (whose names are `ParameterLayout`'s). `Checkpoint`
/// writes and reads them; the trainer, `charrnn info` and the run directory
/// look entries up by these names. Tests spell them out literally, on purpose:
/// they pin the file format.
public enum CheckpointLayout {
    /// Keys of the safetensors `__metadata__`.
    public enum Metadata {
        public static let format = "format"                    // "charrnn"
        public static let formatVersion = "format_version"     // "2" ("1" before the model description)
        public static let model = "model"                      // ModelDescription as JSON, keys sorted
        /// Format version 1's model: `ModelConfig`'s own JSON, keys sorted. Read, never written.
        public static let formatOneConfig = "config"
        public static let vocabulary = "vocabulary"            // JSON array of the tokens in id order
        public static let tokenizer = "tokenizer"              // TokenizerSettings as JSON, keys sorted
        /// Only in checkpoints trained with --min-count / --max-vocab: `CheckpointFolding` as JSON, keys
        /// sorted (the policy, the unknown token's id, what folded). Absent: no unknown token, as before.
        public static let vocabularyFolding = "vocabulary_folding"
        /// Only in checkpoints trained with --documents: `CheckpointDocuments` as JSON, keys sorted (the
        /// mode and the ids of the "<s>" and "</s>" entries). Absent: one continuous stream, as before.
        public static let documents = "documents"
        /// Only in checkpoints of models with labels (a classifier's classes, a label-conditioned
        /// input's labels): JSON array of the label names in id order. Absent: a model without labels.
        public static let labels = "labels"
        /// `Checkpoint.training` entries are stored as `training.<key>`.
        public static let trainingPrefix = "training."
    }

    /// Keys of `Checkpoint.training`: what a resumed run needs besides the tensors.
    public enum Training {
        public static let options = "options"                  // TrainingOptions as JSON
        public static let iteration = "iteration"
        public static let epoch = "epoch"                      // completed epochs
        public static let batch = "batch"                      // next window within the epoch
        public static let rng = "rng"                          // SplitMix64 state
        public static let optimizerSteps = "optimizer_steps"
        public static let bestValidationLoss = "best_val_loss"
        public static let history = "history"                  // [[iteration, validation loss], …]
        public static let elapsedSeconds = "elapsed_seconds"
        public static let evalsWithoutImprovement = "evals_without_improvement"
        public static let runID = "run_id"
        public static let inputs = "inputs"                    // CorpusInputs as JSON: paths, files, bytes, characters
        public static let documents = "documents"              // documents runs: DocumentCounts as JSON
        /// Labelled runs (`--task`): "classify" or "generate". Their texts were each read from the zero state.
        public static let task = "task"
        /// Labelled runs: the generator's state when the current epoch's batch order was drawn (`rng` is
        /// its state now, after the epoch's dropout draws), so that a resumed run draws the same order.
        public static let epochRNG = "epoch_rng"
    }

    /// Names of tensors that are not parameters start with one of these; any other unknown name is an error.
    public static let extraTensorPrefixes = [optimizerPrefix, statePrefix]
    /// Optimizer moments: `optim.<moment>` (see `Optimizer.stateTensorNames`).
    public static let optimizerPrefix = "optim."
    /// Carried recurrent state.
    public static let statePrefix = "state."

    /// The carried state, (L, B, H) each: h, and c for cells that carry a cell state.
    public enum State {
        public static let h = "state.h"
        public static let c = "state.c"
    }

    /// The optimizer moments' tensor names, each one value per parameter.
    public enum OptimizerMoments {
        public static let adamFirst = "optim.m"
        public static let adamSecond = "optim.v"
        public static let meanSquare = "optim.mean_square"     // rmsprop
        public static let sumSquare = "optim.sum_square"       // adagrad
        public static let momentum = "optim.momentum"          // sgd
    }
}
