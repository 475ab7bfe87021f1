import Foundation

/// An EventBridge Scheduler schedule, as `GetSchedule` answers it (dates as epoch seconds,
/// the REST-JSON protocol's default), plus what the runner needs (`anchor`).
struct SchedulerSchedule: Codable, Sendable, Equatable {
    var Name: String
    var GroupName: String
    var Arn: String
    var ScheduleExpression: String
    var ScheduleExpressionTimezone: String?
    var StartDate: Double?
    var EndDate: Double?
    var State: String
    var Description: String?
    var FlexibleTimeWindow: FlexibleTimeWindow
    var Target: ScheduleTarget
    var ActionAfterCompletion: String?
    var KmsKeyArn: String?
    var CreationDate: Double
    var LastModificationDate: Double
    /// Where `rate()` periods are counted from (epoch milliseconds): the start date, else
    /// when the schedule was created or its expression last changed. Not on the wire.
    var anchor: Int64?

    /// The shape `ListSchedules` answers with.
    var summary: [String: Any] {
        ["Arn": Arn, "Name": Name, "GroupName": GroupName, "State": State, "CreationDate": CreationDate,
         "LastModificationDate": LastModificationDate, "Target": ["Arn": Target.Arn]]
    }
}

struct FlexibleTimeWindow: Codable, Sendable, Equatable {
    var Mode: String
    var MaximumWindowInMinutes: Int?
}

struct ScheduleTarget: Codable, Sendable, Equatable {
    var Arn: String
    var RoleArn: String
    var Input: String?
    var RetryPolicy: RetryPolicy?
    var DeadLetterConfig: DeadLetter?

    struct RetryPolicy: Codable, Sendable, Equatable {
        var MaximumEventAgeInSeconds: Int?
        var MaximumRetryAttempts: Int?
    }

    struct DeadLetter: Codable, Sendable, Equatable {
        var Arn: String?
    }
}

/// A schedule group (`default` exists without being created).
struct ScheduleGroupDocument: Codable, Sendable, Equatable {
    var Name: String
    var Arn: String
    var State: String
    var CreationDate: Double
    var LastModificationDate: Double
    var Tags: [String: String]?
}

/// An EventBridge rule (`events`), as `DescribeRule` answers it, with its targets.
struct EventRule: Codable, Sendable, Equatable {
    var Name: String
    var Arn: String
    var EventBusName: String
    var ScheduleExpression: String?
    var EventPattern: String?
    var State: String
    var Description: String?
    var RoleArn: String?
    var CreatedBy: String
    var Targets: [RuleTarget]
    var Tags: [String: String]?
    /// As for schedules: where `rate()` periods are counted from. Not on the wire.
    var anchor: Int64?
}

struct RuleTarget: Codable, Sendable, Equatable {
    var Id: String
    var Arn: String
    var Input: String?
    var InputPath: String?
    var RoleArn: String?
}
