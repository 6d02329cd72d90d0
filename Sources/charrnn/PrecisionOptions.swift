import ArgumentParser
import Tensor

/// `--precision` of the commands that run a trained model's steps (`sample`, `serve`, `eval`):
/// declared and documented once.
struct PrecisionOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Weights the model multiplies: fp32 (as trained), bf16 (rounded, half the bytes) or int8 (one scale per row, a quarter), converted once at load.",
        valueName: "fp32|bf16|int8")) var precision: WeightPrecision = .fp32
}
