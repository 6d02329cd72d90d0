import Checkpoints
import Dispatch
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import RNN
import Sampler
import Synchronization
import Tokenizer
import Training

/// The API behind `charrnn serve`: the router, and the generation, scoring and
/// classifying work it hands to the worker threads.
///
/// Requests that use a model are admitted up to `maxGenerations + queue` at
/// once (503 past that) and run on a pool of `maxGenerations` threads, off the
/// event loop; they compute on `lanes` (one per core), taking turns (`Lane`).
public final class Server: Sendable {
    public let limits: ServeLimits
    let models: [ModelInfo]              // in load order; the first is the default
    let loaded: Int                      // when this server loaded them, Unix seconds (`GET /v1/models`)
    let lanes: Lanes
    /// The text models' sampling, each model's generations stepped together (`Batcher`).
    let batchers: [String: Batcher]
    /// `GET /metrics`.
    let metrics = ServeMetrics()
    private let pool: NIOThreadPool
    private let admitted = Atomic<Int>(0)
    private let draining = Atomic<Bool>(false)
    private let sinks = Mutex<[ObjectIdentifier: ResponseSink]>([:])   // the admitted requests' sinks
    private let cancelled = Atomic<Int>(0)
    private let loopbackOnly = Atomic<Bool>(false)  // listening on a loopback address only

    public init(models: [(name: String, checkpoint: Checkpoint)], limits: ServeLimits) {
        precondition(!models.isEmpty, "Server: at least one model (the command line checks it)")
        for (name, c) in models {
            if let problem = Self.problem(serving: c) { preconditionFailure("Server: \(name): \(problem) (the command line checks it)") }
        }
        self.limits = limits
        self.models = models.map { ModelInfo(name: $0.name, checkpoint: $0.checkpoint) }
        loaded = Int(Date().timeIntervalSince1970)
        var batchers: [String: Batcher] = [:], batchSamplers: [String: Sampler] = [:]
        for (name, checkpoint) in models where ModelTask(checkpoint: checkpoint) == .generate {
            let rows = metrics.batchRows, sampler = Sampler(checkpoint: checkpoint, precision: limits.precision)
            batchSamplers[name] = sampler
            batchers[name] = Batcher(sampler: sampler, threads: limits.lanes, onStep: { rows.record($0) })
        }
        self.batchers = batchers
        // The lanes' samplers read the batches' weight copies (one copy of each model's packed weights).
        lanes = Lanes(count: limits.lanes, checkpoints: models, precision: limits.precision, batchSamplers: batchSamplers)
        pool = NIOThreadPool(numberOfThreads: limits.maxGenerations)
        pool.start()
    }

    /// Why `checkpoint` cannot be served, in one line; nil when it can: a model that writes text
    /// (plain, or conditioned on a label it names), a classifier of text, or a translation model.
    public static func problem(serving checkpoint: Checkpoint) -> String? {
        let config = checkpoint.config
        if config.attention != nil { return Translator.problem(with: checkpoint) }
        switch (config.head, config.input) {
        case (.nextCharacter, .oneHot), (.classifier, .oneHot):
            return nil
        case (.nextCharacter, .oneHotAndLabel):
            guard let labels = checkpoint.labels, labels.count == config.labelCount else {
                return "a label-conditioned model without its \(config.labelCount) label names cannot be asked for a label by name"
            }
            return nil
        default:
            return "a \(config.head.rawValue) head on \(config.input.rawValue) inputs (a model of number series, built through "
                + "the library) is not served: charrnn serve answers models of text, text classifiers and translation models"
        }
    }

    /// Characters of a text a classifier reads: its run's `--max-chars`, as `charrnn classify` cuts them.
    static func classifierCut(_ checkpoint: Checkpoint) -> Int {
        (try? Trainer.storedOptions(in: checkpoint))?.maxTextLength ?? TrainingOptions.defaultMaxTextLength
    }

    /// Requests admitted and not yet finished (queued or running).
    public var inFlight: Int { admitted.load(ordering: .relaxed) }
    /// Generations ended early because their client went away (or the server stopped).
    public var cancelledGenerations: Int { cancelled.load(ordering: .relaxed) }

    // MARK: - The router

    func respond(to request: HTTPRequestHead, body: [UInt8], sink: ResponseSink) {
        let (head, target) = Self.originForm(request)
        let method = head.method, path = target.prefix { $0 != "?" }
        do throws(APIError) {
            try checkHostAndOrigin(head)
            try checkCodings(head)
            if method == .CONNECT { throw .methodNotAllowed(allowed: "GET, HEAD, POST") }   // not a proxy
            switch path {
            case "/":
                try allow(method, .GET)
                sink.send(.ok, contentType: "text/html; charset=utf-8", body: Page.html,
                          headers: [("Content-Security-Policy", Page.contentSecurityPolicy)])
            case "/v1/models":
                try allow(method, .GET)
                sink.sendJSON(ModelList(models: models, loaded: loaded))
            case "/metrics":
                try allow(method, .GET)
                sink.send(.ok, contentType: "text/plain; version=0.0.4; charset=utf-8",
                          body: metrics.exposition(inFlight: inFlight, slots: limits.maxGenerations))
            case "/v1/generate":
                try allow(method, .POST)
                let request = try decode(GenerateRequest.self, body, fields: GenerateRequest.CodingKeys.allCases.map(\.rawValue))
                let name = try model(named: request.model, for: .generate)
                let plan = try GenerationPlan(request, model: name, vocabularyOf: lanes.lanes[0].samplers[name]!, limits: limits)
                let arrived = DispatchTime.now().uptimeNanoseconds
                try admit(sink) { self.generate(plan, NativeOutput(plan, sink), sink, arrived: arrived) }
            case "/v1/completions":
                try allow(method, .POST)
                let request = try decode(CompletionRequest.self, body, fields: CompletionRequest.CodingKeys.allCases.map(\.rawValue))
                let native = try request.generateRequest(limits: limits)
                let name = try model(named: native.model, for: .generate)
                let plan = try GenerationPlan(native, model: name, vocabularyOf: lanes.lanes[0].samplers[name]!, limits: limits)
                let arrived = DispatchTime.now().uptimeNanoseconds
                try admit(sink) { self.generate(plan, CompletionOutput(plan, sink, includeUsage: request.includeUsage), sink, arrived: arrived) }
            case "/v1/score":
                try allow(method, .POST)
                let request = try decode(ScoreRequest.self, body, fields: ScoreRequest.CodingKeys.allCases.map(\.rawValue))
                let name = try model(named: request.model, for: .generate)
                if let labels = lanes.lanes[0].samplers[name]!.labels {
                    // Evaluator reads one stream of characters; a conditioned model reads each with a label.
                    throw .badRequest("model \(name) writes from a label (\(Vocabulary.displayList(labels))): /v1/score scores text "
                                      + "under a character model only; charrnn eval scores labelled texts")
                }
                try admit(sink) { self.score(request.text, model: name, sink) }
            case "/v1/classify":
                try allow(method, .POST)
                let request = try decode(ClassifyRequest.self, body, fields: ClassifyRequest.CodingKeys.allCases.map(\.rawValue))
                let name = try model(named: request.model, for: .classify)
                let texts = try classifyTexts(request)
                try admit(sink) { self.classify(texts, model: name, sink) }
            case "/v1/translate":
                try allow(method, .POST)
                let request = try decode(TranslateRequest.self, body, fields: TranslateRequest.CodingKeys.allCases.map(\.rawValue))
                let name = try model(named: request.model, for: .translate)
                let job = try translationJob(request)
                try admit(sink) { self.translate(job, model: name, sink) }
            case let p where p.hasPrefix("/v1/models/"):
                try allow(method, .GET)
                let id = String(p.dropFirst("/v1/models/".count))
                let name = id.removingPercentEncoding ?? id
                guard let info = models.first(where: { $0.name == name }) else {
                    throw .notFound("no model named \(name) (GET /v1/models lists them)")
                }
                sink.sendJSON(ModelList.Entry(info: info, created: loaded))
            default:
                throw .notFound("no such path: \(path) (the API: GET /v1/models, GET /metrics, POST /v1/generate, POST /v1/completions, POST /v1/score, POST /v1/classify, POST /v1/translate)")
            }
        } catch {
            sink.send(error, openAI: Self.answersInOpenAIShape(path))
        }
    }

    /// The endpoints whose errors are charrnn's `{"error": "message"}`: its own, and the model list
    /// that its page reads too.
    static let nativePaths: Set<Substring> = ["/", "/metrics", "/v1/models", "/v1/generate", "/v1/score", "/v1/classify", "/v1/translate"]

    /// Whether an error at `path` takes OpenAI's shape (`{"error": {"message", "type", "param", "code"}}`):
    /// `/v1/completions`, `/v1/models/{id}`, and every other path under `/v1/`, which only an OpenAI
    /// client asks for (`/v1/chat/completions`, `/v1/embeddings`: its 404 reads as one).
    static func answersInOpenAIShape(_ path: Substring) -> Bool {
        path.hasPrefix("/v1/") && !nativePaths.contains(path)
    }

    /// The request's path (with its query) and the head whose Host counts: an absolute-form target
    /// (`GET http://localhost:8080/v1/models`, RFC 9112 §3.2.2, which a server must accept) stands for its
    /// path, and its authority for the Host header (§3.2.2: the Host header is then ignored).
    static func originForm(_ head: HTTPRequestHead) -> (head: HTTPRequestHead, target: Substring) {
        let uri = head.uri[...]
        guard let scheme = ["http://", "https://"].first(where: { uri.lowercased().hasPrefix($0) }) else { return (head, uri) }
        let rest = uri.dropFirst(scheme.count)
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        let target = rest[authority.endIndex...]
        var origin = head
        origin.headers.replaceOrAdd(name: "Host", value: String(authority))
        return (origin, target.isEmpty || target.first == "?" ? "/" + target : target)
    }

    /// Bodies arrive plain: a transfer coding other than chunked (which the parser has undone), or a
    /// content coding other than identity, is refused rather than read as if it were not there.
    private func checkCodings(_ head: HTTPRequestHead) throws(APIError) {
        let codings = { (name: String) in
            head.headers[name].flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        }
        if let coding = codings("transfer-encoding").first(where: { $0 != "chunked" }) {
            throw .unreadable(.notImplemented, "transfer coding \(coding) is not supported: send the body as it is, or chunked")
        }
        if let coding = codings("content-encoding").first(where: { $0 != "identity" }) {
            throw .unreadable(.unsupportedMediaType, "content coding \(coding) is not supported: send the body uncompressed")
        }
    }

    /// Where a request comes from, checked before any path: the one place a request's head is judged
    /// (NIO's parser has already refused (`ProtocolErrorReply` answers) a head it cannot read, Content-Length with
    /// Transfer-Encoding, and two Content-Lengths; the body's size is checked as it arrives).
    ///
    /// RFC 9112 §3.2: 400 for an HTTP/1.1 request without Host, any request with more than one (one of
    /// them could pass the check below while another names the site), or a Host that is not a host
    /// and port. HTTP/1.0 does not require Host, and a browser always sends one, so one without is
    /// answered. A browser names the page that sent a request in Origin, and one from another site's
    /// page is refused, so that no web page can drive the server.
    private func checkHostAndOrigin(_ head: HTTPRequestHead) throws(APIError) {
        let hosts = head.headers["host"]
        if hosts.count > 1 { throw .badRequest("a request must have one Host header (this one has \(hosts.count))") }
        let host = hosts.first
        if host == nil && head.version != .http1_0 { throw .badRequest("an HTTP/1.1 request must have a Host header") }
        if let host, !Self.isHostAndPort(host) { throw .badRequest("Host \(host) is not a host name or address with an optional port") }
        if let origin = head.headers.first(name: "origin"), origin.lowercased() != "http://" + (host ?? "").lowercased() {
            throw .forbidden("requests from another site's page are refused (Origin \(origin))")
        }
        if loopbackOnly.load(ordering: .relaxed), let host, !Self.namesThisMachine(host) {
            throw .forbidden("Host \(host) is not this server: on a loopback address it answers to localhost and IP addresses only")
        }
    }

    /// RFC 9110 §7.2: Host = uri-host [ ":" port ], with RFC 3986's uri-host: an IP literal in brackets,
    /// or a name (IPv4 addresses included) of letters, digits, "-._~", "!$&'()*+,;=" and %-escapes.
    static func isHostAndPort(_ host: String) -> Bool {
        var rest = Substring(host)
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return false }
            let literal = rest[rest.index(after: rest.startIndex)..<close]
            guard !literal.isEmpty, literal.unicodeScalars.allSatisfy({ $0.properties.isASCIIHexDigit || $0 == ":" || $0 == "." }) else {
                return false
            }
            rest = rest[rest.index(after: close)...]
        } else {
            let name = rest.prefix { $0 != ":" }
            guard name.unicodeScalars.allSatisfy(hostNameScalars.contains) else { return false }
            rest = rest[name.endIndex...]
        }
        return rest.isEmpty || (rest.first == ":" && rest.dropFirst().unicodeScalars.allSatisfy { ("0"..."9").contains($0) })
    }

    private static let hostNameScalars = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=%".unicodeScalars)

    /// Whether a Host header names this machine without DNS: localhost, or an
    /// IP literal. A loopback server refuses other names, so that a site whose
    /// name its DNS points at 127.0.0.1 (DNS rebinding) cannot read from it.
    static func namesThisMachine(_ host: String) -> Bool {
        if host.hasPrefix("[") { return true }  // [IPv6]:port
        let name = host.split(separator: ":", maxSplits: 1).first.map(String.init)?.lowercased() ?? ""
        if name == "localhost" || name.hasSuffix(".localhost") { return true }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { p in !p.isEmpty && p.count <= 3 && p.allSatisfy(\.isASCII) && p.allSatisfy(\.isNumber) }
    }

    /// `allowed`, or HEAD where GET is (RFC 9110 §9.1: every general-purpose server supports both; a HEAD
    /// is answered as its GET without the body, `ResponseSink.headOnly`).
    private func allow(_ method: HTTPMethod, _ allowed: HTTPMethod) throws(APIError) {
        if method == allowed || (allowed == .GET && method == .HEAD) { return }
        throw .methodNotAllowed(allowed: allowed == .GET ? "GET, HEAD" : allowed.rawValue)
    }

    /// The model a request names (the first loaded when it names none), which must do `task`.
    private func model(named name: String?, for task: ModelTask) throws(APIError) -> String {
        let named = name ?? models[0].name
        guard let info = models.first(where: { $0.name == named }) else {
            throw .notFound("no model named \(named); loaded: \(models.map(\.name).joined(separator: ", "))")
        }
        if task == info.task { return info.name }
        if task == .generate && info.task == .classify {
            throw .badRequest("model \(info.name) is a classifier: it names the label of a text (POST /v1/classify) and writes no text")
        }
        let does = switch info.task {
        case .generate: "writes text (POST /v1/generate, /v1/score)"
        case .classify: "is a classifier: it names the label of a text (POST /v1/classify)"
        case .translate: "is a translation model: it translates a source (POST /v1/translate)"
        }
        let not = switch task {
        case .generate: "it does not sample or score text"
        case .classify: "it is not a classifier (train one with --task classify)"
        case .translate: "it is not a translation model (train one with --task translate)"
        }
        throw .badRequest("model \(info.name) \(does); \(not)")
    }

    /// A translate request's sources, beam and length, checked before it is admitted.
    struct TranslationJob: Sendable {
        var sources: [String], beam: Int, maxLength: Int, single: Bool
    }

    private func translationJob(_ request: TranslateRequest) throws(APIError) -> TranslationJob {
        let sources = try oneOrMany(request.source, request.sources, field: "source")
        let beam = request.beam ?? 1, maxLength = request.maxLength ?? Translator.defaultMaxLength
        if !(1...limits.maxBeam).contains(beam) { throw .badRequest("beam must be between 1 and \(limits.maxBeam) (got \(beam))") }
        if !(1...limits.maxLength).contains(maxLength) {
            throw .badRequest("max_length must be between 1 and \(limits.maxLength) (got \(maxLength))")
        }
        return TranslationJob(sources: sources, beam: beam, maxLength: maxLength, single: request.source != nil)
    }

    /// A classify request's texts: `text`, or 1 to `maxTexts` of `texts`.
    private func classifyTexts(_ request: ClassifyRequest) throws(APIError) -> [String] {
        try oneOrMany(request.text, request.texts, field: "text")
    }

    /// A field given as one string (`field`) or as 1 to `maxTexts` of them (`field` + "s"), not both.
    private func oneOrMany(_ one: String?, _ many: [String]?, field: String) throws(APIError) -> [String] {
        switch (one, many) {
        case (let one?, nil):
            return [one]
        case (nil, let many?):
            if !(1...limits.maxTexts).contains(many.count) {
                throw .badRequest("\(field)s must hold between 1 and \(limits.maxTexts) \(field)s (got \(many.count))")
            }
            return many
        case (.some, .some): throw .badRequest("give \(field) or \(field)s, not both")
        case (nil, nil): throw .badRequest("\(field) (a string) or \(field)s (an array of strings) is required")
        }
    }

    /// The body as `T`, with a message that names the field for a wrong type and refuses unknown fields.
    private func decode<T: Decodable>(_ type: T.Type, _ body: [UInt8], fields: [String]) throws(APIError) -> T {
        let data = Data(body)
        if let problem = Self.notStrictJSON(body) { throw .badRequest("the body must be a JSON object: \(problem)") }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw .badRequest("the body must be a JSON object (valid JSON: no NaN or Infinity, numbers within a double's range)")
        }
        let unknown = object.keys.filter { !fields.contains($0) }.sorted()
        if !unknown.isEmpty {
            throw .badRequest("unknown field\(unknown.count == 1 ? "" : "s") \(unknown.joined(separator: ", ")); the fields are \(fields.joined(separator: ", "))")
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let DecodingError.typeMismatch(expected, context), let DecodingError.valueNotFound(expected, context) {
            throw .badRequest("\(Self.fieldPath(context.codingPath)) must be \(Self.jsonName(of: expected))")
        } catch let DecodingError.keyNotFound(key, _) {
            throw .badRequest("\(key.stringValue) is required")
        } catch let DecodingError.dataCorrupted(context) where !context.codingPath.isEmpty {   // a request type's own refusal
            throw .badRequest("\(Self.fieldPath(context.codingPath)): \(context.debugDescription)")
        } catch {
            if let problem = Self.numberThatDoesNotFit(T.self, in: object) { throw .badRequest(problem) }
            throw .badRequest("the body must be a JSON object with fields \(fields.joined(separator: ", "))")
        }
    }

    /// What Foundation's parser lets through that RFC 8259 does not (and OpenAI's API refuses): a body
    /// in UTF-16 or with a byte-order mark (JSON between systems is UTF-8 without one, §8.1), and a comma
    /// before `}` or `]`. Nil for a body that is neither; the parser judges the rest.
    static func notStrictJSON(_ body: [UInt8]) -> String? {
        if body.starts(with: [0xEF, 0xBB, 0xBF]) || body.starts(with: [0xFE, 0xFF]) || body.starts(with: [0xFF, 0xFE])
            || body.contains(0) {
            return "it must be UTF-8 without a byte-order mark (RFC 8259 §8.1)"
        }
        var inString = false, escaped = false, afterComma = false
        for byte in body {
            if inString {
                if escaped { escaped = false } else if byte == 0x5C { escaped = true } else if byte == 0x22 { inString = false }
                continue
            }
            switch byte {
            case 0x20, 0x09, 0x0A, 0x0D: continue   // white space keeps what came before
            case 0x7D, 0x5D: if afterComma { return "a comma before } or ] (RFC 8259 has no trailing commas)" }
            default: break
            }
            afterComma = byte == 0x2C
            if byte == 0x22 { inString = true }
        }
        return nil
    }

    /// The field whose number does not fit its type (1.5 or 1e30 for an integer, 1e308 or 1e-300 for a
    /// 32-bit float), found alone, and what the field takes: Foundation's decoder reports such a number
    /// as data that is not JSON, without naming the field.
    private static func numberThatDoesNotFit<T: Decodable>(_ type: T.Type, in object: [String: Any]) -> String? {
        /// Whether the field `key` alone refuses `value` (other fields missing are not its refusal).
        func refuses(_ key: String, _ value: Any) -> Bool {
            guard let alone = try? JSONSerialization.data(withJSONObject: [key: value]) else { return true }
            do { _ = try JSONDecoder().decode(T.self, from: alone) } catch DecodingError.dataCorrupted { return true } catch {}
            return false
        }
        for key in object.keys.sorted() {
            guard let number = object[key] as? NSNumber, !(object[key] is Bool), refuses(key, number) else { continue }
            return refuses(key, 0.5) ? "\(key) must be an integer in range (got \(number))"
                                     : "\(key) must be a number a 32-bit float holds (got \(number))"
        }
        return nil
    }

    /// A field as a message names it: `texts[2]`, `a.b`.
    private static func fieldPath(_ path: [any CodingKey]) -> String {
        path.enumerated().map { i, key in key.intValue.map { "[\($0)]" } ?? (i == 0 ? "" : ".") + key.stringValue }.joined()
    }

    private static func jsonName(of type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Float.Type, is Double.Type: "a number"
        case is Int.Type, is UInt64.Type, is Int32.Type, is UInt32.Type: "an integer"
        default: String(describing: type).hasPrefix("Array") ? "an array" : "of another type"
        }
    }

    /// Runs `work` on the pool, or throws 503 when the generation slots and the queue are full (or the server is stopping).
    private func admit(_ sink: ResponseSink, _ work: @escaping @Sendable () -> Void) throws(APIError) {
        let busy = APIError.busy(retryAfter: limits.retryAfterSeconds)
        if draining.load(ordering: .relaxed) { throw .stopping }
        let capacity = limits.maxGenerations + limits.queue
        let admittedNow = admitted.add(1, ordering: .relaxed).newValue
        if admittedNow > capacity {
            admitted.subtract(1, ordering: .relaxed)
            throw busy
        }
        sinks.withLock { $0[ObjectIdentifier(sink)] = sink }
        pool.submit { _ in
            work()
            if sink.isCancelled { self.cancelled.add(1, ordering: .relaxed) }
            self.sinks.withLock { _ = $0.removeValue(forKey: ObjectIdentifier(sink)) }
            self.admitted.subtract(1, ordering: .relaxed)
        }
    }

    // MARK: - Work on the pool

    /// Samples (streamed as they come, or answered whole) through the model's `Batcher`, beside every
    /// other request's, or a beam / best-of search on a lane; the same `Sampler` steps as `charrnn
    /// sample`, so the same seed and options give the same text. `output` shapes the answer (the native
    /// API's, or OpenAI's completions).
    /// `arrived`: when the request came (uptime ns), for the time to its first character.
    private func generate(_ plan: GenerationPlan, _ output: some GenerationOutput, _ sink: ResponseSink, arrived: UInt64) {
        output.start()
        if let search = plan.search {
            do {
                try lanes.run { lane, yieldTurn in
                    // A search takes turns with the lane's other requests; the label is the request's
                    // (`Sampler.label` is the lane's: set again after each turn of the others).
                    let sampler = lane.samplers[plan.model]!
                    var turns = TurnClock(slice: limits.sliceNanoseconds)
                    func goOn() -> Bool {
                        if turns.handOverIfDue(yieldTurn) { sampler.label = plan.label }
                        return !sink.isCancelled
                    }
                    sampler.label = plan.label
                    if sink.isCancelled { return }
                    let searched = switch search {
                    case .beam(let width):
                        try sampler.beamSearch(prime: plan.prime, length: plan.length, width: width, stops: plan.stops, goOn: goOn)
                    case .bestOf(let n):
                        try sampler.bestOf(n, prime: plan.prime, length: plan.length, policy: plan.policy, seed: plan.seed,
                                           stops: plan.stops, goOn: goOn)
                    }
                    guard let found = searched else { return }   // the client left
                    metrics.characters.increment(by: found.generated.count)
                    output.finished(SampleResult(index: 0, text: found.text, seed: found.seed, characters: found.generated.count,
                                                 logProb: found.logProbabilitySum, meanLogProb: found.meanLogProbability,
                                                 stopReason: Self.stopReason(stopped: found.stopped, endedDocument: found.endedDocument)))
                }
            } catch {
                output.failed(APIError.modelOutput("\(error)"))
                return
            }
        } else {
            guard sampleTogether(plan, output, sink, arrived: arrived) else { return }
        }
        if sink.isCancelled { return }    // nobody to answer
        output.end()
    }

    static func stopReason(stopped: Bool, endedDocument: Bool) -> StopReason {
        stopped ? .stop : endedDocument ? .end : .length
    }

    /// `charrnn eval --batch-size 1` on a text: every character after the first known one, with all before it as context.
    private func score(_ text: String, model name: String, _ sink: ResponseSink) {
        let vocabulary = lanes.lanes[0].samplers[name]!.vocabulary
        let units: [String]
        do { units = try Tokenizer(settings: lanes.lanes[0].samplers[name]!.tokenizer).units(of: text) } catch {
            return sink.send(.badRequest("text: \(error)"))
        }
        if units.count > limits.maxLength {   // scoring holds its lane throughout, like one longest sample
            return sink.send(.tooLarge("the text has \(units.count) characters, over the limit of \(limits.maxLength)"))
        }
        let ids = units.compactMap { vocabulary.readingID(of: $0) }
        let unknown = units.count { vocabulary.id(of: $0) == nil }
        let evaluation: Evaluation?
        do {
            evaluation = try lanes.run { lane, yieldTurn in
                // Takes turns with the lane's other requests; stops when the client leaves (queued or under way).
                var turns = TurnClock(slice: limits.sliceNanoseconds)
                func goOn() -> Bool {
                    _ = turns.handOverIfDue(yieldTurn)
                    return !sink.isCancelled
                }
                return try Evaluator.evaluateFinite(model: lane.samplers[name]!.model, ids: ids, range: 0..<ids.count,
                                                    batchSize: 1, sequenceLength: 100, goOn: goOn)
            }
        } catch {
            return sink.send(.modelOutput("\(error)"))
        }
        if sink.isCancelled { return }    // nobody to answer
        guard let e = evaluation else {
            return sink.send(.badRequest("the text has fewer than 2 characters the model knows; nothing to score"))
        }
        sink.sendJSON(ScoreResponse(model: name, natsPerCharacter: e.loss, bitsPerCharacter: e.bitsPerCharacter,
                                    charactersScored: e.characters, unknownCharacters: unknown))
    }

    /// `charrnn classify --json` on each text: the `Classifier` of the lane, its texts in batches of
    /// `classifyBatch` (a text's probabilities do not depend on the others in its batch), handing the lane
    /// over between batches.
    private func classify(_ texts: [String], model name: String, _ sink: ResponseSink) {
        let answered: (classifications: [Classifier.Classification], labels: [String])
        do {
            answered = try lanes.run { lane, yieldTurn in
                let classifier = lane.classifiers[name]!
                var encoded: [(ids: [Int32], unknown: Int)] = []
                for (i, text) in texts.enumerated() {
                    do { encoded.append(try classifier.encode(text)) } catch {
                        throw APIError.badRequest("\(texts.count == 1 ? "text" : "texts[\(i)]"): \(error)")
                    }
                }
                var answers: [Classifier.Classification] = []
                for start in stride(from: 0, to: encoded.count, by: Self.classifyBatch) where !sink.isCancelled {
                    if start > 0 { yieldTurn() }
                    answers += classifier.classify(encoded: Array(encoded[start..<min(encoded.count, start + Self.classifyBatch)]))
                }
                return (answers, classifier.labels)
            }
        } catch let error as APIError {
            return sink.send(error)
        } catch {
            return sink.send(.badRequest("\(error)"))
        }
        if sink.isCancelled { return }
        let (answers, labels) = answered
        if answers.contains(where: { !$0.probabilities.allSatisfy(\.isFinite) }) {
            return sink.send(.modelOutput("the classifier's outputs overflowed (NaN or infinity)"))
        }
        let results = answers.map { c in
            ClassifyResult(label: labels[c.label], probability: c.probabilities[c.label],
                           probabilities: Dictionary(zip(labels, c.probabilities), uniquingKeysWith: { a, _ in a }),
                           characters: c.characters, unknown: c.unknown)
        }
        sink.sendJSON(ClassifyResponse(model: name, results: results))
    }

    /// Translates each source in turn (handing the lane over between sources), through the same
    /// `Translator` calls as `charrnn translate`: the same source gives the same output. An empty
    /// source gives an empty translation, as an empty line does there.
    private func translate(_ job: TranslationJob, model name: String, _ sink: ResponseSink) {
        let results: [TranslateResult]
        do {
            results = try lanes.run { lane, yieldTurn in
                let translator = lane.translators[name]!
                var encoded: [[Int32]] = []
                for (i, source) in job.sources.enumerated() where !source.isEmpty {
                    do { encoded.append(try translator.encode(source)) } catch {
                        throw APIError.badRequest("\(job.single ? "source" : "sources[\(i)]"): \(error)")
                    }
                }
                var results: [TranslateResult] = [], next = 0
                for source in job.sources where !sink.isCancelled {
                    if source.isEmpty {
                        results.append(TranslateResult(translation: "", logProb: 0, finished: true, characters: 0))
                        continue
                    }
                    if next > 0 { yieldTurn() }
                    let t: Translator.Translation
                    do { t = try translator.translate(encoded[next], beam: job.beam, maxLength: job.maxLength) } catch {
                        throw APIError.modelOutput("\(error)")
                    }
                    next += 1
                    results.append(TranslateResult(translation: t.text, logProb: t.logProbability, finished: t.finished, characters: t.ids.count))
                }
                return results
            }
        } catch let error as APIError {
            return sink.send(error)
        } catch {
            return sink.send(.badRequest("\(error)"))
        }
        if sink.isCancelled { return }
        sink.sendJSON(TranslateResponse(model: name, results: results))
    }

    /// Texts a classify request reads through the model at once before it hands its lane over.
    static let classifyBatch = 16

    // MARK: - Listening and stopping

    /// Listens on `host:port` (0: any free port) with one event loop for the connections.
    public func listen(host: String, port: Int) throws -> Listener {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            // At the open-files limit: a pause between accepts, not a retry at once (AcceptPause).
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(AcceptPause()) }
            }
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline(withErrorHandling: false).flatMapThrowing {
                    let handlers = channel.pipeline.syncOperations
                    try handlers.addHandler(LingeringClose(maxBytes: self.limits.lingerBytes, seconds: self.limits.lingerSeconds),
                                            position: .first)   // below the HTTP parser: it sees the raw bytes
                    try handlers.addHandler(ProtocolErrorReply())   // in place of NIO's HTTPServerProtocolErrorHandler
                    try handlers.addHandler(HTTPHandler(server: self))
                }
            }
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.writeBufferWaterMark, value: .init(low: limits.streamBufferBytes / 2, high: limits.streamBufferBytes))
        if let bytes = limits.socketSendBufferBytes {
            bootstrap = bootstrap.childChannelOption(.socketOption(.so_sndbuf), value: SocketOptionValue(bytes))
        }
        do {
            let channel = try bootstrap.bind(host: host, port: port).wait()
            let loopback = host == "localhost" || host == "::1" || host.hasPrefix("127.")
            loopbackOnly.store(loopback, ordering: .relaxed)
            return Listener(server: self, group: group, channel: channel)
        } catch {
            try? group.syncShutdownGracefully()
            throw ListenError(host: host, port: port, error: error)
        }
    }

    /// Refuses new work, lets what is running finish for `grace` seconds, then cancels the rest.
    func drain(grace: Double) {
        draining.store(true, ordering: .relaxed)
        let start = DispatchTime.now().uptimeNanoseconds
        func waited() -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        while inFlight > 0 && waited() < grace { usleep(10_000) }
        for sink in sinks.withLock({ Array($0.values) }) { sink.cancel() }
        while inFlight > 0 && waited() < grace + 2 { usleep(10_000) }
    }

    func stopPool() {
        try? pool.syncShutdownGracefully()
        for batcher in batchers.values { batcher.stop() }
    }
}

/// Why `listen` failed, in words ("Address already in use"), not NIO's type dump.
public struct ListenError: Error, CustomStringConvertible {
    public let description: String

    init(host: String, port: Int, error: any Error) {
        let reason: String
        switch error {
        case let io as IOError: reason = String(cString: strerror(io.errnoCode))
        case is SocketAddressError, is SocketAddressError.UnknownHost: reason = "no such host or address"
        default: reason = "\(error)"
        }
        description = "cannot listen on \(host):\(port): \(reason)"
    }
}

/// A listening server: its port, and how to stop it.
public final class Listener: Sendable {
    public let server: Server
    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel

    init(server: Server, group: MultiThreadedEventLoopGroup, channel: any Channel) {
        self.server = server
        self.group = group
        self.channel = channel
    }

    public var port: Int { channel.localAddress?.port ?? 0 }

    /// Stops accepting connections, finishes or cuts the requests in flight within about `grace` seconds, and closes everything.
    public func stop(grace: Double = 3) {
        try? channel.close().wait()
        server.drain(grace: grace)
        try? group.syncShutdownGracefully()
        server.stopPool()
    }
}

extension ModelTask {
    /// What a servable checkpoint answers: a translation model translates, a classifier classifies,
    /// the others write text (the ones `--precision` applies to).
    public init(checkpoint c: Checkpoint) {
        self = c.config.attention != nil ? .translate : c.config.head == .classifier ? .classify : .generate
    }
}

extension ModelInfo {
    init(name: String, checkpoint c: Checkpoint) {
        let options = try? Trainer.storedOptions(in: c)
        let iterations = c.training[CheckpointLayout.Training.iteration].flatMap(Int.init)
        let task = ModelTask(checkpoint: c)
        let labels = c.config.head == .classifier || c.config.input == .oneHotAndLabel
            ? c.labels ?? (0..<c.config.outputSize).map(String.init) : nil
        self.init(name: name, task: task, labels: labels, model: c.modelDescription, parameters: c.config.parameterCount,
                  // A labelled run (--task) reads whole texts, not windows of T: it has no such figure.
                  charactersTrained: iterations.flatMap { i in options.flatMap { o in
                      // nil when it does not fit an Int (a damaged header's iteration count)
                      let (chars, overflow) = i.multipliedReportingOverflow(by: o.batchSize * o.sequenceLength)
                      return o.task == nil && !overflow ? chars : nil
                  } },
                  // Only a finite loss: a damaged header's NaN or ∞ would make the whole list unencodable.
                  bestValidationLoss: c.training[CheckpointLayout.Training.bestValidationLoss].flatMap(Double.init).flatMap {
                      $0.isFinite ? $0 : nil
                  })
    }
}
