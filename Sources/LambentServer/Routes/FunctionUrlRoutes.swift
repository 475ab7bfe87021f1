import Foundation
import Hummingbird
import LambentModel

/// `CreateFunctionUrlConfig`, `GetFunctionUrlConfig`, `UpdateFunctionUrlConfig`,
/// `DeleteFunctionUrlConfig`, `ListFunctionUrlConfigs`.
struct FunctionUrlRoutes {
    let service: FunctionService
    let base: FunctionUrlBase

    func register(on router: Router<LambentRequestContext>) {
        router.post("/2021-10-31/functions/:name/url", use: create)
        router.get("/2021-10-31/functions/:name/url", use: get)
        router.put("/2021-10-31/functions/:name/url", use: update)
        router.delete("/2021-10-31/functions/:name/url", use: delete)
        router.get("/2021-10-31/functions/:name/urls", use: list)
    }

    struct ListResponse: Encodable {
        var configs: [FunctionUrlConfig.Answer]
        var nextMarker: String?
        enum CodingKeys: String, CodingKey { case configs = "FunctionUrlConfigs", nextMarker = "NextMarker" }
    }

    private func qualifier(_ request: Request) -> String? {
        request.uri.queryParameters.get("Qualifier").map { String($0) }
    }

    @Sendable func create(_ request: Request, context: LambentRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(FunctionUrlRequest.self, from: request)
        let answer = try await service.createFunctionUrl(try context.functionName(), qualifier: qualifier(request), body, base: base)
        return try JSONBody.response(answer, status: .created)
    }

    @Sendable func get(_ request: Request, context: LambentRequestContext) async throws -> Response {
        try JSONBody.response(try await service.functionUrl(try context.functionName(), qualifier: qualifier(request), base: base))
    }

    @Sendable func update(_ request: Request, context: LambentRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(FunctionUrlRequest.self, from: request)
        return try JSONBody.response(try await service.updateFunctionUrl(try context.functionName(), qualifier: qualifier(request), body, base: base))
    }

    @Sendable func delete(_ request: Request, context: LambentRequestContext) async throws -> Response {
        try await service.deleteFunctionUrl(try context.functionName(), qualifier: qualifier(request))
        return Response(status: .noContent)
    }

    @Sendable func list(_ request: Request, context: LambentRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        let page = try await service.listFunctionUrls(try context.functionName(), marker: query.get("Marker").map { String($0) },
                                                      maxItems: try query.maxItems(), base: base)
        return try JSONBody.response(ListResponse(configs: page.configs, nextMarker: page.nextMarker))
    }
}
