import LambentModel
import Testing

/// The `LambdaError` a throwing call produced, or nil when it returned normally.
func lambdaError(_ body: () throws -> Void) -> LambdaError? {
    do {
        try body()
        return nil
    } catch let error as LambdaError {
        return error
    } catch {
        Issue.record("expected a LambdaError, got \(error)")
        return nil
    }
}

/// Lambda's ARN/name pattern for functions that already exist (`NamespacedFunctionName`),
/// as AWS printed it in November 2025.
let namespacedFunctionNamePattern =
    #"(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_\.]+)(:(\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9-_]+))?"#

/// Lambda's pattern for `CreateFunction`'s `FunctionName`, as AWS printed it in November 2025.
let createFunctionNamePattern =
    #"(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?"#
