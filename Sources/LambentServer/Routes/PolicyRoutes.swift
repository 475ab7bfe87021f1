import Foundation
import Hummingbird
import LambentModel

/// `AddPermission`, `RemovePermission`, `GetPolicy`.
struct PolicyRoutes {
    let service: FunctionService

    func register(on router: Router<LambentRequestContext>) {
        router.post("/2015-03-31/functions/:name/policy", use: add)
        router.get("/2015-03-31/functions/:name/policy", use: get)
        router.delete("/2015-03-31/functions/:name/policy/:statement", use: remove)
    }

    @Sendable func add(_ request: Request, context: LambentRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(AddPermissionRequest.self, from: request)
        let statement = try await service.addPermission(
            try context.functionName(), qualifier: request.uri.queryParameters.get("Qualifier").map { String($0) }, body)
        return try JSONBody.response(StatementResponse(statement: statement), status: .created)
    }

    @Sendable func get(_ request: Request, context: LambentRequestContext) async throws -> Response {
        let policy = try await service.policy(try context.functionName(), qualifier: request.uri.queryParameters.get("Qualifier").map { String($0) })
        return try JSONBody.response(PolicyResponse(policy: policy.document, revisionId: policy.revisionId))
    }

    @Sendable func remove(_ request: Request, context: LambentRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        try await service.removePermission(
            try context.functionName(), qualifier: query.get("Qualifier").map { String($0) },
            statementID: try context.pathParameter("statement"), revisionId: query.get("RevisionId").map { String($0) })
        return Response(status: .noContent)
    }
}
