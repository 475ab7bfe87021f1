import LambentModel
import LambentStore
import Testing

@testable import LambentServer

@Suite("FunctionCache")
struct FunctionCacheTests {
    static func record(_ name: String, version: String = "$LATEST", revision: String = "r1") -> FunctionRecord {
        FunctionRecord(
            configuration: FunctionConfiguration(
                functionName: name, functionArn: "arn", runtime: "python3.12", role: "role", handler: "app.handler",
                codeSize: 1, description: "", timeout: 3, memorySize: 128, lastModified: "", codeSha256: "",
                version: version, environment: [:], revisionId: revision, state: .active, ephemeralStorage: 512,
                runtimeVersionArn: "", logGroup: ""),
            tags: [:], codeKey: "k")
    }

    static let latest = FunctionVersionID(functionName: "f")

    @Test("a miss is filled by the reader, then hits")
    func fill() {
        let cache = FunctionCache()
        let miss = cache.lookup(Self.latest)
        #expect(miss.record == nil)
        cache.fill(Self.record("f"), readAt: miss.generation)
        #expect(cache.lookup(Self.latest).record == Self.record("f"))
    }

    @Test("a slow reader cannot put back a record an update replaced meanwhile")
    func staleFill() {
        let cache = FunctionCache()
        let miss = cache.lookup(Self.latest)
        cache.changed(Self.latest, to: Self.record("f", revision: "r2"))
        cache.fill(Self.record("f", revision: "r1"), readAt: miss.generation)
        #expect(cache.lookup(Self.latest).record?.configuration.revisionId == "r2")
    }

    @Test("versions are cached apart, and a deleted function loses them all")
    func versions() {
        let cache = FunctionCache()
        let one = FunctionVersionID(functionName: "f", version: FunctionVersion("1"))
        cache.changed(Self.latest, to: Self.record("f"))
        cache.changed(one, to: Self.record("f", version: "1"))
        cache.changed(FunctionVersionID(functionName: "g"), to: Self.record("g"))
        #expect(cache.lookup(one).record?.configuration.version == "1")
        cache.deleted("f")
        #expect(cache.lookup(Self.latest).record == nil)
        #expect(cache.lookup(one).record == nil)
        #expect(cache.lookup(FunctionVersionID(functionName: "g")).record != nil)
    }
}
