import Foundation
import LambentModel
import NIOCore

/// Lambda's time formats: log stream dates, platform line timestamps, trace ids.
enum LambdaClock {
    /// `YYYY/MM/DD`, the date part of a log stream's name.
    static func logDate() -> String {
        let parts = LambdaTimestamp.format(Date()).prefix(10).split(separator: "-")
        return parts.joined(separator: "/")
    }

    /// `2024-01-02T03:04:05.678Z`, as platform lines begin.
    static func isoTimestamp() -> String {
        let text = LambdaTimestamp.format(Date())
        return String(text.prefix(23)) + "Z"
    }
}

extension TimeAmount {
    /// The same span as a Swift `Duration`.
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

/// The time an invoker reads for environments' ages and idleness: when they were created and
/// last used, against `--idle-timeout` and `--max-lifetime`. Tests pass one they move by hand.
public struct LifecycleClock: Sendable {
    public var now: @Sendable () -> ContinuousClock.Instant

    public init(now: @escaping @Sendable () -> ContinuousClock.Instant) {
        self.now = now
    }

    /// The system's monotonic clock.
    public static let continuous = LifecycleClock { ContinuousClock.now }
}
