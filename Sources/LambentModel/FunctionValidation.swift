import Foundation

/// Validation of configuration values shared by CreateFunction and UpdateFunctionConfiguration.
/// Messages follow AWS's ValidationException wording.
public enum FunctionValidation {
    public static func memorySize(_ value: Int) throws(LambdaError) {
        try bounded(value, Limits.memory, field: "memorySize")
    }

    public static func timeout(_ value: Int) throws(LambdaError) {
        try bounded(value, Limits.timeout, field: "timeout")
    }

    public static func ephemeralStorage(_ value: Int) throws(LambdaError) {
        try bounded(value, Limits.ephemeralStorage, field: "ephemeralStorage.size")
    }

    /// `LoggingConfig`: the enums botocore's model lists, and a log group name CloudWatch Logs accepts.
    public static func tracingConfig(_ value: TracingConfigRequest) throws(LambdaError) {
        if let mode = value.mode, !["Active", "PassThrough"].contains(mode) {
            throw .validation(value: mode, field: "tracingConfig.mode", constraint: "Member must satisfy enum value set: [Active, PassThrough]")
        }
    }

    public static func loggingConfig(_ value: LoggingConfigRequest) throws(LambdaError) {
        if let format = value.logFormat, !["JSON", "Text"].contains(format) {
            throw .validation(value: format, field: "loggingConfig.logFormat", constraint: "Member must satisfy enum value set: [JSON, Text]")
        }
        let applicationLevels = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"]
        if let level = value.applicationLogLevel, !applicationLevels.contains(level) {
            throw .validation(value: level, field: "loggingConfig.applicationLogLevel",
                              constraint: "Member must satisfy enum value set: [\(applicationLevels.joined(separator: ", "))]")
        }
        if let level = value.systemLogLevel, !["DEBUG", "INFO", "WARN"].contains(level) {
            throw .validation(value: level, field: "loggingConfig.systemLogLevel", constraint: "Member must satisfy enum value set: [DEBUG, INFO, WARN]")
        }
        if let group = value.logGroup {
            guard isLogGroupName(group) else {
                throw .validation(value: group, field: "loggingConfig.logGroup",
                                  constraint: "Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+")
            }
        }
    }

    /// A name CloudWatch Logs accepts for a log group: 1–512 of `[.-_/#A-Za-z0-9]`.
    public static func isLogGroupName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 512 && name.utf8.allSatisfy { $0.isASCIIAlphanumeric || "._-/#".utf8.contains($0) }
    }

    /// `VpcConfig`: at most 16 subnets (`subnet-[0-9a-z]*`) and 5 security groups
    /// (`sg-[0-9a-zA-Z]*`), each at most 1,024 characters, and both lists set or both empty.
    /// Lambent has no EC2, so a well-formed id is never "not found".
    public static func vpcConfig(_ value: VpcConfigRequest) throws(LambdaError) {
        let subnets = value.subnetIds ?? []
        let groups = value.securityGroupIds ?? []
        try idList(subnets, prefix: "subnet-", maximum: 16, field: "vpcConfig.subnetIds", lowercaseOnly: true)
        try idList(groups, prefix: "sg-", maximum: 5, field: "vpcConfig.securityGroupIds", lowercaseOnly: false)
        if subnets.isEmpty != groups.isEmpty {
            throw .invalidParameter("SubnetIds and SecurityIds must coexist or be both empty list.")
        }
    }

    private static func idList(_ ids: [String], prefix: String, maximum: Int, field: String, lowercaseOnly: Bool) throws(LambdaError) {
        let shown = "[" + ids.joined(separator: ", ") + "]"
        if ids.count > maximum {
            throw .validation(value: shown, field: field, constraint: "Member must have length less than or equal to \(maximum)")
        }
        let wellFormed = ids.allSatisfy { id in
            id.count <= 1024 && id.hasPrefix(prefix) && id.utf8.dropFirst(prefix.utf8.count).allSatisfy { byte in
                byte.isASCIIAlphanumeric && !(lowercaseOnly && byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            }
        }
        if !wellFormed {
            let pattern = lowercaseOnly ? "\(prefix)[0-9a-z]*" : "\(prefix)[0-9a-zA-Z]*"
            throw .validation(
                value: shown, field: field,
                constraint: "Member must satisfy constraint: [Member must have length less than or equal to 1024, Member must have length greater than or equal to 0, Member must satisfy regular expression pattern: \(pattern)]")
        }
    }

    /// AWS's wording for a number outside its range.
    static func bounded(_ value: Int, _ range: ClosedRange<Int>, field: String) throws(LambdaError) {
        if value < range.lowerBound {
            throw .validation(value: "\(value)", field: field, constraint: "Member must have value greater than or equal to \(range.lowerBound)")
        }
        if value > range.upperBound {
            throw .validation(value: "\(value)", field: field, constraint: "Member must have value less than or equal to \(range.upperBound)")
        }
    }

    public static func description(_ value: String) throws(LambdaError) {
        if value.count > Limits.descriptionLength {
            throw .validation(value: value, field: "description", constraint: "Member must have length less than or equal to 256")
        }
    }

    /// `arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+`.
    public static func role(_ value: String) throws(LambdaError) {
        let parts = value.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        var ok = parts.count == 6 && parts[0] == "arn" && (parts[1].isEmpty || parts[1].hasPrefix("aws"))
            && parts[2] == "iam" && parts[3].isEmpty && FunctionReference.isAccount(String(parts[4]))
            && parts[5].hasPrefix("role")
        if ok {
            // `role/?[…]+` where the class includes `/`: at least one allowed character after "role".
            let afterRole = parts[5].dropFirst(4).utf8
            let allowed = Set("_+=,.@-/".utf8)
            ok = !afterRole.isEmpty && afterRole.allSatisfy { $0.isASCIIAlphanumeric || allowed.contains($0) }
        }
        guard ok else {
            throw .validation(value: value, field: "role",
                              constraint: "Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+")
        }
    }

    /// `[^\s]+`, at most 128 characters.
    public static func handler(_ value: String) throws(LambdaError) {
        if value.count > 128 {
            throw .validation(value: value, field: "handler", constraint: "Member must have length less than or equal to 128")
        }
        if value.isEmpty || value.contains(where: \.isWhitespace) {
            throw .validation(value: value, field: "handler", constraint: "Member must satisfy regular expression pattern: [^\\s]+")
        }
    }

    /// Keys `[a-zA-Z]([a-zA-Z0-9_])+`, total size ≤ 4 KB, and no reserved names.
    public static func environment(_ variables: [String: String]) throws(LambdaError) {
        for (key, _) in variables {
            let bytes = Array(key.utf8)
            let valid = bytes.count >= 2 && (bytes[0].isASCIIAlphanumeric && !(bytes[0] >= 0x30 && bytes[0] <= 0x39))
                && bytes.allSatisfy { $0.isASCIIAlphanumeric || $0 == UInt8(ascii: "_") }
            guard valid else {
                throw .validation(value: key, field: "environment.variables",
                                  constraint: "Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]")
            }
            if reservedEnvironmentKeys.contains(key) {
                throw .invalidParameter("Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: \(key)")
            }
        }
        // AWS measures the variables as compact JSON and quotes that JSON back.
        let measured = compactJSON(variables)
        if measured.utf8.count > Limits.environmentBytes {
            throw .invalidParameter("Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: \(measured)")
        }
    }

    /// Keys a function may not set (Lambda reserves them).
    public static let reservedEnvironmentKeys: Set<String> = [
        "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
    ]

    /// `{"K":"V",...}`: compact JSON, keys in sorted order.
    static func compactJSON(_ variables: [String: String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(variables)) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
