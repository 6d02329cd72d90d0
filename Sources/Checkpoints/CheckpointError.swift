import RNN
import SafeTensors
import Tokenizer

/// Why a checkpoint could not be read or written. Each description is one
/// line that names the file.
public enum CheckpointError: Error, Equatable, CustomStringConvertible, Sendable {
    // MARK: Reading
    /// The file could not be read, or is not a valid safetensors file.
    case unreadable(path: String, SafeTensorsError)
    /// A valid safetensors file, but not one charrnn wrote.
    case notACheckpoint(path: String, reason: String)
    /// Written by a later charrnn whose format this one does not know.
    case newerFormat(path: String, version: Int)
    /// A required metadata entry is absent.
    case missingMetadata(path: String, key: String)
    /// A metadata entry does not decode.
    case invalidMetadata(path: String, key: String, reason: String)
    /// The stored model describes no model (see `ModelDescription.problem`, `ModelConfig.problem`).
    case invalidConfig(path: String, problem: String)
    /// The vocabulary's length differs from the config's vocabulary size.
    case vocabularySizeMismatch(path: String, vocabularyCount: Int, configSize: Int)
    /// A parameter tensor of the config's layout is absent.
    case missingTensor(path: String, name: String)
    /// A parameter tensor's shape differs from the layout's.
    case wrongShape(path: String, name: String, expected: [Int], found: [Int])
    /// A tensor that is neither a parameter nor an extra (`optim.*`, `state.*`).
    case unexpectedTensor(path: String, name: String)
    /// An optimizer or trainer-state tensor whose shape the model rules out (`reason` says what it needs).
    case wrongExtraShape(path: String, name: String, found: [Int], reason: String)
    /// A tensor holds a NaN or an infinity; `index` is the first such element's
    /// position in its row-major data, from 0.
    case nonFiniteValue(path: String, tensor: String, index: Int, value: NonFiniteValue)

    // MARK: Writing
    /// The checkpoint is inconsistent (config, vocabulary, parameter count, extra names).
    case inconsistent(path: String, reason: String)
    /// Encoding or the atomic write failed; an existing file at `path` is untouched.
    case unwritable(path: String, SafeTensorsError)

    public var description: String {
        switch self {
        case .unreadable(let path, let error):
            switch error {
            case .io: return "cannot read checkpoint: \(error)"
            case .unsupportedDType: return "cannot load checkpoint \(path): \(error)"
            default: return "\(path) is not a charrnn checkpoint: \(error)"
            }
        case .notACheckpoint(let path, let reason):
            return "\(path) is not a charrnn checkpoint: \(reason)"
        case .newerFormat(let path, let version):
            return "\(path) was written by a newer charrnn (format version \(version); this one reads \(Checkpoint.formatVersion))"
        case .missingMetadata(let path, let key):
            return "checkpoint \(path) is damaged: its metadata has no \"\(key)\" entry"
        case .invalidMetadata(let path, let key, let reason):
            return "checkpoint \(path) is damaged: metadata \"\(key)\" \(reason)"
        case .invalidConfig(let path, let problem):
            return "checkpoint \(path) has an invalid model: \(problem)"
        case .vocabularySizeMismatch(let path, let count, let size):
            return "checkpoint \(path) is damaged: its vocabulary has \(count) characters but the model's vocabulary size is \(size)"
        case .missingTensor(let path, let name):
            return "checkpoint \(path) is damaged: parameter tensor \"\(name)\" is missing"
        case .wrongShape(let path, let name, let expected, let found):
            return "checkpoint \(path) is damaged: parameter tensor \"\(name)\" has shape \(found), the config needs \(expected)"
        case .unexpectedTensor(let path, let name):
            return "checkpoint \(path) has tensor \(Vocabulary.displayForm(name)), which is neither a model parameter nor optimizer or trainer state (optim.*, state.*)"
        case .wrongExtraShape(let path, let name, let found, let reason):
            return "checkpoint \(path) is damaged: tensor \(Vocabulary.displayForm(name)) has shape \(found), \(reason)"
        case .nonFiniteValue(let path, let tensor, let index, let value):
            return "checkpoint \(path): \(Vocabulary.displayForm(tensor)) holds \(value.phrase) at element \(index): "
                + "the checkpoint is damaged or the run diverged; use an earlier checkpoint"
        case .inconsistent(let path, let reason):
            return "cannot write checkpoint \(path): \(reason)"
        case .unwritable(let path, let error):
            if case .io = error { return "cannot write checkpoint: \(error)" }
            return "cannot write checkpoint \(path): \(error)"
        }
    }
}
