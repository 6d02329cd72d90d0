import ArgumentParser
import Tensor

/// `--precision` of the commands that run a trained model's steps (`sample`, `serve`, `eval`):
/// declared and documented once.
struct PrecisionOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "What the model multiplies: fp32 (as trained), bf16 weights (rounded at load, half the bytes) or int8 (weights quantized at load, a scale per row, a quarter of the bytes; each step's activations quantized per row, products exact in integers).",
        valueName: "fp32|bf16|int8")) var precision: WeightPrecision = .fp32
}
