import Hummingbird
import LambentExecution

/// `GET /metrics`: Prometheus's text format. Unsigned, like health, because scrapers cannot
/// sign SigV4; it shows function names and counts, never configuration, code or payloads.
struct MetricsRoutes {
    let metrics: PrometheusMetrics
    let invoker: Invoker
    let queues: QueueService

    func register(on router: Router<LambentRequestContext>) {
        router.get("/metrics") { _, _ async throws in
            metrics.queues.update(queues: try await queues.depths())
            return Response(status: .ok, headers: [.contentType: PrometheusMetrics.contentType],
                            body: ResponseBody(byteBuffer: metrics.exposition(activity: invoker.activity())))
        }
    }
}
