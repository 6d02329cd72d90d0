import Foundation
import Metrics
import Prometheus

/// `GET /metrics`: the server's figures in Prometheus's text format, kept through swift-metrics'
/// API (`Counter`, `Gauge`, `Recorder`, `Timer`) on a swift-prometheus registry of this server's
/// own (not the process-wide `MetricsSystem`, so that servers in one process — the tests — keep
/// theirs apart), and written by the registry, never by hand.
///
///   charrnn_generations_active            requests being generated now (gauge)
///   charrnn_generations_queued            admitted and waiting for a generation slot (gauge)
///   charrnn_characters_generated_total    characters generated, counted as they are made (64 at a time): chars/s is its rate
///   charrnn_batch_rows                    rows stepped together per batch step (histogram)
///   charrnn_first_character_seconds       from a sampling request's admission to its first character (histogram)
///   charrnn_streams_paused_total          times a stream's generation paused for its slow client (counter)
///   charrnn_streams_abandoned_total       streams ended because their client read nothing for --stall-timeout (counter)
final class ServeMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    let active: Metrics.Gauge
    let queued: Metrics.Gauge
    let characters: Metrics.Counter
    let batchRows: Metrics.Recorder
    let firstCharacter: Metrics.Timer
    let paused: Metrics.Counter
    let abandoned: Metrics.Counter

    init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultValueHistogramBuckets = [1, 2, 4, 8, 16, 32, 64, 128]
        factory.defaultDurationHistogramBuckets = [.milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
                                                   .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
                                                   .milliseconds(500), .seconds(1), .seconds(5)]
        self.factory = factory
        active = Metrics.Gauge(label: "charrnn_generations_active", factory: factory)
        queued = Metrics.Gauge(label: "charrnn_generations_queued", factory: factory)
        characters = Metrics.Counter(label: "charrnn_characters_generated_total", factory: factory)
        batchRows = Metrics.Recorder(label: "charrnn_batch_rows", aggregate: true, factory: factory)
        firstCharacter = Metrics.Timer(label: "charrnn_first_character_seconds", factory: factory)
        paused = Metrics.Counter(label: "charrnn_streams_paused_total", factory: factory)
        abandoned = Metrics.Counter(label: "charrnn_streams_abandoned_total", factory: factory)
    }

    /// The text format, with the gauges read at this moment.
    func exposition(inFlight: Int, slots: Int) -> [UInt8] {
        active.record(min(inFlight, slots))
        queued.record(max(0, inFlight - slots))
        var bytes: [UInt8] = []
        registry.emit(into: &bytes)
        return bytes
    }
}
