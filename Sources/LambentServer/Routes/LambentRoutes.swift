import Foundation
import HTTPTypes
import Hummingbird
import LambentModel
import LambentStore
import NIOPosix

/// Lambent's own endpoints, outside Lambda's API: health, code downloads, logs.
struct LambentRoutes {
    let store: any Store
    let blobs: BlobStore
    let codeLinks: CodeLinks
    let names: ResourceNames

    func register(on router: Router<LambentRequestContext>) {
        router.get("/lambent/v1/health") { _, _ in Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: "ok\n"))) }
        router.get("/lambent/v1/code/:key", use: code)
        router.get("/lambent/v1/logs/:name", use: logs)
    }

    /// A deployment package, for whoever holds its pre-signed link.
    @Sendable func code(_ request: Request, context: LambentRequestContext) async throws -> Response {
        guard let key = context.parameters.get("key"), key.utf8.count == 64,
              key.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }),
              let token = request.uri.queryParameters.get("token"), codeLinks.isValid(token: token, for: key)
        else {
            throw LambdaError(status: 403, type: "AccessDenied", message: "Request has expired or the link is invalid", isUserError: false)
        }
        guard let data = FileManager.default.contents(atPath: blobs.url(for: key).path) else {
            throw LambdaError(status: 404, type: "NoSuchKey", message: "The specified key does not exist.", isUserError: false)
        }
        return Response(status: .ok, headers: [.contentType: "application/zip"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// A function's log events after `after` (a previous event's id), oldest first, as JSON
    /// lines: `{"id":…,"timestamp":…,"stream":"…","message":"…"}`. Signed like any API call.
    @Sendable func logs(_ request: Request, context: LambentRequestContext) async throws -> Response {
        let name = try context.functionName()
        let after = request.uri.queryParameters.get("after").flatMap { Int64($0) } ?? 0
        let limit = min(request.uri.queryParameters.get("limit").flatMap { Int($0) } ?? 1000, 10_000)
        let events = try await store.logEvents(group: names.logGroup(name), afterID: after, limit: limit)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var buffer = ByteBuffer()
        for event in events {
            buffer.writeBytes(try encoder.encode(event))
            buffer.writeString("\n")
        }
        return Response(status: .ok, headers: [.contentType: "application/x-ndjson"], body: ResponseBody(byteBuffer: buffer))
    }
}
