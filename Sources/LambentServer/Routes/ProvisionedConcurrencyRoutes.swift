import Foundation
import Hummingbird
import LambentModel

/// `PutProvisionedConcurrencyConfig`, `GetProvisionedConcurrencyConfig`,
/// `DeleteProvisionedConcurrencyConfig`, `ListProvisionedConcurrencyConfigs` (`?List=ALL`).
struct ProvisionedConcurrencyRoutes {
    let service: FunctionService

    func register(on router: Router<LambentRequestContext>) {
        router.put("/2019-09-30/functions/:name/provisioned-concurrency", use: put)
        router.get("/2019-09-30/functions/:name/provisioned-concurrency", use: get)
        router.delete("/2019-09-30/functions/:name/provisioned-concurrency", use: delete)
    }

    struct PutBody: Decodable {
        var provisionedConcurrentExecutions: Int?
        enum CodingKeys: String, CodingKey { case provisionedConcurrentExecutions = "ProvisionedConcurrentExecutions" }
    }

    struct ListResponse: Encodable {
        var configs: [ProvisionedConcurrencyConfig]
        var nextMarker: String?
        enum CodingKeys: String, CodingKey { case configs = "ProvisionedConcurrencyConfigs", nextMarker = "NextMarker" }
    }

    private func qualifier(_ request: Request) -> String? {
        request.uri.queryParameters.get("Qualifier").map { String($0) }
    }

    @Sendable func put(_ request: Request, context: LambentRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(PutBody.self, from: request)
        let config = try await service.putProvisionedConcurrency(
            try context.functionName(), qualifier: qualifier(request), requested: body.provisionedConcurrentExecutions)
        return try JSONBody.response(config, status: .accepted)
    }

    @Sendable func get(_ request: Request, context: LambentRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        if query.get("List") != nil {
            let page = try await service.listProvisionedConcurrency(
                try context.functionName(), marker: query.get("Marker").map { String($0) }, maxItems: try query.maxItems())
            return try JSONBody.response(ListResponse(configs: page.configs, nextMarker: page.nextMarker))
        }
        return try JSONBody.response(try await service.provisionedConcurrency(try context.functionName(), qualifier: qualifier(request)))
    }

    @Sendable func delete(_ request: Request, context: LambentRequestContext) async throws -> Response {
        try await service.deleteProvisionedConcurrency(try context.functionName(), qualifier: qualifier(request))
        return Response(status: .noContent)
    }
}
