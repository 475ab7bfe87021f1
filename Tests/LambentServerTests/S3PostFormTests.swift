import Foundation
import NIOCore
import Synchronization
import Testing

@testable import LambentServer

/// Browser-based uploads' forms: `multipart/form-data` as `requests` and browsers write it, the
/// file last and what follows it ignored, `${filename}`, and the object's headers.
@Suite("S3 POST form")
struct S3PostFormTests {
    static let boundary = "9431149156168"

    /// A body as `requests.post(url, data=fields, files={"file": (name, bytes)})` writes it.
    static func body(_ fields: [(String, String)], file: (name: String?, bytes: [UInt8])?, after: [(String, String)] = [],
                     boundary: String = boundary) -> ByteBuffer {
        var out = ByteBuffer()
        for (name, value) in fields {
            out.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n")
        }
        if let file {
            let filename = file.name.map { "; filename=\"\($0)\"" } ?? ""
            out.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"\(filename)\r\nContent-Type: image/png\r\n\r\n")
            out.writeBytes(file.bytes)
            out.writeString("\r\n")
        }
        for (name, value) in after {
            out.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n")
        }
        out.writeString("--\(boundary)--\r\n")
        return out
    }

    @Test func readsFieldsAndTheFileAndIgnoresWhatFollowsIt() throws {
        // The file holds CRLFs, dashes and a prefix of the delimiter: only the whole delimiter ends it.
        let bytes = Array("line one\r\n--\(Self.boundary.dropLast())x\r\n--\r\n".utf8) + [0, 255, 13, 10]
        let body = Self.body([("key", "user/${filename}"), ("X-Amz-Meta-Tag", "a"), ("x-amz-meta-tag", "b"), ("empty", "")],
                             file: ("C:\\photos\\me.png", bytes), after: [("submit", "Upload"), ("key", "ignored")])
        let form = try S3PostForm.parse(body, boundary: Self.boundary)
        #expect(form.fields.map(\.name) == ["key", "X-Amz-Meta-Tag", "x-amz-meta-tag", "empty"])
        #expect(form["key"] == "user/${filename}")
        #expect(form["x-amz-meta-tag"] == "a,b")
        #expect(form["empty"] == "")
        #expect(form["submit"] == nil)
        #expect(form.file.map { Array($0.readableBytesView) } == bytes)
        #expect(form.filename == "C:\\photos\\me.png")
        #expect(form.bytesBeforeFile > 0 && form.bytesBeforeFile < body.readableBytes - bytes.count)
        var expanded = form
        expanded.expandFilename()
        #expect(expanded["key"] == "user/me.png")
    }

    @Test func filenameVariable() throws {
        var form = try S3PostForm.parse(Self.body([("key", "a/${filename}")], file: ("dir/b.txt", [1])), boundary: Self.boundary)
        form.expandFilename()
        #expect(form["key"] == "a/b.txt")
        // A file part without a filename leaves the variable as it is (as S3 was recorded doing).
        form = try S3PostForm.parse(Self.body([("key", "a/${filename}")], file: (nil, [1])), boundary: Self.boundary)
        form.expandFilename()
        #expect(form["key"] == "a/${filename}")
        form = try S3PostForm.parse(Self.body([("key", "a/${filename}")], file: ("", [1])), boundary: Self.boundary)
        form.expandFilename()
        #expect(form["key"] == "a/")
    }

    @Test func noFileAndPreamble() throws {
        let form = try S3PostForm.parse(Self.body([("key", "k")], file: nil), boundary: Self.boundary)
        #expect(form.file == nil && form["key"] == "k")
        var withPreamble = ByteBuffer(string: "ignored preamble\r\n")
        var body = Self.body([("key", "k")], file: ("f", [7]))
        withPreamble.writeBuffer(&body)
        #expect(try S3PostForm.parse(withPreamble, boundary: Self.boundary).file.map { Array($0.readableBytesView) } == [7])
    }

    @Test func malformedBodies() {
        let good = Self.body([("key", "k")], file: ("f", Array("data".utf8)))
        for bad in [ByteBuffer(string: "no delimiter at all"),
                    good.getSlice(at: 0, length: good.readableBytes - 30)!,  // the file never ends
                    ByteBuffer(string: "--\(Self.boundary)\r\nContent-Disposition: form-data; name=\"key\"\r\nno blank line")] {
            #expect(throws: S3Error.self) { try S3PostForm.parse(bad, boundary: Self.boundary) }
        }
    }

    /// Reads a form fed in pieces of `size` bytes as `S3PostFormReader` reads a request body.
    static func readInPieces(_ body: ByteBuffer, size: Int) throws -> (S3PostForm, [UInt8]) {
        var reader = S3PostFormReader(boundary: boundary)
        var rest = body
        func piece() -> ByteBuffer? { rest.readableBytes == 0 ? nil : rest.readSlice(length: Swift.min(size, rest.readableBytes)) }
        var form: S3PostForm?
        while form == nil {
            let next = piece()
            form = try reader.fields(adding: next, ended: next == nil)
        }
        var file: [UInt8] = []
        while form?.hasFile == true {
            let next = piece()
            let (content, ended) = try reader.file(adding: next)
            file += content.readableBytesView
            if ended { break }
            guard next != nil else { throw S3Error.malformedPOSTRequest }
        }
        return (form!, file)
    }

    @Test func aFormReadAsItArrivesIsTheSameInAnyPieces() throws {
        // The delimiter's own bytes inside the file (all but its last), so that a piece may end
        // in the middle of something that looks like it.
        let bytes = (0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 31) } + Array("\r\n--\(Self.boundary.dropLast())".utf8) + [1, 2]
        let body = Self.body([("key", "k/${filename}"), ("policy", "p")], file: ("a.bin", bytes), after: [("submit", "Upload")])
        let whole = try S3PostForm.parse(body, boundary: Self.boundary)
        for size in [1, 2, 7, 64, 1000, body.readableBytes] {
            let (form, file) = try Self.readInPieces(body, size: size)
            #expect(file == bytes, "pieces of \(size)")
            #expect(form.fields == whole.fields && form.filename == "a.bin" && form.bytesBeforeFile == whole.bytesBeforeFile)
        }
        // A form that ends inside the file is malformed however it arrives.
        let cut = body.getSlice(at: 0, length: whole.bytesBeforeFile + 100)!
        #expect(throws: S3Error.self) { try Self.readInPieces(cut, size: 100) }
    }

    @Test func fieldsBeyondS3sLimitAreRefusedBeforeTheFile() throws {
        let big = String(repeating: "x", count: S3Limits.maximumPostFieldBytes + 1)
        // Read whole, the file's start shows the fields' size; read in pieces, the reader stops
        // at its bound without waiting for the file.
        let body = Self.body([("key", "k"), ("x-amz-meta-big", big)], file: ("f", [1]))
        #expect(try S3PostForm.parse(body, boundary: Self.boundary).bytesBeforeFile > S3Limits.maximumPostFieldBytes)
        let endless = Self.body([("key", "k"), ("x-amz-meta-big", big + big)], file: ("f", [1]))
        do {
            _ = try Self.readInPieces(endless, size: 4096)
            Issue.record("the fields were taken")
        } catch let error as S3Error {
            #expect(error.code == "MaxPostPreDataLengthExceeded")
        }
        var reader = S3PostFormReader(boundary: Self.boundary)
        #expect(throws: S3Error.self) {
            _ = try reader.fields(adding: ByteBuffer(repeating: 0x41, count: S3PostFormReader.headLimit + 1), ended: false)
        }
    }

    @Test func aLargeFileIsSpooledToDiskAndReadBack() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("spool-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let small = S3PostedFile(spoolDirectory: directory)
        try small.append(ByteBuffer(string: "small"))
        guard case .bytes(let bytes) = small.body() else { Issue.record("a small file was spooled"); return }
        #expect(String(buffer: bytes) == "small" && !FileManager.default.fileExists(atPath: directory.path))
        #expect(try await small.md5() == "eb5c1399a871211c7e7ed732d15e3a8b")

        let large = S3PostedFile(spoolDirectory: directory)
        let piece = (0..<65536).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let pieces = S3PostedFile.memoryLimit / piece.count + 3
        for _ in 0..<pieces { try large.append(ByteBuffer(bytes: piece)) }
        #expect(large.size == Int64(pieces * piece.count))
        guard case .stream(let stream, let length) = large.body() else { Issue.record("a large file stayed in memory"); return }
        #expect(length == large.size)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).count == 1)
        var read: [UInt8] = []
        for try await buffer in stream { read += buffer.readableBytesView }
        #expect(read.count == pieces * piece.count && read.prefix(piece.count).elementsEqual(piece) && read.suffix(piece.count).elementsEqual(piece))
        large.remove()
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    @Test func aFileOverItsPolicysMaximumIsOnlyCounted() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("spool-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let maximum = Int64(S3PostedFile.memoryLimit + 65536)
        let file = S3PostedFile(spoolDirectory: directory, keptAtMost: maximum)
        let piece = ByteBuffer(repeating: 7, count: 65536)
        for _ in 0..<(S3PostedFile.memoryLimit / 65536 + 1) { try file.append(piece) }
        #expect(!file.dropped && file.size == maximum)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).count == 1)
        try file.append(ByteBuffer(repeating: 7, count: 1))
        for _ in 0..<8 { try file.append(piece) }
        // Past the maximum the bytes are dropped, the spool removed, and the length still counted.
        #expect(file.dropped && file.size == maximum + 1 + 8 * 65536)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    @Test func theSpoolStopsShortOfTheDisksReserve() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("spool-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let gib: Int64 = 1 << 30
        #expect(S3PostedFile.reserve(diskSize: 100 * gib) == gib && S3PostedFile.reserve(diskSize: 10 * gib) == gib / 2)
        let piece = ByteBuffer(repeating: 7, count: 1 << 20)
        let memoryPieces = S3PostedFile.memoryLimit >> 20

        // Too little room to start spooling: refused before a byte goes to disk.
        let full = S3PostedFile(spoolDirectory: directory) { _ in (free: gib / 2, size: 10 * gib) }
        for _ in 0..<memoryPieces { try full.append(piece) }
        #expect(throws: S3Error.self) { try full.append(piece) }
        #expect((try? FileManager.default.contentsOfDirectory(atPath: directory.path).count) ?? 0 == 0)

        // Room at first, then the disk fills (other uploads, the store): refused at the next look.
        let looks = Mutex(0)
        let filling = S3PostedFile(spoolDirectory: directory) { _ in
            looks.withLock { $0 += 1; return (free: $0 == 1 ? 2 * gib : gib / 2, size: 10 * gib) }
        }
        for _ in 0..<(memoryPieces + 63) { try filling.append(piece) }
        #expect(looks.withLock { $0 } == 1)
        #expect(throws: S3Error.self) { try filling.append(piece) }
        filling.remove()
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    @Test func contentTypes() throws {
        #expect(try S3PostForm.boundary(contentType: "multipart/form-data; boundary=abc") == "abc")
        #expect(try S3PostForm.boundary(contentType: "Multipart/Form-Data;boundary=\"a b\"") == "a b")
        do {
            _ = try S3PostForm.boundary(contentType: "text/html")
            Issue.record("text/html was taken")
        } catch {
            #expect((error.code, error.status.code) == ("PreconditionFailed", 412))
            #expect(error.details.map { "\($0.0)=\($0.1)" } == ["Condition=Bucket POST must be of the enclosure-type multipart/form-data"])
        }
        #expect(throws: S3Error.self) { try S3PostForm.boundary(contentType: "multipart/form-data") }
    }

    @Test func dispositionParameters() {
        let header = #"form-data; name="file"; filename="a;b \"c\".txt"; size=3"#
        #expect(S3PostForm.parameter("name", in: header) == "file")
        #expect(S3PostForm.parameter("filename", in: header) == #"a;b "c".txt"#)
        #expect(S3PostForm.parameter("size", in: header) == "3")
        #expect(S3PostForm.parameter("name", in: "form-data; NAME=key") == "key")
        #expect(S3PostForm.parameter("filename", in: "form-data; name=key") == nil)
    }

    @Test func objectHeadersFromTheForm() throws {
        let form = S3PostForm(fields: [
            ("key", "k"), ("Content-Type", "image/png"), ("X-Amz-Meta-Note", "hello"), ("x-amz-meta-city", "Zürich"),
            ("Cache-Control", "max-age=60"), ("acl", "private"), ("x-amz-credential", "A/1/r/s3/aws4_request"),
            ("x-amz-security-token", "t"), ("policy", "p"), ("x-amz-storage-class", "STANDARD"),
            ("tagging", "<Tagging><TagSet><Tag><Key>a b</Key><Value>1/2</Value></Tag><Tag><Key>c</Key><Value></Value></Tag></TagSet></Tagging>"),
        ].map { .init(name: $0.0, value: $0.1) }, file: nil, filename: nil, bytesBeforeFile: 0)
        let headers = try S3Gateway.objectHeaders(form).map { "\($0.name): \($0.value)" }
        #expect(headers == [
            "content-type: image/png", "x-amz-meta-note: hello", "x-amz-meta-city: =?UTF-8?B?WsO8cmljaA==?=",
            "cache-control: max-age=60", "x-amz-acl: private", "x-amz-storage-class: STANDARD", "x-amz-tagging: a+b=1%2F2&c=",
        ])
        let bare = S3PostForm(fields: [.init(name: "key", value: "k")], file: nil, filename: nil, bytesBeforeFile: 0)
        #expect(try S3Gateway.objectHeaders(bare).map { "\($0.name): \($0.value)" } == ["content-type: binary/octet-stream"])
        #expect(try S3Gateway.tagging("<InvalidXmlTagging></InvalidXmlTagging>") == "")
        #expect(throws: S3Error.self) { try S3Gateway.tagging("not-xml") }
    }

    @Test func redirectsAreFormEncoded() {
        #expect(S3Gateway.formEncoded("8329/Untitled copy.sketch") == "8329%2FUntitled+copy.sketch")
        #expect(S3Gateway.formEncoded("\"47371919f8bdb6e35df40d8744db818a\"") == "%2247371919f8bdb6e35df40d8744db818a%22")
    }
}
