import ArgumentParser
import Checkpoints
import RNN

/// `--checkpoint`, declared and documented once for the commands that read a
/// model (`sample`, `eval`, `viz`); `CheckpointLocator` resolves it.
struct CheckpointOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A checkpoint file, or a run directory (best, else latest). Default: the newest under ./checkpoints.",
                               valueName: "path"), completion: .file(extensions: ["safetensors"]))
    var checkpoint: String?

    /// The checkpoint named (or the newest), read; any failure is a one-line error.
    func load() throws(ExitCode) -> (path: String, checkpoint: Checkpoint) { try CheckpointLocator.load(checkpoint) }
}
