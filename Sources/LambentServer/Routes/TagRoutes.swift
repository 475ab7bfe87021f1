import Foundation
import Hummingbird
import LambentModel

/// `TagResource`, `UntagResource`, `ListTags`: the resource is an ARN in the path.
struct TagRoutes {
    let service: FunctionService

    func register(on router: Router<LambentRequestContext>) {
        router.post("/2017-03-31/tags/:resource", use: tag)
        router.delete("/2017-03-31/tags/:resource", use: untag)
        router.get("/2017-03-31/tags/:resource", use: list)
    }

    struct TagBody: Decodable {
        var tags: [String: String]?
        enum CodingKeys: String, CodingKey { case tags = "Tags" }
    }

    struct TagsResponse: Encodable {
        var tags: [String: String]
        enum CodingKeys: String, CodingKey { case tags = "Tags" }
    }

    @Sendable func tag(_ request: Request, context: LambentRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(TagBody.self, from: request)
        try await service.tagResource(try context.resourceARN(), tags: body.tags)
        return Response(status: .noContent)
    }

    @Sendable func untag(_ request: Request, context: LambentRequestContext) async throws -> Response {
        let keys = request.uri.queryParameters.getAll("tagKeys").map { String($0) }
        try await service.untagResource(try context.resourceARN(), keys: keys)
        return Response(status: .noContent)
    }

    @Sendable func list(_ request: Request, context: LambentRequestContext) async throws -> Response {
        try JSONBody.response(TagsResponse(tags: try await service.tags(resource: try context.resourceARN())))
    }
}

extension LambentRequestContext {
    /// The `{Resource}` ARN of a tagging route.
    func resourceARN() throws -> String {
        try pathParameter("resource")
    }
}
