import Foundation
import Hummingbird
import LambentModel

/// `CreateAlias`, `GetAlias`, `UpdateAlias`, `DeleteAlias`, `ListAliases`.
struct AliasRoutes {
    let service: FunctionService

    func register(on router: Router<LambentRequestContext>) {
        router.post("/2015-03-31/functions/:name/aliases", use: create)
        router.get("/2015-03-31/functions/:name/aliases", use: list)
        router.get("/2015-03-31/functions/:name/aliases/:alias", use: get)
        router.put("/2015-03-31/functions/:name/aliases/:alias", use: update)
        router.delete("/2015-03-31/functions/:name/aliases/:alias", use: delete)
    }

    @Sendable func create(_ request: Request, context: LambentRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(CreateAliasRequest.self, from: request)
        return try JSONBody.response(await service.createAlias(try context.functionName(), body), status: .created)
    }

    @Sendable func get(_ request: Request, context: LambentRequestContext) async throws -> Response {
        try JSONBody.response(await service.alias(try context.functionName(), name: try context.aliasName()))
    }

    @Sendable func update(_ request: Request, context: LambentRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(UpdateAliasRequest.self, from: request)
        return try JSONBody.response(await service.updateAlias(try context.functionName(), name: try context.aliasName(), body))
    }

    @Sendable func delete(_ request: Request, context: LambentRequestContext) async throws -> Response {
        try await service.deleteAlias(try context.functionName(), name: try context.aliasName())
        return Response(status: .noContent)
    }

    @Sendable func list(_ request: Request, context: LambentRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        let maxItems = try query.maxItems()
        let page = try await service.listAliases(
            try context.functionName(), functionVersion: query.get("FunctionVersion").map { String($0) },
            marker: query.get("Marker").map { String($0) }, maxItems: maxItems)
        return try JSONBody.response(ListAliasesResponse(aliases: page.aliases, nextMarker: page.nextMarker))
    }
}

struct ListAliasesResponse: Encodable {
    var aliases: [AliasConfiguration]
    var nextMarker: String?
    enum CodingKeys: String, CodingKey { case aliases = "Aliases", nextMarker = "NextMarker" }
}

extension LambentRequestContext {
    /// The `{Name}` of an alias route.
    func aliasName() throws -> String {
        try pathParameter("alias")
    }
}
