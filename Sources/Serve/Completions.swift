// OpenAI's completions API (`POST /v1/completions`), for the clients people
// already have (the `openai` Python package, curl scripts, LangChain): the
// request is read into a `GenerateRequest` and runs the same `GenerationPlan`
// and generation loop as `POST /v1/generate`, so the same seed writes the same
// text as `charrnn sample`; only the answer's shape is OpenAI's.
//
// Mapping: prompt → prime, max_tokens → length in characters (a token is a
// character here; default 16, as OpenAI's), temperature (default 1, as
// OpenAI's), top_p, n → count (choice i draws with seed + i), stop (a string,
// or an array of up to 4) → stop strings, seed, stream (server-sent `data:` events of
// `text_completion` chunks, then `data: [DONE]`). As OpenAI does, a choice's
// text ends before its stop string (and a stream holds back the characters
// that could begin it). finish_reason: "stop" (the stop string, or a documents
// model's end), "length". usage counts characters. Errors are OpenAI's shape,
// `{"error": {"message", "type", "param", "code"}}`, with the same statuses as
// the native API.

import Foundation
import Sampler

/// `POST /v1/completions`: the fields charrnn takes (others are refused by name).
struct CompletionRequest: Decodable, Sendable {
    var model: String?
    var prompt: String?
    var maxTokens: Int?
    var temperature: Float?
    var topP: Float?
    var n: Int?
    var stop: StopList?
    var seed: UInt64?
    var stream: Bool?
    var includeUsage = false                     // stream_options.include_usage: a last chunk with the usage
    var user: String?                            // accepted and ignored, as an end-user id is
    var label: String?                           // charrnn's own: a label-conditioned model's label (as /v1/generate's)

    enum CodingKeys: String, CodingKey, CaseIterable {
        case model, prompt, temperature, n, stop, seed, stream, user, label, echo, logprobs, suffix
        case maxTokens = "max_tokens", topP = "top_p", streamOptions = "stream_options", bestOf = "best_of"
        case frequencyPenalty = "frequency_penalty", presencePenalty = "presence_penalty", logitBias = "logit_bias"
    }

    private struct StreamOptions: Decodable { var includeUsage: Bool?; enum CodingKeys: String, CodingKey { case includeUsage = "include_usage" } }

    /// OpenAI's limit on stop strings.
    static let maxStops = 4

    /// OpenAI's default length in tokens (characters here) and temperature.
    static let defaultMaxTokens = 16, defaultTemperature: Float = 1

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decodeIfPresent(String.self, forKey: .model)
        // A prompt is a string, or an array of exactly one (OpenAI takes batches of prompts; charrnn one).
        if let one = try? c.decodeIfPresent(String.self, forKey: .prompt) {
            prompt = one
        } else if let many = try? c.decodeIfPresent([String].self, forKey: .prompt) {
            guard many.count == 1 else {
                throw DecodingError.dataCorruptedError(forKey: .prompt, in: c, debugDescription: "charrnn takes one prompt per request (got \(many.count))")
            }
            prompt = many[0]
        } else if c.contains(.prompt), try !c.decodeNil(forKey: .prompt) {
            throw DecodingError.typeMismatch(String.self, .init(codingPath: [CodingKeys.prompt], debugDescription: "prompt"))
        }
        stop = try c.decodeIfPresent(StopList.self, forKey: .stop)
        maxTokens = try c.decodeIfPresent(Int.self, forKey: .maxTokens)
        temperature = try c.decodeIfPresent(Float.self, forKey: .temperature)
        topP = try c.decodeIfPresent(Float.self, forKey: .topP)
        n = try c.decodeIfPresent(Int.self, forKey: .n)
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed)
        stream = try c.decodeIfPresent(Bool.self, forKey: .stream)
        user = try c.decodeIfPresent(String.self, forKey: .user)
        label = try c.decodeIfPresent(String.self, forKey: .label)
        includeUsage = try c.decodeIfPresent(StreamOptions.self, forKey: .streamOptions)?.includeUsage ?? false
        // OpenAI's fields that clients send at their defaults (LangChain sends the penalties): taken at those
        // values, which change nothing; any other value is refused by name, since charrnn does not do it.
        func only<T: Decodable & Equatable>(_ key: CodingKeys, _ type: T.Type, _ neutral: T, _ what: String) throws {
            if c.contains(key), try !c.decodeNil(forKey: key), try c.decode(T.self, forKey: key) != neutral {
                throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "charrnn does not \(what) (\(key.rawValue) may be \(neutral) or null)")
            }
        }
        try only(.echo, Bool.self, false, "echo the prompt")
        try only(.logprobs, Int.self, 0, "return per-token log-probabilities here (mean_log_prob: POST /v1/generate)")
        try only(.suffix, String.self, "", "insert text before a suffix")
        try only(.bestOf, Int.self, 1, "take best_of here (POST /v1/generate's best_of does)")
        try only(.frequencyPenalty, Float.self, 0, "apply a frequency penalty")
        try only(.presencePenalty, Float.self, 0, "apply a presence penalty")
        try only(.logitBias, [String: Float].self, [:], "bias logits")
    }

    /// The native request it runs as, with OpenAI's names in the messages of what it refuses.
    func generateRequest(limits: ServeLimits) throws(APIError) -> GenerateRequest {
        let length = maxTokens ?? Self.defaultMaxTokens, count = n ?? 1
        if !(0...limits.maxLength).contains(length) {
            throw .badRequest("max_tokens must be between 0 and \(limits.maxLength) (got \(length))")
        }
        if !(1...limits.maxCount).contains(count) { throw .badRequest("n must be between 1 and \(limits.maxCount) (got \(count))") }
        if let count = stop?.strings.count, count > Self.maxStops {
            throw .badRequest("stop: at most \(Self.maxStops) strings, as OpenAI's (got \(count))")
        }
        return GenerateRequest(model: model, prime: prompt, temperature: temperature ?? Self.defaultTemperature, topP: topP,
                               length: length, seed: seed, stop: stop, count: count, stream: stream, label: label)
    }
}

/// A `text_completion` answer, or one chunk of a streamed one.
struct Completion: Encodable, Sendable {
    struct Choice: Encodable, Sendable {
        var text: String
        var index: Int
        var logprobs: String? = nil              // always null: charrnn does not return per-token log-probabilities here
        var finishReason: String?                // "stop", "length"; null in a stream's chunks before the last

        enum CodingKeys: String, CodingKey { case text, index, logprobs, finishReason = "finish_reason" }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(text, forKey: .text)
            try c.encode(index, forKey: .index)
            try c.encodeNil(forKey: .logprobs)
            try c.encode(finishReason, forKey: .finishReason)   // null when nil, as OpenAI writes it
        }
    }
    struct Usage: Encodable, Sendable {
        var promptTokens: Int, completionTokens: Int, totalTokens: Int
        enum CodingKeys: String, CodingKey {
            case promptTokens = "prompt_tokens", completionTokens = "completion_tokens", totalTokens = "total_tokens"
        }
    }
    var id: String
    var object = "text_completion"
    var created: Int
    var model: String
    var choices: [Choice]
    var usage: Usage?
}

/// OpenAI's error body.
struct OpenAIErrorBody: Encodable, Sendable {
    struct Detail: Encodable, Sendable {
        var message: String, type: String
        var param: String? = nil, code: String? = nil
        enum CodingKeys: String, CodingKey { case message, type, param, code }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(message, forKey: .message)
            try c.encode(type, forKey: .type)
            try c.encode(param, forKey: .param)
            try c.encode(code, forKey: .code)
        }
    }
    var error: Detail

    init(_ error: APIError) {
        let type = switch error {
        case .badRequest, .tooLarge, .methodNotAllowed, .unreadable: "invalid_request_error"
        case .notFound: "not_found_error"
        case .forbidden: "permission_error"
        case .busy, .stopping: "server_busy"
        case .modelOutput: "server_error"
        }
        self.error = Detail(message: error.message, type: type, param: Self.param(of: error.message))
    }

    /// The request field a message is about, as OpenAI's `param`: the messages name it first
    /// (`max_tokens must be …`, `stop: …`, `unknown field logit_bia; …`).
    static func param(of message: String) -> String? {
        let text = message.hasPrefix("unknown field ") ? message.dropFirst("unknown field ".count) : message[...]
        let name = text.prefix { $0.isLetter || $0 == "_" }
        guard !name.isEmpty, let after = text.dropFirst(name.count).first, " :[.;".contains(after) else { return nil }
        return message.hasPrefix("unknown field ") || CompletionRequest.CodingKeys(rawValue: String(name)) != nil ? String(name) : nil
    }
}

/// The generation loop's answer in OpenAI's shape (`GenerationOutput`).
final class CompletionOutput: GenerationOutput, @unchecked Sendable {   // used by the one worker that runs the request
    private let plan: GenerationPlan, sink: ResponseSink
    private let id = "cmpl-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
    private let created = Int(Date().timeIntervalSince1970)
    private let stops: StopStrings               // up to 4
    private var pending: [UInt8] = []           // streamed text held back: it could be the start of a stop string
    private var choices: [Completion.Choice] = []
    private var generated = 0
    private let includeUsage: Bool

    init(_ plan: GenerationPlan, _ sink: ResponseSink, includeUsage: Bool = false) {
        self.plan = plan
        self.sink = sink
        self.includeUsage = includeUsage
        stops = StopStrings(plan.stops)
    }

    static func finishReason(_ reason: StopReason) -> String { reason == .length ? "length" : "stop" }

    /// `text` without the stop string at its end (the longest, when it ends with several), when it ended by one.
    func trimmed(_ text: [UInt8], _ reason: StopReason) -> [UInt8] {
        reason == .stop ? Array(text.dropLast(stops.ending(text))) : text
    }

    private func chunk(_ index: Int, _ text: [UInt8], finish: String?) {
        sink.data(Completion(id: id, created: created, model: plan.model,
                             choices: [.init(text: String(decoding: text, as: UTF8.self), index: index, finishReason: finish)]))
    }

    func start() { if plan.stream { sink.startStream() } }

    func text(_ index: Int, _ bytes: [UInt8]) {
        pending += bytes
        // Hold back the longest end of the text that begins a stop string (all of it, when the text ends with it:
        // the generation then stops, and `finished` drops it); a stop string starts a character, so the cut does too.
        let held = stops.beginning(at: pending)
        let cut = pending.count - held
        guard cut > 0 else { return }
        chunk(index, Array(pending[..<cut]), finish: nil)
        pending.removeFirst(cut)
    }

    func finished(_ result: SampleResult) {
        generated += result.characters
        let reason = Self.finishReason(result.stopReason)
        if plan.stream {
            let rest = trimmed(pending + Array((result.text ?? "").utf8), result.stopReason)
            pending.removeAll()
            chunk(result.index, rest, finish: reason)
        } else {
            let text = trimmed(Array((result.text ?? "").utf8), result.stopReason)
            choices.append(.init(text: String(decoding: text, as: UTF8.self), index: result.index, finishReason: reason))
        }
    }

    private var usage: Completion.Usage {
        .init(promptTokens: plan.prime.count, completionTokens: generated, totalTokens: plan.prime.count + generated)
    }

    func failed(_ error: APIError) {
        if plan.stream {
            sink.data(OpenAIErrorBody(error))
            sink.end()
        } else {
            sink.send(error.status, contentType: "application/json; charset=utf-8", body: ResponseSink.json(OpenAIErrorBody(error)))
        }
    }

    func end() {
        if plan.stream {
            if includeUsage {   // OpenAI's last chunk under stream_options.include_usage: no choices, the usage
                sink.data(Completion(id: id, created: created, model: plan.model, choices: [], usage: usage))
            }
            sink.doneMarker()
            sink.end()
        } else {
            sink.sendJSON(Completion(id: id, created: created, model: plan.model, choices: choices, usage: usage))
        }
    }
}
