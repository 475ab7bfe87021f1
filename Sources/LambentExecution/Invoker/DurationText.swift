/// Durations written the way people write them on a command line: `500ms`, `30s`, `10m`,
/// `2h`, or combinations such as `1h30m`.
public enum DurationText {
    /// Parses the text; nil when it is not a positive duration.
    public static func parse(_ text: String) -> Duration? {
        var total = Duration.zero
        var rest = Substring(text)
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, let value = Int64(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            let unit = rest.prefix { $0.isLetter }
            rest = rest.dropFirst(unit.count)
            switch unit {
            case "ms": total += .milliseconds(value)
            case "s": total += .seconds(value)
            case "m": total += .seconds(value * 60)
            case "h": total += .seconds(value * 3600)
            default: return nil
            }
        }
        return total > .zero ? total : nil
    }
}
