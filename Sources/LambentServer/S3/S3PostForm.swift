import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The form of a browser-based upload (S3's POST Object): `multipart/form-data` (RFC 7578)
/// whose fields come first and whose part named `file` is the object. S3 reads the fields up to
/// the file and ignores any after it; field names are case-insensitive.
///
/// ```
/// --9431149156168
/// Content-Disposition: form-data; name="key"
///
/// user/eric/${filename}
/// --9431149156168
/// Content-Disposition: form-data; name="file"; filename="MyFilename.jpg"
/// Content-Type: image/jpeg
///
/// …the object's bytes…
/// --9431149156168--
/// ```
struct S3PostForm: Sendable {
    struct Field: Sendable, Equatable {
        /// As sent: S3 names an uncovered field the way the form spelt it.
        var name: String
        var value: String
    }

    /// The fields before the file, in order.
    var fields: [Field]
    /// The object's bytes (a slice of the body) when the form was read whole; nil when the
    /// form has no `file` part, or while it is read as it arrives (`S3PostFormReader`).
    var file: ByteBuffer?
    /// The file part's `filename` parameter; nil when it has none.
    var filename: String?
    /// The bytes of the form before the file's content, which S3 caps at 20 KiB.
    var bytesBeforeFile: Int
    /// Whether the form has a part named `file`.
    var hasFile = false

    /// The value of a field, its name compared case-insensitively; a repeated field's values
    /// joined with commas, as S3 reads them.
    subscript(name: String) -> String? {
        let values = fields.filter { $0.name.lowercased() == name }.map(\.value)
        return values.isEmpty ? nil : values.joined(separator: ",")
    }

    /// Replaces `${filename}` in every field with the file's name (what follows its last `/`
    /// or `\`), as S3 does before it checks the policy. A file part without a `filename`
    /// parameter leaves the variable as it is, as S3 was recorded doing.
    mutating func expandFilename() {
        guard let filename else { return }
        let name = String(filename.split(omittingEmptySubsequences: false) { $0 == "/" || $0 == "\\" }.last ?? "")
        for index in fields.indices where fields[index].value.contains("${filename}") {
            fields[index].value = fields[index].value.replacingOccurrences(of: "${filename}", with: name)
        }
    }

    // MARK: Reading the form

    /// Whether a request is a browser-based upload to a path-style bucket URL (`POST /<bucket>`,
    /// no query): such a request carries no signature of its own, so nothing else marks it as
    /// S3's. One that is not a multipart form is S3's too, and answered as S3 answers it (412).
    /// No other API has a one-segment POST path; a form posted to a function URL stays the
    /// function's.
    static func isUpload(_ request: Request) -> Bool {
        guard request.method == .post, (request.uri.query ?? "").isEmpty, request.uri.path.split(separator: "/").count == 1 else {
            return false
        }
        return FunctionUrlMiddleware.route(authority: request.head.authority, path: request.uri.path) == nil
    }

    /// The boundary of a `multipart/form-data` Content-Type.
    /// - Throws: S3's 412 for another type, `MalformedPOSTRequest` when there is no boundary.
    static func boundary(contentType: String) throws(S3Error) -> String {
        let parameters = contentType.split(separator: ";")
        guard parameters.first?.trimmingCharacters(in: .whitespaces).lowercased() == "multipart/form-data" else {
            throw .postNotMultipart
        }
        for parameter in parameters.dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == "boundary" else { continue }
            var value = pair[1].trimmingCharacters(in: .whitespaces)
            if value.utf8.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            guard (1...70).contains(value.utf8.count) else { break }
            return value
        }
        throw .malformedPOSTRequest
    }

    /// Reads a form held whole in `body`, up to the end of its `file` part.
    /// - Throws: `MalformedPOSTRequest` when it is not multipart as RFC 2046 writes it.
    static func parse(_ body: ByteBuffer, boundary: String) throws(S3Error) -> S3PostForm {
        var reader = S3PostFormReader(boundary: boundary)
        guard var form = try reader.fields(adding: body, ended: true) else { throw .malformedPOSTRequest }
        guard form.hasFile else { return form }
        let (content, ended) = try reader.file(adding: nil)
        guard ended else { throw .malformedPOSTRequest }
        form.file = content
        return form
    }

    /// A parameter of a Content-Disposition value (`form-data; name="key"; filename="a;b.txt"`):
    /// names compared case-insensitively, values unquoted (`\"` is `"`; other backslashes are
    /// kept, for Windows paths: browsers escape only quotes, as `%22`); semicolons inside
    /// quotes do not separate.
    static func parameter(_ wanted: String, in header: String) -> String? {
        var index = header.startIndex
        while index < header.endIndex {
            // The parameter's name, up to `=` (or the next `;` for a bare token).
            guard let semicolon = header[index...].firstIndex(of: ";") else { return nil }
            var cursor = header.index(after: semicolon)
            while cursor < header.endIndex, header[cursor] == " " || header[cursor] == "\t" { cursor = header.index(after: cursor) }
            let nameEnd = header[cursor...].firstIndex { $0 == "=" || $0 == ";" } ?? header.endIndex
            let name = header[cursor..<nameEnd].trimmingCharacters(in: .whitespaces).lowercased()
            guard nameEnd < header.endIndex, header[nameEnd] == "=" else {
                index = nameEnd
                continue
            }
            cursor = header.index(after: nameEnd)
            var value = ""
            if cursor < header.endIndex, header[cursor] == "\"" {
                cursor = header.index(after: cursor)
                while cursor < header.endIndex, header[cursor] != "\"" {
                    let next = header.index(after: cursor)
                    if header[cursor] == "\\", next < header.endIndex, header[next] == "\"" { cursor = next }
                    value.append(header[cursor])
                    cursor = header.index(after: cursor)
                }
                if cursor < header.endIndex { cursor = header.index(after: cursor) }
            } else {
                let end = header[cursor...].firstIndex(of: ";") ?? header.endIndex
                value = header[cursor..<end].trimmingCharacters(in: .whitespaces)
                cursor = end
            }
            if name == wanted { return value }
            index = cursor
        }
        return nil
    }

    /// Where a form's parts are: each part's headers and the offsets of its content, up to where
    /// the content of the part named `file` starts (what follows is the reader's).
    struct Layout {
        struct Part {
            var headers: [(name: String, value: String)]
            var content: Range<Int>
        }

        var parts: [Part] = []
        /// Where the content of the part named `file` starts (its part is the last in `parts`,
        /// its content empty: it is read as it arrives), or nil when the form closed without one.
        var fileContent: Int?

        /// Nil when the bytes are not (yet) a multipart body with this boundary up to the
        /// start of the file's content or the form's end: no first delimiter, a part without its
        /// header block's end, or a field that never ends.
        init?(_ bytes: UnsafeRawBufferPointer, boundary: [UInt8]) {
            let crlf: [UInt8] = [0x0D, 0x0A]
            let dashBoundary = [UInt8(ascii: "-"), UInt8(ascii: "-")] + boundary
            let delimiter = crlf + dashBoundary
            var position: Int
            // The body starts with the first delimiter line, or has a preamble before it.
            if Self.matches(dashBoundary, in: bytes, at: 0) {
                position = dashBoundary.count
            } else if let first = Self.find(delimiter, in: bytes, from: 0) {
                position = first + delimiter.count
            } else {
                return nil
            }
            while true {
                // After a delimiter: `--` closes the body; else transport padding and CRLF.
                if Self.matches([UInt8(ascii: "-"), UInt8(ascii: "-")], in: bytes, at: position) { return }
                while position < bytes.count, bytes[position] == UInt8(ascii: " ") || bytes[position] == UInt8(ascii: "\t") {
                    position += 1
                }
                guard Self.matches(crlf, in: bytes, at: position) else { return nil }
                position += 2
                var headers: [(name: String, value: String)] = []
                while true {
                    guard let lineEnd = Self.find(crlf, in: bytes, from: position), headers.count < 16 else { return nil }
                    if lineEnd == position {
                        position += 2
                        break
                    }
                    let line = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[position..<lineEnd]), as: UTF8.self)
                    guard let colon = line.firstIndex(of: ":") else { return nil }
                    headers.append((line[..<colon].trimmingCharacters(in: .whitespaces),
                                    line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
                    position = lineEnd + 2
                }
                let disposition = headers.first { $0.name.lowercased() == "content-disposition" }?.value ?? ""
                if S3PostForm.parameter("name", in: disposition)?.lowercased() == "file" {
                    parts.append(Part(headers: headers, content: position..<position))
                    fileContent = position
                    return
                }
                guard let end = Self.find(delimiter, in: bytes, from: position) else { return nil }
                parts.append(Part(headers: headers, content: position..<end))
                position = end + delimiter.count
            }
        }

        static func matches(_ pattern: [UInt8], in bytes: UnsafeRawBufferPointer, at offset: Int) -> Bool {
            guard offset >= 0, offset + pattern.count <= bytes.count, let base = bytes.baseAddress else { return false }
            return memcmp(base + offset, pattern, pattern.count) == 0
        }

        /// The offset of the first `pattern` at or after `start` (memchr for its first byte,
        /// then a compare: a form is scanned once, at memory speed).
        static func find(_ pattern: [UInt8], in bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
            guard let base = bytes.baseAddress, let first = pattern.first else { return nil }
            let last = bytes.count - pattern.count
            var offset = start
            while offset <= last {
                guard let hit = memchr(base + offset, Int32(first), last - offset + 1) else { return nil }
                offset = base.distance(to: UnsafeRawPointer(hit))
                if memcmp(base + offset, pattern, pattern.count) == 0 { return offset }
                offset += 1
            }
            return nil
        }
    }
}
