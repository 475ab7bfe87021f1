import Foundation
import LambentModel
import Testing

@testable import LambentStore

/// What every `FunctionStore` must do about versions, run against each implementation
/// (SQLite today; PostgreSQL joins the `Kind` list when it exists).
@Suite struct FunctionStoreConformanceTests {
    enum Kind: String, CaseIterable, Sendable {
        case sqlite

        func make() throws -> any Store {
            switch self {
            case .sqlite:
                let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lambent-conformance-\(UUID().uuidString)")
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                return try SQLiteStore(path: directory.appendingPathComponent("db.sqlite").path)
            }
        }
    }

    static func record(_ name: String, version: FunctionVersion = .latest, codeKey: String? = nil, size: Int = 10) -> FunctionRecord {
        var configuration = FunctionConfiguration(
            functionName: name, functionArn: "arn:aws:lambda:us-east-1:000000000000:function:\(name)",
            runtime: "python3.12", role: "arn:aws:iam::000000000000:role/x", handler: "app.handler",
            codeSize: size, description: "", timeout: 3, memorySize: 128, lastModified: "x", codeSha256: "abc",
            version: version.rawValue, environment: [:], revisionId: "r-\(version)", state: .active,
            ephemeralStorage: 512, runtimeVersionArn: "r", logGroup: "/aws/lambda/\(name)")
        configuration.description = "version \(version)"
        return FunctionRecord(configuration: configuration, tags: ["k": "v"], codeKey: codeKey ?? "key-\(name)-\(version)")
    }

    @Test("aliases are kept by (function, name), listed by name, and go with their function", arguments: Kind.allCases)
    func aliases(kind: Kind) async throws {
        let store = try kind.make()
        _ = try await store.insertFunction(Self.record("f"))
        func alias(_ name: String, _ version: String) -> AliasConfiguration {
            AliasConfiguration(aliasArn: "arn:f:\(name)", name: name, functionVersion: version, description: "", revisionId: "r",
                               routingConfig: AliasRoutingConfiguration(additionalVersionWeights: ["2": 0.25]))
        }
        #expect(try await store.insertAlias(alias("live", "1"), function: "f"))
        #expect(try await !store.insertAlias(alias("live", "2"), function: "f"))
        #expect(try await store.insertAlias(alias("beta", "2"), function: "f"))
        #expect(try await store.alias("live", function: "f") == alias("live", "1"))
        #expect(try await store.alias("live", function: "other") == nil)
        #expect(try await store.listAliases(function: "f", after: nil, limit: 10).map(\.name) == ["beta", "live"])
        #expect(try await store.listAliases(function: "f", after: "beta", limit: 10).map(\.name) == ["live"])
        let moved = try await store.updateAlias("live", function: "f") { old in
            var new = old
            new.functionVersion = "3"
            return new
        }
        #expect(moved?.functionVersion == "3")
        #expect(try await store.updateAlias("nope", function: "f") { $0 } == nil)
        #expect(try await store.deleteAlias("beta", function: "f")?.name == "beta")
        #expect(try await store.deleteAlias("beta", function: "f") == nil)
        _ = try await store.deleteFunction(named: "f")
        _ = try await store.insertFunction(Self.record("f"))
        #expect(try await store.listAliases(function: "f", after: nil, limit: 10).isEmpty, "aliases go with their function")
    }

    @Test("versions are kept by (function, version), listed $LATEST first then by number", arguments: Kind.allCases)
    func versions(kind: Kind) async throws {
        let store = try kind.make()
        #expect(try await store.insertFunction(Self.record("f")))
        for number in [2, 1, 10] {
            #expect(try await store.insertVersion(Self.record("f", version: FunctionVersion("\(number)"))))
        }
        #expect(try await !store.insertVersion(Self.record("f", version: FunctionVersion("1"))), "a version is immutable")
        #expect(try await !store.insertVersion(Self.record("nope", version: FunctionVersion("1"))), "the function must exist")

        let all = try await store.listVersions(of: "f", after: nil, limit: 10).map(\.configuration.version)
        #expect(all == ["$LATEST", "1", "2", "10"])
        let page = try await store.listVersions(of: "f", after: FunctionVersion("1"), limit: 1).map(\.configuration.version)
        #expect(page == ["2"])
        let one = try await store.function(FunctionVersionID(functionName: "f", version: FunctionVersion("2")))
        #expect(one?.configuration.description == "version 2")
        #expect(one?.tags == ["k": "v"], "function-level attributes come with every version")

        // Only $LATEST is listed as the function, and updates touch $LATEST alone.
        #expect(try await store.listFunctions(after: nil, limit: 10).map(\.configuration.version) == ["$LATEST"])
        _ = try await store.updateFunction(named: "f") { old in
            var new = old
            new.configuration.description = "changed"
            new.tags = ["k": "w"]
            return new
        }
        #expect(try await store.function(FunctionVersionID(functionName: "f", version: FunctionVersion("2")))?.configuration.description == "version 2")
        #expect(try await store.function(FunctionVersionID(functionName: "f", version: FunctionVersion("2")))?.tags == ["k": "w"])

        #expect(try await store.deleteVersion(FunctionVersionID(functionName: "f", version: FunctionVersion("1")))?.configuration.version == "1")
        #expect(try await store.deleteVersion(FunctionVersionID(functionName: "f", version: FunctionVersion("1"))) == nil)
        #expect(try await store.listVersions(of: "f", after: nil, limit: 10).map(\.configuration.version) == ["$LATEST", "2", "10"])
        #expect(try await store.insertVersion(Self.record("f", version: FunctionVersion("1"))), "put back for the checks below")

        let usage = try await store.usage()
        #expect(usage.functionCount == 1 && usage.totalCodeSize == 40)
        #expect(try await store.isCodeReferenced("key-f-10"))
        #expect(try await store.deleteFunction(named: "f")?.configuration.version == "$LATEST")
        #expect(try await !store.isCodeReferenced("key-f-10"), "deleting a function deletes every version")
        #expect(try await store.listVersions(of: "f", after: nil, limit: 10).isEmpty)
    }

    @Test("layer versions are numbered per layer, never reusing a number, and keep their code referenced", arguments: Kind.allCases)
    func layers(kind: Kind) async throws {
        let store = try kind.make()
        func publish(_ name: String, key: String) async throws -> Int {
            try await store.publishLayerVersion(name) { number in
                LayerVersionRecord(
                    layer: LayerVersion(content: LayerVersionContent(codeSha256: "s", codeSize: 1), layerArn: "arn:\(name)",
                                        layerVersionArn: "arn:\(name):\(number)", description: "", createdDate: "d", version: number,
                                        compatibleRuntimes: nil, licenseInfo: nil, compatibleArchitectures: nil),
                    layerName: name, codeKey: key, unzippedSize: 5)
            }.layer.version
        }
        #expect(try await publish("a", key: "k1") == 1)
        #expect(try await publish("a", key: "k2") == 2)
        #expect(try await publish("b", key: "k3") == 1)
        #expect(try await store.listLayerVersions("a").map(\.layer.version) == [2, 1])
        #expect(try await store.listLayerVersions(nil).map { "\($0.layerName):\($0.layer.version)" } == ["a:2", "a:1", "b:1"])
        #expect(try await store.isCodeReferenced("k2"))
        let policy = ResourcePolicy(revisionId: "p", statements: [
            PolicyStatement(sid: "s", principal: .anyone, action: "lambda:GetLayerVersion", resource: "arn:a:1"),
        ])
        _ = try await store.updateLayerVersion("a", version: 1) { record in
            var record = record
            record.policy = policy
            return record
        }
        #expect(try await store.layerVersion("a", version: 1)?.policy == policy)
        #expect(try await store.deleteLayerVersion("a", version: 2)?.codeKey == "k2")
        #expect(try await store.deleteLayerVersion("a", version: 1) != nil)
        #expect(try await !store.isCodeReferenced("k2"))
        #expect(try await publish("a", key: "k4") == 3, "numbers are never reused")
    }

    @Test("settings hang off a function or qualifier and go with it", arguments: Kind.allCases)
    func settings(kind: Kind) async throws {
        let store = try kind.make()
        _ = try await store.insertFunction(Self.record("f"))
        _ = try await store.insertVersion(Self.record("f", version: FunctionVersion("1")))
        _ = try await store.insertAlias(AliasConfiguration(aliasArn: "arn:f:live", name: "live", functionVersion: "1", description: "",
                                                           revisionId: "r"), function: "f")
        for qualifier in [nil, "1", "live"] {
            _ = try await store.updateSetting(.recursion, of: FunctionSettingID(functionName: "f", qualifier: qualifier)) { (_: String?) in
                "value-\(qualifier ?? "none")"
            }
        }
        #expect(try await store.setting(.recursion, of: FunctionSettingID(functionName: "f", qualifier: "1"), as: String.self) == "value-1")
        #expect(try await store.settings(.recursion, function: "f", as: String.self).map(\.value) == ["value-none", "value-1", "value-live"])
        await #expect(throws: FunctionSettingError.self) {
            _ = try await store.updateSetting(.recursion, of: FunctionSettingID(functionName: "missing")) { (_: String?) in "x" }
        }
        _ = try await store.deleteVersion(FunctionVersionID(functionName: "f", version: FunctionVersion("1")))
        _ = try await store.deleteAlias("live", function: "f")
        #expect(try await store.settings(.recursion, function: nil, as: String.self).map(\.value) == ["value-none"])
        _ = try await store.updateSetting(.recursion, of: FunctionSettingID(functionName: "f")) { (_: String?) -> String? in nil }
        #expect(try await store.settings(.recursion, function: "f", as: String.self).isEmpty)
        _ = try await store.updateSetting(.recursion, of: FunctionSettingID(functionName: "f")) { (_: String?) in "again" }
        _ = try await store.deleteFunction(named: "f")
        #expect(try await store.settings(.recursion, function: nil, as: String.self).isEmpty)
    }
}
