import LambentControl
@testable import LambentAgentCore
import NIOCore
import Testing

/// A runtime that answers each invocation by streaming: the event names the case.
private let streamingRuntime = #"""
import base64, http.client, json, os
host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
c = http.client.HTTPConnection(host, int(port))
while True:
    c.request("GET", "/2018-06-01/runtime/invocation/next")
    r = c.getresponse(); event = json.loads(r.read()); rid = r.getheader("Lambda-Runtime-Aws-Request-Id")
    s = http.client.HTTPConnection(host, int(port))
    s.putrequest("POST", "/2018-06-01/runtime/invocation/%s/response" % rid)
    s.putheader("Lambda-Runtime-Function-Response-Mode", event["mode"])
    s.putheader("Transfer-Encoding", "chunked")
    if event.get("type"): s.putheader("Content-Type", event["type"])
    s.endheaders()
    for chunk in event.get("chunks", []):
        s.send(b"%x\r\n%s\r\n" % (len(chunk), chunk.encode()))
    trailer = b""
    if event.get("error"):
        trailer = b"Lambda-Runtime-Function-Error-Type: Oops\r\nLambda-Runtime-Function-Error-Body: " + base64.b64encode(b'{"errorMessage":"m"}') + b"\r\n"
    s.send(b"0\r\n" + trailer + b"\r\n")
    a = s.getresponse()
    print("ANSWER", a.status, a.read().decode().strip(), flush=True)
    s.close()
"""#

@Suite("lambent-agent streamed responses", .serialized)
struct StreamingResponseTests {
    @Test("chunks are forwarded as written, then the end; error trailers; an unknown mode is refused")
    func streamedResponses() throws {
        let directory = try writeScript("runtime.py", streamingRuntime)
        let agent = try AgentHarness(runtime: ["python3", "\(directory)/runtime.py"])
        guard case .ready = try agent.nextEvent() else { Issue.record("no ready: \(agent.received)"); return }

        try agent.send(.invoke(makeInvocation("s-1", payload: #"{"mode":"streaming","type":"text/plain","chunks":["ab","cd"]}"#)))
        #expect(try agent.nextEvent() == .streamStarted(requestID: "s-1", contentType: "text/plain"))
        var streamed = ""
        while case .streamChunk(let bytes)? = try agent.nextEvent() { streamed += String(buffer: bytes) }
        #expect(streamed == "abcd")
        guard case .response(let id, let body, _) = agent.received.last else { Issue.record("\(agent.received)"); return }
        #expect(id == "s-1" && body.readableBytes == 0)

        try agent.send(.invoke(makeInvocation("s-2", payload: #"{"mode":"streaming","chunks":["x"],"error":true}"#)))
        #expect(try agent.nextEvent() == .streamStarted(requestID: "s-2", contentType: "application/octet-stream"))
        #expect(try agent.nextEvent() == .streamChunk(ByteBuffer(string: "x")))
        guard case .invokeError("s-2", "Oops", let errorBody, _) = try agent.nextEvent() else { Issue.record("\(agent.received)"); return }
        #expect(String(buffer: errorBody) == #"{"errorMessage":"m"}"#)

        try agent.send(.invoke(makeInvocation("s-3", payload: #"{"mode":"Buffered","chunks":["x"]}"#)))
        guard case .invokeError("s-3", "Runtime.InvalidResponseModeHeader", let emptyBody, _) = try agent.nextEvent() else {
            Issue.record("\(agent.received)")
            return
        }
        #expect(emptyBody.readableBytes == 0)
        // The runtime's lines can arrive split over several log frames: wait for the whole last one.
        let refused = #"ANSWER 400 {"errorMessage":"Invalid function response mode","errorType":"InvalidFunctionResponseMode"}"# + "\n"
        try agent.waitFor { _ in agent.logText.contains(refused) }
        #expect(agent.logText.contains("ANSWER 202 {\"status\":\"OK\"}\nANSWER 202 {\"status\":\"OK\"}\n" + refused))
    }

    @Test("base64 of error trailers", arguments: [
        ("", [UInt8]()), ("YQ==", Array("a".utf8)), ("YWI=", Array("ab".utf8)), ("YWJj", Array("abc".utf8)),
        ("YWJjZA", Array("abcd".utf8)), ("+/8=", [0xFB, 0xFF]),
    ])
    func base64(text: String, bytes: [UInt8]) {
        #expect(Base64Text.decode(text) == bytes)
    }

    @Test("text that is not base64", arguments: ["a", "YQ=a", "Y Q==", "YR==", "YQ==="])
    func notBase64(text: String) {
        #expect(Base64Text.decode(text) == nil)
    }
}
