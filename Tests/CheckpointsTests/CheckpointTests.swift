import Checkpoints
import Foundation
import Testing
import RNN
import SafeTensors
import Tensor
import Tokenizer

// MARK: - Helpers

/// A checkpoint with known pseudo-random parameters for `config`.
private func makeCheckpoint(_ config: ModelConfig, mode: TokenizerMode = .grapheme, seed: UInt64 = 1,
                            training: [String: String] = [:], extras: [SafeTensorsFile.Tensor] = []) throws -> Checkpoint {
    let tokens: [String]
    switch mode {
    case .byte: tokens = (0..<config.vocabularySize).map { String(Character(Unicode.Scalar(UInt8(($0 * 37) % 256)))) }
    default: tokens = (0..<config.vocabularySize).map { String(Character(Unicode.Scalar(0x61 + UInt32($0))!)) }
    }
    var rng = SplitMix64(seed: seed)
    let count = ParameterLayout(config: config).totalCount
    return Checkpoint(config: config, vocabulary: try Vocabulary(tokens: tokens, mode: mode),
                      tokenizer: TokenizerSettings(mode: mode, normalize: mode == .grapheme, lossy: false),
                      parameters: (0..<count).map { _ in rng.nextFloat(in: -1, 1) },
                      training: training, extraTensors: extras)
}

private final class TemporaryDirectory {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "/checkpoint-test-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func file(_ name: String = "model.safetensors") -> String { path + "/" + name }
}

/// The error `Checkpoint.read` throws for `path`, or nil.
private func readError(_ path: String) -> CheckpointError? {
    do { _ = try Checkpoint.read(from: path); return nil } catch { return error }
}

/// Writes `checkpoint`, lets `edit` change the raw container, writes it back.
private func writeEdited(_ checkpoint: Checkpoint, to path: String, _ edit: (inout SafeTensorsFile) -> Void) throws {
    try checkpoint.write(to: path)
    var file = try SafeTensorsFile.read(path: path)
    edit(&file)
    try file.write(path: path)
}

private let small = ModelConfig(cell: .lstm, vocabularySize: 6, hiddenSize: 4, layerCount: 2)

// MARK: - Round trips and layout

@Suite struct CheckpointTests {
    static let configs: [(ModelConfig, TokenizerMode)] = [
        (ModelConfig(cell: .lstm, vocabularySize: 7, hiddenSize: 5, layerCount: 2), .grapheme),
        (ModelConfig(cell: .gru, vocabularySize: 9, hiddenSize: 3, layerCount: 3, dropout: 0.25), .scalar),
        (ModelConfig(cell: .rnn, activation: .relu, vocabularySize: 4, hiddenSize: 6, layerCount: 1), .byte),
    ]

    @Test(arguments: configs)
    func roundTrip(config: ModelConfig, mode: TokenizerMode) throws {
        let dir = TemporaryDirectory()
        let count = ParameterLayout(config: config).totalCount, l = config.layerCount, h = config.hiddenSize
        let original = try makeCheckpoint(
            config, mode: mode,
            training: ["iteration": "1200", "epoch": "3", "rng": "12345678901234567890", "lr": "0.002",
                       "history": #"[{"it":100,"loss":2.5}]"#],
            extras: [.init(name: "optim.m", shape: [count], data: (0..<count).map { Float($0) }),
                     .init(name: "state.h", shape: [l, 2, h], data: (0..<(l * 2 * h)).map { Float($0) / 100 }),
                     .init(name: "state.h0", shape: [], data: [0.5])])
        try original.write(to: dir.file())
        let back = try Checkpoint.read(from: dir.file())
        #expect(back == original)
        #expect(back.parameters.map(\.bitPattern) == original.parameters.map(\.bitPattern))
    }

    @Test func fileLayoutFollowsPyTorchNamesThenExtras() throws {
        let dir = TemporaryDirectory()
        let checkpoint = try makeCheckpoint(small, training: ["iteration": "7"],
                                            extras: [.init(name: "optim.v", shape: [1], data: [9])])
        try checkpoint.write(to: dir.file())
        let file = try SafeTensorsFile.read(path: dir.file())
        let layout = ParameterLayout(config: small)
        #expect(file.tensors.map(\.name) == layout.entries.map(\.name) + ["optim.v"])
        for e in layout.entries {
            #expect(file[e.name]?.shape == e.shape)
            #expect(file[e.name]?.data == Array(checkpoint.parameters[e.range]))
        }
        #expect(file.tensors.first?.name == "rnn.weight_ih_l0")
        #expect(file["rnn.weight_ih_l0"]?.shape == [16, 6])
        #expect(file["head.weight"]?.shape == [6, 4])
        #expect(Set(file.metadata.keys) == ["format", "format_version", "model", "vocabulary", "tokenizer", "training.iteration"])
        #expect(file.metadata["format"] == "charrnn")
        #expect(file.metadata["format_version"] == "2")
        #expect(file.metadata["vocabulary"] == #"["a","b","c","d","e","f"]"#)
        #expect(file.metadata["model"] == #"{"head":{"kind":"next_character","output_size":6},"input":{"kind":"one_hot","vocabulary_size":6},"#
                + #""stack":{"activation":"tanh","cell":"lstm","dropout":0,"hidden_size":4,"layer_norm":false,"layers":2,"recurrent_dropout":0}}"#)
        #expect(file.metadata["tokenizer"] == #"{"lossy":false,"mode":"grapheme","normalize":true}"#)
        #expect(file.metadata["training.iteration"] == "7")
    }

    @Test func overwritingKeepsOnlyTheNewCheckpoint() throws {
        let dir = TemporaryDirectory()
        try makeCheckpoint(small, seed: 1).write(to: dir.file())
        let second = try makeCheckpoint(small, seed: 2)
        try second.write(to: dir.file())
        #expect(try Checkpoint.read(from: dir.file()) == second)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["model.safetensors"])
    }

    // MARK: Validation on read

    @Test func notASafetensorsFile() throws {
        let dir = TemporaryDirectory()
        try Data("hello, this is text\n".utf8).write(to: URL(fileURLWithPath: dir.file()))
        let error = readError(dir.file())
        guard case .unreadable(_, .headerTooLarge) = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(error?.description.hasPrefix("\(dir.file()) is not a charrnn checkpoint: header length") == true)

        let missing = readError(dir.file("absent.safetensors"))
        #expect(missing == .unreadable(path: dir.file("absent.safetensors"),
                                       .io(path: dir.file("absent.safetensors"), operation: "open", message: "No such file or directory")))
        #expect(missing?.description == "cannot read checkpoint: cannot open \(dir.file("absent.safetensors")): No such file or directory")
    }

    @Test func notACharRNNFile() throws {
        let dir = TemporaryDirectory()
        let path = dir.file()
        try SafeTensorsFile(tensors: [.init(name: "w", shape: [1], data: [1])]).write(path: path)
        #expect(readError(path) == .notACheckpoint(path: path, reason: "its metadata has no \"format\" entry"))
        try SafeTensorsFile(metadata: ["format": "pt"]).write(path: path)
        #expect(readError(path) == .notACheckpoint(path: path, reason: "its format is \"pt\", not \"charrnn\""))
        #expect(readError(path)?.description == "\(path) is not a charrnn checkpoint: its format is \"pt\", not \"charrnn\"")
    }

    @Test func formatVersion() throws {
        let dir = TemporaryDirectory()
        let path = dir.file()
        let checkpoint = try makeCheckpoint(small)
        try writeEdited(checkpoint, to: path) { $0.metadata["format_version"] = "3" }
        #expect(readError(path) == .newerFormat(path: path, version: 3))
        #expect(readError(path)?.description == "\(path) was written by a newer charrnn (format version 3; this one reads 2)")
        try writeEdited(checkpoint, to: path) { $0.metadata["format_version"] = "one" }
        #expect(readError(path) == .invalidMetadata(path: path, key: "format_version", reason: "is \"one\", not a version number"))
        try writeEdited(checkpoint, to: path) { $0.metadata["format_version"] = "0" }
        #expect(readError(path) == .invalidMetadata(path: path, key: "format_version", reason: "is \"0\", not a version number"))
        try writeEdited(checkpoint, to: path) { $0.metadata["format_version"] = nil }
        #expect(readError(path) == .missingMetadata(path: path, key: "format_version"))
    }

    /// A format-1 file (before the model description): `config` holds the model, `model` is absent.
    private func writeFormatOne(_ checkpoint: Checkpoint, to path: String, config: String?) throws {
        try writeEdited(checkpoint, to: path) {
            $0.metadata["format_version"] = "1"
            $0.metadata["model"] = nil
            $0.metadata["config"] = config
        }
    }

    @Test func formatOneConfig() throws {
        let dir = TemporaryDirectory()
        let path = dir.file()
        let checkpoint = try makeCheckpoint(small)
        try writeFormatOne(checkpoint, to: path, config: nil)
        #expect(readError(path) == .missingMetadata(path: path, key: "config"))
        try writeFormatOne(checkpoint, to: path, config: "{not json")
        #expect(readError(path) == .invalidMetadata(path: path, key: "config", reason: "is not valid model config JSON (malformed)"))
        try writeFormatOne(checkpoint, to: path, config: #"{"cell":"transformer","activation":"tanh","vocabularySize":6,"hiddenSize":4,"layerCount":2,"dropout":0}"#)
        #expect(readError(path) == .invalidMetadata(path: path, key: "config", reason: "is not valid model config JSON (bad value at \"cell\")"))
        try writeFormatOne(checkpoint, to: path, config: #"{"cell":"lstm","activation":"tanh","vocabularySize":6,"layerCount":2,"dropout":0}"#)
        #expect(readError(path) == .invalidMetadata(path: path, key: "config", reason: "is not valid model config JSON (missing \"hiddenSize\")"))
        try writeFormatOne(checkpoint, to: path, config: #"{"cell":"lstm","activation":"tanh","vocabularySize":6,"hiddenSize":0,"layerCount":2,"dropout":0}"#)
        #expect(readError(path) == .invalidConfig(path: path, problem: "hidden size must be at least 1 (got 0)"))
        // Absurd sizes are refused without building a layout (which would overflow or take forever).
        for (h, l) in [(Int.max, 2), (4, 1_000_000_000_000_000), (1 << 40, 1 << 40)] {
            try writeFormatOne(checkpoint, to: path,
                               config: #"{"cell":"lstm","activation":"tanh","vocabularySize":6,"hiddenSize":\#(h),"layerCount":\#(l),"dropout":0}"#)
            #expect(readError(path) == .invalidConfig(path: path, problem: "model too large (vocabulary 6, hidden size \(h), \(l) layers)"))
        }
    }

    /// A format-1 file reads as the same checkpoint its format-2 twin does, and says which format it was.
    @Test(arguments: CheckpointTests.configs)
    func formatOneReadsAsFormatTwo(config: ModelConfig, mode: TokenizerMode) throws {
        let dir = TemporaryDirectory()
        let checkpoint = try makeCheckpoint(config, mode: mode, training: ["iteration": "3"])
        try checkpoint.write(to: dir.file("two.safetensors"))
        let configJSON = Checkpoint.json(config)  // ModelConfig's own encoding, as format 1 wrote it
        try writeFormatOne(checkpoint, to: dir.file("one.safetensors"), config: configJSON)
        let one = try Checkpoint.read(from: dir.file("one.safetensors"))
        let two = try Checkpoint.read(from: dir.file("two.safetensors"))
        #expect(one.fileFormatVersion == 1 && two.fileFormatVersion == 2)
        var oneAsTwo = one
        oneAsTwo.fileFormatVersion = 2
        #expect(oneAsTwo == two)
        #expect(two == checkpoint)
    }

    @Test func model() throws {
        let dir = TemporaryDirectory()
        let path = dir.file()
        let checkpoint = try makeCheckpoint(small)
        func model(input: String = #"{"kind":"one_hot","vocabulary_size":6}"#,
                   stack: String = #"{"activation":"tanh","cell":"lstm","dropout":0,"hidden_size":4,"layer_norm":false,"layers":2,"recurrent_dropout":0}"#,
                   head: String = #"{"kind":"next_character","output_size":6}"#) -> String {
            #"{"head":\#(head),"input":\#(input),"stack":\#(stack)}"#
        }
        try writeEdited(checkpoint, to: path) { $0.metadata["model"] = model() }
        #expect(try Checkpoint.read(from: path) == checkpoint, "the literal is what charrnn writes")
        try writeEdited(checkpoint, to: path) { $0.metadata["model"] = nil }
        #expect(readError(path) == .missingMetadata(path: path, key: "model"))
        try writeEdited(checkpoint, to: path) { $0.metadata["model"] = "{not json" }
        #expect(readError(path) == .invalidMetadata(path: path, key: "model", reason: "is not valid model description JSON (malformed)"))
        // Kinds of a later charrnn (an attending decoder, an image input) are refused by name, not guessed at.
        try writeEdited(checkpoint, to: path) { $0.metadata["model"] = model(head: #"{"kind":"attention_decoder","output_size":6}"#) }
        #expect(readError(path) == .invalidMetadata(path: path, key: "model", reason: "is not valid model description JSON (bad value at \"head.kind\")"))
        try writeEdited(checkpoint, to: path) { $0.metadata["model"] = model(input: #"{"kind":"pixels","vocabulary_size":6}"#) }
        #expect(readError(path) == .invalidMetadata(path: path, key: "model", reason: "is not valid model description JSON (bad value at \"input.kind\")"))
        // Known kinds that do not make a model with the rest are refused with the reason.
        try writeEdited(checkpoint, to: path) { $0.metadata["model"] = model(head: #"{"kind":"classifier","output_size":6}"#) }
        #expect(readError(path)?.description.hasSuffix("has an invalid model: a classifier head needs a pooling (last or mean)") == true)
        try writeEdited(checkpoint, to: path) { $0.metadata["model"] = model(input: #"{"kind":"dense","vocabulary_size":6}"#) }
        #expect(readError(path)?.description.contains("has an invalid model: a dense input has no vocabulary") == true)
        try writeEdited(checkpoint, to: path) { $0.metadata["model"] = model(stack: #"{"activation":"tanh","cell":"transformer","dropout":0,"hidden_size":4,"layer_norm":false,"layers":2,"recurrent_dropout":0}"#) }
        #expect(readError(path) == .invalidMetadata(path: path, key: "model", reason: "is not valid model description JSON (bad value at \"stack.cell\")"))
        try writeEdited(checkpoint, to: path) { $0.metadata["model"] = model(stack: #"{"activation":"tanh","cell":"lstm","dropout":0,"layer_norm":false,"layers":2,"recurrent_dropout":0}"#) }
        #expect(readError(path) == .invalidMetadata(path: path, key: "model", reason: "is not valid model description JSON (missing \"hidden_size\")"))
        try writeEdited(checkpoint, to: path) { $0.metadata["model"] = model(head: #"{"kind":"next_character","output_size":5}"#) }
        #expect(readError(path) == .invalidConfig(path: path, problem: "the next-character head predicts the input's 6 characters, not 5"))
        #expect(readError(path)?.description == "checkpoint \(path) has an invalid model: the next-character head predicts the input's 6 characters, not 5")
        try writeEdited(checkpoint, to: path) { $0.metadata["model"] = model(stack: #"{"activation":"tanh","cell":"lstm","dropout":0,"hidden_size":0,"layer_norm":false,"layers":2,"recurrent_dropout":0}"#) }
        #expect(readError(path) == .invalidConfig(path: path, problem: "hidden size must be at least 1 (got 0)"))
        for (h, l) in [(Int.max, 2), (4, 1_000_000_000_000_000), (1 << 40, 1 << 40)] {
            try writeEdited(checkpoint, to: path) {
                $0.metadata["model"] = model(stack: #"{"activation":"tanh","cell":"lstm","dropout":0,"hidden_size":\#(h),"layer_norm":false,"layers":\#(l),"recurrent_dropout":0}"#)
            }
            #expect(readError(path) == .invalidConfig(path: path, problem: "model too large (vocabulary 6, hidden size \(h), \(l) layers)"))
        }
    }

    @Test func tokenizerAndVocabulary() throws {
        let dir = TemporaryDirectory()
        let path = dir.file()
        let checkpoint = try makeCheckpoint(small)
        try writeEdited(checkpoint, to: path) { $0.metadata["tokenizer"] = #"{"mode":"word","normalize":true,"lossy":false}"# }
        #expect(readError(path) == .invalidMetadata(path: path, key: "tokenizer", reason: "is not valid tokenizer settings JSON (bad value at \"mode\")"))
        try writeEdited(checkpoint, to: path) { $0.metadata["tokenizer"] = nil }
        #expect(readError(path) == .missingMetadata(path: path, key: "tokenizer"))
        try writeEdited(checkpoint, to: path) { $0.metadata["vocabulary"] = nil }
        #expect(readError(path) == .missingMetadata(path: path, key: "vocabulary"))
        try writeEdited(checkpoint, to: path) { $0.metadata["vocabulary"] = #"{"a":1}"# }
        #expect(readError(path) == .invalidMetadata(path: path, key: "vocabulary", reason: "is invalid: vocabulary is not a JSON array of strings"))
        try writeEdited(checkpoint, to: path) { $0.metadata["vocabulary"] = #"["a","b","c","d","e","a"]"# }
        #expect(readError(path) == .invalidMetadata(path: path, key: "vocabulary", reason: "is invalid: vocabulary lists \"a\" twice"))
        try writeEdited(checkpoint, to: path) { $0.metadata["vocabulary"] = #"["a","b","c","d","e"]"# }
        #expect(readError(path) == .vocabularySizeMismatch(path: path, vocabularyCount: 5, configSize: 6))
        // A grapheme vocabulary read as bytes is caught too.
        try writeEdited(checkpoint, to: path) { $0.metadata["tokenizer"] = #"{"mode":"byte","normalize":false,"lossy":false}"#; $0.metadata["vocabulary"] = #"["ab","b","c","d","e","f"]"# }
        #expect(readError(path) == .invalidMetadata(path: path, key: "vocabulary", reason: "is invalid: byte vocabulary entry \"ab\" is not one byte"))
    }

    @Test func parameterTensors() throws {
        let dir = TemporaryDirectory()
        let path = dir.file()
        let checkpoint = try makeCheckpoint(small)
        try writeEdited(checkpoint, to: path) { $0.tensors.removeAll { $0.name == "rnn.bias_hh_l1" } }
        #expect(readError(path) == .missingTensor(path: path, name: "rnn.bias_hh_l1"))
        try writeEdited(checkpoint, to: path) { file in
            let i = file.tensors.firstIndex { $0.name == "rnn.weight_hh_l0" }!
            file.tensors[i].shape = [4, 16]  // transposed: same count, wrong shape
        }
        #expect(readError(path) == .wrongShape(path: path, name: "rnn.weight_hh_l0", expected: [16, 4], found: [4, 16]))
        try writeEdited(checkpoint, to: path) { $0.tensors.append(.init(name: "decoder.weight", shape: [1], data: [0])) }
        #expect(readError(path) == .unexpectedTensor(path: path, name: "decoder.weight"))
        try writeEdited(checkpoint, to: path) { $0.tensors.append(.init(name: "rnn.weight_ih_l2", shape: [1], data: [0])) }
        #expect(readError(path) == .unexpectedTensor(path: path, name: "rnn.weight_ih_l2"))
        // Extras may come in any order, even between parameters.
        try writeEdited(checkpoint, to: path) { $0.tensors.insert(.init(name: "state.x", shape: [2], data: [1, 2]), at: 1) }
        #expect(try Checkpoint.read(from: path).extraTensors == [.init(name: "state.x", shape: [2], data: [1, 2])])
    }

    /// Optimizer moments and carried state are checked by shape, not only by count: a transposed
    /// state ((L, H, B) for (L, B, H)) or a moment of another shape loaded and resumed a run on them.
    @Test func extraTensorsOfTheWrongShapeAreRefused() throws {
        let dir = TemporaryDirectory()
        let path = dir.file()
        let count = ParameterLayout(config: small).totalCount   // small: lstm, 2 layers of 4
        let gru = ModelConfig(cell: .gru, vocabularySize: 6, hiddenSize: 4, layerCount: 2)
        let needsMoment = "an optimizer moment needs one value per parameter, [\(count)]"
        let needsState = "the carried state needs (layers, batch, hidden) = [2, B, 4]"
        let cases: [(ModelConfig, SafeTensorsFile.Tensor, String)] = [
            (small, .init(name: "optim.m", shape: [1, count], data: [Float](repeating: 0, count: count)), needsMoment),
            (small, .init(name: "optim.v", shape: [count - 1], data: [Float](repeating: 0, count: count - 1)), needsMoment),
            (small, .init(name: "state.h", shape: [2, 4, 3], data: [Float](repeating: 0, count: 24)), needsState),
            (small, .init(name: "state.c", shape: [6, 4], data: [Float](repeating: 0, count: 24)), needsState),
            (small, .init(name: "state.h", shape: [3, 2, 4], data: [Float](repeating: 0, count: 24)), needsState),
            (gru, .init(name: "state.c", shape: [2, 3, 4], data: [Float](repeating: 0, count: 24)), "and a gru model carries no cell state"),
        ]
        for (config, tensor, reason) in cases {
            try makeCheckpoint(config, extras: [tensor]).write(to: path)
            let error = try #require(readError(path))
            #expect(error == .wrongExtraShape(path: path, name: tensor.name, found: tensor.shape, reason: reason))
            #expect(error.description == "checkpoint \(path) is damaged: tensor \"\(tensor.name)\" has shape \(tensor.shape), \(reason)")
        }
        try makeCheckpoint(small, extras: [.init(name: "state.h", shape: [2, 3, 4], data: [Float](repeating: 0, count: 24)),
                                           .init(name: "optim.m", shape: [count], data: [Float](repeating: 0, count: count))]).write(to: path)
        #expect(readError(path) == nil)
    }

    /// `training.task` names the task that made the model: anything else (not a task, or a task that
    /// makes another kind of model) is refused at load instead of being shown and suggested back.
    @Test func aTaskThatDoesNotMakeTheModelIsRefused() throws {
        let dir = TemporaryDirectory()
        let path = dir.file()
        var classifier = small
        classifier.head = .classifier
        classifier.outputSize = 2
        classifier.pooling = .last
        for (config, task, reason) in [
            (small, "zzz", "is \"zzz\", not a task (classify, generate or translate)"),
            (small, "translate", "is \"translate\", which does not make this model (a next_character head on one_hot input)"),
            (small, "generate", "is \"generate\", which does not make this model (a next_character head on one_hot input)"),
            (small, "classify", "is \"classify\", which does not make this model (a next_character head on one_hot input)"),
            (classifier, "generate", "is \"generate\", which does not make this model (a classifier head on one_hot input)"),
        ] {
            var checkpoint = try makeCheckpoint(config, training: ["task": task])
            if config.head == .classifier { checkpoint.labels = ["a", "b"] }
            try checkpoint.write(to: path)
            #expect(readError(path) == .invalidMetadata(path: path, key: "training.task", reason: reason), "\(task)")
        }
        var good = try makeCheckpoint(classifier, training: ["task": "classify"])
        good.labels = ["a", "b"]
        try good.write(to: path)
        #expect(readError(path) == nil)
    }

    @Test func otherDTypesAreExplained() throws {
        let dir = TemporaryDirectory()
        let path = dir.file()
        // One F16 tensor of two elements, built by hand.
        var header = Array(#"{"optim.m":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}"#.utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        let bytes = (0..<8).map { UInt8(truncatingIfNeeded: header.count >> (8 * $0)) } + header + [0, 0x3C, 0, 0x3C]
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(readError(path) == .unreadable(path: path, .unsupportedDType(tensor: "optim.m", dtype: "F16")))
        #expect(readError(path)?.description == "cannot load checkpoint \(path): tensor \"optim.m\" has dtype F16; charrnn reads F32 only")
    }

    /// A NaN or an infinity in a parameter, an optimizer moment or the carried
    /// state: a load error naming the tensor and the first bad element.
    @Test(arguments: [
        ("rnn.weight_hh_l0", 17, Float.nan, NonFiniteValue.notANumber),
        ("head.bias", 5, Float.infinity, .positiveInfinity),
        ("rnn.bias_ih_l1", 0, -Float.infinity, .negativeInfinity),
        ("optim.m", 3, Float.nan, .notANumber),
        ("optim.v", 1, -Float.infinity, .negativeInfinity),
        ("state.h", 7, Float.infinity, .positiveInfinity),
        ("state.c", 2, Float.nan, .notANumber),
    ])
    func nonFiniteValuesAreRefusedByTensorAndElement(tensor: String, index: Int, value: Float, kind: NonFiniteValue) throws {
        let dir = TemporaryDirectory()
        let path = dir.file()
        let count = ParameterLayout(config: small).totalCount
        let checkpoint = try makeCheckpoint(small, extras: [
            .init(name: "optim.m", shape: [count], data: [Float](repeating: 0.5, count: count)),
            .init(name: "optim.v", shape: [count], data: [Float](repeating: 0.25, count: count)),
            .init(name: "state.h", shape: [2, 1, 4], data: [Float](repeating: 0.1, count: 8)),
            .init(name: "state.c", shape: [2, 1, 4], data: [Float](repeating: -3, count: 8)),
        ])
        try writeEdited(checkpoint, to: path) { file in
            let t = file.tensors.firstIndex { $0.name == tensor }!
            file.tensors[t].data[index] = value
            if index + 1 < file.tensors[t].data.count { file.tensors[t].data[index + 1] = .nan }  // only the first is named
        }
        let error = try #require(readError(path))
        #expect(error == .nonFiniteValue(path: path, tensor: tensor, index: index, value: kind))
        #expect(error.description == "checkpoint \(path): \"\(tensor)\" holds \(kind.phrase) at element \(index): "
                + "the checkpoint is damaged or the run diverged; use an earlier checkpoint")
    }

    /// The largest finite values are values, not damage.
    @Test func extremeFiniteValuesLoad() throws {
        let dir = TemporaryDirectory()
        let path = dir.file()
        var checkpoint = try makeCheckpoint(small)
        checkpoint.parameters[0] = .greatestFiniteMagnitude
        checkpoint.parameters[1] = -.greatestFiniteMagnitude
        checkpoint.parameters[2] = .leastNonzeroMagnitude
        try checkpoint.write(to: path)
        #expect(try Checkpoint.read(from: path) == checkpoint)
    }

    // MARK: Validation on write

    @Test func inconsistentCheckpointsAreNotWritten() throws {
        let dir = TemporaryDirectory()
        let path = dir.file()
        let good = try makeCheckpoint(small)
        func writeError(_ c: Checkpoint) -> CheckpointError? {
            do { try c.write(to: path); return nil } catch { return error }
        }
        var c = good
        c.parameters.removeLast()
        #expect(writeError(c) == .inconsistent(path: path, reason: "\(good.parameters.count - 1) parameters given, the model has \(good.parameters.count)"))
        c = good
        c.config.vocabularySize = 7
        #expect(writeError(c) == .inconsistent(path: path, reason: "the vocabulary has 6 characters but the config's vocabulary size is 7"))
        c = good
        c.tokenizer.mode = .scalar
        #expect(writeError(c) == .inconsistent(path: path, reason: "the vocabulary is in grapheme mode but the tokenizer in scalar mode"))
        c = good
        c.config.layerCount = 0
        #expect(writeError(c) == .inconsistent(path: path, reason: "invalid model config: layer count must be at least 1 (got 0)"))
        c = good
        c.extraTensors = [.init(name: "m", shape: [1], data: [1])]
        #expect(writeError(c) == .inconsistent(path: path, reason: "extra tensor \"m\" must be named optim.* or state.*"))
        c = good
        c.extraTensors = [.init(name: "optim.m", shape: [2], data: [1])]
        #expect(writeError(c) == .unwritable(path: path, .shapeMismatch(tensor: "optim.m", shape: [2], count: 1)))
        #expect(!FileManager.default.fileExists(atPath: path))

        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        guard case .unwritable(_, .io) = writeError(good) else { Issue.record("writing over a directory did not fail"); return }
        #expect(writeError(good)?.description.hasPrefix("cannot write checkpoint: cannot replace \(path): ") == true)
    }

    @Test func everyDescriptionIsOneLineAndNamesTheFile() {
        let p = "/x/ckpt.safetensors"
        let errors: [CheckpointError] = [
            .unreadable(path: p, .fileTooShort(size: 2)), .unreadable(path: p, .io(path: p, operation: "open", message: "denied")),
            .unreadable(path: p, .unsupportedDType(tensor: "a", dtype: "BF16")),
            .notACheckpoint(path: p, reason: "r"), .newerFormat(path: p, version: 3), .missingMetadata(path: p, key: "config"),
            .invalidMetadata(path: p, key: "config", reason: "r"), .invalidConfig(path: p, problem: "q"),
            .vocabularySizeMismatch(path: p, vocabularyCount: 1, configSize: 2), .missingTensor(path: p, name: "head.bias"),
            .wrongShape(path: p, name: "head.bias", expected: [2], found: [3]), .unexpectedTensor(path: p, name: "evil\nname"),
            .nonFiniteValue(path: p, tensor: "rnn.weight_hh_l0", index: 17, value: .notANumber),
            .inconsistent(path: p, reason: "r"), .unwritable(path: p, .duplicateTensor("a")),
            .unwritable(path: p, .io(path: p + ".tmp-1", operation: "create temporary file", message: "denied")),
        ]
        for e in errors {
            #expect(e.description.contains(p))
            #expect(!e.description.contains("\n"))
        }
    }
}

// MARK: - PyTorch interop

/// Loads checkpoints with Python's safetensors and PyTorch through
/// `scripts/check_checkpoint_torch.py`, and checks that every parameter lands
/// in PyTorch's modules unchanged. Uses the Python in `CHARRNN_PYTHON`, else
/// /tmp/torchenv/bin/python if present, else python3; without torch, numpy and
/// safetensors there the suite is reported as skipped, with the reason.
/// Probed once per test run (and only if the suite runs): can the chosen Python
/// import torch, numpy and safetensors?
private enum TorchProbe {
    static let python: String = {
        if let p = ProcessInfo.processInfo.environment["CHARRNN_PYTHON"], !p.isEmpty { return p }
        if FileManager.default.isExecutableFile(atPath: "/tmp/torchenv/bin/python") { return "/tmp/torchenv/bin/python" }
        return "python3"
    }()

    static let available: Bool = {
        let dir = TemporaryDirectory()
        guard let probe = try? CheckpointTests.TorchInterop.run(["-c", "import torch, safetensors, numpy"], in: dir) else {
            return false
        }
        return probe.status == 0
    }()
}

extension CheckpointTests {
@Suite(.enabled(if: TorchProbe.available,
                "\(TorchProbe.python) cannot import torch, numpy and safetensors (make torch-venv, or set CHARRNN_PYTHON)"))
struct TorchInterop {

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static var python: String { TorchProbe.python }

    /// Runs `python arguments…`; returns exit status, stdout and stderr.
    fileprivate static func run(_ arguments: [String], in dir: TemporaryDirectory) throws -> (status: Int32, out: Data, err: String) {
        let outPath = dir.file("stdout"), errPath = dir.file("stderr")
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python] + arguments
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        try process.run()
        process.waitUntilExit()
        let err = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        return (process.terminationStatus, try Data(contentsOf: URL(fileURLWithPath: outPath)), err)
    }

    @Test(arguments: CheckpointTests.configs.map(\.0))
    func pytorchLoadsParametersUnchanged(config: ModelConfig) throws {
        let dir = TemporaryDirectory()
        let checkpoint = try makeCheckpoint(config, seed: 99, training: ["iteration": "5"],
                                            extras: [.init(name: "optim.m", shape: [2], data: [0.25, -4])])
        try checkpoint.write(to: dir.file())
        let script = Self.packageRoot.appendingPathComponent("scripts/check_checkpoint_torch.py").path
        let result = try Self.run([script, dir.file(), "--values", "--ids", "0,1,2,1,0"], in: dir)
        try #require(result.status == 0, "script failed: \(result.err)")
        let json = try #require(try JSONSerialization.jsonObject(with: result.out) as? [String: Any])

        #expect(json["format"] as? String == "charrnn")
        #expect(json["format_version"] as? String == "2")
        #expect(json["vocabulary_size"] as? Int == config.vocabularySize)
        #expect(json["training"] as? [String: String] == ["iteration": "5"])
        let parameters = try #require(json["parameters"] as? [String: [String: Any]])
        let layout = ParameterLayout(config: config)
        #expect(Set(parameters.keys) == Set(layout.entries.map(\.name)))
        for e in layout.entries {
            let p = try #require(parameters[e.name], "PyTorch has no \(e.name)")
            #expect(p["shape"] as? [Int] == e.shape, "\(e.name)")
            #expect(p["dtype"] as? String == "float32")
            let values = (p["values"] as? [NSNumber] ?? []).map { Float($0.doubleValue) }
            #expect(values.map(\.bitPattern) == checkpoint.parameters[e.range].map(\.bitPattern), "\(e.name) differs in PyTorch")
            let sum = checkpoint.parameters[e.range].reduce(0.0) { $0 + Double($1) }
            #expect(abs(((p["sum"] as? NSNumber)?.doubleValue ?? .nan) - sum) <= 1e-9 * max(1, abs(sum)))
        }
        let extras = try #require(json["extras"] as? [String: [String: Any]])
        #expect((extras["optim.m"]?["first"] as? [NSNumber])?.map(\.doubleValue) == [0.25, -4])
        let logits = try #require(json["logits"] as? [[NSNumber]])
        #expect(logits.count == 5)
        #expect(logits.allSatisfy { $0.count == config.vocabularySize && $0.allSatisfy { $0.doubleValue.isFinite } })
        print("PyTorch \(json["torch_version"] ?? "?") loaded \(config.cell) checkpoint: logits[0][0..<3] = \(logits[0].prefix(3).map(\.doubleValue))")
    }

    /// The other direction: files written by Python's safetensors decode here.
    @Test func readsFilesWrittenByPythonSafetensors() throws {
        let dir = TemporaryDirectory()
        let program = #"""
            import sys, numpy as np
            from safetensors.numpy import save_file
            save_file({"b": np.arange(6, dtype=np.float32).reshape(2, 3), "a": np.array(1.5, dtype=np.float32),
                       "e": np.zeros((0,), np.float32), "c": np.array([-1, 2.25, np.inf], np.float32)},
                      sys.argv[1], metadata={"format": "pt", "note": "é \"\n"})
            save_file({"h": np.ones((2,), np.float16)}, sys.argv[2])
            """#
        let result = try Self.run(["-c", program, dir.file("f32.safetensors"), dir.file("f16.safetensors")], in: dir)
        try #require(result.status == 0, "python failed: \(result.err)")
        let file = try SafeTensorsFile.read(path: dir.file("f32.safetensors"))
        #expect(file.metadata == ["format": "pt", "note": "é \"\n"])
        #expect(Set(file.tensors.map(\.name)) == ["a", "b", "c", "e"])
        #expect(file["a"] == .init(name: "a", shape: [], data: [1.5]))
        #expect(file["b"] == .init(name: "b", shape: [2, 3], data: [0, 1, 2, 3, 4, 5]))
        #expect(file["c"] == .init(name: "c", shape: [3], data: [-1, 2.25, .infinity]))
        #expect(file["e"] == .init(name: "e", shape: [0], data: []))
        #expect(throws: SafeTensorsError.unsupportedDType(tensor: "h", dtype: "F16")) {
            try SafeTensorsFile.read(path: dir.file("f16.safetensors"))
        }
        #expect(throws: CheckpointError.notACheckpoint(path: dir.file("f32.safetensors"), reason: "its format is \"pt\", not \"charrnn\"")) {
            try Checkpoint.read(from: dir.file("f32.safetensors"))
        }
    }

    @Test func scriptRejectsAForeignFile() throws {
        let dir = TemporaryDirectory()
        try SafeTensorsFile(metadata: ["format": "pt"], tensors: [.init(name: "w", shape: [1], data: [1])]).write(path: dir.file())
        let script = Self.packageRoot.appendingPathComponent("scripts/check_checkpoint_torch.py").path
        let result = try Self.run([script, dir.file()], in: dir)
        #expect(result.status == 1)
        #expect(result.err.contains("not a charrnn checkpoint"))
    }
}
}
