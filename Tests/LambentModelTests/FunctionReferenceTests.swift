import LambentModel
import Testing

@Suite("FunctionReference")
struct FunctionReferenceTests {
    struct Valid: Sendable, CustomTestStringConvertible {
        var text: String
        var name: String
        var qualifier: String? = nil
        var accountID: String? = nil
        var region: String? = nil
        var testDescription: String { text }
    }

    static let valid: [Valid] = [
        Valid(text: "my-function", name: "my-function"),
        Valid(text: "my_function.v2", name: "my_function.v2"),
        Valid(text: "my-function:v1", name: "my-function", qualifier: "v1"),
        Valid(text: "my-function:$LATEST", name: "my-function", qualifier: "$LATEST"),
        Valid(text: "my-function:$LATEST.PUBLISHED", name: "my-function", qualifier: "$LATEST.PUBLISHED"),
        Valid(text: "123456789012:function:my-function", name: "my-function", accountID: "123456789012"),
        Valid(text: "123456789012:function:my-function:prod", name: "my-function", qualifier: "prod", accountID: "123456789012"),
        Valid(text: "arn:aws:lambda:us-east-1:123456789012:function:my-function",
              name: "my-function", accountID: "123456789012", region: "us-east-1"),
        Valid(text: "arn:aws:lambda:eu-west-3:123456789012:function:my-function:7",
              name: "my-function", qualifier: "7", accountID: "123456789012", region: "eu-west-3"),
        Valid(text: "arn:aws-us-gov:lambda:us-gov-west-1:000000000000:function:fn:$LATEST",
              name: "fn", qualifier: "$LATEST", accountID: "000000000000", region: "us-gov-west-1"),
        // AWS reads an ARN that stops at `function` as naming a function "function".
        Valid(text: "arn:aws:lambda:us-east-1:123456789012:function", name: "function", accountID: "123456789012", region: "us-east-1"),
    ]

    @Test("parses names, partial ARNs and ARNs", arguments: valid)
    func parses(_ example: Valid) throws {
        let reference = try FunctionReference(parsing: example.text)
        #expect(reference.name == example.name)
        #expect(reference.qualifier == example.qualifier)
        #expect(reference.accountID == example.accountID)
        #expect(reference.region == example.region)
    }

    static let invalid = [
        "",
        "my function",
        "fn/other",
        "a:b:c",
        "fn:",
        ":v1",
        "fn:bad.qualifier",
        "fn:v1:extra",
        "invalid:function:name",
        "12345:function:fn",
        "123456789012:function:",
        "123456789012:function:fn:v1:extra",
        "arn:aws:lambda:us-east-1:123400000000@function:myfn",
        "arn:aws:lambda:us-east-1:123456789012:function:",
        "arn:aws:s3:us-east-1:123456789012:function:fn",
        "arn:aws:lambda:us-east-1:123456789012:layer:fn",
        "arn:aws:lambda:useast1:123456789012:function:fn",
        "arn:aws:lambda:us-east-1:12345678901:function:fn",
        "arn:gcp:lambda:us-east-1:123456789012:function:fn",
        "arn:aws:lambda:us-east-1:123456789012:function:fn:v1:extra",
    ]

    @Test("refuses what the NamespacedFunctionName pattern refuses", arguments: invalid)
    func refuses(_ text: String) {
        let error = lambdaError { _ = try FunctionReference(parsing: text) }
        #expect(error?.status == 400)
        #expect(error?.type == "ValidationException")
        #expect(error?.isUserError == false)
        #expect(error?.message.hasPrefix("1 validation error detected: Value '\(text)' at 'functionName' failed to satisfy constraint: ") == true)
    }

    @Test("names the field it was given")
    func namesField() {
        let error = lambdaError { _ = try FunctionReference(parsing: "a b", field: "resource") }
        #expect(error?.message.contains("at 'resource' failed") == true)
    }

    @Test("quotes AWS's current NamespacedFunctionName pattern")
    func patternMessage() {
        // Recorded from AWS (Invoke, test_invalid_invoke): the region group gained `(eusc-)?`.
        let text = "arn:aws:lambda:us-east-1:123400000000@function:myfn"
        let error = lambdaError { _ = try FunctionReference(parsing: text) }
        #expect(error?.message == "1 validation error detected: Value '\(text)' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: \(namespacedFunctionNamePattern)")
    }

    @Test("refuses references longer than the service model allows")
    func tooLong() {
        let text = String(repeating: "a", count: 257)
        let error = lambdaError { _ = try FunctionReference(parsing: text) }
        #expect(error?.type == "ValidationException")
        #expect(error?.message.contains("failed to satisfy constraint: Member must have length less than or equal to") == true)
    }
}

@Suite("FunctionNameRule.nameForCreate")
struct FunctionNameRuleTests {
    @Test("returns the bare name", arguments: [
        ("hello", "hello"),
        ("123456789012:function:hello", "hello"),
        ("arn:aws:lambda:us-east-1:123456789012:function:hello", "hello"),
        (String(repeating: "a", count: 64), String(repeating: "a", count: 64)),
    ])
    func bareName(_ text: String, _ expected: String) throws {
        #expect(try FunctionNameRule.nameForCreate(text) == expected)
    }

    @Test("refuses names longer than 64 characters")
    func tooLong() {
        let text = String(repeating: "a", count: 65)
        let error = lambdaError { _ = try FunctionNameRule.nameForCreate(text) }
        #expect(error?.status == 400)
        #expect(error?.message == "1 validation error detected: Value '\(text)' at 'functionName' failed to satisfy constraint: Member must have length less than or equal to 64")
        // Recorded from AWS (CreateFunction, test_function_arns/long_function_name_exc): this one
        // error is an InvalidParameterValueException with "Type": "User", not a ValidationException.
        #expect(error?.type == "InvalidParameterValueException")
        #expect(error?.isUserError == true)
    }

    @Test("refuses ARNs longer than 140 characters with AWS's length message")
    func arnTooLong() {
        let prefix = "arn:aws:lambda:us-east-1:123456789012:function:"
        let text = prefix + String(repeating: "a", count: 140 - prefix.count + 1)
        let error = lambdaError { _ = try FunctionNameRule.nameForCreate(text) }
        #expect(error?.type == "ValidationException")
        // Recorded from AWS (CreateFunction, test_function_arns/long_function_arn_exc).
        #expect(error?.message == "1 validation error detected: Value '\(text)' at 'functionName' failed to satisfy constraint: Member must have length less than or equal to 140")
    }

    @Test("refuses what the create pattern refuses", arguments: ["my.function", "fn:v1", "invalid:function:name", "a b"])
    func refusesPattern(_ text: String) {
        let error = lambdaError { _ = try FunctionNameRule.nameForCreate(text) }
        #expect(error?.status == 400)
        #expect(error?.type == "ValidationException")
        #expect(error?.isUserError == false)
        #expect(error?.message.hasPrefix("1 validation error detected: Value '\(text)' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: ") == true)
    }

    @Test("quotes AWS's current create pattern", arguments: ["my.function", "invalid:function:name"])
    func createPatternMessage(_ text: String) {
        // Recorded from AWS (CreateFunction, test_function_arns/invalid_function_name_exc).
        let error = lambdaError { _ = try FunctionNameRule.nameForCreate(text) }
        #expect(error?.message == "1 validation error detected: Value '\(text)' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: \(createFunctionNamePattern)")
    }
}
