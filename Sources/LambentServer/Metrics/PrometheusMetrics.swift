import LambentExecution
import NIOCore
import class Prometheus.PrometheusCollectorRegistry
import struct Prometheus.PrometheusMetricsFactory

/// One server's metrics in Prometheus's text format: a registry of its own (never the global
/// `MetricsSystem`, so servers in one process do not share counters) and the
/// ``InvocationMetrics`` observer recording into it.
///
/// ```swift
/// let metrics = PrometheusMetrics()
/// let invoker = Invoker(..., observer: metrics.observer)
/// let text = metrics.exposition(activity: invoker.activity())
/// ```
public struct PrometheusMetrics: Sendable {
    /// `Content-Type` of ``exposition(activity:)``.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// The registry every metric of this server lives in.
    public let registry: PrometheusCollectorRegistry
    /// The invoker's observer; pass it as `Invoker(observer:)`.
    public let observer: InvocationMetrics
    /// Asynchronous events and queues.
    public let queues: QueueMetrics

    /// A fresh registry with the duration histograms' buckets set up; CloudWatch's metrics go
    /// to `recorder` as well when given.
    public init(recorder: MetricRecorder? = nil) {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets = [
            InvocationMetrics.Name.invocationDuration: InvocationMetrics.invocationBuckets,
            InvocationMetrics.Name.initDuration: InvocationMetrics.initBuckets,
            QueueMetrics.Name.asyncEventAge: QueueMetrics.ageBuckets,
        ]
        observer = InvocationMetrics(factory: factory, recorder: recorder)
        queues = QueueMetrics(factory: factory, recorder: recorder)
    }

    /// Every metric as Prometheus text, after setting the gauges from `activity`
    /// (`Invoker.activity()` read at scrape time).
    public func exposition(activity: [FunctionActivity]) -> ByteBuffer {
        observer.update(activity: activity)
        var bytes: [UInt8] = []
        registry.emit(into: &bytes)
        return ByteBuffer(bytes: bytes)
    }
}
