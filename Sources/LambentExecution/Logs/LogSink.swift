import Foundation
import LambentStore
import Logging
import ServiceLifecycle
import Synchronization

/// Collects log events from every environment and writes them to the store in batches, so
/// that no invocation waits for a database write.
public final class LogSink: Service, Sendable {
    private let store: any Store
    private let logger: Logger
    private let buffer = Mutex<[FunctionLogEvent]>([])
    private let interval: Duration

    public init(store: any Store, logger: Logger, interval: Duration = .milliseconds(100)) {
        self.store = store
        self.logger = logger
        self.interval = interval
    }

    /// Queues events; they reach the store within `interval`.
    public func append(_ events: [FunctionLogEvent]) {
        guard !events.isEmpty else { return }
        buffer.withLock { $0.append(contentsOf: events) }
    }

    /// Writes whatever is queued now.
    public func flush() async {
        let events = buffer.withLock { buffer in
            defer { buffer.removeAll(keepingCapacity: true) }
            return buffer
        }
        guard !events.isEmpty else { return }
        do {
            try await store.appendLogEvents(events)
        } catch {
            logger.error("could not write log events", metadata: ["lambent.error": "\(error)", "lambent.count": "\(events.count)"])
        }
    }

    /// Deletes the events of groups with a retention period that are older than it.
    func expire() async {
        do {
            _ = try await store.expireLogEvents(now: Int64(Date().timeIntervalSince1970 * 1000))
        } catch {
            logger.error("could not expire log events", metadata: ["lambent.error": "\(error)"])
        }
    }

    public func run() async throws {
        // Flush on a timer until shutdown, then once more for what the last invocations wrote.
        // Once a minute, events past their group's retention go.
        await cancelWhenGracefulShutdown {
            var lastExpiry = ContinuousClock.now
            while true {
                do {
                    try await Task.sleep(for: self.interval)
                } catch {
                    return
                }
                await self.flush()
                if ContinuousClock.now - lastExpiry >= .seconds(60) {
                    lastExpiry = ContinuousClock.now
                    await self.expire()
                }
            }
        }
        // The final flush must not see the loop's cancellation (the store would refuse to write).
        await Task { await self.flush() }.value
    }
}
