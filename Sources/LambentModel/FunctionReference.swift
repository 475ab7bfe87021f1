/// A function named the ways Lambda accepts: `my-function`, `my-function:v1`,
/// `123456789012:function:my-function`, or a full ARN
/// `arn:aws:lambda:us-east-1:123456789012:function:my-function[:qualifier]`.
///
/// ```swift
/// let ref = try FunctionReference(parsing: "arn:aws:lambda:us-east-1:000000000000:function:hello")
/// ref.name // "hello"
/// ```
public struct FunctionReference: Sendable, Equatable {
    /// The bare function name.
    public var name: String
    /// A version or alias named inside the reference, if any.
    public var qualifier: String?
    /// The account named in the reference, if any.
    public var accountID: String?
    /// The region named in the reference, if any.
    public var region: String?

    /// Parses a function name, partial ARN or ARN. Throws AWS's validation error when the
    /// text does not match the service model's `NamespacedFunctionName` pattern.
    public init(parsing text: String, field: String = "functionName") throws(LambdaError) {
        func invalid() -> LambdaError {
            LambdaError.validation(
                value: text, field: field,
                constraint: "Member must satisfy regular expression pattern: \(Self.namespacedPattern)")
        }
        guard !text.isEmpty else { throw invalid() }
        guard text.utf8.count <= 256 else {
            throw LambdaError.validation(value: text, field: field, constraint: "Member must have length less than or equal to 256")
        }
        var parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        if parts.first == "arn", parts.count == 6, parts[1].hasPrefix("aws"), parts[2] == "lambda", parts[5] == "function",
           Self.isRegion(parts[3]), Self.isAccount(parts[4]) {
            // arn:partition:lambda:region:account:function: the pattern reads a function named
            // "function" (its `function:` part is optional), and AWS answers so.
            region = parts[3]
            accountID = parts[4]
            name = parts[5]
            qualifier = nil
        } else if parts.first == "arn" {
            // arn:partition:lambda:region:account:function:name[:qualifier]
            guard parts.count == 7 || parts.count == 8, parts[1].hasPrefix("aws"), parts[2] == "lambda",
                  parts[5] == "function", Self.isRegion(parts[3]), Self.isAccount(parts[4]) else { throw invalid() }
            region = parts[3]
            accountID = parts[4]
            name = parts[6]
            qualifier = parts.count == 8 ? parts[7] : nil
        } else if parts.count >= 3, parts[1] == "function" {
            // account:function:name[:qualifier]
            guard parts.count <= 4, Self.isAccount(parts[0]) else { throw invalid() }
            accountID = parts[0]
            name = parts[2]
            qualifier = parts.count == 4 ? parts[3] : nil
        } else {
            guard parts.count <= 2 else { throw invalid() }
            name = parts.removeFirst()
            qualifier = parts.first
        }
        guard Self.isName(name) else { throw invalid() }
        if let qualifier, !Self.isQualifier(qualifier) { throw invalid() }
    }

    /// The service model's `NamespacedFunctionName` pattern, as AWS prints it.
    static let namespacedPattern =
        #"(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_\.]+)(:(\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9-_]+))?"#

    /// CreateFunction's `FunctionName` pattern, as AWS prints it.
    static let createPattern =
        #"(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?"#

    /// `[a-zA-Z0-9-_\.]+`.
    static func isName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { $0.isASCIIAlphanumeric || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }
    }

    /// `$LATEST` or `[a-zA-Z0-9-_]+`.
    static func isQualifier(_ text: String) -> Bool {
        text == FunctionVersion.latest.rawValue || text == "$LATEST.PUBLISHED"
            || (!text.isEmpty && text.utf8.allSatisfy { $0.isASCIIAlphanumeric || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") })
    }

    static func isAccount(_ text: String) -> Bool {
        text.utf8.count == 12 && text.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    static func isRegion(_ text: String) -> Bool {
        let pieces = text.split(separator: "-")
        return pieces.count >= 3 && pieces.last!.allSatisfy(\.isNumber)
    }
}

/// Validation of a name used to create a function (`FunctionName` in CreateFunction: 1–64
/// characters of `[a-zA-Z0-9-_]`, or an ARN whose name part is).
public enum FunctionNameRule {
    /// Returns the bare name to create, or throws AWS's error: ValidationException for the
    /// pattern and the 140-character limit of the whole value, InvalidParameterValueException
    /// (worded as a validation error, as AWS does) for a name over 64 characters.
    public static func nameForCreate(_ text: String) throws(LambdaError) -> String {
        func badPattern() -> LambdaError {
            .validation(value: text, field: "functionName",
                        constraint: "Member must satisfy regular expression pattern: \(FunctionReference.createPattern)")
        }
        guard text.utf8.count <= 140 else {
            throw .validation(value: text, field: "functionName", constraint: "Member must have length less than or equal to 140")
        }
        guard let reference = try? FunctionReference(parsing: text), reference.qualifier == nil,
              !reference.name.contains(".") else { throw badPattern() }
        guard reference.name.utf8.count <= 64 else {
            throw LambdaError(
                status: 400, type: "InvalidParameterValueException",
                message: "1 validation error detected: Value '\(text)' at 'functionName' failed to satisfy constraint: Member must have length less than or equal to 64")
        }
        return reference.name
    }
}

extension UInt8 {
    public var isASCIIAlphanumeric: Bool {
        (self >= 0x30 && self <= 0x39) || (self >= 0x41 && self <= 0x5A) || (self >= 0x61 && self <= 0x7A)
    }
}
