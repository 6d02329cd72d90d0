// The JSON bodies of the API, one Codable type each; field names are the wire's (snake_case).

import RNN

/// `GET /v1/models`: one loaded model. `model` is the checkpoint's `ModelDescription`,
/// the object `charrnn info --json` prints under "model": one description, one encoding.
public struct ModelInfo: Codable, Equatable, Sendable {
    public var name: String
    public var task: ModelTask
    public var labels: [String]?                 // a classifier's classes, or the labels a conditioned model writes from; id order
    public var model: ModelDescription
    public var parameters: Int
    public var charactersTrained: Int?           // iterations × batch size × sequence length, when recorded (not for --task runs)
    public var bestValidationLoss: Double?       // nats per character (per text for a classifier)

    enum CodingKeys: String, CodingKey {
        case name, task, labels, model, parameters
        case charactersTrained = "characters_trained", bestValidationLoss = "best_validation_loss"
    }
}

/// What a loaded model answers: `generate` (POST /v1/generate and /v1/score; with `labels`, it
/// writes from one of them), `classify` (POST /v1/classify) or `translate` (POST /v1/translate).
public enum ModelTask: String, Codable, Sendable {
    case generate, classify, translate
}

/// `GET /v1/models` in OpenAI's list shape, `{"object": "list", "data": [...]}`: each entry OpenAI's
/// model fields (`id` = the name, `object` "model", `created` = when this server loaded it, `owned_by`)
/// beside the `ModelInfo` fields, `model` being the description `charrnn info --json` prints.
public struct ModelList: Encodable, Sendable {
    public var models: [ModelInfo]
    public var loaded: Int                       // Unix seconds

    /// One model as OpenAI's `GET /v1/models/{id}` answers it (`client.models.retrieve`): the list's entry.
    struct Entry: Encodable {
        let info: ModelInfo, created: Int
        enum CodingKeys: String, CodingKey { case id, object, created, ownedBy = "owned_by" }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(info.name, forKey: .id)
            try c.encode("model", forKey: .object)
            try c.encode(created, forKey: .created)
            try c.encode("charrnn", forKey: .ownedBy)
            try info.encode(to: encoder)         // the same object: its fields beside OpenAI's
        }
    }
    enum CodingKeys: String, CodingKey { case object, data }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode("list", forKey: .object)
        try c.encode(models.map { Entry(info: $0, created: loaded) }, forKey: .data)
    }
}

/// `POST /v1/generate`. Absent fields take `SampleDefaults`: `charrnn sample`'s temperature,
/// and a shorter length than its (`SampleDefaults.requestLength` says why).
public struct GenerateRequest: Codable, Equatable, Sendable {
    public var model: String?                    // default: the first model loaded
    public var prime: String?
    public var temperature: Float?               // SampleDefaults.temperature; 0 is greedy
    public var topK: Int?
    public var topP: Float?
    public var length: Int?                      // SampleDefaults.requestLength
    public var seed: UInt64?                     // a fresh one, reported
    public var stop: StopList?                   // one string or up to GenerationPlan.maxStops
    public var count: Int?                       // 1; seeds S, S+1, …
    public var stream: Bool?
    public var beam: Int?
    public var bestOf: Int?
    public var label: String?                    // a label-conditioned model's label (required there, refused elsewhere)

    public init(model: String? = nil, prime: String? = nil, temperature: Float? = nil, topK: Int? = nil, topP: Float? = nil,
                length: Int? = nil, seed: UInt64? = nil, stop: StopList? = nil, count: Int? = nil, stream: Bool? = nil,
                beam: Int? = nil, bestOf: Int? = nil, label: String? = nil) {
        self.model = model; self.prime = prime; self.temperature = temperature; self.topK = topK; self.topP = topP
        self.length = length; self.seed = seed; self.stop = stop; self.count = count; self.stream = stream
        self.beam = beam; self.bestOf = bestOf; self.label = label
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case model, prime, temperature, length, seed, stop, count, stream, beam, label
        case topK = "top_k", topP = "top_p", bestOf = "best_of"
    }
}

/// A request's `stop`: one string or an array of them in JSON, as OpenAI's completions take it
/// (and `charrnn sample --stop`, given again); the text ends at the first it meets.
public struct StopList: Codable, Equatable, Sendable, ExpressibleByStringLiteral, ExpressibleByArrayLiteral {
    public var strings: [String]

    public init(_ strings: [String]) { self.strings = strings }
    public init(stringLiteral one: String) { strings = [one] }
    public init(arrayLiteral many: String...) { strings = many }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let one = try? c.decode(String.self) {
            strings = [one]
        } else if let many = try? c.decode([String].self) {
            strings = many
        } else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "must be a string or an array of strings")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        if strings.count == 1 { try c.encode(strings[0]) } else { try c.encode(strings) }
    }
}

/// Why a sample ended.
public enum StopReason: String, Codable, Sendable {
    case length                                  // `length` characters were generated
    case stop                                    // the stop string was generated
    case end                                     // a documents model chose its end marker: the document is whole
}

/// One generated sample: the non-streamed answer's element and the stream's `done` event.
public struct SampleResult: Codable, Equatable, Sendable {
    public var index: Int                        // 0..<count
    public var text: String?                     // the generated text (not the prime); absent in the stream's `done` event
    public var seed: UInt64?                     // absent for beam search, which draws nothing
    public var characters: Int
    public var logProb: Double                   // Σ log p(char), nats, under the untempered model
    public var meanLogProb: Double               // per character
    public var stopReason: StopReason

    enum CodingKeys: String, CodingKey {
        case index, text, seed, characters
        case logProb = "log_prob", meanLogProb = "mean_log_prob", stopReason = "stop_reason"
    }
}

public struct GenerateResponse: Codable, Equatable, Sendable {
    public var model: String
    public var samples: [SampleResult]
}

/// A streamed piece of text (`event: text`).
public struct TextEvent: Codable, Equatable, Sendable {
    public var index: Int
    public var text: String
}

/// `POST /v1/score`.
public struct ScoreRequest: Codable, Equatable, Sendable {
    public var model: String?
    public var text: String
    public init(model: String? = nil, text: String) { self.model = model; self.text = text }

    enum CodingKeys: String, CodingKey, CaseIterable { case model, text }
}

public struct ScoreResponse: Codable, Equatable, Sendable {
    public var model: String
    public var natsPerCharacter: Double
    public var bitsPerCharacter: Double
    public var charactersScored: Int             // characters predicted: all known ones after the first
    public var unknownCharacters: Int            // characters outside the vocabulary: left out, or read as <unk> when the model folds them

    enum CodingKeys: String, CodingKey {
        case model
        case natsPerCharacter = "nats_per_character", bitsPerCharacter = "bits_per_character"
        case charactersScored = "characters_scored", unknownCharacters = "unknown_characters"
    }
}

public struct ErrorBody: Codable, Equatable, Sendable {
    public var error: String
}

/// `POST /v1/classify`: one text or several (`ServeLimits.maxTexts` at most), not both.
public struct ClassifyRequest: Codable, Equatable, Sendable {
    public var model: String?
    public var text: String?
    public var texts: [String]?
    public init(model: String? = nil, text: String? = nil, texts: [String]? = nil) {
        self.model = model; self.text = text; self.texts = texts
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case model, text, texts }
}

/// One text's answer: the figures `charrnn classify --json` prints for the line.
public struct ClassifyResult: Codable, Equatable, Sendable {
    public var label: String                     // the most probable label (the first in id order among equals)
    public var probability: Double               // its probability
    public var probabilities: [String: Double]   // every label's
    public var characters: Int                   // characters the model read (after the run's --max-chars cut)
    public var unknown: Int                      // characters outside the vocabulary: left out, or read as <unk> when the model folds them
}

public struct ClassifyResponse: Codable, Equatable, Sendable {
    public var model: String
    public var results: [ClassifyResult]         // one per text, in order
}

/// `POST /v1/translate`: one source or several (`ServeLimits.maxTexts` at most), not both; greedy
/// unless `beam` > 1; an output the model has not ended after `max_length` characters is cut there.
public struct TranslateRequest: Codable, Equatable, Sendable {
    public var model: String?
    public var source: String?
    public var sources: [String]?
    public var beam: Int?                        // 1 (greedy)
    public var maxLength: Int?                   // Translator.defaultMaxLength
    public init(model: String? = nil, source: String? = nil, sources: [String]? = nil, beam: Int? = nil, maxLength: Int? = nil) {
        self.model = model; self.source = source; self.sources = sources; self.beam = beam; self.maxLength = maxLength
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case model, source, sources, beam
        case maxLength = "max_length"
    }
}

/// One source's answer: the figures `charrnn translate --json` prints for the line.
public struct TranslateResult: Codable, Equatable, Sendable {
    public var translation: String
    public var logProb: Double                   // Σ log p of its characters and of </s> when finished, nats
    public var finished: Bool                    // false when cut at max_length
    public var characters: Int

    enum CodingKeys: String, CodingKey {
        case translation, finished, characters
        case logProb = "log_prob"
    }
}

public struct TranslateResponse: Codable, Equatable, Sendable {
    public var model: String
    public var results: [TranslateResult]        // one per source, in order
}
