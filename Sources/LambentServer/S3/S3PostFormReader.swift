import Foundation
import NIOCore

/// Reads a browser-based upload's form as it arrives: first its fields, up to where the file's
/// content starts (S3 reads nothing after the file), then the file's content, passed on as it
/// comes except for a tail that may be the start of the delimiter that ends it. So a form of
/// any size is read with a few buffers of memory.
///
/// ```swift
/// var reader = S3PostFormReader(boundary: boundary)
/// var form: S3PostForm?
/// while form == nil { form = try reader.fields(adding: try await body.next(), ended: …) }
/// var ended = false
/// while !ended { (content, ended) = try reader.file(adding: try await body.next()) … }
/// ```
struct S3PostFormReader {
    private let boundary: [UInt8]
    /// CRLF `--` boundary: what ends a part's content.
    private let delimiter: [UInt8]
    /// Bytes taken and not yet passed on.
    private var pending = ByteBuffer()
    private var readingFile = false

    /// How many bytes may come before the file's content: S3's 20 KiB of fields, and room for
    /// the file part's own header block.
    static let headLimit = S3Limits.maximumPostFieldBytes + 16 * 1024

    init(boundary: String) {
        self.boundary = Array(boundary.utf8)
        delimiter = Array("\r\n--".utf8) + Array(boundary.utf8)
    }

    /// Takes the next bytes of the form while its fields are read (`buffer` nil when there are
    /// none). Returns the form, its `file` nil, once the file's content starts or the form has
    /// ended without one; nil while more bytes are needed. `ended`: the body has no more.
    /// - Throws: `MalformedPOSTRequest` for a body that is not multipart as RFC 2046 writes it,
    ///   `MaxPostPreDataLengthExceeded` for more than S3's 20 KiB of fields.
    mutating func fields(adding buffer: ByteBuffer?, ended: Bool) throws(S3Error) -> S3PostForm? {
        precondition(!readingFile, "the fields are read once")
        if var buffer { pending.writeBuffer(&buffer) }
        let boundary = self.boundary
        let layout = pending.withUnsafeReadableBytes { bytes in
            // SAFETY: `bytes` is only read inside this closure, while `pending` keeps it alive;
            // only offsets and copied strings leave it.
            S3PostForm.Layout(bytes, boundary: boundary)
        }
        guard let layout else {
            guard ended || pending.readableBytes > Self.headLimit else { return nil }
            let delimited = pending.readableBytesView.starts(with: Array("--".utf8) + boundary)
                || pending.withUnsafeReadableBytes { S3PostForm.Layout.find(delimiter, in: $0, from: 0) != nil }
            throw ended || !delimited ? .malformedPOSTRequest : .postFieldsTooLarge
        }
        var form = S3PostForm(fields: [], file: nil, filename: nil, bytesBeforeFile: pending.readableBytes)
        for part in layout.parts {
            guard let disposition = part.headers.first(where: { $0.name.lowercased() == "content-disposition" })?.value,
                  let name = S3PostForm.parameter("name", in: disposition) else { continue }
            if let start = layout.fileContent, part.content.lowerBound == start, name.lowercased() == "file" {
                form.hasFile = true
                form.filename = S3PostForm.parameter("filename", in: disposition)
                form.bytesBeforeFile = start
                break
            }
            let content = pending.getSlice(at: pending.readerIndex + part.content.lowerBound, length: part.content.count) ?? ByteBuffer()
            form.fields.append(.init(name: name, value: String(buffer: content)))
        }
        if let start = layout.fileContent {
            pending.moveReaderIndex(forwardBy: start)
            readingFile = true
        } else {
            pending.clear()
        }
        return form
    }

    /// The file's content in the bytes taken so far and `buffer`: what can be passed on (all but
    /// a tail that may start the closing delimiter), and whether the file has ended. What
    /// follows the file is dropped.
    mutating func file(adding buffer: ByteBuffer?) throws(S3Error) -> (content: ByteBuffer, ended: Bool) {
        precondition(readingFile, "the file follows the fields")
        if var buffer { pending.writeBuffer(&buffer) }
        let delimiter = self.delimiter
        let end = pending.withUnsafeReadableBytes { S3PostForm.Layout.find(delimiter, in: $0, from: 0) }
        if let end {
            let content = pending.getSlice(at: pending.readerIndex, length: end) ?? ByteBuffer()
            pending = ByteBuffer()
            readingFile = false
            return (content, true)
        }
        let passed = max(0, pending.readableBytes - (delimiter.count - 1))
        let content = pending.readSlice(length: passed) ?? ByteBuffer()
        // The tail starts a buffer of its own, so that the content handed out is not copied
        // when more bytes are added.
        var tail = ByteBuffer()
        tail.writeBuffer(&pending)
        pending = tail
        return (content, false)
    }
}
