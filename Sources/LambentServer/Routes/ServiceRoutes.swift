import HTTPTypes
import Hummingbird
import LambentModel

/// `POST /` for the JSON-protocol services that share the endpoint: the request's SigV4
/// credential scope says which (`sqs`, `logs`, `events`, `monitoring`), its `X-Amz-Target` which operation.
struct ServiceRoutes {
    let sqs: SQSRoutes
    let logs: LogsRoutes
    let events: EventsRoutes
    let cloudWatch: CloudWatchRoutes

    func register(on router: Router<LambentRequestContext>) {
        router.post("/", use: dispatch)
    }

    @Sendable func dispatch(_ request: Request, context: LambentRequestContext) async throws -> Response {
        let target = request.headers[HTTPField.Name("x-amz-target")!] ?? ""
        switch context.service {
        case "sqs": return try await sqs.dispatch(request, target: target)
        case "logs": return try await logs.dispatch(request, target: target)
        case "events": return try await events.dispatch(request, target: target)
        case "monitoring": return await cloudWatch.dispatch(request, target: target)
        default: throw LambdaError.unknownOperation(method: "POST", path: "/")
        }
    }
}

/// Reading members of a JSON-protocol request body (parsed by JSONSerialization).
enum JSONMembers {
    /// A map of strings (`Attributes`, `tags`); members that are not strings are left out.
    static func strings(_ value: Any?) -> [String: String] {
        (value as? [String: Any])?.compactMapValues { $0 as? String } ?? [:]
    }
}
