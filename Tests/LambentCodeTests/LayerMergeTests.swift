import Foundation
import Testing

@testable import LambentCode

/// Several zips extracted into one tree, as a function's layers are merged into /opt.
@Suite struct LayerMergeTests {
    @Test("later zips replace earlier files and merge directories")
    func laterZipsWin() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let first = try scratch.zip([
            FixtureEntry("python/shared.py", "first"), FixtureEntry("python/only_first.py", "1"),
            .symlink("bin/tool", to: "../python/shared.py"),
        ], name: "one.zip")
        let second = try scratch.zip([
            FixtureEntry("python/shared.py", "second"), FixtureEntry("bin/tool", "now a file", mode: 0o100755),
        ], name: "two.zip")
        let out = scratch.url("opt")
        try CodeArchive.extract(zipsAt: [first, second], to: out, limits: CodeLimits())
        #expect(try String(contentsOf: out.appendingPathComponent("python/shared.py"), encoding: .utf8) == "second")
        #expect(try String(contentsOf: out.appendingPathComponent("python/only_first.py"), encoding: .utf8) == "1")
        #expect(try String(contentsOf: out.appendingPathComponent("bin/tool"), encoding: .utf8) == "now a file")
        #expect(try fileMode(out.appendingPathComponent("bin/tool")) == 0o755)
    }

    @Test("a later zip cannot write through an earlier zip's symlink")
    func noWritingThroughSymlinks() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let outside = scratch.url("outside")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        let first = try scratch.zip([.symlink("python", to: "lib"), FixtureEntry("lib/x.py", "x")], name: "one.zip")
        let second = try scratch.zip([FixtureEntry("python/evil.py", "evil")], name: "two.zip")
        let out = scratch.url("opt")
        #expect(throws: CodeError.self) { try CodeArchive.extract(zipsAt: [first, second], to: out, limits: CodeLimits()) }
        #expect(!FileManager.default.fileExists(atPath: out.path), "nothing is left behind")
        #expect(!FileManager.default.fileExists(atPath: scratch.url("lib/evil.py").path))
    }

    @Test("the unzipped limit counts all zips together")
    func limitCountsAllZips() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let first = try scratch.zip([FixtureEntry("a.bin", String(repeating: "a", count: 600))], name: "one.zip")
        let second = try scratch.zip([FixtureEntry("b.bin", String(repeating: "b", count: 600))], name: "two.zip")
        let out = scratch.url("opt")
        try CodeArchive.extract(zipsAt: [first, second], to: scratch.url("fits"), limits: CodeLimits(maxUnzippedBytes: 1201))
        // Lambda's limit is exclusive: exactly the limit is too much.
        #expect(throws: CodeError.self) {
            try CodeArchive.extract(zipsAt: [first, second], to: scratch.url("exact"), limits: CodeLimits(maxUnzippedBytes: 1200))
        }
        do {
            try CodeArchive.extract(zipsAt: [first, second], to: out, limits: CodeLimits(maxUnzippedBytes: 1000))
            Issue.record("expected the merge to be refused")
        } catch {
            #expect(error.code == .unzippedTooLarge)
        }
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }
}
