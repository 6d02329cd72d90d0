// MinCharRNN: charrnn's engine as a Swift library, in the shape of Karpathy's min-char-rnn.py.
//
//     swift run -c release MinCharRNN corpora/tinyshakespeare.txt 2000 model.safetensors
//
// reads a text, trains a one-layer LSTM on it by truncated backpropagation through time, prints
// the loss as it goes and a sample at the end, and saves the model where `charrnn sample
// --checkpoint model.safetensors` (or `serve`, `info`, `eval`) reads it. Every step is one call
// of the library: the tokenizer (ICU grapheme clusters), the model (`StackedRNN`), its loss and
// gradients, clipping, Adam, the checkpoint, the sampler. `charrnn train` does the same with
// validation, schedules, resumable checkpoints and its kernel choices (docs/DESIGN.md).
//
// Arguments, all optional: the text file (default corpora/tinyshakespeare.txt), iterations
// (default 2000), where to save the model (default: not saved).
import Checkpoints
import Foundation
import RNN
import Sampler
import Tensor
import Tokenizer
import Training

/// One line on stderr and exit 1, as charrnn's commands end on an error.
func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("MinCharRNN: error: \(message)\n".utf8))
    exit(1)
}

let arguments = Array(CommandLine.arguments.dropFirst())
let path = arguments.count > 0 ? arguments[0] : "corpora/tinyshakespeare.txt"
guard let iterations = arguments.count > 1 ? Int(arguments[1]) : 2000, iterations >= 1 else {
    fail("iterations must be a whole number ≥ 1 (got \(arguments[1]))")
}
let output = arguments.count > 2 ? arguments[2] : nil
if let output {   // refused before training, not after it: the run's work would be lost
    let parent = (output as NSString).deletingLastPathComponent, directory = parent.isEmpty ? "." : parent
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue,
          FileManager.default.isWritableFile(atPath: directory) else {
        fail("cannot save to \(output): \(directory) is not a directory this process can write to")
    }
}

// 1. The text as characters (grapheme clusters, NFC) and their ids.
let corpus: Corpus
do { corpus = try Corpus.load(path: path, settings: TokenizerSettings()) } catch { fail("\(error)") }   // names the file
let ids = corpus.ids, vocabulary = corpus.vocabulary
let b = 16, t = 50                          // B streams, T characters a window
let span = (ids.count - 1) / b              // characters each stream reads: stream s starts at s·span
guard span >= t else { fail("\(path) has \(ids.count) characters: \(b) streams of \(t) need at least \(b * t + 1)") }
print("\(path): \(ids.count) characters, \(vocabulary.count) distinct")

// 2. The model: one LSTM layer of 128 units over a one-hot input of V characters, then a linear head.
let config = ModelConfig(cell: .lstm, vocabularySize: vocabulary.count, hiddenSize: 128, layerCount: 1)
let model = StackedRNN(config: config)
var rng = SplitMix64(seed: 1)
model.initialize(rng: &rng)                 // PyTorch's uniform(±1/√H)
var optimizer = Optimizer(settings: OptimizerSettings(kind: .adam), parameterCount: model.parameters.count)

// 3. Truncated BPTT: each stream reads its stretch of the text T characters at a time, its state
//    carried from one window to the next; the targets are the inputs shifted by one.
var state = RecurrentState.zeros(config: config, batchSize: b)
var inputs = [Int32](repeating: 0, count: b * t), targets = inputs
var position = 0
var smoothLoss = log(Float(vocabulary.count))   // an untrained model's loss, as min-char-rnn starts it
for iteration in 1...iterations {
    if position + t > span { position = 0; state = .zeros(config: config, batchSize: b) }   // the next epoch
    for s in 0..<b {
        for k in 0..<t {                    // (B, T) row-major: stream s, step k
            inputs[s * t + k] = ids[s * span + position + k]
            targets[s * t + k] = ids[s * span + position + k + 1]
        }
    }
    position += t
    model.zeroGradients()
    let loss = inputs.withUnsafeBufferPointer { x in
        targets.withUnsafeBufferPointer { y in
            model.forward(inputs: x, targets: y, batchSize: b, sequenceLength: t, state: &state, training: true, rng: &rng)
        }
    }
    guard loss.isFinite else { fail("the loss became \(loss) at iteration \(iteration)") }
    model.backward()
    _ = model.gradients.withUnsafeMutableBufferPointer { clipGradients($0, mode: .norm, threshold: 5) }
    model.parameters.withUnsafeMutableBufferPointer { p in
        model.gradients.withUnsafeBufferPointer { g in optimizer.step(parameters: p, gradients: g, learningRate: 2e-3) }
    }
    smoothLoss = 0.99 * smoothLoss + 0.01 * loss
    if iteration == 1 || iteration % 100 == 0 || iteration == iterations {
        print("iteration \(iteration): loss \(loss), smoothed \(smoothLoss) nats/char")
    }
}

// 4. The model as a checkpoint (charrnn's file: safetensors with the vocabulary and the model's
//    description), and 300 characters from it at temperature 0.8, seed 1, after a newline:
//    what `charrnn sample --checkpoint <it> --temp 0.8 --seed 1 --length 300` prints.
let checkpoint = Checkpoint(config: config, vocabulary: vocabulary, tokenizer: corpus.settings, parameters: model.parameters)
if let output {
    do { try checkpoint.write(to: output) } catch { fail("\(error)") }   // names the file
    print("saved \(output)")
}
let sample: Sampler.Sample
do {
    sample = try Sampler(checkpoint: checkpoint).sample(prime: [], length: 300, policy: SamplingPolicy(temperature: 0.8), seed: 1)
} catch { fail("\(error)") }
print("──── sample, temperature 0.8 ────")
print(sample.text)
