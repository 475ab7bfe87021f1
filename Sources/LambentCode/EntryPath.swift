/// A zip entry name checked and split into path components that are safe to create
/// below a destination directory.
///
/// Refused (`.unsafePath`): empty names, NUL bytes, backslashes (Windows separators and
/// their tricks), absolute paths, drive letters (`C:`), `..` components, names that are
/// not UTF-8, and components or paths longer than Linux allows. `.` components and
/// repeated slashes are dropped.
struct EntryPath: Hashable, Sendable, CustomStringConvertible {
    static let maxComponentBytes = 255
    static let maxPathBytes = 4095

    var components: [String]

    var description: String { components.joined(separator: "/") }

    /// Parses a raw entry name; a trailing `/` marks a directory and is not kept.
    init(entryName raw: [UInt8]) throws(CodeError) {
        let shown = String(decoding: raw.prefix(200), as: UTF8.self)
        guard !raw.isEmpty else { throw .unsafePath("empty entry name") }
        guard !raw.contains(0) else { throw .unsafePath("NUL byte in entry name \(shown.debugDescription)") }
        guard !raw.contains(UInt8(ascii: "\\")) else {
            throw .unsafePath("backslash in entry name \(shown.debugDescription)")
        }
        guard raw.first != UInt8(ascii: "/") else { throw .unsafePath("absolute entry name \(shown.debugDescription)") }
        guard raw.count <= Self.maxPathBytes else { throw .unsafePath("entry name too long") }
        guard let name = String(validating: raw, as: UTF8.self) else {
            // TODO: decode CP437 names (zip's legacy encoding) instead of refusing them.
            throw .unsafePath("entry name is not UTF-8")
        }
        components = try Self.split(name, what: "entry name")
        if let first = components.first, Self.isDriveLetter(first) {
            throw .unsafePath("drive letter in entry name \(name.debugDescription)")
        }
    }

    /// Splits a relative path, refusing `..` and over-long components.
    static func split(_ path: String, what: String) throws(CodeError) -> [String] {
        var components: [String] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            guard part != ".." else { throw .unsafePath("'..' in \(what) \(path.debugDescription)") }
            guard part.utf8.count <= maxComponentBytes else { throw .unsafePath("component too long in \(what)") }
            components.append(String(part))
        }
        return components
    }

    private static func isDriveLetter(_ component: String) -> Bool {
        let bytes = Array(component.utf8)
        guard bytes.count >= 2, bytes[1] == UInt8(ascii: ":") else { return false }
        return (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(bytes[0] & 0xDF)
    }
}
