/// The validation wording the Scheduler and EventBridge share (AWS's `1 validation error
/// detected: …`), for names and missing members.
enum ScheduleValidation {
    /// A page size outside 1...100 (the models' `MaxResults` and `Limit`), in Coral's words;
    /// nil for one inside.
    static func pageSizeProblem(_ value: Int, field: String) -> String? {
        if value < 1 {
            return "1 validation error detected: Value '\(value)' at '\(field)' failed to satisfy constraint: Member must have value greater than or equal to 1"
        }
        if value > 100 {
            return "1 validation error detected: Value '\(value)' at '\(field)' failed to satisfy constraint: Member must have value less than or equal to 100"
        }
        return nil
    }

    static let nameCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")

    /// Nil when `name` is 1–64 of the allowed characters; otherwise AWS's message, which
    /// names `member` and the service's `pattern`.
    static func nameProblem(_ name: String, member: String, pattern: String) -> String? {
        guard (1...64).contains(name.count), name.allSatisfy({ nameCharacters.contains($0) }) else {
            return "1 validation error detected: Value '\(name)' at '\(member)' failed to satisfy constraint: Member must satisfy regular expression pattern: \(pattern)"
        }
        return nil
    }

    static func missing(_ member: String) -> String {
        "1 validation error detected: Value null at '\(member)' failed to satisfy constraint: Member must not be null"
    }
}
