import Sampler
import Tokenizer

/// A `GenerateRequest` checked against the limits and the model, with the
/// defaults filled in and the prime encoded: what a worker runs.
struct GenerationPlan: Sendable {
    enum Search: Sendable { case beam(Int), bestOf(Int) }

    var model: String
    var prime: [Int32]
    var policy: SamplingPolicy
    var length: Int
    var seed: UInt64
    var stops: [String]                 // the text ends when it ends with any of them
    var count: Int
    var stream: Bool
    var search: Search?
    var label: Int32?          // a label-conditioned model's label id (`Sampler.label`); nil for the others

    /// Stop strings a request may give (each is checked at every character).
    static let maxStops = 16

    /// 2^53: JavaScript numbers (doubles) hold every whole number below it exactly.
    static let exactSeeds: UInt64 = 1 << 53

    init(_ r: GenerateRequest, model: String, vocabularyOf sampler: Sampler, limits: ServeLimits) throws(APIError) {
        self.model = model
        length = r.length ?? SampleDefaults.requestLength
        count = r.count ?? 1
        stream = r.stream ?? false
        stops = r.stop?.strings ?? []
        policy = SamplingPolicy(temperature: r.temperature ?? SampleDefaults.temperature, topK: r.topK, topP: r.topP)
        if !(0...limits.maxLength).contains(length) {
            throw .badRequest("length must be between 0 and \(limits.maxLength) (got \(length))")
        }
        if !(1...limits.maxCount).contains(count) { throw .badRequest("count must be between 1 and \(limits.maxCount) (got \(count))") }
        if let p = policy.problem { throw .badRequest(p) }
        if stops.contains("") { throw .badRequest("stop must be a non-empty string") }
        if stops.count > Self.maxStops { throw .badRequest("stop: at most \(Self.maxStops) strings (got \(stops.count))") }
        if r.beam != nil && r.bestOf != nil { throw .badRequest("give beam or best_of, not both") }
        if let width = r.beam {
            if !(1...limits.maxBeam).contains(width) { throw .badRequest("beam must be between 1 and \(limits.maxBeam) (got \(width))") }
            let sampling = [r.temperature.map { _ in "temperature" }, r.topK.map { _ in "top_k" }, r.topP.map { _ in "top_p" },
                            r.seed.map { _ in "seed" }, count != 1 ? "count" : nil].compactMap { $0 }
            if !sampling.isEmpty {
                throw .badRequest("beam searches deterministically; it takes no \(sampling.joined(separator: ", "))")
            }
            search = .beam(width)
        }
        if let n = r.bestOf {
            if !(1...limits.maxBestOf).contains(n) { throw .badRequest("best_of must be between 1 and \(limits.maxBestOf) (got \(n))") }
            if count != 1 { throw .badRequest("best_of returns one sample; it cannot be combined with count") }
            search = .bestOf(n)
        }
        // A search's model steps are bounded like one longest sample's.
        let steps: Int? = switch search { case .beam(let w)?: w * length; case .bestOf(let n)?: n * length; case nil: nil }
        if let steps, steps > limits.maxLength {
            throw .badRequest("beam or best_of × length must be at most \(limits.maxLength) (got \(steps))")
        }

        // A drawn seed S, and every S + i the request then uses, is below 2^53: the page's JavaScript reads
        // JSON numbers as doubles, which hold whole numbers exactly only that far, so that a seed it shows
        // writes the same text when typed back. A seed given may be any UInt64, as `charrnn sample --seed`.
        let draws = switch search { case .bestOf(let n)?: n; default: count }
        seed = r.seed ?? UInt64.random(in: 0...(Self.exactSeeds - UInt64(draws)))

        label = try Self.labelID(r.label, labels: sampler.labels, model: model)

        let text = r.prime ?? ""
        if text.utf8.count > limits.maxPrimeBytes {
            throw .tooLarge("the prime is \(text.utf8.count) bytes, over the limit of \(limits.maxPrimeBytes)")
        }
        do {
            prime = try sampler.encodePrime(text, unknown: .fail).ids   // a folding vocabulary reads them as <unk>
        } catch {
            switch error {
            case .unknownCharacters(let cs):
                throw .badRequest("the prime has \(cs.count) character\(cs.count == 1 ? "" : "s") the model has never seen: "
                                  + Vocabulary.displayList(cs))
            case .prime(let m): throw .badRequest("prime: \(m)")
            }
        }
    }

    /// The id of `label` among a conditioned model's `labels` (`charrnn sample --label`'s rules):
    /// required there, one of them, and refused for a model without labels.
    static func labelID(_ label: String?, labels: [String]?, model: String) throws(APIError) -> Int32? {
        guard let labels else {
            if let label {
                throw .badRequest("label \(Self.shown(label)): model \(model) was not trained to write from a label (train --task generate)")
            }
            return nil
        }
        guard let label else {
            throw .badRequest("model \(model) writes from a label: give label, one of \(Vocabulary.displayList(labels))")
        }
        guard let id = labels.firstIndex(of: label) else {
            throw .badRequest("label \(Self.shown(label)) is not one of model \(model)'s labels: \(Vocabulary.displayList(labels))")
        }
        return Int32(id)
    }

    /// A label as a message shows it, cut to its first 64 characters (a body may hold a megabyte of one).
    static func shown(_ label: String) -> String {
        label.count > 64 ? Vocabulary.displayForm(String(label.prefix(64))) + "…" : Vocabulary.displayForm(label)
    }
}

/// Where a generation's pieces go, in the shape of the API that asked (`Server.generate` calls these
/// in order: `start`, then `text` (streamed requests) and `finished` per sample, then `end` or `failed`).
protocol GenerationOutput: AnyObject {
    func start()
    /// Streamed text of sample `index` as it comes (whole characters).
    func text(_ index: Int, _ bytes: [UInt8])
    /// A sample done: its whole text when answered whole (or a search's), nil when streamed.
    func finished(_ result: SampleResult)
    func failed(_ error: APIError)
    func end()
}

/// The native API's answer (`POST /v1/generate`): `text` and `done` events, or one `GenerateResponse`.
final class NativeOutput: GenerationOutput, @unchecked Sendable {   // used by the one worker that runs the request
    private let plan: GenerationPlan, sink: ResponseSink
    private var results: [SampleResult] = []

    init(_ plan: GenerationPlan, _ sink: ResponseSink) {
        self.plan = plan
        self.sink = sink
    }

    func start() { if plan.stream { sink.startStream() } }

    func text(_ index: Int, _ bytes: [UInt8]) { sink.event("text", TextEvent(index: index, text: String(decoding: bytes, as: UTF8.self))) }

    /// Streamed: its `done` event (a search's text goes first as one `text` event); else kept for the answer.
    func finished(_ result: SampleResult) {
        guard plan.stream else { return results.append(result) }
        var done = result
        if let text = done.text {
            sink.event("text", TextEvent(index: result.index, text: text))
            done.text = nil
        }
        sink.event("done", done)
    }

    func failed(_ error: APIError) {
        if plan.stream {
            sink.event("error", ErrorBody(error: error.message))
            sink.end()
        } else {
            sink.send(error)
        }
    }

    func end() { if plan.stream { sink.end() } else { sink.sendJSON(GenerateResponse(model: plan.model, samples: results)) } }
}
