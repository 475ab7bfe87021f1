import Foundation
import NIOCore
import Testing

@testable import LambentServer

@Suite struct FunctionUrlTests {
    static let id = "0123456789abcdefghijklmnopqrstuv"

    @Test("URL traffic is found by Host or by the /lambda-url/ prefix; anything else is the API's")
    func routes() {
        #expect(FunctionUrlMiddleware.route(authority: "\(Self.id).lambda-url.us-east-1.localhost:9550", path: "/a/b")
            == .init(urlID: Self.id, path: "/a/b", domainName: "\(Self.id).lambda-url.us-east-1.localhost"))
        #expect(FunctionUrlMiddleware.route(authority: "127.0.0.1:9550", path: "/lambda-url/\(Self.id)/x/y")
            == .init(urlID: Self.id, path: "/x/y", domainName: nil))
        #expect(FunctionUrlMiddleware.route(authority: "127.0.0.1:9550", path: "/lambda-url/\(Self.id)")?.path == "/")
        #expect(FunctionUrlMiddleware.route(authority: "127.0.0.1:9550", path: "/2015-03-31/functions/") == nil)
        #expect(FunctionUrlMiddleware.route(authority: "short.lambda-url.us-east-1.localhost", path: "/") == nil)
    }

    @Test("the event has payload format 2.0's fields: lower-case joined headers, cookies, decoded joined query values")
    func event() throws {
        let request = UrlRequest(
            method: "POST", rawPath: "/p", rawQuery: "a=1&a=%2F2&b=x+y&c",
            headers: [("Host", "h"), ("X-Multi", "1"), ("x-multi", "2"), ("Cookie", "k=v; j=w"), ("Content-Type", "text/plain")],
            body: ByteBuffer(string: "hi"), sourceIP: "10.0.0.1", urlID: Self.id, domainName: "d", caller: nil)
        let json = UrlPayload.event(request, accountID: "anonymous", requestID: "r", now: Date(timeIntervalSince1970: 1_583_348_638.39))
        let event = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(event["version"] as? String == "2.0")
        #expect(event["cookies"] as? [String] == ["k=v", "j=w"])
        let headers = try #require(event["headers"] as? [String: String])
        #expect(headers["x-multi"] == "1,2" && headers["host"] == "h")
        #expect(event["queryStringParameters"] as? [String: String] == ["a": "1,/2", "b": "x y", "c": ""])
        #expect(event["body"] as? String == "hi" && event["isBase64Encoded"] as? Bool == false)
        let context = try #require(event["requestContext"] as? [String: Any])
        #expect(context["time"] as? String == "04/Mar/2020:19:03:58 +0000")
        #expect(context["timeEpoch"] as? Int == 1_583_348_638_390)
    }

    @Test("answers: a string as its text, other JSON compacted, statusCode objects as AWS reads them")
    func answers() {
        func answer(_ text: String) -> UrlPayload.Answer { UrlPayload.answer(ByteBuffer(string: text)) }
        #expect(answer(#""hello""#).body == Array("hello".utf8))
        #expect(answer(#"{ "b": 1,  "a" : [1, "x y"] }"#).body == Array(#"{"b":1,"a":[1,"x y"]}"#.utf8))
        let full = answer(#"{"statusCode": "418", "headers": {"X-A": "1"}, "cookies": ["c=1"], "body": "t"}"#)
        #expect(full.status == 418 && full.body == Array("t".utf8))
        #expect(full.headers.map { "\($0.name): \($0.value)" } == ["x-a: 1", "content-type: application/json", "set-cookie: c=1"])
        let binary = answer(#"{"statusCode": 200, "isBase64Encoded": true, "body": "AAEC"}"#)
        #expect(binary.body == [0, 1, 2])
    }

    @Test("text bodies: text/*, JSON, XML and JavaScript; everything else is base64", arguments: [
        ("text/plain", true), ("application/json; charset=utf-8", true), ("application/xml", true), ("application/javascript", true),
        ("application/octet-stream", false), ("multipart/form-data; boundary=x", false), ("application/x-www-form-urlencoded", false),
    ])
    func textTypes(_ type: String, _ text: Bool) {
        #expect(UrlPayload.isText(contentType: type) == text)
    }
}

@Suite("Streamed URL responses")
struct StreamedUrlResponseTests {
    @Test("the prelude ends at the first 8 NUL bytes")
    func preludeEnd() {
        var bytes = ByteBuffer(string: #"{"statusCode":201}"#)
        #expect(UrlPayload.preludeEnd(in: bytes) == nil)
        bytes.writeBytes([0, 0, 0, 0, 0, 0, 0])
        #expect(UrlPayload.preludeEnd(in: bytes) == nil)
        bytes.writeBytes([0, 0x41, 0])
        #expect(UrlPayload.preludeEnd(in: bytes) == 18)
    }

    @Test("status, headers and cookies come from the prelude; octet-stream by default")
    func prelude() throws {
        let head = try #require(UrlPayload.prelude(ByteBuffer(string: #"{"statusCode":404,"headers":{"X-A":"b"},"cookies":["c=1"]}"#)))
        #expect(head.status == 404)
        #expect(head.headers.map { "\($0.name): \($0.value)" } == ["x-a: b", "content-type: application/octet-stream", "set-cookie: c=1"])
        #expect(UrlPayload.prelude(ByteBuffer(string: #"{"headers":{"content-type":"text/html"}}"#))?.status == 200)
        #expect(UrlPayload.prelude(ByteBuffer(string: "not json")) == nil)
        #expect(UrlPayload.prelude(ByteBuffer(string: "[1]")) == nil)
    }
}
