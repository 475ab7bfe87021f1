import Foundation
import Hummingbird
import LambentModel

/// `Put/Update/Get/Delete/ListFunctionEventInvokeConfig(s)`, and the deprecated `InvokeAsync`.
struct EventInvokeConfigRoutes {
    let service: FunctionService

    func register(on router: Router<LambentRequestContext>) {
        router.put("/2019-09-25/functions/:name/event-invoke-config", use: put)
        router.post("/2019-09-25/functions/:name/event-invoke-config", use: update)
        router.get("/2019-09-25/functions/:name/event-invoke-config", use: get)
        router.delete("/2019-09-25/functions/:name/event-invoke-config", use: delete)
        router.get("/2019-09-25/functions/:name/event-invoke-config/list", use: list)
    }

    struct ListResponse: Encodable {
        var configs: [FunctionEventInvokeConfig]
        var nextMarker: String?
        enum CodingKeys: String, CodingKey { case configs = "FunctionEventInvokeConfigs", nextMarker = "NextMarker" }
    }

    private func qualifier(_ request: Request) -> String? {
        request.uri.queryParameters.get("Qualifier").map { String($0) }
    }

    @Sendable func put(_ request: Request, context: LambentRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(EventInvokeConfigRequest.self, from: request)
        return try JSONBody.response(try await service.putEventInvokeConfig(try context.functionName(), qualifier: qualifier(request), body, merge: false))
    }

    @Sendable func update(_ request: Request, context: LambentRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(EventInvokeConfigRequest.self, from: request)
        return try JSONBody.response(try await service.putEventInvokeConfig(try context.functionName(), qualifier: qualifier(request), body, merge: true))
    }

    @Sendable func get(_ request: Request, context: LambentRequestContext) async throws -> Response {
        try JSONBody.response(try await service.eventInvokeConfig(try context.functionName(), qualifier: qualifier(request)))
    }

    @Sendable func delete(_ request: Request, context: LambentRequestContext) async throws -> Response {
        try await service.deleteEventInvokeConfig(try context.functionName(), qualifier: qualifier(request))
        return Response(status: .noContent)
    }

    @Sendable func list(_ request: Request, context: LambentRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        let page = try await service.listEventInvokeConfigs(try context.functionName(), marker: query.get("Marker").map { String($0) },
                                                            maxItems: try query.maxItems())
        return try JSONBody.response(ListResponse(configs: page.configs, nextMarker: page.nextMarker))
    }
}
