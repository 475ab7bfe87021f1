import Foundation
import LambentModel
import LambentStore
import Logging
import NIOCore
import ServiceLifecycle

/// Fires schedules and scheduled rules when they are due: each firing is an asynchronous
/// invocation of a Lambda target (retries and destinations apply) or a message to an SQS
/// target, then the row's next time is stored. A firing is delivered before its row moves on,
/// so a crash between the two repeats it (at least once, as AWS delivers).
///
/// Firings missed while the server was down are not caught up one by one: a row found
/// overdue fires once and moves on to its next time after now. AWS does not document this
/// case for a service that is never down; Lambent chooses one firing, and logs it.
final class ScheduleRunner: Service, Sendable {
    let store: any Store
    let scheduler: SchedulerService
    let rules: RulesService
    let delivery: ScheduleDelivery
    let logger: Logger
    let clock: @Sendable () -> Date
    /// How often the runner looks at the store when nothing is due sooner.
    let tick: Duration

    init(store: any Store, scheduler: SchedulerService, rules: RulesService, delivery: ScheduleDelivery, logger: Logger,
         clock: @escaping @Sendable () -> Date = Date.init, tick: Duration = .seconds(1)) {
        self.store = store
        self.scheduler = scheduler
        self.rules = rules
        self.delivery = delivery
        self.logger = logger
        self.clock = clock
        self.tick = tick
    }

    func run() async throws {
        await withGracefulShutdownHandler {
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                await fireDue()
                try? await Task.sleep(for: await pause())
            }
        } onGracefulShutdown: {}
    }

    /// Until the next row is due, at most `tick` (a schedule created meanwhile is seen within
    /// a tick) and at least a millisecond.
    func pause() async -> Duration {
        guard let next = try? await store.nextScheduleFire() else { return tick }
        let wait = Duration.milliseconds(next - Int64(clock().timeIntervalSince1970 * 1000))
        return max(.milliseconds(1), min(tick, wait))
    }

    /// Fires every row due now; returns how many fired.
    @discardableResult
    func fireDue() async -> Int {
        let now = Int64(clock().timeIntervalSince1970 * 1000)
        let due: [ScheduleRecord]
        do {
            due = try await store.dueSchedules(now: now, limit: 200)
        } catch {
            logger.error("could not read due schedules", metadata: ["lambent.error": "\(error)"])
            return 0
        }
        for record in due {
            guard let scheduled = record.nextFire else { continue }
            if now - scheduled > 60_000 {
                logger.notice("a schedule was due while the server was down: it fires once now", metadata: [
                    "lambent.schedule": "\(record.group)/\(record.name)",
                    "lambent.due": "\(Date(timeIntervalSince1970: Double(scheduled) / 1000))",
                ])
            }
            switch record.kind {
            case SchedulerService.kind: await fireSchedule(record, scheduled: scheduled, now: now)
            case RulesService.kind: await fireRule(record, scheduled: scheduled, now: now)
            default: break
            }
        }
        return due.count
    }

    private func fireSchedule(_ record: ScheduleRecord, scheduled: Int64, now: Int64) async {
        guard let schedule = try? scheduler.decode(record.document) else { return }
        let input = ScheduleDelivery.placeholders(schedule.Target.Input ?? "{}", scheduleARN: schedule.Arn, scheduledTime: scheduled)
        await delivery.deliver(input, to: schedule.Target.Arn, deadLetter: schedule.Target.DeadLetterConfig?.Arn,
                               source: schedule.Arn, logger: logger)
        let next = (try? scheduler.nextFire(of: schedule, after: max(now, scheduled))) ?? nil
        if next == nil, schedule.ActionAfterCompletion == "DELETE" {
            _ = try? await store.deleteSchedule(kind: record.kind, group: record.group, name: record.name)
            return
        }
        await advance(record, from: scheduled, to: next)
    }

    private func fireRule(_ record: ScheduleRecord, scheduled: Int64, now: Int64) async {
        guard let rule = try? rules.decode(record.document) else { return }
        let event = ScheduleDelivery.scheduledEvent(ruleARN: rule.Arn, names: rules.names, time: scheduled)
        for target in rule.Targets {
            await delivery.deliver(target.Input ?? event, to: target.Arn, deadLetter: nil, source: rule.Arn, logger: logger)
        }
        await advance(record, from: scheduled, to: rules.nextFire(of: rule, after: max(now, scheduled)))
    }

    private func advance(_ record: ScheduleRecord, from scheduled: Int64, to next: Int64?) async {
        do {
            _ = try await store.advanceSchedule(kind: record.kind, group: record.group, name: record.name, from: scheduled, to: next,
                                                document: nil)
        } catch {
            logger.error("could not store a schedule's next time", metadata: ["lambent.error": "\(error)"])
        }
    }
}

/// Hands a firing to its target: Lambda functions through the `InvocationService`
/// (`InvocationType: Event`), SQS queues through the `QueueService`.
struct ScheduleDelivery: Sendable {
    let targets: EventTargets

    func deliver(_ payload: String, to arn: String, deadLetter: String?, source: String, logger: Logger) async {
        do {
            try await targets.send(payload, to: arn)
        } catch {
            logger.warning("a scheduled delivery failed", metadata: [
                "lambent.source": "\(source)", "lambent.target": "\(arn)", "lambent.error": "\(error)",
            ])
            guard let deadLetter else { return }
            do {
                try await targets.send(payload, to: deadLetter)
            } catch {
                logger.error("could not send a failed delivery to its dead-letter queue", metadata: ["lambent.error": "\(error)"])
            }
        }
    }

    /// `Target.Input` with Scheduler's context placeholders filled in.
    static func placeholders(_ input: String, scheduleARN: String, scheduledTime: Int64) -> String {
        input.replacingOccurrences(of: "<aws.scheduler.schedule-arn>", with: scheduleARN)
            .replacingOccurrences(of: "<aws.scheduler.scheduled-time>", with: iso8601(scheduledTime))
            .replacingOccurrences(of: "<aws.scheduler.execution-id>", with: RandomID.uuid())
            .replacingOccurrences(of: "<aws.scheduler.attempt-number>", with: "1")
    }

    /// EventBridge's "Scheduled Event", sent to rule targets without `Input`.
    static func scheduledEvent(ruleARN: String, names: ResourceNames, time: Int64) -> String {
        "{\"version\":\"0\",\"id\":\"\(RandomID.uuid())\",\"detail-type\":\"Scheduled Event\",\"source\":\"aws.events\","
            + "\"account\":\"\(names.accountID)\",\"time\":\"\(iso8601(time))\",\"region\":\"\(names.region)\","
            + "\"resources\":[\(JSONText.quoted(ruleARN))],\"detail\":{}}"
    }

    /// `2026-12-02T10:00:00Z`: second precision, as EventBridge writes times.
    static func iso8601(_ millis: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date(timeIntervalSince1970: Double(millis / 1000)))
    }
}

/// Where schedules and bucket notifications send their events: an asynchronous invocation
/// of a function, or a message on a queue. Each returns once the event is durable.
struct EventTargets: Sendable {
    let invocations: InvocationService
    let queues: QueueService
    let names: ResourceNames

    func send(_ payload: String, to arn: String) async throws {
        switch try EventInvokeRules.destinationKind(arn, names: names) {
        case .function(let reference):
            let parts = reference.split(separator: ":", maxSplits: 1).map(String.init)
            _ = try await invocations.invoke(InvocationRequest(
                target: InvocationTarget(function: parts[0], qualifier: parts.count > 1 ? parts[1] : nil),
                type: .event, payload: ByteBuffer(string: payload)))
        case .queue(let name):
            guard let queue = try await queues.store.queue(named: name) else { throw SQSError.queueDoesNotExist }
            let message = try queues.outgoing(QueueService.Outgoing(body: payload, attributes: [:]), queue: queue)
            _ = try await queues.send([message], to: queue)
        }
    }
}
