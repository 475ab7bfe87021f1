import Foundation
import LambentCode
import Testing

private let couldNotUnzip = "Could not unzip uploaded file. Please check your file, then try to upload again."

/// Runs `body` and returns the CodeError it throws, or nil.
private func codeError(_ body: () throws(CodeError) -> Void) -> CodeError? {
    do {
        try body()
        return nil
    } catch {
        return error
    }
}

/// Expects both `validate` and `extract` to refuse `zip` with `code`, and `extract` to
/// leave nothing behind in the scratch directory. With `onlyWhenExtracting`, the damage is
/// in entry data, which `validate` does not read, so `validate` must pass.
private func expectRefused(
    _ zip: URL, in scratch: Scratch, code: CodeError.Code, message: String? = nil,
    limits: CodeLimits = CodeLimits(), onlyWhenExtracting: Bool = false,
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let before = try scratch.contents()
    let validation = codeError { () throws(CodeError) in try CodeArchive.validate(zipAt: zip, limits: limits) }
    if onlyWhenExtracting {
        #expect(validation == nil, "validate: \(String(describing: validation))", sourceLocation: sourceLocation)
    } else {
        #expect(validation?.code == code, "validate: \(String(describing: validation))", sourceLocation: sourceLocation)
    }
    let out = scratch.url("out")
    let extraction = codeError { () throws(CodeError) in try CodeArchive.extract(zipAt: zip, to: out, limits: limits) }
    #expect(extraction?.code == code, "extract: \(String(describing: extraction))", sourceLocation: sourceLocation)
    if let message, !onlyWhenExtracting {
        #expect(validation?.message == message, sourceLocation: sourceLocation)
    }
    if let message {
        #expect(extraction?.message == message, sourceLocation: sourceLocation)
    }
    #expect(try scratch.contents() == before, "extract left files behind", sourceLocation: sourceLocation)
}

@Suite("CodeArchive: hostile packages")
struct CodeArchiveSecurityTests {
    @Test(arguments: [
        ("garbage", Array("this is not a zip file at all, just some text".utf8)),
        ("empty", []),
        ("eocd only, pointing nowhere", [0x50, 0x4B, 0x05, 0x06, 0, 0, 0, 0, 1, 0, 1, 0, 46, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
    ] as [(String, [UInt8])])
    func notAZipIsRefusedWithAWSMessage(name: String, bytes: [UInt8]) throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let zip = try scratch.write(bytes, to: "code.zip")
        try expectRefused(zip, in: scratch, code: .notAZip, message: couldNotUnzip)
    }

    @Test func truncatedZipIsRefused() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let whole = ZipFixture.make([FixtureEntry("a.txt", String(repeating: "abc", count: 1000), deflate: true)])
        for length in [whole.count / 2, whole.count - 1, whole.count - 23, 30] {
            let zip = try scratch.write(Array(whole.prefix(length)), to: "code.zip")
            try expectRefused(zip, in: scratch, code: .notAZip, message: couldNotUnzip)
        }
    }

    @Test func corruptDataIsRefusedByChecksum() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        var stored = FixtureEntry("a.txt", "hello world")
        stored.crc = 0xDEAD_BEEF
        try expectRefused(
            try scratch.zip([stored]), in: scratch, code: .notAZip, message: couldNotUnzip, onlyWhenExtracting: true)

        var deflated = FixtureEntry("b.txt", String(repeating: "lambda ", count: 500), deflate: true)
        var payload = ZipFixture.deflate(deflated.data)
        payload[payload.count / 2] ^= 0xFF
        deflated.payload = payload
        try expectRefused(
            try scratch.zip([deflated]), in: scratch, code: .notAZip, message: couldNotUnzip, onlyWhenExtracting: true)
    }

    @Test func truncatedDeflateStreamIsRefusedWithoutHanging() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        var entry = FixtureEntry("a.txt", String(repeating: "0123456789", count: 10_000), deflate: true)
        entry.payload = Array(ZipFixture.deflate(entry.data).prefix(40))
        try expectRefused(try scratch.zip([entry]), in: scratch, code: .notAZip, onlyWhenExtracting: true)
    }

    @Test func unsupportedMethodEncryptionAndNameMismatchAreRefused() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        var bzip2 = FixtureEntry("a.txt", "x")
        bzip2.method = 12
        try expectRefused(try scratch.zip([bzip2]), in: scratch, code: .notAZip)
        var encrypted = FixtureEntry("a.txt", "x")
        encrypted.flags = 1
        try expectRefused(try scratch.zip([encrypted]), in: scratch, code: .notAZip)
        var mismatched = FixtureEntry("harmless.txt", "x")
        mismatched.localName = Array("../evil.txt".utf8)
        try expectRefused(try scratch.zip([mismatched]), in: scratch, code: .notAZip)
    }

    @Test func zipBombWithHonestHeadersIsRefusedBeforeWriting() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        var bomb = FixtureEntry("zeros.bin")
        bomb.payload = ZipFixture.gigabyteOfZerosDeflated
        bomb.declaredSize = 1 << 30
        bomb.crc = 0
        let zip = try scratch.zip([bomb])
        #expect(try FileManager.default.attributesOfItem(atPath: zip.path)[.size] as? Int ?? 0 < 2 << 20)
        try expectRefused(
            zip, in: scratch, code: .unzippedTooLarge,
            message: "Unzipped size must be smaller than 262144000 bytes")
    }

    @Test func zipBombWithLyingHeadersIsStoppedByCountingBytes() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        var bomb = FixtureEntry("zeros.bin")
        bomb.payload = ZipFixture.gigabyteOfZerosDeflated
        bomb.declaredSize = 1000  // a lie: it inflates to 1 GiB.
        bomb.crc = 0
        let zip = try scratch.zip([FixtureEntry("ok.txt", "fine"), bomb])
        let limits = CodeLimits(maxUnzippedBytes: 10 << 20)
        // The headers pass validation; only the bytes actually produced give the lie away.
        try CodeArchive.validate(zipAt: zip, limits: limits)
        let out = scratch.url("out")
        let error = codeError { () throws(CodeError) in try CodeArchive.extract(zipAt: zip, to: out, limits: limits) }
        #expect(error == CodeError.unzippedTooLarge(limit: 10 << 20))
        #expect(error?.message == "Unzipped size must be smaller than 10485760 bytes")
        #expect(try scratch.contents() == ["code.zip"])
    }

    @Test func entryLargerThanItDeclaresIsRefused() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        var liar = FixtureEntry("a.txt", "twelve bytes", deflate: true)
        liar.declaredSize = 5
        try expectRefused(
            try scratch.zip([liar]), in: scratch, code: .notAZip, message: couldNotUnzip, onlyWhenExtracting: true)
    }

    @Test func zippedTooLargeIsRefused() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let zip = try scratch.zip([FixtureEntry("a.txt", String(repeating: "a", count: 500))])
        try expectRefused(
            zip, in: scratch, code: .zippedTooLarge, message: "Zipped size must be smaller than 100 bytes",
            limits: CodeLimits(maxZippedBytes: 100))
    }

    @Test func tooManyEntriesIsRefused() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let zip = try scratch.zip((0..<4).map { FixtureEntry("f\($0)", "x") })
        try expectRefused(zip, in: scratch, code: .tooManyEntries, limits: CodeLimits(maxEntries: 3))
        try CodeArchive.validate(zipAt: zip, limits: CodeLimits(maxEntries: 4))
    }

    @Test(arguments: [
        "../evil.txt", "a/../../evil.txt", "a/..", "..", "/etc/evil.txt", "//evil.txt",
        "..\\evil.txt", "a\\..\\..\\evil.txt", "C:/evil.txt", "c:evil.txt", "a/\u{0}/evil.txt", "evil.txt\u{0}.jpg",
    ])
    func unsafePathIsRefused(name: String) throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let zip = try scratch.zip([FixtureEntry("ok.txt", "fine"), FixtureEntry(rawName: Array(name.utf8), "evil")])
        try expectRefused(zip, in: scratch, code: .unsafePath, message: couldNotUnzip)
        #expect(!FileManager.default.fileExists(atPath: scratch.root.deletingLastPathComponent().appendingPathComponent("evil.txt").path))
    }

    @Test func nonUTF8NameIsRefused() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let zip = try scratch.zip([FixtureEntry(rawName: [0x61, 0xFF, 0xFE], "x")])
        try expectRefused(zip, in: scratch, code: .unsafePath)
    }

    @Test(arguments: [
        ["link -> /etc"],
        ["link -> ../outside"],
        ["sub/link -> ../../outside"],
        ["link -> sub/../../outside"],
        ["link -> a\\..\\..\\x"],
        // Each link alone stays inside; chained, the kernel would climb out.
        ["d/x -> ..", "d/y -> x/.."],
        ["d/x -> ../d", "d/e/y -> ../x/../.."],
        ["a -> b", "b -> a"],
    ])
    func symlinkLeavingTheTreeIsRefused(links: [String]) throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let entries = [FixtureEntry("sub/file.txt", "x")] + links.map { spec in
            let parts = spec.components(separatedBy: " -> ")
            return FixtureEntry.symlink(parts[0], to: parts[1])
        }
        try expectRefused(try scratch.zip(entries), in: scratch, code: .unsafePath)
    }

    @Test func writingThroughASymlinkIsRefused() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let passwd = try Data(contentsOf: URL(fileURLWithPath: "/etc/passwd"))
        let escape = try scratch.zip([.symlink("a", to: "/etc"), FixtureEntry("a/passwd", "pwned")])
        try expectRefused(escape, in: scratch, code: .unsafePath)
        #expect(try Data(contentsOf: URL(fileURLWithPath: "/etc/passwd")) == passwd)

        // Even a link that stays inside is never written through.
        let inside = try scratch.zip([
            FixtureEntry("real/keep.txt", "keep"), .symlink("a", to: "real"), FixtureEntry("a/keep.txt", "overwritten"),
        ])
        try expectRefused(inside, in: scratch, code: .unsafePath)
    }

    @Test func fileAndDirectoryConflictsAreRefused() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        try expectRefused(try scratch.zip([FixtureEntry("a", "file"), FixtureEntry("a/b", "below a file")]), in: scratch, code: .unsafePath)
        try expectRefused(try scratch.zip([FixtureEntry("a/b", "x"), FixtureEntry("a", "file over a dir")]), in: scratch, code: .unsafePath)
        try expectRefused(try scratch.zip([.directory("a/"), .symlink("a", to: "b")]), in: scratch, code: .unsafePath)
    }
}
