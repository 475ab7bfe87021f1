import LambentControl
import NIOCore
import Testing

/// A small deterministic generator, so a failing split is reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

let sampleInvocation = Invocation(
    requestID: "8476a536-e9f4-11e8-9739-2dfe598c3fcd",
    deadlineMs: 1_542_409_706_888,
    invokedFunctionARN: "arn:aws:lambda:us-east-2:123456789012:function:custom-runtime",
    traceID: "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1",
    clientContext: "{\"custom\":{\"é\":\"ü\"}}",
    cognitoIdentity: nil,
    payload: ByteBuffer(string: "{\"key\":\"value\"}")
)

let everyMessage: [ControlMessage] = [
    .invoke(sampleInvocation),
    .invoke(Invocation(
        requestID: "", deadlineMs: .max, invokedFunctionARN: "", traceID: "",
        clientContext: "", cognitoIdentity: "{\"cognitoIdentityId\":\"x\"}", payload: ByteBuffer()
    )),
    .shutdown,
    .ready(initDurationMicros: 123_456),
    .initError(errorType: "Runtime.ImportModuleError", body: ByteBuffer(string: "{\"errorMessage\":\"x\"}")),
    .initError(errorType: "", body: ByteBuffer()),
    .response(requestID: "id-1", body: ByteBuffer(bytes: [0, 1, 2, 255]), maxMemoryKB: 42_000),
    .invokeError(requestID: "id-2", errorType: "Function.Oops", body: ByteBuffer(string: "{}"), maxMemoryKB: 0),
    .log(ByteBuffer(string: "START line\nEND line\n")),
    .log(ByteBuffer()),
    .exited(reason: "signal: segmentation fault (core dumped)"),
    .nextRequested,
    .streamStarted(requestID: "id-3", contentType: "application/vnd.awslambda.http-integration-response"),
    .streamChunk(ByteBuffer(bytes: [0, 0, 0, 0, 0, 0, 0, 0, 104, 105])),
    .streamChunk(ByteBuffer()),
]

func encode(_ messages: [ControlMessage]) throws -> ByteBuffer {
    var out = ByteBuffer()
    for message in messages {
        try ControlMessageEncoder().encode(data: message, out: &out)
    }
    return out
}

/// Feeds `bytes` to a decoder in chunks of the given sizes, as a channel would.
func decode(_ bytes: ByteBuffer, chunks: [Int], maximumFrameLength: Int = 16 << 20) throws -> [ControlMessage] {
    var decoder = ControlMessageDecoder(maximumFrameLength: maximumFrameLength)
    var input = bytes
    var accumulated = ByteBuffer()
    var messages: [ControlMessage] = []
    for size in chunks {
        var chunk = input.readSlice(length: min(size, input.readableBytes))!
        accumulated.writeBuffer(&chunk)
        while let message = try decoder.decode(buffer: &accumulated) {
            messages.append(message)
        }
    }
    if let message = try decoder.decodeLast(buffer: &accumulated, seenEOF: true) {
        messages.append(message)
    }
    return messages
}

@Suite("Control message codec")
struct ControlMessageCodecTests {
    @Test("every message survives a round trip", arguments: everyMessage)
    func roundTrip(message: ControlMessage) throws {
        let bytes = try encode([message])
        #expect(try decode(bytes, chunks: [bytes.readableBytes]) == [message])
    }

    @Test("the wire format is as documented")
    func wireFormat() throws {
        let bytes = try encode([.ready(initDurationMicros: 0x0102), .exited(reason: "ab")])
        #expect(Array(bytes.readableBytesView) == [
            0, 0, 0, 13, 3, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 1, 2,
            0, 0, 0, 7, 8, 0, 0, 0, 2, 97, 98,
        ])
        let absent = try encode([.invoke(Invocation(
            requestID: "", deadlineMs: 0, invokedFunctionARN: "", traceID: "",
            clientContext: nil, cognitoIdentity: nil, payload: ByteBuffer()
        ))])
        // length, kind, 3 empty texts + number + 2 absent + empty payload.
        #expect(absent.readableBytes == 4 + 1 + 4 + 12 + 4 + 4 + 4 + 4 + 4)
        #expect(Array(absent.readableBytesView)[29..<37] == [255, 255, 255, 255, 255, 255, 255, 255])
    }

    @Test("a stream split at random points decodes to the same messages", arguments: 0..<50)
    func randomSplits(seed: UInt64) throws {
        var random = SplitMix64(state: seed)
        let messages = (0..<20).map { _ in everyMessage.randomElement(using: &random)! }
        let bytes = try encode(messages)
        var chunks: [Int] = []
        var left = bytes.readableBytes
        while left > 0 {
            let size = Int.random(in: 1...max(1, min(left, 64)), using: &random)
            chunks.append(size)
            left -= size
        }
        #expect(try decode(bytes, chunks: chunks) == messages)
    }

    @Test("every strict prefix of a frame waits for more bytes, and is an error at EOF")
    func truncatedFrames() throws {
        let bytes = try encode([.invoke(sampleInvocation)])
        for length in 1..<bytes.readableBytes {
            var decoder = ControlMessageDecoder()
            var prefix = bytes.getSlice(at: 0, length: length)!
            #expect(try decoder.decode(buffer: &prefix) == nil)
            #expect(throws: ControlProtocolError.self) {
                _ = try decoder.decodeLast(buffer: &prefix, seenEOF: true)
            }
        }
    }

    @Test("a field running past its frame is truncatedField")
    func fieldPastFrame() throws {
        // Frame of 5 bytes: kind 8 (exited), field claims 100 bytes.
        var bytes = ByteBuffer(bytes: [0, 0, 0, 5, 8, 0, 0, 0, 100])
        var decoder = ControlMessageDecoder()
        let error = try #require(throws: ControlProtocolError.self) {
            _ = try decoder.decode(buffer: &bytes)
        }
        #expect(error.code == .truncatedField)
    }

    @Test("a frame over the maximum length is refused before it is buffered")
    func oversize() throws {
        var decoder = ControlMessageDecoder(maximumFrameLength: 1024)
        var bytes = ByteBuffer(bytes: [0, 0, 4, 1, 7])  // claims 1025 bytes
        let error = try #require(throws: ControlProtocolError.self) {
            _ = try decoder.decode(buffer: &bytes)
        }
        #expect(error.code == .frameTooLong)

        var huge = ByteBuffer(bytes: [255, 255, 255, 255])
        var defaultDecoder = ControlMessageDecoder()
        #expect(throws: ControlProtocolError.self) { _ = try defaultDecoder.decode(buffer: &huge) }

        let atLimit = try encode([.log(ByteBuffer(repeating: 0x41, count: 1024 - 5))])
        #expect(try decode(atLimit, chunks: [atLimit.readableBytes], maximumFrameLength: 1024).count == 1)
    }

    @Test("unknown kinds, empty frames, trailing bytes and bad numbers are errors")
    func malformed() throws {
        let cases: [([UInt8], ControlProtocolError.Code)] = [
            ([0, 0, 0, 1, 99], .unknownKind),
            ([0, 0, 0, 1, 0], .unknownKind),
            ([0, 0, 0, 0], .truncatedField),
            ([0, 0, 0, 2, 2, 0], .trailingBytes),
            ([0, 0, 0, 9, 3, 0, 0, 0, 4, 0, 0, 0, 1], .invalidNumber),
            ([0, 0, 0, 5, 8, 255, 255, 255, 255], .truncatedField),
            ([0, 0, 0, 6, 8, 0, 0, 0, 1, 0xFF], .invalidText),
        ]
        for (bytes, code) in cases {
            var buffer = ByteBuffer(bytes: bytes)
            var decoder = ControlMessageDecoder()
            let error = try #require(throws: ControlProtocolError.self) {
                _ = try decoder.decode(buffer: &buffer)
            }
            #expect(error.code == code, "\(bytes)")
        }
    }

    @Test("random garbage never crashes the decoder", arguments: 0..<20)
    func garbage(seed: UInt64) {
        var random = SplitMix64(state: seed &+ 1000)
        var bytes = ByteBuffer()
        for _ in 0..<Int.random(in: 0..<200, using: &random) {
            bytes.writeInteger(UInt8.random(in: 0...255, using: &random))
        }
        // Keep lengths small so a frame is complete often enough to reach the field parser.
        if bytes.readableBytes >= 4 {
            bytes.setInteger(UInt32.random(in: 0...UInt32(bytes.readableBytes - 4), using: &random), at: 0)
        }
        var decoder = ControlMessageDecoder(maximumFrameLength: 4096)
        _ = try? decoder.decode(buffer: &bytes)
    }
}
