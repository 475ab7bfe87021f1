import Foundation
import Hummingbird
import LambentModel
import LambentStore

/// `PublishLayerVersion`, `GetLayerVersion`, `GetLayerVersionByArn`, `ListLayers`,
/// `ListLayerVersions`, `DeleteLayerVersion` and the layer version permissions.
struct LayerRoutes {
    let service: FunctionService
    let codeLinks: CodeLinks

    func register(on router: Router<LambentRequestContext>) {
        router.get("/2018-10-31/layers", use: listOrFind)
        router.post("/2018-10-31/layers/:layer/versions", use: publish)
        router.get("/2018-10-31/layers/:layer/versions", use: listVersions)
        router.get("/2018-10-31/layers/:layer/versions/:version", use: get)
        router.delete("/2018-10-31/layers/:layer/versions/:version", use: delete)
        router.post("/2018-10-31/layers/:layer/versions/:version/policy", use: addPermission)
        router.get("/2018-10-31/layers/:layer/versions/:version/policy", use: getPolicy)
        router.delete("/2018-10-31/layers/:layer/versions/:version/policy/:statement", use: removePermission)
    }

    /// The version with `Content.Location`, a download link like `GetFunction`'s.
    private func located(_ record: LayerVersionRecord, _ request: Request) -> LayerVersion {
        var layer = record.layer
        layer.content.location = codeLinks.url(for: record.codeKey, host: request.head.authority)
        return layer
    }

    @Sendable func publish(_ request: Request, context: LambentRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(PublishLayerVersionRequest.self, from: request)
        let name = try context.layerName()
        let record = try await service.publishLayerVersion(name, body)
        return try JSONBody.response(located(record, request), status: .created)
    }

    @Sendable func get(_ request: Request, context: LambentRequestContext) async throws -> Response {
        let record = try await service.layerVersion(try context.layerName(), version: try context.pathParameter("version"))
        return try JSONBody.response(located(record, request))
    }

    @Sendable func listOrFind(_ request: Request, context: LambentRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        if query.get("find") != nil {
            let record = try await service.layerVersion(arn: query.get("Arn").map { String($0) } ?? "")
            return try JSONBody.response(located(record, request))
        }
        let page = try await service.listLayers(
            runtime: query.get("CompatibleRuntime").map { String($0) }, architecture: query.get("CompatibleArchitecture").map { String($0) },
            marker: query.get("Marker").map { String($0) }, maxItems: try query.maxItems())
        return try JSONBody.response(ListLayersResponse(layers: page.layers, nextMarker: page.nextMarker))
    }

    @Sendable func listVersions(_ request: Request, context: LambentRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        let page = try await service.listLayerVersions(
            try context.layerName(), runtime: query.get("CompatibleRuntime").map { String($0) },
            architecture: query.get("CompatibleArchitecture").map { String($0) },
            marker: query.get("Marker").map { String($0) }, maxItems: try query.maxItems())
        return try JSONBody.response(ListLayerVersionsResponse(layerVersions: page.versions, nextMarker: page.nextMarker))
    }

    @Sendable func delete(_ request: Request, context: LambentRequestContext) async throws -> Response {
        try await service.deleteLayerVersion(try context.layerName(), version: try context.pathParameter("version"))
        return Response(status: .noContent)
    }

    @Sendable func addPermission(_ request: Request, context: LambentRequestContext) async throws -> Response {
        var body = try await JSONBody.decode(AddLayerVersionPermissionRequest.self, from: request)
        if let revision = request.uri.queryParameters.get("RevisionId") { body.revisionId = String(revision) }
        let added = try await service.addLayerVersionPermission(try context.layerName(), version: try context.pathParameter("version"), body)
        return try JSONBody.response(StatementResponse(statement: added.statement, revisionId: added.revisionId), status: .created)
    }

    @Sendable func getPolicy(_ request: Request, context: LambentRequestContext) async throws -> Response {
        let policy = try await service.layerVersionPolicy(try context.layerName(), version: try context.pathParameter("version"))
        return try JSONBody.response(PolicyResponse(policy: policy.document, revisionId: policy.revisionId))
    }

    @Sendable func removePermission(_ request: Request, context: LambentRequestContext) async throws -> Response {
        try await service.removeLayerVersionPermission(
            try context.layerName(), version: try context.pathParameter("version"),
            statementID: try context.pathParameter("statement"),
            revisionId: request.uri.queryParameters.get("RevisionId").map { String($0) })
        return Response(status: .noContent)
    }
}

struct ListLayersResponse: Encodable {
    var layers: [LayersListItem]
    var nextMarker: String?
    enum CodingKeys: String, CodingKey { case layers = "Layers", nextMarker = "NextMarker" }
}

struct ListLayerVersionsResponse: Encodable {
    var layerVersions: [LayerVersionListItem]
    var nextMarker: String?
    enum CodingKeys: String, CodingKey { case layerVersions = "LayerVersions", nextMarker = "NextMarker" }
}

/// `AddPermission` and `AddLayerVersionPermission` answers: the statement as a JSON string.
struct StatementResponse: Encodable {
    var statement: String
    var revisionId: String?
    enum CodingKeys: String, CodingKey { case statement = "Statement", revisionId = "RevisionId" }
}

/// `GetPolicy` and `GetLayerVersionPolicy` answers: the document as a JSON string.
struct PolicyResponse: Encodable {
    var policy: String
    var revisionId: String
    enum CodingKeys: String, CodingKey { case policy = "Policy", revisionId = "RevisionId" }
}

extension LambentRequestContext {
    /// The `{LayerName}` of a layer route: a name, or a layer ARN (whose name is taken).
    func layerName() throws -> String {
        let raw = try pathParameter("layer")
        if raw.hasPrefix("arn:") {
            let parts = raw.split(separator: ":", omittingEmptySubsequences: false)
            if parts.count == 7, parts[5] == "layer" { return String(parts[6]) }
        }
        return raw
    }
}
