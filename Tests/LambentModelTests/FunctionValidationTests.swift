import LambentModel
import Testing

@Suite("FunctionValidation")
struct FunctionValidationTests {
    static func validation(_ value: String, _ field: String, _ constraint: String) -> LambdaError {
        LambdaError(
            status: 400, type: "ValidationException",
            message: "1 validation error detected: Value '\(value)' at '\(field)' failed to satisfy constraint: \(constraint)",
            isUserError: false)
    }

    // MARK: Bounds

    @Test("accepts memory sizes within 128...10240", arguments: [128, 129, 1024, 10240])
    func memoryWithin(_ value: Int) {
        #expect(lambdaError { try FunctionValidation.memorySize(value) } == nil)
    }

    @Test("refuses memory sizes outside 128...10240", arguments: [
        (127, "Member must have value greater than or equal to 128"),
        (0, "Member must have value greater than or equal to 128"),
        (10241, "Member must have value less than or equal to 10240"),
    ])
    func memoryOutside(_ value: Int, _ constraint: String) {
        #expect(lambdaError { try FunctionValidation.memorySize(value) } == Self.validation("\(value)", "memorySize", constraint))
    }

    @Test("accepts timeouts within 1...900", arguments: [1, 3, 900])
    func timeoutWithin(_ value: Int) {
        #expect(lambdaError { try FunctionValidation.timeout(value) } == nil)
    }

    @Test("refuses timeouts outside 1...900", arguments: [
        (0, "Member must have value greater than or equal to 1"),
        (-5, "Member must have value greater than or equal to 1"),
        (901, "Member must have value less than or equal to 900"),
    ])
    func timeoutOutside(_ value: Int, _ constraint: String) {
        #expect(lambdaError { try FunctionValidation.timeout(value) } == Self.validation("\(value)", "timeout", constraint))
    }

    @Test("accepts ephemeral storage within 512...10240", arguments: [512, 2048, 10240])
    func storageWithin(_ value: Int) {
        #expect(lambdaError { try FunctionValidation.ephemeralStorage(value) } == nil)
    }

    @Test("refuses ephemeral storage outside 512...10240", arguments: [
        (511, "Member must have value greater than or equal to 512"),
        (10241, "Member must have value less than or equal to 10240"),
    ])
    func storageOutside(_ value: Int, _ constraint: String) {
        #expect(lambdaError { try FunctionValidation.ephemeralStorage(value) }
            == Self.validation("\(value)", "ephemeralStorage.size", constraint))
    }

    @Test("limits descriptions to 256 characters")
    func description() {
        let ok = String(repeating: "d", count: 256)
        let long = ok + "d"
        #expect(lambdaError { try FunctionValidation.description(ok) } == nil)
        #expect(lambdaError { try FunctionValidation.description(long) }
            == Self.validation(long, "description", "Member must have length less than or equal to 256"))
    }

    // MARK: Role

    static let rolePattern = #"Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+"#

    @Test("accepts IAM role ARNs", arguments: [
        "arn:aws:iam::123456789012:role/lambda-role",
        "arn:aws:iam::000000000000:role/service-role/my-role",
        "arn:aws-cn:iam::123456789012:role/r",
        "arn::iam::123456789012:role/r+=,.@_-",
    ])
    func roleValid(_ role: String) {
        #expect(lambdaError { try FunctionValidation.role(role) } == nil)
    }

    @Test("refuses what is not an IAM role ARN", arguments: [
        "r1",
        "",
        "arn:aws:iam::12345:role/r",
        "arn:aws:iam::123456789012:user/someone",
        "arn:aws:iam:us-east-1:123456789012:role/r",
        "arn:aws:sts::123456789012:role/r",
        "arn:gcp:iam::123456789012:role/r",
    ])
    func roleInvalid(_ role: String) {
        #expect(lambdaError { try FunctionValidation.role(role) } == Self.validation(role, "role", Self.rolePattern))
    }

    @Test("refuses role names with characters outside the pattern's class", arguments: [
        "arn:aws:iam::123456789012:role/has space",
        "arn:aws:iam::123456789012:role/a:b",
        "arn:aws:iam::123456789012:role/semi;colon",
    ])
    func roleBadCharacters(_ role: String) {
        #expect(lambdaError { try FunctionValidation.role(role) } == Self.validation(role, "role", Self.rolePattern))
    }

    // MARK: Handler

    @Test("accepts handlers without whitespace up to 128 characters", arguments: [
        "index.handler", "app.lambda_handler", "a/b/c.main", String(repeating: "h", count: 128),
    ])
    func handlerValid(_ handler: String) {
        #expect(lambdaError { try FunctionValidation.handler(handler) } == nil)
    }

    @Test("refuses empty handlers and handlers with whitespace", arguments: ["", "index handler", "index.handler\n", "\tx"])
    func handlerWhitespace(_ handler: String) {
        #expect(lambdaError { try FunctionValidation.handler(handler) }
            == Self.validation(handler, "handler", #"Member must satisfy regular expression pattern: [^\s]+"#))
    }

    @Test("refuses handlers longer than 128 characters")
    func handlerTooLong() {
        let handler = String(repeating: "h", count: 129)
        #expect(lambdaError { try FunctionValidation.handler(handler) }
            == Self.validation(handler, "handler", "Member must have length less than or equal to 128"))
    }

    // MARK: Environment

    @Test("accepts keys matching [a-zA-Z]([a-zA-Z0-9_])+", arguments: ["FOO", "ab", "A_1", "camelCase_9", "MY_AWS_REGION"])
    func environmentKeyValid(_ key: String) {
        #expect(lambdaError { try FunctionValidation.environment([key: "value"]) } == nil)
    }

    @Test("refuses keys not matching [a-zA-Z]([a-zA-Z0-9_])+", arguments: ["A", "1A", "_A", "A-B", "A B", "É_X", ""])
    func environmentKeyInvalid(_ key: String) {
        let error = lambdaError { try FunctionValidation.environment([key: "value"]) }
        #expect(error?.status == 400)
        #expect(error?.type == "ValidationException")
        #expect(error?.message.hasPrefix("1 validation error detected: Value ") == true)
        #expect(error?.message.hasSuffix(
            "at 'environment.variables' failed to satisfy constraint: Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]") == true)
    }

    static let settableReservedKeys = FunctionValidation.reservedEnvironmentKeys.filter { !$0.hasPrefix("_") }.sorted()

    @Test("refuses Lambda's reserved keys", arguments: settableReservedKeys)
    func environmentReserved(_ key: String) {
        let error = lambdaError { try FunctionValidation.environment([key: "x"]) }
        #expect(error == LambdaError(
            status: 400, type: "InvalidParameterValueException",
            message: "Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: \(key)"))
    }

    @Test("reserves the variables Lambda sets itself")
    func reservedSet() {
        for key in ["AWS_REGION", "AWS_LAMBDA_FUNCTION_NAME", "AWS_ACCESS_KEY_ID", "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "_HANDLER"] {
            #expect(FunctionValidation.reservedEnvironmentKeys.contains(key), "\(key)")
        }
    }

    /// AWS measures the variables as compact JSON (`{"K":"V",...}`) against 4096 characters and
    /// quotes that JSON in the error (test_large_environment_variables_fails: LARGE_VAR with
    /// 4081 characters measures 4097).
    @Test("accepts variables whose JSON is exactly 4096 characters")
    func environmentAtLimit() {
        let value = String(repeating: "x", count: 4080) // {"LARGE_VAR":"…"} = 16 + 4080
        #expect(lambdaError { try FunctionValidation.environment(["LARGE_VAR": value]) } == nil)
    }

    @Test("refuses variables whose JSON exceeds 4096 characters, quoting that JSON")
    func environmentOverLimit() {
        let value = String(repeating: "x", count: 4081)
        let error = lambdaError { try FunctionValidation.environment(["LARGE_VAR": value]) }
        #expect(error == LambdaError(
            status: 400, type: "InvalidParameterValueException",
            message: "Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: {\"LARGE_VAR\":\"\(value)\"}"))
    }

    @Test("refuses variables far over 4 KB")
    func environmentFarOverLimit() {
        let error = lambdaError { try FunctionValidation.environment(["A1": String(repeating: "x", count: 5000)]) }
        #expect(error?.type == "InvalidParameterValueException")
        #expect(error?.isUserError == true)
        #expect(error?.message.hasPrefix(
            "Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: ") == true)
    }

    @Test("counts every key toward the 4 KB limit")
    func environmentManyKeys() {
        // Recorded: {"SMALL_VAR":"ok","LARGE_VAR":<4064 x>} measures 4097 and is refused.
        let variables = ["SMALL_VAR": "ok", "LARGE_VAR": String(repeating: "x", count: 4064)]
        let error = lambdaError { try FunctionValidation.environment(variables) }
        #expect(error?.type == "InvalidParameterValueException")
    }

    // MARK: VpcConfig

    @Test("accepts well-formed subnets and security groups, and both lists empty")
    func vpcConfigAccepted() {
        #expect(lambdaError { try FunctionValidation.vpcConfig(VpcConfigRequest(subnetIds: ["subnet-0a1b2c"], securityGroupIds: ["sg-0AbC"])) } == nil)
        #expect(lambdaError { try FunctionValidation.vpcConfig(VpcConfigRequest(subnetIds: [], securityGroupIds: [])) } == nil)
        #expect(lambdaError { try FunctionValidation.vpcConfig(VpcConfigRequest()) } == nil)
    }

    @Test("refuses a malformed subnet with AWS's recorded message")
    func vpcConfigBadSubnet() {
        let error = lambdaError { try FunctionValidation.vpcConfig(VpcConfigRequest(subnetIds: ["subnet_bad"], securityGroupIds: ["sg-1"])) }
        #expect(error?.type == "ValidationException")
        #expect(error?.message == "1 validation error detected: Value '[subnet_bad]' at 'vpcConfig.subnetIds' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 1024, Member must have length greater than or equal to 0, Member must satisfy regular expression pattern: subnet-[0-9a-z]*]")
    }

    @Test("refuses upper case in subnet ids but allows it in security group ids")
    func vpcConfigCase() {
        #expect(lambdaError { try FunctionValidation.vpcConfig(VpcConfigRequest(subnetIds: ["subnet-ABC"], securityGroupIds: ["sg-1"])) }?.type == "ValidationException")
        let error = lambdaError { try FunctionValidation.vpcConfig(VpcConfigRequest(subnetIds: ["subnet-1"], securityGroupIds: ["sg_bad"])) }
        #expect(error?.message.contains("at 'vpcConfig.securityGroupIds'") == true)
        #expect(error?.message.hasSuffix("pattern: sg-[0-9a-zA-Z]*]") == true)
    }

    @Test("refuses more than 16 subnets or 5 security groups")
    func vpcConfigCounts() {
        let subnets = (0..<17).map { "subnet-\($0)" }
        #expect(lambdaError { try FunctionValidation.vpcConfig(VpcConfigRequest(subnetIds: subnets, securityGroupIds: ["sg-1"])) }?
            .message.contains("Member must have length less than or equal to 16") == true)
        let groups = (0..<6).map { "sg-\($0)" }
        #expect(lambdaError { try FunctionValidation.vpcConfig(VpcConfigRequest(subnetIds: ["subnet-1"], securityGroupIds: groups)) }?
            .message.contains("Member must have length less than or equal to 5") == true)
    }

    @Test("refuses subnets without security groups and the reverse")
    func vpcConfigPairs() {
        for request in [VpcConfigRequest(subnetIds: ["subnet-1"], securityGroupIds: []), VpcConfigRequest(subnetIds: nil, securityGroupIds: ["sg-1"])] {
            let error = lambdaError { try FunctionValidation.vpcConfig(request) }
            #expect(error?.type == "InvalidParameterValueException")
            #expect(error?.message == "SubnetIds and SecurityIds must coexist or be both empty list.")
        }
    }

    @Test("answers VpcConfig as AWS does: VpcId only with subnets")
    func vpcConfigResponse() {
        let attached = VpcConfigResponse(VpcConfigRequest(subnetIds: ["subnet-1"], securityGroupIds: ["sg-1"]))
        #expect(attached.vpcId == "vpc-lambent")
        #expect(attached.ipv6AllowedForDualStack == false)
        let detached = VpcConfigResponse(VpcConfigRequest(subnetIds: [], securityGroupIds: []))
        #expect(detached.vpcId == "")
        #expect(detached.subnetIds.isEmpty && detached.securityGroupIds.isEmpty)
    }
}
