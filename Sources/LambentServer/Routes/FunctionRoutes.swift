import Foundation
import HTTPTypes
import Hummingbird
import LambentModel
import LambentStore

/// Lambda's function operations: each handler decodes, calls `FunctionService`, encodes.
struct FunctionRoutes {
    let service: FunctionService
    let codeLinks: CodeLinks

    func register(on router: Router<LambentRequestContext>) {
        // Hummingbird matches a path with or without its trailing slash (botocore sends both forms).
        router.post("/2015-03-31/functions", use: create)
        router.get("/2015-03-31/functions", use: list)
        router.get("/2015-03-31/functions/:name", use: get)
        router.delete("/2015-03-31/functions/:name", use: delete)
        router.get("/2015-03-31/functions/:name/configuration", use: getConfiguration)
        router.put("/2015-03-31/functions/:name/configuration", use: updateConfiguration)
        router.put("/2015-03-31/functions/:name/code", use: updateCode)
        router.get("/2016-08-19/account-settings", use: accountSettings)
        router.put("/2017-10-31/functions/:name/concurrency", use: putConcurrency)
        router.get("/2019-09-30/functions/:name/concurrency", use: getConcurrency)
        router.delete("/2017-10-31/functions/:name/concurrency", use: deleteConcurrency)
    }

    @Sendable func create(_ request: Request, context: LambentRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(CreateFunctionRequest.self, from: request)
        return try JSONBody.response(await service.create(body), status: .created)
    }

    @Sendable func get(_ request: Request, context: LambentRequestContext) async throws -> Response {
        let record = try await service.function(try context.functionName(), qualifier: request.uri.queryParameters.get("Qualifier"))
        let code: GetFunctionResponse.Code = if let image = record.image {
            .init(repositoryType: "ECR", imageUri: image.imageUri, resolvedImageUri: image.resolvedImageUri)
        } else {
            .init(repositoryType: "S3", location: codeLinks.url(for: record.codeKey, host: request.head.authority))
        }
        let response = GetFunctionResponse(
            configuration: record.configuration,
            code: code,
            tags: record.tags.isEmpty ? nil : record.tags,
            concurrency: record.reservedConcurrency.map { ConcurrencyBody(reservedConcurrentExecutions: $0) })
        return try JSONBody.response(response)
    }

    @Sendable func getConfiguration(_ request: Request, context: LambentRequestContext) async throws -> Response {
        let record = try await service.function(try context.functionName(), qualifier: request.uri.queryParameters.get("Qualifier"))
        return try JSONBody.response(record.configuration)
    }

    @Sendable func list(_ request: Request, context: LambentRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        if let version = query.get("FunctionVersion"), version != "ALL" {
            throw LambdaError.validation(value: version, field: "functionVersion", constraint: "Member must satisfy enum value set: [ALL]")
        }
        let maxItems = try query.maxItems()
        let page = try await service.list(marker: query.get("Marker"), maxItems: maxItems)
        return try JSONBody.response(ListFunctionsResponse(functions: page.functions, nextMarker: page.nextMarker))
    }

    @Sendable func updateConfiguration(_ request: Request, context: LambentRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(UpdateFunctionConfigurationRequest.self, from: request)
        return try JSONBody.response(await service.updateConfiguration(try context.functionName(), body))
    }

    @Sendable func updateCode(_ request: Request, context: LambentRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(UpdateFunctionCodeRequest.self, from: request)
        return try JSONBody.response(await service.updateCode(try context.functionName(), body))
    }

    @Sendable func delete(_ request: Request, context: LambentRequestContext) async throws -> Response {
        try await service.delete(try context.functionName(), qualifier: request.uri.queryParameters.get("Qualifier"))
        return Response(status: .noContent)
    }

    @Sendable func accountSettings(_ request: Request, context: LambentRequestContext) async throws -> Response {
        let usage = try await service.accountUsage()
        let concurrency = try await service.accountConcurrency()
        var limit = AccountLimit(concurrentExecutions: concurrency.limit)
        limit.unreservedConcurrentExecutions = concurrency.unreserved
        let response = GetAccountSettingsResponse(
            accountLimit: limit,
            accountUsage: .init(totalCodeSize: usage.totalCodeSize, functionCount: usage.functionCount))
        return try JSONBody.response(response)
    }

    @Sendable func putConcurrency(_ request: Request, context: LambentRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(ConcurrencyBody.self, from: request)
        let reserved = try await service.putConcurrency(try context.functionName(), reserved: body.reservedConcurrentExecutions)
        return try JSONBody.response(ConcurrencyBody(reservedConcurrentExecutions: reserved))
    }

    @Sendable func getConcurrency(_ request: Request, context: LambentRequestContext) async throws -> Response {
        let reserved = try await service.concurrency(try context.functionName())
        return try JSONBody.response(ConcurrencyBody(reservedConcurrentExecutions: reserved))
    }

    @Sendable func deleteConcurrency(_ request: Request, context: LambentRequestContext) async throws -> Response {
        try await service.deleteConcurrency(try context.functionName())
        return Response(status: .noContent)
    }
}

extension LambentRequestContext {
    /// The `{FunctionName}` path label, percent-decoded.
    func functionName() throws -> String {
        try pathParameter("name")
    }

    /// A percent-decoded path parameter of the route.
    func pathParameter(_ key: String) throws -> String {
        guard let raw = parameters.get(key) else { throw LambdaError.service("route without a \(key) parameter") }
        return raw.removingPercentEncoding ?? raw
    }
}

/// `GetFunction`'s response.
struct GetFunctionResponse: Encodable {
    var configuration: FunctionConfiguration
    var code: Code
    var tags: [String: String]?
    var concurrency: ConcurrencyBody?

    struct Code: Encodable {
        var repositoryType: String
        var location: String?
        var imageUri: String?
        var resolvedImageUri: String?
        enum CodingKeys: String, CodingKey {
            case repositoryType = "RepositoryType", location = "Location", imageUri = "ImageUri", resolvedImageUri = "ResolvedImageUri"
        }
    }

    enum CodingKeys: String, CodingKey {
        case configuration = "Configuration", code = "Code", tags = "Tags", concurrency = "Concurrency"
    }
}

/// `Concurrency`: the body of Put/GetFunctionConcurrency and part of GetFunction.
struct ConcurrencyBody: Codable {
    var reservedConcurrentExecutions: Int?
    enum CodingKeys: String, CodingKey { case reservedConcurrentExecutions = "ReservedConcurrentExecutions" }
}

/// `ListFunctions`' response.
struct ListFunctionsResponse: Encodable {
    var functions: [FunctionConfiguration]
    var nextMarker: String?
    enum CodingKeys: String, CodingKey { case functions = "Functions", nextMarker = "NextMarker" }
}

/// `AccountLimit` of `GetAccountSettings`.
public struct AccountLimit: Encodable, Sendable {
    public var totalCodeSize = 80_530_636_800
    public var codeSizeUnzipped = Limits.unzippedCodeBytes
    public var codeSizeZipped = Limits.zippedCodeBytes
    public var concurrentExecutions: Int
    public var unreservedConcurrentExecutions: Int

    public init(concurrentExecutions: Int) {
        self.concurrentExecutions = concurrentExecutions
        self.unreservedConcurrentExecutions = concurrentExecutions
    }

    enum CodingKeys: String, CodingKey {
        case totalCodeSize = "TotalCodeSize", codeSizeUnzipped = "CodeSizeUnzipped", codeSizeZipped = "CodeSizeZipped"
        case concurrentExecutions = "ConcurrentExecutions", unreservedConcurrentExecutions = "UnreservedConcurrentExecutions"
    }
}

struct GetAccountSettingsResponse: Encodable {
    var accountLimit: AccountLimit
    var accountUsage: AccountUsage

    struct AccountUsage: Encodable {
        var totalCodeSize: Int
        var functionCount: Int
        enum CodingKeys: String, CodingKey { case totalCodeSize = "TotalCodeSize", functionCount = "FunctionCount" }
    }

    enum CodingKeys: String, CodingKey { case accountLimit = "AccountLimit", accountUsage = "AccountUsage" }
}

/// JSON request and response bodies in Lambda's conventions.
enum JSONBody {
    static func decode<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T {
        let buffer = try await request.body.collect(upTo: BodyLimits.maximum)
        let bytes = buffer.readableBytesView
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes.isEmpty ? Array("{}".utf8) : Array(bytes)))
        } catch let error as DecodingError {
            throw LambdaError(status: 400, type: "SerializationException", message: Self.describe(error), isUserError: false)
        }
    }

    static func response<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context), .dataCorrupted(let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? "Could not parse request body: \(context.debugDescription)"
                                : "Could not parse value of \(path): \(context.debugDescription)"
        @unknown default:
            return "Could not parse request body"
        }
    }
}

extension Hummingbird.Parameters {
    /// `MaxItems` of a List operation's query, as an integer.
    func maxItems() throws -> Int? {
        guard let text = get("MaxItems") else { return nil }
        guard let value = Int(text) else {
            throw LambdaError.validation(value: String(text), field: "maxItems", constraint: "Member must be an integer")
        }
        return value
    }
}
