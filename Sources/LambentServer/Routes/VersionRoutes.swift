import Hummingbird
import LambentModel

/// `PublishVersion` and `ListVersionsByFunction`.
struct VersionRoutes {
    let service: FunctionService

    func register(on router: Router<LambentRequestContext>) {
        router.post("/2015-03-31/functions/:name/versions", use: publish)
        router.get("/2015-03-31/functions/:name/versions", use: list)
    }

    @Sendable func publish(_ request: Request, context: LambentRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(PublishVersionRequest.self, from: request)
        return try JSONBody.response(await service.publishVersion(try context.functionName(), body), status: .created)
    }

    @Sendable func list(_ request: Request, context: LambentRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        let maxItems = try query.maxItems()
        let page = try await service.listVersions(try context.functionName(), marker: query.get("Marker"), maxItems: maxItems)
        return try JSONBody.response(ListVersionsResponse(versions: page.versions, nextMarker: page.nextMarker))
    }
}

struct ListVersionsResponse: Encodable {
    var versions: [FunctionConfiguration]
    var nextMarker: String?
    enum CodingKeys: String, CodingKey { case versions = "Versions", nextMarker = "NextMarker" }
}
