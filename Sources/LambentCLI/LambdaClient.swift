import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LambentAuth

/// A minimal signed client for Lambent's API, used by the CLI commands. It finds its endpoint,
/// credentials and region as the AWS CLI does (`ClientSettings`).
struct LambdaClient {
    struct Failure: Error, CustomStringConvertible {
        var status: Int
        var type: String
        var message: String
        var description: String { "\(type) (\(status)): \(message)" }
    }

    let endpoint: URL
    let signer: SigV4Signer

    init(endpoint: String?, service: String = "lambda") throws {
        let settings = try ClientSettings(endpoint: endpoint, service: service)
        self.endpoint = settings.endpoint
        self.signer = SigV4Signer(key: AccessKey(accessKeyID: settings.accessKeyID, secretAccessKey: settings.secretAccessKey),
                                  region: settings.region, service: service)
    }

    /// Sends a signed request; returns status, headers and body, throwing Lambda errors.
    func send(_ method: String, _ path: String, query: String = "", body: [UInt8] = [], headers: [String: String] = [:],
              allowErrors: Bool = false) async throws -> (status: Int, headers: [String: String], body: Data) {
        var components = URLComponents(url: endpoint, resolvingAgainstBaseURL: false)!
        components.percentEncodedPath = path
        components.percentEncodedQuery = query.isEmpty ? nil : query
        var request = URLRequest(url: components.url!)
        request.httpMethod = method
        request.timeoutInterval = 960
        var host = endpoint.host!
        if let port = endpoint.port { host += ":\(port)" }
        var toSign: [(name: String, value: String)] = [("host", host)]
        for (name, value) in headers {
            toSign.append((name, value))
            request.setValue(value, forHTTPHeaderField: name)
        }
        if !body.isEmpty {
            if !headers.keys.contains(where: { $0.lowercased() == "content-type" }) {
                request.setValue("application/json", forHTTPHeaderField: "Content-Type")
                toSign.append(("content-type", "application/json"))
            }
            request.httpBody = Data(body)
        }
        for (name, value) in signer.sign(method: method, path: path, query: query, headers: toSign, body: body, date: Date()) {
            request.setValue(value, forHTTPHeaderField: name)
        }
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch let error as URLError where [.cannotConnectToHost, .cannotFindHost, .timedOut, .networkConnectionLost,
                                             .notConnectedToInternet, .dnsLookupFailed].contains(error.code) {
            throw ValidationError("cannot reach Lambent at \(endpoint.absoluteString) (\(error.localizedDescription)): "
                                  + "start it with `lambent serve` (or scripts/serve.sh), or point --endpoint-url or AWS_ENDPOINT_URL at it")
        }
        guard let http = response as? HTTPURLResponse else { throw ValidationError("no HTTP response") }
        var responseHeaders: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            responseHeaders[String(describing: name).lowercased()] = String(describing: value)
        }
        if http.statusCode >= 400 && !allowErrors {
            let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
            // REST services name the error in a header; the JSON protocols (SQS, Logs) in `__type`.
            let bodyType = (object?["__type"] as? String)?.split(separator: "#").last.map(String.init)
            throw Failure(status: http.statusCode, type: responseHeaders["x-amzn-errortype"] ?? bodyType ?? "Error",
                          message: (object?["message"] as? String) ?? String(decoding: data, as: UTF8.self))
        }
        return (http.statusCode, responseHeaders, data)
    }

    /// One SQS JSON-protocol call (the client must have been made for service `sqs`).
    func sqs(_ operation: String, _ object: [String: Any]) async throws -> [String: Any] {
        try await target("AmazonSQS.\(operation)", object, contentType: "application/x-amz-json-1.0")
    }

    /// One CloudWatch Logs call (the client must have been made for service `logs`).
    func logs(_ operation: String, _ object: [String: Any]) async throws -> [String: Any] {
        try await target("Logs_20140328.\(operation)", object, contentType: "application/x-amz-json-1.1")
    }

    /// One CloudWatch call in JSON 1.0 (the client must have been made for service `monitoring`).
    func cloudWatch(_ operation: String, _ object: [String: Any]) async throws -> [String: Any] {
        try await target("GraniteServiceVersion20100801.\(operation)", object, contentType: "application/x-amz-json-1.0")
    }

    /// One JSON-protocol call: `POST /` with `X-Amz-Target: target`.
    private func target(_ target: String, _ object: [String: Any], contentType: String) async throws -> [String: Any] {
        let body = [UInt8](try JSONSerialization.data(withJSONObject: object))
        let answer = try await send("POST", "/", body: body, headers: ["x-amz-target": target, "content-type": contentType])
        return (try JSONSerialization.jsonObject(with: answer.body)) as? [String: Any] ?? [:]
    }

    func json(_ method: String, _ path: String, query: String = "", object: [String: Any]? = nil) async throws -> [String: Any] {
        let body = try object.map { try JSONSerialization.data(withJSONObject: $0) }.map { [UInt8]($0) } ?? []
        let result = try await send(method, path, query: query, body: body)
        if result.body.isEmpty { return [:] }
        return (try JSONSerialization.jsonObject(with: result.body) as? [String: Any]) ?? [:]
    }

    static func escape(_ name: String) -> String {
        name.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_.~"))) ?? name
    }
}

struct ValidationError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
