import Foundation
import LambentStore

/// The `NextToken` of schedule and rule listings: the (group, name) of the last row, opaque.
enum ScheduleListToken {
    /// The store marker a token names; nil for none (or one that is not ours).
    static func marker(_ token: String?) -> String? {
        token.flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) }
    }

    /// The store marker that continues after `record` (rows sort by group, then name).
    static func marker(after record: ScheduleRecord) -> String {
        "\(record.group)\u{0}\(record.name)"
    }

    /// The token that continues after `record`.
    static func token(after record: ScheduleRecord) -> String {
        Data(marker(after: record).utf8).base64EncodedString()
    }
}
