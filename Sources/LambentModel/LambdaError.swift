/// An error the Lambda API returns to a client: an HTTP status, the AWS error type
/// (sent as `x-amzn-ErrorType` and as `Type` context in the body) and a message.
///
/// Every message a client may read is built by one of the static constructors below,
/// which copy AWS's wording exactly (see `shared/reference/aws-recorded/errors-table.txt`).
///
/// ```swift
/// throw LambdaError.functionNotFound(arn: "arn:aws:lambda:us-east-1:000000000000:function:nope")
/// ```
public struct LambdaError: Error, Sendable, Equatable {
    /// HTTP status code.
    public var status: Int
    /// AWS error type, e.g. `ResourceNotFoundException`.
    public var type: String
    /// Human-readable message, exactly as AWS words it.
    public var message: String
    /// Whether AWS marks the error as the caller's (`"Type": "User"` in the body).
    public var isUserError: Bool
    /// Extra fields some errors carry in their body (e.g. `Reason` for throttling).
    public var extraFields: [String: String]
    /// Seconds for the `Retry-After` header (throttling).
    public var retryAfterSeconds: Int?

    /// Creates an error; prefer the named constructors.
    public init(status: Int, type: String, message: String, isUserError: Bool = true, extraFields: [String: String] = [:]) {
        self.status = status
        self.type = type
        self.message = message
        self.isUserError = isUserError
        self.extraFields = extraFields
    }
}

extension LambdaError {
    /// 404 for a function (or qualified function) that does not exist.
    public static func functionNotFound(arn: String) -> LambdaError {
        LambdaError(status: 404, type: "ResourceNotFoundException", message: "Function not found: \(arn)")
    }

    /// 409 when creating a function whose name is taken.
    public static func functionExists(name: String) -> LambdaError {
        LambdaError(status: 409, type: "ResourceConflictException", message: "Function already exist: \(name)")
    }

    /// 409 when the function is not in a state that allows the operation.
    public static func functionNotReady(state: String) -> LambdaError {
        LambdaError(
            status: 409, type: "ResourceConflictException",
            message: "The operation cannot be performed at this time. The function is currently in the following state: \(state)")
    }

    /// 409 when an update is already in progress.
    public static func updateInProgress(arn: String) -> LambdaError {
        LambdaError(
            status: 409, type: "ResourceConflictException",
            message: "The operation cannot be performed at this time. An update is in progress for resource: \(arn)")
    }

    /// 412 when the caller's RevisionId is stale.
    public static let revisionMismatch = LambdaError(
        status: 412, type: "PreconditionFailedException",
        message: "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id")

    /// 400 for a parameter AWS rejects with its own wording.
    public static func invalidParameter(_ message: String) -> LambdaError {
        LambdaError(status: 400, type: "InvalidParameterValueException", message: message)
    }

    /// 400 in the Coral validation format:
    /// `1 validation error detected: Value 'x' at 'field' failed to satisfy constraint: ...`.
    public static func validation(value: String, field: String, constraint: String) -> LambdaError {
        LambdaError(
            status: 400, type: "ValidationException",
            message: "1 validation error detected: Value '\(value)' at '\(field)' failed to satisfy constraint: \(constraint)",
            isUserError: false)
    }

    /// 400 for several validation failures reported together, as AWS does.
    public static func validation(_ failures: [String]) -> LambdaError {
        if failures.count == 1 {
            return LambdaError(status: 400, type: "ValidationException",
                               message: "1 validation error detected: \(failures[0])", isUserError: false)
        }
        return LambdaError(
            status: 400, type: "ValidationException",
            message: "\(failures.count) validation errors detected: " + failures.joined(separator: "; "),
            isUserError: false)
    }

    /// 400 when a request body is not the JSON the operation expects.
    public static func invalidRequestContent(_ detail: String) -> LambdaError {
        LambdaError(status: 400, type: "InvalidRequestContentException", message: "Could not parse request body into json: \(detail)")
    }

    /// 400 when an invocation payload is not JSON.
    public static func invalidPayload(_ detail: String) -> LambdaError {
        LambdaError(status: 400, type: "InvalidRequestContentException",
                    message: "Could not parse request body into json: Could not parse payload into json: \(detail)")
    }

    /// 413 when a synchronous invocation payload exceeds 6 MB.
    public static let invokeRequestTooLarge = LambdaError(
        status: 413, type: "RequestTooLargeException",
        message: "Request must be smaller than \(Limits.syncPayloadBytes) bytes for the InvokeFunction operation")

    /// 413 when a control-plane request body is larger than Lambda accepts; `operation` as
    /// AWS names it (`CreateFunction`, `UpdateFunctionCode`, …).
    public static func requestEntityTooLarge(limit: Int, operation: String) -> LambdaError {
        LambdaError(status: 413, type: "RequestEntityTooLargeException",
                    message: "Request must be smaller than \(limit) bytes for the \(operation) operation")
    }

    /// 404 for a path that is no Lambda operation.
    public static func unknownOperation(method: String, path: String) -> LambdaError {
        LambdaError(status: 404, type: "UnknownOperationException", message: "Unknown operation \(method) \(path)",
                    isUserError: false)
    }

    /// 429 when an invocation would exceed a concurrency limit; `reason` is Lambda's
    /// `ReservedFunctionConcurrentInvocationLimitExceeded` or `ConcurrentInvocationLimitExceeded`.
    public static func throttled(reason: String) -> LambdaError {
        var error = LambdaError(status: 429, type: "TooManyRequestsException", message: "Rate Exceeded.", extraFields: ["Reason": reason])
        error.retryAfterSeconds = 1
        return error
    }

    /// 500 for failures on Lambent's side.
    public static func service(_ message: String) -> LambdaError {
        LambdaError(status: 500, type: "ServiceException", message: message, isUserError: false)
    }
}
