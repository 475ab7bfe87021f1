/// Why a schedule expression (or a schedule's time zone) was refused.
///
/// `message` is Lambent's own diagnostic: what is wrong and how to fix it, for logs and the
/// CLI. What a client receives is `awsMessage(for:)`, copied exactly from AWS, which says only
/// that the expression is invalid (both services answer `400 ValidationException`):
///
/// | Service | Message | Recorded in `shared/reference/aws-recorded/` |
/// |---|---|---|
/// | EventBridge Scheduler (`CreateSchedule`) | `Invalid Schedule Expression <expression as sent>.` | `test_scheduler.snapshot.json`, `tests_create_schedule_with_invalid_schedule_expression[…]` |
/// | EventBridge rules (`PutRule`) | `Parameter ScheduleExpression is not valid.` | `test_events_schedule.snapshot.json`, `tests_put_rule_with_invalid_schedule_cron[…]` |
///
/// ```swift
/// do {
///     _ = try ScheduleExpression.parse("cron(71 8 1 * ? *)")
/// } catch {
///     error.code                          // .invalidCron
///     error.awsMessage(for: .scheduler)   // "Invalid Schedule Expression cron(71 8 1 * ? *)."
///     error.message                       // "… the minutes field '71' has the value 71, outside 0-59 …"
/// }
/// ```
public struct ScheduleExpressionError: Error, Sendable, CustomStringConvertible {
    /// What kind of mistake the expression has.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable {
            case unrecognized, invalidRate, invalidCron, invalidDayFields, invalidAt, unsupportedByService, invalidTimeZone
        }

        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// Not `rate(…)`, `cron(…)` or `at(…)`, or with stray white space around it.
        public static let unrecognized = Code(.unrecognized)
        /// A `rate(…)` whose value is not a positive integer or whose unit is unknown.
        public static let invalidRate = Code(.invalidRate)
        /// A `cron(…)` with the wrong number of fields, or a field AWS's syntax does not allow.
        public static let invalidCron = Code(.invalidCron)
        /// A `cron(…)` that does not leave exactly one of day-of-month and day-of-week as `?`.
        public static let invalidDayFields = Code(.invalidDayFields)
        /// An `at(…)` that is not a valid `yyyy-mm-ddThh:mm:ss`.
        public static let invalidAt = Code(.invalidAt)
        /// A form the service does not take (`at(…)` on an EventBridge rule, `rate(5 hour)` on a rule).
        public static let unsupportedByService = Code(.unsupportedByService)
        /// A `ScheduleExpressionTimezone` that names no IANA time zone.
        public static let invalidTimeZone = Code(.invalidTimeZone)

        /// The code's name, e.g. `invalidCron`.
        public var description: String {
            switch wrapped {
            case .unrecognized: "unrecognized"
            case .invalidRate: "invalidRate"
            case .invalidCron: "invalidCron"
            case .invalidDayFields: "invalidDayFields"
            case .invalidAt: "invalidAt"
            case .unsupportedByService: "unsupportedByService"
            case .invalidTimeZone: "invalidTimeZone"
            }
        }
    }

    /// What kind of mistake it is.
    public var code: Code
    /// The refused text exactly as it was sent (AWS echoes it, white space included).
    public var expression: String
    /// Lambent's explanation: what is wrong and how to fix it.
    public var message: String
    /// Where in Lambent the error was raised.
    public var fileID: String
    /// Line of `fileID`.
    public var line: Int

    /// Creates an error; `fileID` and `line` default to the caller's location.
    public init(code: Code, expression: String, message: String, fileID: String = #fileID, line: Int = #line) {
        self.code = code
        self.expression = expression
        self.message = message
        self.fileID = fileID
        self.line = line
    }

    /// HTTP status both services answer with.
    public var httpStatus: Int { 400 }

    /// AWS error type both services answer with.
    public var awsErrorType: String { "ValidationException" }

    /// The message the given service returns, exactly as AWS words it (see the table above).
    /// For `invalidTimeZone` no AWS answer is recorded, so Lambent's own `message` is returned.
    public func awsMessage(for service: ScheduleExpression.Service) -> String {
        if code == .invalidTimeZone { return message }
        switch service {
        case .scheduler: return "Invalid Schedule Expression \(expression)."
        case .events: return "Parameter ScheduleExpression is not valid."
        }
    }

    /// `code: message (fileID:line)`.
    public var description: String { "\(code): \(message) (\(fileID):\(line))" }
}
