import Foundation
import Hummingbird
import LambentModel

/// `PutRuntimeManagementConfig`, `GetRuntimeManagementConfig`, `PutFunctionRecursionConfig`,
/// `GetFunctionRecursionConfig`.
struct SettingRoutes {
    let service: FunctionService

    func register(on router: Router<LambentRequestContext>) {
        router.put("/2021-07-20/functions/:name/runtime-management-config", use: putRuntimeManagement)
        router.get("/2021-07-20/functions/:name/runtime-management-config", use: getRuntimeManagement)
        router.put("/2024-08-31/functions/:name/recursion-config", use: putRecursion)
        router.get("/2024-08-31/functions/:name/recursion-config", use: getRecursion)
    }

    struct RuntimeManagementBody: Decodable {
        var updateRuntimeOn: String?
        var runtimeVersionArn: String?
        enum CodingKeys: String, CodingKey { case updateRuntimeOn = "UpdateRuntimeOn", runtimeVersionArn = "RuntimeVersionArn" }
    }

    struct Recursion: Codable {
        var recursiveLoop: String?
        enum CodingKeys: String, CodingKey { case recursiveLoop = "RecursiveLoop" }
    }

    private func qualifier(_ request: Request) -> String? {
        request.uri.queryParameters.get("Qualifier").map { String($0) }
    }

    @Sendable func putRuntimeManagement(_ request: Request, context: LambentRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(RuntimeManagementBody.self, from: request)
        return try JSONBody.response(try await service.putRuntimeManagement(
            try context.functionName(), qualifier: qualifier(request), updateRuntimeOn: body.updateRuntimeOn,
            runtimeVersionArn: body.runtimeVersionArn))
    }

    @Sendable func getRuntimeManagement(_ request: Request, context: LambentRequestContext) async throws -> Response {
        try JSONBody.response(try await service.runtimeManagement(try context.functionName(), qualifier: qualifier(request)))
    }

    @Sendable func putRecursion(_ request: Request, context: LambentRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(Recursion.self, from: request)
        let loop = try await service.putRecursion(try context.functionName(), recursiveLoop: body.recursiveLoop)
        return try JSONBody.response(Recursion(recursiveLoop: loop))
    }

    @Sendable func getRecursion(_ request: Request, context: LambentRequestContext) async throws -> Response {
        try JSONBody.response(Recursion(recursiveLoop: try await service.recursion(try context.functionName())))
    }
}
