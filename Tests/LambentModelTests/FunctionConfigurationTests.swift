import Foundation
import LambentModel
import Testing

@Suite("FunctionConfiguration")
struct FunctionConfigurationTests {
    static func sample() -> FunctionConfiguration {
        FunctionConfiguration(
            functionName: "hello", functionArn: "arn:aws:lambda:us-east-1:000000000000:function:hello",
            runtime: "python3.12", role: "arn:aws:iam::000000000000:role/lambda-role", handler: "app.handler",
            codeSize: 321, description: "", timeout: 3, memorySize: 128,
            lastModified: "2026-11-23T10:00:00.000+0000", codeSha256: "abc=", environment: ["A1": "x"],
            revisionId: "rev-1", state: .active, ephemeralStorage: 512,
            runtimeVersionArn: "arn:aws:lambda:us-east-1::runtime:lambent-python3.12", logGroup: "/aws/lambda/hello")
    }

    static func json(_ configuration: FunctionConfiguration) throws -> [String: Any] {
        let data = try JSONEncoder().encode(configuration)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// The keys AWS returned for GetFunction's `Configuration` (test_function_lifecycle).
    static let getFunctionKeys: Set<String> = [
        "Architectures", "CodeSha256", "CodeSize", "Description", "Environment", "EphemeralStorage", "FunctionArn",
        "FunctionName", "Handler", "LastModified", "LastUpdateStatus", "LoggingConfig", "MemorySize", "PackageType",
        "RevisionId", "Role", "Runtime", "RuntimeVersionConfig", "SnapStart", "State", "Timeout", "TracingConfig", "Version",
    ]

    /// The keys AWS returned for each function of ListFunctions (test_list_functions).
    static let listFunctionsKeys: Set<String> = [
        "Architectures", "CodeSha256", "CodeSize", "Description", "Environment", "EphemeralStorage", "FunctionArn",
        "FunctionName", "Handler", "LastModified", "LoggingConfig", "MemorySize", "PackageType", "RevisionId", "Role",
        "Runtime", "SnapStart", "Timeout", "TracingConfig", "Version",
    ]

    @Test("encodes with AWS's field names and omits nil optionals")
    func encodesAWSNames() throws {
        var configuration = Self.sample()
        configuration.lastUpdateStatus = .successful
        let object = try Self.json(configuration)
        #expect(Set(object.keys) == Self.getFunctionKeys)
        #expect(object["StateReason"] == nil)
        #expect(object["LastUpdateStatusReason"] == nil)
    }

    @Test("encodes the values and defaults AWS returns")
    func encodesValues() throws {
        let object = try Self.json(Self.sample())
        #expect(object["FunctionName"] as? String == "hello")
        #expect(object["State"] as? String == "Active")
        #expect(object["Version"] as? String == "$LATEST")
        #expect(object["PackageType"] as? String == "Zip")
        #expect(object["Architectures"] as? [String] == ["x86_64"])
        #expect(object["CodeSize"] as? Int == 321)
        #expect(object["MemorySize"] as? Int == 128)
        #expect(object["Timeout"] as? Int == 3)
        #expect(object["LastModified"] as? String == "2026-11-23T10:00:00.000+0000")
        #expect((object["Environment"] as? [String: Any])?["Variables"] as? [String: String] == ["A1": "x"])
        #expect((object["EphemeralStorage"] as? [String: Any])?["Size"] as? Int == 512)
        #expect((object["TracingConfig"] as? [String: Any])?["Mode"] as? String == "PassThrough")
        #expect((object["SnapStart"] as? [String: String]) == ["ApplyOn": "None", "OptimizationStatus": "Off"])
        #expect((object["LoggingConfig"] as? [String: String]) == ["LogFormat": "Text", "LogGroup": "/aws/lambda/hello"])
        #expect((object["RuntimeVersionConfig"] as? [String: String])
            == ["RuntimeVersionArn": "arn:aws:lambda:us-east-1::runtime:lambent-python3.12"])
    }

    @Test("encodes state reasons when set, as CreateFunction's Pending answer has them")
    func encodesReasons() throws {
        var configuration = Self.sample()
        configuration.state = .pending
        configuration.stateReason = "The function is being created."
        configuration.stateReasonCode = "Creating"
        let object = try Self.json(configuration)
        #expect(object["State"] as? String == "Pending")
        #expect(object["StateReason"] as? String == "The function is being created.")
        #expect(object["StateReasonCode"] as? String == "Creating")
    }

    @Test("listed drops state, update status and runtime version, as ListFunctions does")
    func listed() throws {
        var configuration = Self.sample()
        configuration.stateReason = "r"
        configuration.stateReasonCode = "c"
        configuration.lastUpdateStatus = .inProgress
        configuration.lastUpdateStatusReason = "r"
        configuration.lastUpdateStatusReasonCode = "c"
        let listed = configuration.listed
        #expect(Set(try Self.json(listed).keys) == Self.listFunctionsKeys)
        #expect(listed.state == nil)
        #expect(listed.runtimeVersionConfig == nil)
        #expect(listed.functionName == configuration.functionName)
        #expect(listed.revisionId == configuration.revisionId)
    }

    @Test("round-trips through JSON")
    func roundTrip() throws {
        let configuration = Self.sample()
        let decoded = try JSONDecoder().decode(FunctionConfiguration.self, from: JSONEncoder().encode(configuration))
        #expect(decoded == configuration)
    }
}
