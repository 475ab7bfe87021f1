import Foundation
import LambentModel
import NIOCore

/// An HTTP request to a function URL, as the function URL layer read it.
struct UrlRequest: Sendable {
    var method: String
    /// The path the function sees: as sent, without the `/lambda-url/<id>` prefix of the path form.
    var rawPath: String
    /// The query string as sent, without `?`.
    var rawQuery: String
    /// Headers as received, in order.
    var headers: [(name: String, value: String)]
    var body: ByteBuffer
    var sourceIP: String
    var urlID: String
    /// `<id>.lambda-url.<region>.<domain>`.
    var domainName: String
    /// The signer of an `AWS_IAM` request.
    var caller: UrlCaller?
}

/// Who signed an `AWS_IAM` request (`requestContext.authorizer.iam`).
struct UrlCaller: Sendable {
    var accessKey: String
    var accountID: String
    var userARN: String
    var userID: String
}

/// Payload format 2.0, as Lambda builds it for a function URL, and the reading of the
/// function's answer, as Lambda reads it.
enum UrlPayload {
    /// The event: `version`, `routeKey`, `rawPath`, `rawQueryString`, `cookies`, `headers`
    /// (lower-case, repeated values joined by commas), `queryStringParameters` (decoded,
    /// repeated values joined by commas), `requestContext`, `body` (base64 unless text),
    /// `isBase64Encoded`.
    static func event(_ request: UrlRequest, accountID: String, requestID: String, now: Date) -> String {
        let quoted = JSONText.quoted
        var headerOrder: [String] = []
        var headerValues: [String: [String]] = [:]
        var cookies: [String] = []
        for (name, value) in request.headers {
            let lower = name.lowercased()
            if lower == "cookie" {
                cookies += value.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                continue
            }
            if headerValues[lower] == nil { headerOrder.append(lower) }
            headerValues[lower, default: []].append(value)
        }
        var fields: [String] = [
            "\"version\":\"2.0\"", "\"routeKey\":\"$default\"", "\"rawPath\":\(quoted(request.rawPath))",
            "\"rawQueryString\":\(quoted(request.rawQuery))",
        ]
        if !cookies.isEmpty { fields.append("\"cookies\":[" + cookies.map(quoted).joined(separator: ",") + "]") }
        fields.append("\"headers\":{" + headerOrder.map { "\(quoted($0)):\(quoted(headerValues[$0]!.joined(separator: ",")))" }
            .joined(separator: ",") + "}")
        let query = queryParameters(request.rawQuery)
        if !query.isEmpty {
            fields.append("\"queryStringParameters\":{" + query.map { "\(quoted($0.name)):\(quoted($0.value))" }.joined(separator: ",") + "}")
        }
        let millis = Int64((now.timeIntervalSince1970 * 1000).rounded(.down))
        var context: [String] = ["\"accountId\":\(quoted(accountID))", "\"apiId\":\(quoted(request.urlID))"]
        if let caller = request.caller {
            context.append("\"authorizer\":{\"iam\":{\"accessKey\":\(quoted(caller.accessKey)),\"accountId\":\(quoted(caller.accountID)),"
                + "\"callerId\":\(quoted(caller.userID)),\"cognitoIdentity\":null,\"principalOrgId\":null,"
                + "\"userArn\":\(quoted(caller.userARN)),\"userId\":\(quoted(caller.userID))}}")
        }
        let userAgent = headerValues["user-agent"]?.joined(separator: ",") ?? ""
        context += [
            "\"domainName\":\(quoted(request.domainName))", "\"domainPrefix\":\(quoted(request.urlID))",
            "\"http\":{\"method\":\(quoted(request.method)),\"path\":\(quoted(request.rawPath)),\"protocol\":\"HTTP/1.1\","
                + "\"sourceIp\":\(quoted(request.sourceIP)),\"userAgent\":\(quoted(userAgent))}",
            "\"requestId\":\(quoted(requestID))", "\"routeKey\":\"$default\"", "\"stage\":\"$default\"",
            "\"time\":\(quoted(LambdaTimestamp.requestTime(now)))", "\"timeEpoch\":\(millis)",
        ]
        fields.append("\"requestContext\":{" + context.joined(separator: ",") + "}")
        let contentType = headerValues["content-type"]?.first
        if request.body.readableBytes > 0 {
            if isText(contentType: contentType), let text = String(validating: request.body.readableBytesView, as: UTF8.self) {
                fields += ["\"body\":\(quoted(text))", "\"isBase64Encoded\":false"]
            } else {
                fields += ["\"body\":\"\(Base64.encode(Array(request.body.readableBytesView)))\"", "\"isBase64Encoded\":true"]
            }
        } else {
            fields.append("\"isBase64Encoded\":false")
        }
        return "{" + fields.joined(separator: ",") + "}"
    }

    /// Query parameters, percent-decoded (`+` as space), repeated names joined by commas, in first-seen order.
    static func queryParameters(_ rawQuery: String) -> [(name: String, value: String)] {
        var order: [String] = []
        var values: [String: [String]] = [:]
        for piece in rawQuery.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = piece.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = decode(parts[0])
            let value = parts.count > 1 ? decode(parts[1]) : ""
            if values[name] == nil { order.append(name) }
            values[name, default: []].append(value)
        }
        return order.map { ($0, values[$0]!.joined(separator: ",")) }
    }

    private static func decode(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    /// Whether a body of this type reaches the function as text rather than base64: `text/*`,
    /// JSON, XML and JavaScript types (AWS documents only "binary is base64"; its recordings
    /// show JSON and text/plain as text and multipart as base64, and API Gateway's payload 2.0,
    /// which URLs share, base64-encodes form posts).
    static func isText(contentType: String?) -> Bool {
        guard let type = contentType?.lowercased() else { return false }
        return type.hasPrefix("text/") || type.contains("json") || type.contains("xml") || type.contains("javascript")
    }

    // MARK: The answer

    struct Answer: Sendable, Equatable {
        var status: Int
        var headers: [(name: String, value: String)]
        var body: [UInt8]

        static func == (lhs: Answer, rhs: Answer) -> Bool {
            lhs.status == rhs.status && lhs.body == rhs.body
                && lhs.headers.map { "\($0.name): \($0.value)" } == rhs.headers.map { "\($0.name): \($0.value)" }
        }
    }

    /// The HTTP response for a function's result. An object with `statusCode` is read as
    /// AWS reads it (`headers`, `cookies` as `Set-Cookie`, `body`, `isBase64Encoded`); any
    /// other JSON answer is sent as it is, 200 `application/json`.
    static func answer(_ payload: ByteBuffer) -> Answer {
        let bytes = Array(payload.readableBytesView)
        // Most results are plain JSON: only a string or a text mentioning `statusCode` needs parsing.
        let first = bytes.first { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }
        if first != UInt8(ascii: "\""), !contains(bytes, "statusCode") {
            return Answer(status: 200, headers: [("content-type", "application/json")], body: minified(bytes))
        }
        let parsed = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
        guard let object = parsed as? [String: Any], object["statusCode"] != nil else {
            // As AWS answers: a string as its text, any other JSON compacted, 200 application/json.
            let body = (parsed as? String).map { Array($0.utf8) } ?? minified(bytes)
            return Answer(status: 200, headers: [("content-type", "application/json")], body: body)
        }
        let (status, headers) = head(object, defaultType: "application/json")
        var body: [UInt8] = []
        if let given = object["body"], !(given is NSNull) {
            let textBody = text(given)
            if (object["isBase64Encoded"] as? Bool) == true {
                body = Base64.decode(textBody) ?? Array(textBody.utf8)
            } else {
                body = Array(textBody.utf8)
            }
        }
        return Answer(status: status, headers: headers, body: body)
    }

    /// The status and headers a result object gives: `statusCode`, `headers`,
    /// `multiValueHeaders`, and `cookies` as `Set-Cookie`.
    private static func head(_ object: [String: Any], defaultType: String) -> (status: Int, headers: [(name: String, value: String)]) {
        let status = (object["statusCode"] as? Int) ?? Int((object["statusCode"] as? String) ?? "") ?? 200
        var headers: [(name: String, value: String)] = []
        if let given = object["headers"] as? [String: Any] {
            for (name, value) in given.sorted(by: { $0.key < $1.key }) { headers.append((name.lowercased(), text(value))) }
        }
        if let multi = object["multiValueHeaders"] as? [String: [Any]] {
            for (name, values) in multi.sorted(by: { $0.key < $1.key }) {
                for value in values { headers.append((name.lowercased(), text(value))) }
            }
        }
        if !headers.contains(where: { $0.name == "content-type" }) { headers.append(("content-type", defaultType)) }
        for cookie in (object["cookies"] as? [Any]) ?? [] { headers.append(("set-cookie", text(cookie))) }
        return (status, headers)
    }

    /// The `Content-Type` of a streamed response that starts with an HTTP prelude.
    static let integrationResponseType = "application/vnd.awslambda.http-integration-response"

    /// The status and headers of a streamed URL response whose content type is
    /// ``integrationResponseType``: a JSON object (`statusCode`, `headers`, `cookies`) that the
    /// function writes before 8 NUL bytes and its body. nil when `prelude` is not such an object.
    static func prelude(_ prelude: ByteBuffer) -> (status: Int, headers: [(name: String, value: String)])? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(prelude.readableBytesView)) as? [String: Any] else {
            return nil
        }
        return head(object, defaultType: "application/octet-stream")
    }

    /// Where the 8 NUL bytes that end a prelude start, if `bytes` holds them.
    static func preludeEnd(in bytes: ByteBuffer) -> Int? {
        let view = bytes.readableBytesView
        var run = 0
        for (offset, byte) in view.enumerated() {
            run = byte == 0 ? run + 1 : 0
            if run == 8 { return offset - 7 }
        }
        return nil
    }

    private static func contains(_ bytes: [UInt8], _ text: String) -> Bool {
        let needle = Array(text.utf8)
        guard bytes.count >= needle.count else { return false }
        return (0...(bytes.count - needle.count)).contains { start in bytes[start..<(start + needle.count)].elementsEqual(needle) }
    }

    /// JSON text without the whitespace between tokens, keys in their order.
    static func minified(_ json: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(json.count)
        var inString = false
        var escaped = false
        for byte in json {
            if inString {
                out.append(byte)
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
            } else if byte == UInt8(ascii: "\"") {
                inString = true
                out.append(byte)
            } else if byte != 0x20 && byte != 0x0A && byte != 0x0D && byte != 0x09 {
                out.append(byte)
            }
        }
        return out
    }

    private static func text(_ value: Any) -> String {
        if let string = value as? String { return string }
        if let number = value as? NSNumber { return number.stringValue }
        if let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .withoutEscapingSlashes]) {
            return String(decoding: data, as: UTF8.self)
        }
        return "\(value)"
    }
}
