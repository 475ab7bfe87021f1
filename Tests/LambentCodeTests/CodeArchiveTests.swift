import Foundation
import LambentCode
import Testing
import ZIPFoundation

@Suite("CodeArchive: well-formed packages")
struct CodeArchiveTests {
    /// A package as a developer makes it: `zip -r -y`, with a nested directory, an
    /// executable `bootstrap` and a symlink.
    private func makeZipToolPackage(in scratch: Scratch) throws -> URL {
        let source = scratch.url("src")
        let fileManager = FileManager.default
        try fileManager.createDirectory(at: source.appendingPathComponent("lib/nested"), withIntermediateDirectories: true)
        try Data("#!/bin/sh\necho hello\n".utf8).write(to: source.appendingPathComponent("bootstrap"))
        try fileManager.setAttributes([.posixPermissions: 0o755], ofItemAtPath: source.appendingPathComponent("bootstrap").path)
        try Data("print('hi')\n".utf8).write(to: source.appendingPathComponent("index.py"))
        try Data(repeating: UInt8(ascii: "x"), count: 100_000).write(to: source.appendingPathComponent("lib/nested/data.txt"))
        try fileManager.createSymbolicLink(atPath: source.appendingPathComponent("lib/current").path, withDestinationPath: "nested/data.txt")
        try run(["zip", "-q", "-r", "-y", "-X", "../code.zip", "."], in: source)
        return scratch.url("code.zip")
    }

    @Test func zipToolPackageExtractsWithContentsAndModes() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let zip = try makeZipToolPackage(in: scratch)
        try CodeArchive.validate(zipAt: zip, limits: CodeLimits())

        let out = scratch.url("out")
        try CodeArchive.extract(zipAt: zip, to: out, limits: CodeLimits())

        let bootstrap = out.appendingPathComponent("bootstrap")
        #expect(try String(contentsOf: bootstrap, encoding: .utf8) == "#!/bin/sh\necho hello\n")
        #expect(try fileMode(bootstrap) == 0o755)
        #expect(try fileMode(out.appendingPathComponent("index.py")) == 0o644)
        #expect(try Data(contentsOf: out.appendingPathComponent("lib/nested/data.txt")) == Data(repeating: UInt8(ascii: "x"), count: 100_000))
        #expect(try fileMode(out) == 0o755)
        #expect(try fileMode(out.appendingPathComponent("lib")) == 0o755)
        #expect(try fileMode(out.appendingPathComponent("lib/nested")) == 0o755)
        let link = try FileManager.default.destinationOfSymbolicLink(atPath: out.appendingPathComponent("lib/current").path)
        #expect(link == "nested/data.txt")
        // Only the destination: the staging directory was renamed, not copied.
        #expect(try scratch.contents() == ["src", "code.zip", "out"])
    }

    @Test func digestMatchesPythonSHA256() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let zip = try makeZipToolPackage(in: scratch)
        let bytes = try Data(contentsOf: zip)
        let python = try run([
            "python3", "-c",
            "import base64,hashlib,sys; d=open(sys.argv[1],'rb').read(); h=hashlib.sha256(d); "
                + "print(base64.b64encode(h.digest()).decode(), h.hexdigest(), len(d))",
            zip.path,
        ]).split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }

        let digest = CodeArchive.digest(of: bytes)
        #expect(digest.sha256Base64 == python[0])
        #expect(digest.sha256Hex == python[1])
        #expect(String(digest.size) == python[2])
        #expect(CodeArchive.digest(of: Array(bytes)) == digest)
        #expect(try CodeArchive.digest(ofZipAt: zip) == digest)
    }

    @Test func zipFoundationArchiveExtracts() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let zip = scratch.url("zf.zip")
        let archive = try Archive(url: zip, accessMode: .create)
        let text = Data("hello from ZIPFoundation\n".utf8)
        try archive.addEntry(
            with: "handler/main.txt", type: .file, uncompressedSize: Int64(text.count),
            compressionMethod: .deflate,
            provider: { position, size in text.subdata(in: Int(position)..<Int(position) + size) })

        let out = scratch.url("out")
        try CodeArchive.extract(zipAt: zip, to: out, limits: CodeLimits())
        #expect(try Data(contentsOf: out.appendingPathComponent("handler/main.txt")) == text)
    }

    @Test func directoryEntriesAndImplicitParentsAreCreated() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let zip = try scratch.zip([
            FixtureEntry("a/b/c.txt", "deep", deflate: true),
            .directory("empty/"),
            FixtureEntry("dos/made/file.txt", "no unix attributes"),
            .directory("a/"),
        ])
        let out = scratch.url("out")
        try CodeArchive.extract(zipAt: zip, to: out, limits: CodeLimits())
        #expect(try String(contentsOf: out.appendingPathComponent("a/b/c.txt"), encoding: .utf8) == "deep")
        #expect(try fileMode(out.appendingPathComponent("a/b")) == 0o755)
        #expect(try fileMode(out.appendingPathComponent("empty")) == 0o755)
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("empty").path).isEmpty)
        #expect(try fileMode(out.appendingPathComponent("dos/made/file.txt")) == 0o644)
    }

    @Test func executableBitComesFromUnixAttributes() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let zip = try scratch.zip([
            FixtureEntry("bootstrap", "#!/bin/sh\n", mode: 0o100755),
            FixtureEntry("owner-only-exec", "x", mode: 0o100700),
            FixtureEntry("setuid", "x", mode: 0o104777),
            FixtureEntry("plain", "x", mode: 0o100600),
        ])
        let out = scratch.url("out")
        try CodeArchive.extract(zipAt: zip, to: out, limits: CodeLimits())
        #expect(try fileMode(out.appendingPathComponent("bootstrap")) == 0o755)
        #expect(try fileMode(out.appendingPathComponent("owner-only-exec")) == 0o755)
        #expect(try fileMode(out.appendingPathComponent("setuid")) == 0o755)  // never setuid
        #expect(try fileMode(out.appendingPathComponent("plain")) == 0o644)
    }

    @Test func duplicateEntriesLastOneWins() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let zip = try scratch.zip([
            FixtureEntry("same.txt", "first"),
            FixtureEntry("dir/", mode: 0o040755),
            FixtureEntry("same.txt", "second", deflate: true),
            FixtureEntry("dir/", mode: 0o040755),
            .symlink("link", to: "same.txt"),
            FixtureEntry("link", "now a file"),
        ])
        let out = scratch.url("out")
        try CodeArchive.extract(zipAt: zip, to: out, limits: CodeLimits())
        #expect(try String(contentsOf: out.appendingPathComponent("same.txt"), encoding: .utf8) == "second")
        #expect(try String(contentsOf: out.appendingPathComponent("link"), encoding: .utf8) == "now a file")
        #expect(try FileManager.default.attributesOfItem(atPath: out.appendingPathComponent("link").path)[.type] as? FileAttributeType == .typeRegular)
    }

    @Test func symlinksInsideTheTreeAreKept() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let zip = try scratch.zip([
            FixtureEntry("lib/real/tool", "binary", mode: 0o100755),
            .symlink("lib/current", to: "real"),
            .symlink("bin/tool", to: "../lib/current/tool"),
            .symlink("dangling", to: "not/there"),
        ])
        let out = scratch.url("out")
        try CodeArchive.extract(zipAt: zip, to: out, limits: CodeLimits())
        #expect(try String(contentsOf: out.appendingPathComponent("bin/tool"), encoding: .utf8) == "binary")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: out.appendingPathComponent("dangling").path) == "not/there")
    }

    @Test func destinationMustNotExist() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let zip = try scratch.zip([FixtureEntry("a.txt", "a")])
        let out = scratch.url("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: false)
        #expect(throws: CodeError.self) { try CodeArchive.extract(zipAt: zip, to: out, limits: CodeLimits()) }
        do {
            try CodeArchive.extract(zipAt: zip, to: out, limits: CodeLimits())
        } catch {
            #expect(error.code == .io)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).isEmpty)
        #expect(try scratch.contents() == ["code.zip", "out"])
    }

    @Test func defaultLimitsAreLambdaQuotas() {
        let limits = CodeLimits()
        #expect(limits.maxZippedBytes == 52_428_800)
        #expect(limits.maxUnzippedBytes == 262_144_000)
        #expect(limits.maxEntries == 20_000)
    }
}
