import Files
import Foundation
import RNN
import SafeTensors
import Tokenizer

/// A trained (or training) model on disk: one `.safetensors` file that
/// Python's `safetensors` and PyTorch read as they are.
///
/// Tensors, in this order:
///
///     rnn.weight_ih_l0 … head.bias   the parameters, one tensor per
///                                    `ParameterLayout` entry, PyTorch's names
///                                    and shapes (strip "rnn." / "head." to
///                                    load into nn.LSTM / nn.GRU / nn.RNN and
///                                    nn.Linear)
///     optim.* , state.*              `extraTensors`: optimizer moments and
///                                    other trainer state, in the given order
///
/// `__metadata__` (string → string; the names are `CheckpointLayout`'s):
///
///     format           "charrnn"
///     format_version   "2"
///     model            the ModelDescription as JSON (`ModelDescription.json`)
///     vocabulary       JSON array of the tokens in id order
///     tokenizer        TokenizerSettings as JSON (keys sorted)
///     vocabulary_folding  only with an unknown token: `CheckpointFolding` as JSON
///     documents        only with document markers: `CheckpointDocuments` as JSON
///     labels           only for a model with labels (classifier, label-conditioned input):
///                      JSON array of the label names in id order
///     training.<key>   each `training` entry (iteration, epoch, rng, lr, …)
///
/// Format version 1 (charrnn before the model description) held the model as
/// `config`, `ModelConfig`'s own JSON, instead of `model`; such files are read
/// as they always were, and everything else in them is the same. Version 2
/// was a new number so that a charrnn that reads only `config` says the file
/// is newer rather than damaged.
///
/// Writing is atomic (see `SafeTensorsFile.write(path:)`): a save that fails or
/// is interrupted leaves the previous checkpoint as it was.
public struct Checkpoint: Equatable, Sendable {
    public static let formatName = "charrnn"
    /// The version this charrnn writes, and the newest it reads.
    public static let formatVersion = 2
    /// `training` entries are stored in the metadata under this prefix.
    public static let trainingKeyPrefix = CheckpointLayout.Metadata.trainingPrefix
    /// Names of extra tensors start with one of these; any other name that is not a parameter is an error.
    public static let extraTensorPrefixes = CheckpointLayout.extraTensorPrefixes

    /// The model, in the flat form the engine computes with (`modelDescription` is what the file stores).
    public var config: ModelConfig
    /// `vocabulary.count` must equal `config.vocabularySize`, and its mode `tokenizer.mode`.
    public var vocabulary: Vocabulary
    public var tokenizer: TokenizerSettings
    /// Flat, in `ParameterLayout(config: config)` order.
    public var parameters: [Float]
    /// Free-form trainer state for resuming (iteration, epoch, rng, lr, history JSON, …).
    public var training: [String: String]
    /// Tensors that are not model parameters, e.g. optimizer moments "optim.m".
    public var extraTensors: [SafeTensorsFile.Tensor]
    /// The policy that folded rare characters into the vocabulary's unknown token,
    /// and what it folded; present exactly when `vocabulary.unknownID` is.
    public var folding: VocabularyFolding?
    /// How the model's training text was cut into documents; present exactly
    /// when `vocabulary.documentMarkers` is.
    public var documents: DocumentMode?
    /// The names of a classifier's classes or a conditioned input's labels, in id order;
    /// present exactly when the model has labels (`Checkpoint.labelCount(of:)`).
    public var labels: [String]?
    /// The format version of the file this checkpoint was read from; `formatVersion`
    /// for one made in memory (a write always writes `formatVersion`).
    public var fileFormatVersion: Int = Checkpoint.formatVersion

    /// The model as its parts: what the file stores under "model".
    public var modelDescription: ModelDescription { config.modelDescription }

    public init(config: ModelConfig, vocabulary: Vocabulary, tokenizer: TokenizerSettings, parameters: [Float],
                training: [String: String] = [:], extraTensors: [SafeTensorsFile.Tensor] = [],
                folding: VocabularyFolding? = nil, documents: DocumentMode? = nil, labels: [String]? = nil) {
        self.config = config
        self.vocabulary = vocabulary
        self.tokenizer = tokenizer
        self.parameters = parameters
        self.training = training
        self.extraTensors = extraTensors
        self.folding = folding
        self.documents = documents
        self.labels = labels
    }

    /// How many label names a model of `config` needs: its classes, or its input's labels; nil for none.
    public static func labelCount(of config: ModelConfig) -> Int? {
        if config.head == .classifier { return config.outputSize }
        if config.input == .oneHotAndLabel { return config.labelCount }
        return nil
    }

    /// A one-line problem with a list of label names for `config`, or nil: what `write` refuses,
    /// public so that a run can ask before it trains rather than at its first save.
    public static func labelsProblem(_ labels: [String]?, config: ModelConfig) -> String? {
        switch (labels, labelCount(of: config)) {
        case (nil, nil): return nil
        case (nil, let k?): return "the model has \(k) labels but no label names"
        case (_?, nil): return "label names given for a model without labels"
        case (let names?, let k?):
            if names.count != k { return "\(names.count) label names for a model with \(k) labels" }
            if Set(names).count != names.count { return "the label names are not distinct" }
            if names.contains(where: \.isEmpty) { return "a label name is empty" }
            return nil
        }
    }

    private static let metadataKeys = (format: CheckpointLayout.Metadata.format, version: CheckpointLayout.Metadata.formatVersion,
                                       model: CheckpointLayout.Metadata.model, vocabulary: CheckpointLayout.Metadata.vocabulary,
                                       tokenizer: CheckpointLayout.Metadata.tokenizer, trainingPrefix: trainingKeyPrefix)

    // MARK: Writing

    /// Checks the checkpoint's consistency, then writes it atomically to `path`.
    public func write(to path: String) throws(CheckpointError) {
        func inconsistent(_ reason: String) -> CheckpointError { .inconsistent(path: path, reason: reason) }
        if let problem = Checkpoint.problem(of: config) { throw inconsistent("invalid model config: \(problem)") }
        if vocabulary.count != config.vocabularySize {
            throw inconsistent("the vocabulary has \(vocabulary.count) characters but the config's vocabulary size is \(config.vocabularySize)")
        }
        if vocabulary.mode != tokenizer.mode {
            throw inconsistent("the vocabulary is in \(vocabulary.mode.rawValue) mode but the tokenizer in \(tokenizer.mode.rawValue) mode")
        }
        let layout = ParameterLayout(config: config)
        if parameters.count != layout.totalCount {
            throw inconsistent("\(parameters.count) parameters given, the model has \(layout.totalCount)")
        }
        if (vocabulary.unknownID == nil) != (folding == nil) {
            throw inconsistent("a vocabulary with an unknown token needs its folding policy, and only such a vocabulary has one")
        }
        if (vocabulary.documentMarkers == nil) != (documents == nil) {
            throw inconsistent("a vocabulary with document markers needs its documents mode, and only such a vocabulary has one")
        }
        if let problem = Checkpoint.labelsProblem(labels, config: config) { throw inconsistent(problem) }
        for t in extraTensors where !Checkpoint.isExtraName(t.name) {
            throw inconsistent("extra tensor \(Vocabulary.displayForm(t.name)) must be named optim.* or state.*")
        }

        let keys = Checkpoint.metadataKeys
        var metadata: [String: String] = [
            keys.format: Checkpoint.formatName,
            keys.version: String(Checkpoint.formatVersion),
            keys.model: modelDescription.json,
            keys.vocabulary: vocabulary.jsonString(),
            keys.tokenizer: Checkpoint.json(tokenizer),
        ]
        if let folding, let unknownID = vocabulary.unknownID {
            metadata[CheckpointLayout.Metadata.vocabularyFolding] = Checkpoint.json(CheckpointFolding(folding, unknownID: unknownID))
        }
        if let documents, let markers = vocabulary.documentMarkers {
            metadata[CheckpointLayout.Metadata.documents] = Checkpoint.json(CheckpointDocuments(mode: documents, markers: markers))
        }
        if let labels { metadata[CheckpointLayout.Metadata.labels] = Checkpoint.json(labels) }
        for (key, value) in training { metadata[keys.trainingPrefix + key] = value }

        var tensors = layout.entries.map { e in
            SafeTensorsFile.Tensor(name: e.name, shape: e.shape, data: Array(parameters[e.range]))
        }
        tensors += extraTensors
        do {
            try SafeTensorsFile(metadata: metadata, tensors: tensors).write(path: path)
        } catch {
            throw .unwritable(path: path, error)
        }
    }

    // MARK: Reading

    /// Reads and validates the checkpoint at `path`: its format, config,
    /// vocabulary, every tensor's presence and shape, and that every value
    /// (parameters, optimizer moments, carried state) is finite.
    public static func read(from path: String) throws(CheckpointError) -> Checkpoint {
        let file: SafeTensorsFile
        // The file's bytes and the tensors decoded from them are held at once: refuse, before
        // reading, a file that would not fit twice in the memory left (a hostile or damaged size).
        let limit = SystemMemory.availableBytes.map { $0 / 2 } ?? .max
        do { file = try SafeTensorsFile.read(path: path, limit: limit) } catch { throw .unreadable(path: path, error) }
        let keys = metadataKeys
        let metadata = file.metadata

        guard let format = metadata[keys.format] else {
            throw .notACheckpoint(path: path, reason: "its metadata has no \"format\" entry")
        }
        guard format == formatName else {
            throw .notACheckpoint(path: path, reason: "its format is \(Vocabulary.displayForm(format)), not \"\(formatName)\"")
        }
        guard let versionText = metadata[keys.version] else { throw .missingMetadata(path: path, key: keys.version) }
        guard let version = Int(versionText), version >= 1 else {
            throw .invalidMetadata(path: path, key: keys.version, reason: "is \(Vocabulary.displayForm(versionText)), not a version number")
        }
        if version > formatVersion { throw .newerFormat(path: path, version: version) }

        let config = try readModel(metadata, version: version, path: path)
        let tokenizer: TokenizerSettings = try decodeJSON(metadata, key: keys.tokenizer, path: path, what: "tokenizer settings")

        var stored: CheckpointFolding? = nil
        if metadata[CheckpointLayout.Metadata.vocabularyFolding] != nil {
            stored = try decodeJSON(metadata, key: CheckpointLayout.Metadata.vocabularyFolding, path: path, what: "vocabulary folding")
            if let problem = stored.flatMap(foldingProblem) {
                throw .invalidMetadata(path: path, key: CheckpointLayout.Metadata.vocabularyFolding, reason: problem)
            }
        }
        var documents: CheckpointDocuments? = nil
        if metadata[CheckpointLayout.Metadata.documents] != nil {
            documents = try decodeJSON(metadata, key: CheckpointLayout.Metadata.documents, path: path, what: "documents")
        }
        guard let vocabularyText = metadata[keys.vocabulary] else { throw .missingMetadata(path: path, key: keys.vocabulary) }
        let vocabulary: Vocabulary
        do {
            vocabulary = try Vocabulary(jsonString: vocabularyText, mode: tokenizer.mode, unknownID: stored?.unknownID,
                                        documentMarkers: documents?.markers)
        } catch {
            throw .invalidMetadata(path: path, key: keys.vocabulary, reason: "is invalid: \(error)")
        }
        if let problem = reservedTokenProblem(vocabulary) {
            throw .invalidMetadata(path: path, key: keys.vocabulary, reason: problem)
        }
        guard vocabulary.count == config.vocabularySize else {
            throw .vocabularySizeMismatch(path: path, vocabularyCount: vocabulary.count, configSize: config.vocabularySize)
        }

        var labels: [String]? = nil
        if metadata[CheckpointLayout.Metadata.labels] != nil {
            labels = try decodeJSON(metadata, key: CheckpointLayout.Metadata.labels, path: path, what: "label names")
        }
        if let problem = labelsProblem(labels, config: config) {
            throw .invalidMetadata(path: path, key: CheckpointLayout.Metadata.labels, reason: problem)
        }

        let layout = ParameterLayout(config: config)
        var index: [String: Int] = [:]
        for (i, t) in file.tensors.enumerated() { index[t.name] = i }  // names are unique (checked by decode)
        var parameters: [Float] = []
        parameters.reserveCapacity(layout.totalCount)
        for e in layout.entries {
            guard let i = index[e.name] else { throw .missingTensor(path: path, name: e.name) }
            let t = file.tensors[i]
            guard t.shape == e.shape else { throw .wrongShape(path: path, name: e.name, expected: e.shape, found: t.shape) }
            parameters.append(contentsOf: t.data)  // entries are contiguous and in order, so this lands at e.offset
        }
        var extras: [SafeTensorsFile.Tensor] = []
        for t in file.tensors where layout.entry(t.name) == nil {
            guard isExtraName(t.name) else { throw .unexpectedTensor(path: path, name: t.name) }
            extras.append(t)
        }
        for t in extras {
            if let reason = extraShapeProblem(t, config: config, parameterCount: layout.totalCount) {
                throw .wrongExtraShape(path: path, name: t.name, found: t.shape, reason: reason)
            }
        }
        // A NaN or infinity anywhere makes every output NaN (or, in optimizer
        // moments and carried state, poisons a resumed run); refusing it here
        // is what keeps sample, eval and viz from printing garbage with exit 0.
        for t in file.tensors {
            if let (index, kind) = NonFiniteValue.first(in: t.data) {
                throw .nonFiniteValue(path: path, tensor: t.name, index: index, value: kind)
            }
        }

        var training: [String: String] = [:]
        for (key, value) in metadata where key.hasPrefix(keys.trainingPrefix) {
            training[String(key.dropFirst(keys.trainingPrefix.count))] = value
        }
        if let task = training[CheckpointLayout.Training.task],
           let problem = taskProblem(task, config: config, documents: vocabulary.documentMarkers != nil) {
            throw .invalidMetadata(path: path, key: keys.trainingPrefix + CheckpointLayout.Training.task, reason: problem)
        }
        var checkpoint = Checkpoint(config: config, vocabulary: vocabulary, tokenizer: tokenizer, parameters: parameters,
                                    training: training, extraTensors: extras, folding: stored?.folding, documents: documents?.mode,
                                    labels: labels)
        checkpoint.fileFormatVersion = version
        return checkpoint
    }

    /// The model a file of `version` holds, checked: version 1's `config`, later versions' `model`.
    private static func readModel(_ metadata: [String: String], version: Int, path: String) throws(CheckpointError) -> ModelConfig {
        if version == 1 {
            let config: ModelConfig = try decodeJSON(metadata, key: CheckpointLayout.Metadata.formatOneConfig, path: path,
                                                     what: "model config")
            if let problem = problem(of: config) { throw .invalidConfig(path: path, problem: problem) }
            return config
        }
        let description: ModelDescription = try decodeJSON(metadata, key: metadataKeys.model, path: path, what: "model description")
        let config = ModelConfig(description)
        // Sizes are bounded first (`problem(of:)`, before any arithmetic on them), then the parts must agree.
        if let problem = problem(of: config) ?? description.problem { throw .invalidConfig(path: path, problem: problem) }
        return config
    }

    // MARK: Helpers

    /// Why an `optim.*` or `state.*` tensor cannot be what its name says for a model of `config`, or nil.
    /// Checked by shape, not only by element count: a transposed state ((L, H, B) for (L, B, H)) has the
    /// right count and would resume a run on scrambled numbers.
    static func extraShapeProblem(_ t: SafeTensorsFile.Tensor, config: ModelConfig, parameterCount: Int) -> String? {
        if t.name.hasPrefix(CheckpointLayout.optimizerPrefix) {
            return t.shape == [parameterCount] ? nil : "an optimizer moment needs one value per parameter, [\(parameterCount)]"
        }
        let l = config.layerCount, h = config.hiddenSize
        switch t.name {
        case CheckpointLayout.State.c where !config.cellFacts.carriesCellState:
            return "and a \(config.cell.rawValue) model carries no cell state"
        case CheckpointLayout.State.h, CheckpointLayout.State.c:
            let fits = t.shape.count == 3 && t.shape[0] == l && t.shape[1] >= 1 && t.shape[2] == h
            return fits ? nil : "the carried state needs (layers, batch, hidden) = [\(l), B, \(h)]"
        default:
            return nil
        }
    }

    /// Why `training.task` cannot be the task that trained a model of `config`, or nil: each task
    /// makes one kind of model (a generator's texts are documents, framed by the markers).
    static func taskProblem(_ task: String, config: ModelConfig, documents: Bool) -> String? {
        let fits: Bool
        switch task {
        case "classify": fits = config.head == .classifier
        case "generate": fits = config.head == .nextCharacter && config.attention == nil && documents
        case "translate": fits = config.attention != nil
        default: return "is \(Vocabulary.displayForm(task)), not a task (classify, generate or translate)"
        }
        if fits { return nil }
        let model = config.attention != nil ? "an encoder–decoder"
            : "a \(config.head.rawValue) head on \(config.input.rawValue) input" + (documents ? " with document markers" : "")
        return "is \"\(task)\", which does not make this model (\(model))"
    }

    /// Why a stored folding record cannot be one a run wrote, or nil: its policy must fold within the
    /// bounds `--min-count` / `--max-vocab` accept (eval refits the baselines with it), and its counts are counts.
    static func foldingProblem(_ stored: CheckpointFolding) -> String? {
        let policy = stored.folding.policy
        guard policy.folds else { return "names no --min-count or --max-vocab, so nothing could have folded" }
        if let problem = policy.problem { return "holds a policy no run can have (\(problem))" }
        if stored.foldedCharacters < 0 || stored.foldedOccurrences < 0 {
            return "holds a negative count (\(stored.foldedCharacters) characters, \(stored.foldedOccurrences) occurrences folded)"
        }
        return nil
    }

    /// Why `vocabulary` holds "<unk>", "<s>" or "</s>" as a character, or nil: no text produces one (each is
    /// several characters in every mode), so such an entry is an unknown token or a document marker whose
    /// `vocabulary_folding` or `documents` entry is missing.
    static func reservedTokenProblem(_ vocabulary: Vocabulary) -> String? {
        let reserved = [(Vocabulary.unknownToken, CheckpointLayout.Metadata.vocabularyFolding),
                        (DocumentMarkers.startToken, CheckpointLayout.Metadata.documents),
                        (DocumentMarkers.endToken, CheckpointLayout.Metadata.documents)]
        for (token, key) in reserved where vocabulary.id(of: token) != nil {
            return "holds \(Vocabulary.displayForm(token)) as a character: no text makes one, and the \"\(key)\" entry that would name it is missing"
        }
        return nil
    }

    /// `config.problem` for decoded values: sizes beyond `ModelConfig.sizesAreBounded`
    /// (a damaged or hostile file) are refused as read, before any layout is built;
    /// within them the parameter count is `ParameterLayout`'s, checked by `config.problem`.
    static func problem(of config: ModelConfig) -> String? {
        let v = config.vocabularySize, h = config.hiddenSize, l = config.layerCount
        guard v >= 1, h >= 1, l >= 1 else { return config.problem }  // reported before any size arithmetic
        guard config.sizesAreBounded else { return "model too large (vocabulary \(v), hidden size \(h), \(l) layers)" }
        return config.problem
    }

    static func isExtraName(_ name: String) -> Bool { extraTensorPrefixes.contains { name.hasPrefix($0) } }

    /// Compact JSON with sorted keys, so that equal values give equal files.
    public static func json(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try! encoder.encode(value)  // plain structs of strings, numbers and enums always encode
        return String(decoding: data, as: UTF8.self)
    }

    private static func decodeJSON<T: Decodable>(_ metadata: [String: String], key: String, path: String,
                                                 what: String) throws(CheckpointError) -> T {
        guard let text = metadata[key] else { throw .missingMetadata(path: path, key: key) }
        do {
            return try JSONDecoder().decode(T.self, from: Data(text.utf8))
        } catch {
            throw .invalidMetadata(path: path, key: key, reason: "is not valid \(what) JSON (\(describe(error)))")
        }
    }

    /// A one-line summary of a JSON decoding error.
    private static func describe(_ error: any Error) -> String {
        switch error as? DecodingError {
        case .keyNotFound(let key, _): return "missing \"\(key.stringValue)\""
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c):
            let at = c.codingPath.map(\.stringValue).joined(separator: ".")
            return at.isEmpty ? "malformed" : "bad value at \"\(at)\""
        default: return "malformed"
        }
    }
}

/// `vocabulary_folding` in a checkpoint's metadata: the folding and where the
/// unknown token is in the vocabulary.
///
///     {"foldedCharacters":12,"foldedOccurrences":40,"maxCharacters":80,"minCount":3,"unknownID":80}
struct CheckpointFolding: Codable, Equatable {
    var minCount: Int?, maxCharacters: Int?
    var foldedCharacters: Int, foldedOccurrences: Int
    var unknownID: Int32

    init(_ folding: VocabularyFolding, unknownID: Int32) {
        minCount = folding.policy.minCount
        maxCharacters = folding.policy.maxCharacters
        foldedCharacters = folding.foldedCharacters
        foldedOccurrences = folding.foldedOccurrences
        self.unknownID = unknownID
    }

    var folding: VocabularyFolding {
        VocabularyFolding(policy: VocabularyPolicy(minCount: minCount, maxCharacters: maxCharacters),
                          foldedCharacters: foldedCharacters, foldedOccurrences: foldedOccurrences)
    }
}

/// `documents` in a checkpoint's metadata: how the training text was cut into
/// documents and where the markers are in the vocabulary.
///
///     {"endID":31,"mode":"lines","startID":30}
struct CheckpointDocuments: Codable, Equatable {
    var mode: DocumentMode
    var startID: Int32, endID: Int32

    init(mode: DocumentMode, markers: DocumentMarkers) {
        self.mode = mode
        startID = markers.start
        endID = markers.end
    }

    var markers: DocumentMarkers { DocumentMarkers(start: startID, end: endID) }
}
