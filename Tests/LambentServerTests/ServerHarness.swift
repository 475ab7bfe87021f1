import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LambentAuth
import LambentExecution
import LambentServer
import Logging
import Testing

/// A `LambentServer` on a throwaway data directory, driven in-process through
/// `app.test(.router)`: no sockets, no sandboxes.
struct ServerHarness {
    let server: LambentServer
    let dataDirectory: URL

    var key: AccessKey { server.credentials.key }

    /// Runs `body` against a fresh server and removes its data directory afterwards.
    static func run(_ body: @Sendable (SignedClient) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("lambent-server-tests-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        var logger = Logger(label: "lambent.tests")
        logger.logLevel = .critical
        // Any agent path works: these tests never start an environment.
        let configuration = ServerConfiguration(dataDirectory: directory, agentPath: "/nonexistent/lambent-agent")
        // Nothing is probed from the host (no bubblewrap, no cgroups): these tests never run a function.
        let dependencies = ServerDependencies(
            driver: ProcessDriver(),
            runtimes: ServerDependencies.standardRuntimes(runtimesDirectory: directory.appendingPathComponent("runtimes"), logger: logger))
        let server = try LambentServer(configuration: configuration, logger: logger, dependencies: dependencies)
        let app = Application(router: server.router(), logger: logger)
        try await app.test(.router) { client in
            try await body(SignedClient(client: client, key: server.credentials.key, dataDirectory: directory))
        }
    }
}

/// The router test client plus SigV4 signing, as botocore would sign for `lambda` in us-east-1.
struct SignedClient: Sendable {
    let client: any TestClientProtocol
    let key: AccessKey
    let dataDirectory: URL

    /// The authority HummingbirdTesting's router framework gives every request.
    static let authority = "localhost"

    /// Sends a request signed with `key` (the server's own by default).
    func send(
        _ method: HTTPRequest.Method, _ uri: String, json: Any? = nil, body: [UInt8]? = nil,
        headers extra: [(name: String, value: String)] = [], signingKey: AccessKey? = nil,
        tamper: (inout HTTPFields, inout [UInt8]?) -> Void = { _, _ in }
    ) async throws -> TestResponse {
        var bytes = body
        if let json { bytes = Array(try JSONSerialization.data(withJSONObject: json)) }
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var signed: [(name: String, value: String)] = [("host", Self.authority)] + extra
        if bytes != nil { signed.append(("content-type", "application/json")) }
        let signer = SigV4Signer(key: signingKey ?? key, region: "us-east-1", service: "lambda")
        let added = signer.sign(method: method.rawValue, path: String(parts[0]), query: parts.count > 1 ? String(parts[1]) : "",
                                headers: signed, body: bytes ?? [], date: Date())
        var fields = HTTPFields()
        for header in signed + added where header.name != "host" {
            fields.append(HTTPField(name: HTTPField.Name(header.name)!, value: header.value))
        }
        tamper(&fields, &bytes)
        return try await client.execute(uri: uri, method: method, headers: fields, body: bytes.map { ByteBuffer(bytes: $0) })
    }

    /// Sends a request without any signature.
    func unsigned(_ method: HTTPRequest.Method, _ uri: String, body: [UInt8]? = nil) async throws -> TestResponse {
        try await client.execute(uri: uri, method: method, headers: [:], body: body.map { ByteBuffer(bytes: $0) })
    }

    /// Creates a function from `zip` and returns CreateFunction's response.
    func createFunction(
        _ name: String, zip: [UInt8] = ZipBuilder.hello, extra: [String: Any] = [:]
    ) async throws -> TestResponse {
        var request: [String: Any] = [
            "FunctionName": name, "Runtime": "python3.12", "Handler": "app.handler",
            "Role": "arn:aws:iam::000000000000:role/lambda-role",
            "Code": ["ZipFile": Data(zip).base64EncodedString()],
        ]
        request.merge(extra) { _, new in new }
        return try await send(.post, "/2015-03-31/functions", json: request)
    }
}

extension TestResponse {
    /// The body as a JSON object.
    func json() throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
                     "body is not a JSON object: \(String(buffer: body))")
    }

    var bytes: [UInt8] { Array(body.readableBytesView) }

    /// The error type, message and whether the body says `"Type": "User"`.
    func awsError() throws -> (type: String?, message: String?, isUser: Bool) {
        let object = try json()
        return (headers[HTTPField.Name("x-amzn-ErrorType")!], object["message"] as? String, object["Type"] as? String == "User")
    }
}

/// Builds small stored (uncompressed) zips by hand, so the tests need no zip tool.
enum ZipBuilder {
    static let hello = make(["app.py": "def handler(event, context):\n    return {\"hello\": \"world\"}\n"])

    static func make(_ files: [String: String]) -> [UInt8] {
        var out: [UInt8] = []
        var central: [UInt8] = []
        for (name, text) in files.sorted(by: { $0.key < $1.key }) {
            let data = Array(text.utf8)
            let nameBytes = Array(name.utf8)
            let checksum = crc32(data)
            let offset = UInt32(out.count)
            out.le32(0x0403_4B50); out.le16(20); out.le16(0); out.le16(0); out.le16(0); out.le16(0x21)
            out.le32(checksum); out.le32(UInt32(data.count)); out.le32(UInt32(data.count))
            out.le16(UInt16(nameBytes.count)); out.le16(0)
            out += nameBytes
            out += data
            central.le32(0x0201_4B50); central.le16((3 << 8) | 20); central.le16(20); central.le16(0); central.le16(0)
            central.le16(0); central.le16(0x21); central.le32(checksum); central.le32(UInt32(data.count))
            central.le32(UInt32(data.count)); central.le16(UInt16(nameBytes.count)); central.le16(0); central.le16(0)
            central.le16(0); central.le16(0); central.le32(0o100644 << 16); central.le32(offset)
            central += nameBytes
        }
        let centralOffset = UInt32(out.count)
        out += central
        out.le32(0x0605_4B50); out.le16(0); out.le16(0)
        out.le16(UInt16(files.count)); out.le16(UInt16(files.count))
        out.le32(UInt32(central.count)); out.le32(centralOffset); out.le16(0)
        return out
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc >> 1) ^ (0xEDB8_8320 & (0 &- (crc & 1))) }
        }
        return ~crc
    }
}

extension [UInt8] {
    mutating func le16(_ value: UInt16) { append(contentsOf: [UInt8(value & 0xFF), UInt8(value >> 8)]) }
    mutating func le32(_ value: UInt32) { for shift in stride(from: 0, to: 32, by: 8) { append(UInt8((value >> UInt32(shift)) & 0xFF)) } }
}
