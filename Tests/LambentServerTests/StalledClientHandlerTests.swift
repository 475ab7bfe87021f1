import NIOCore
import NIOEmbedded
import Testing

@testable import LambentServer

/// A connection unwritable for the whole limit is closed; one that drains in time is not.
@Suite struct StalledClientHandlerTests {
    private func channel() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel(handler: StalledClientHandler(limit: .seconds(60)))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    private func setWritable(_ writable: Bool, _ channel: EmbeddedChannel) {
        channel.isWritable = writable
        channel.pipeline.fireChannelWritabilityChanged()
    }

    @Test func aClientThatReadsNothingForTheLimitIsCutOff() throws {
        let channel = try channel()
        setWritable(false, channel)
        channel.embeddedEventLoop.advanceTime(by: .seconds(59))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive)
    }

    @Test func eachDrainStartsTheClockAgain() throws {
        let channel = try channel()
        for _ in 0..<5 {
            setWritable(false, channel)
            channel.embeddedEventLoop.advanceTime(by: .seconds(50))
            setWritable(true, channel)
        }
        channel.embeddedEventLoop.advanceTime(by: .seconds(120))
        #expect(channel.isActive)
        _ = try channel.finish()
    }
}
