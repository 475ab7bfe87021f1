import Foundation
import Hummingbird
import LambentModel

/// `CreateEventSourceMapping`, `GetEventSourceMapping`, `UpdateEventSourceMapping`,
/// `DeleteEventSourceMapping`, `ListEventSourceMappings`.
struct EventSourceMappingRoutes {
    let mappings: EventSourceMappingService

    func register(on router: Router<LambentRequestContext>) {
        router.post("/2015-03-31/event-source-mappings", use: create)
        router.get("/2015-03-31/event-source-mappings", use: list)
        router.get("/2015-03-31/event-source-mappings/:uuid", use: get)
        router.put("/2015-03-31/event-source-mappings/:uuid", use: update)
        router.delete("/2015-03-31/event-source-mappings/:uuid", use: delete)
    }

    struct ListResponse: Encodable {
        var mappings: [EventSourceMapping]
        var nextMarker: String?
        enum CodingKeys: String, CodingKey { case mappings = "EventSourceMappings", nextMarker = "NextMarker" }
    }

    @Sendable func create(_ request: Request, context: LambentRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(EventSourceMappingRequest.self, from: request)
        return try JSONBody.response(try await mappings.create(body), status: .accepted)
    }

    @Sendable func get(_ request: Request, context: LambentRequestContext) async throws -> Response {
        try JSONBody.response(try await mappings.mapping(try context.pathParameter("uuid")))
    }

    @Sendable func update(_ request: Request, context: LambentRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(EventSourceMappingRequest.self, from: request)
        return try JSONBody.response(try await mappings.update(try context.pathParameter("uuid"), body), status: .accepted)
    }

    @Sendable func delete(_ request: Request, context: LambentRequestContext) async throws -> Response {
        try JSONBody.response(try await mappings.delete(try context.pathParameter("uuid")), status: .accepted)
    }

    @Sendable func list(_ request: Request, context: LambentRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        let page = try await mappings.list(
            functionName: query.get("FunctionName").map { String($0) }, sourceArn: query.get("EventSourceArn").map { String($0) },
            marker: query.get("Marker").map { String($0) }, maxItems: try query.maxItems())
        return try JSONBody.response(ListResponse(mappings: page.mappings, nextMarker: page.nextMarker))
    }
}
