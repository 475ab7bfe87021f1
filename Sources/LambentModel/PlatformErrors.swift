/// The error types and messages the platform itself reports when an invocation fails for a
/// reason other than the function's own error (those come from the runtime client). This is
/// the one catalogue of them; the API's errors are `LambdaError`'s constructors.
///
/// Each string is copied from what AWS Lambda returns (see the recorded answers in
/// `shared/reference/aws-recorded/` and AWS's Runtime Interface Emulator,
/// `lambda/fatalerror/fatalerror.go`): callers and SDKs parse them.
///
/// ```swift
/// let failure = PlatformError.timedOut(requestID: id, seconds: 3)
/// failure.errorType     // "Sandbox.Timedout"
/// failure.errorMessage  // "RequestId: … Error: Task timed out after 3.00 seconds"
/// ```
public enum PlatformError: Sendable, Equatable {
    /// The runtime process exited during init or an invocation (`exit status 1`, `signal: killed`).
    case runtimeExited(requestID: String, reason: String)
    /// The runtime exited without saying why, even in a fresh environment.
    case runtimeExitedWithoutReason(requestID: String)
    /// The invocation (or init) outlived its limit.
    case timedOut(requestID: String, seconds: Int)
    /// The runtime's entrypoint could not be started: `detail` is AWS's reason, e.g.
    /// `Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]` or
    /// `fork/exec /var/task/bootstrap: permission denied`.
    case invalidEntrypoint(requestID: String, detail: String)

    /// `errorType` of the payload the caller receives.
    public var errorType: String {
        switch self {
        case .runtimeExited, .runtimeExitedWithoutReason: PlatformErrorType.runtimeExit
        case .timedOut: PlatformErrorType.sandboxTimedOut
        case .invalidEntrypoint: PlatformErrorType.invalidEntrypoint
        }
    }

    /// `errorMessage` of the payload the caller receives.
    public var errorMessage: String {
        switch self {
        case .runtimeExited(let requestID, let reason):
            "RequestId: \(requestID) Error: Runtime exited with error: \(reason)"
        case .runtimeExitedWithoutReason(let requestID):
            "RequestId: \(requestID) Error: Runtime exited without providing a reason"
        case .timedOut(let requestID, let seconds):
            "RequestId: \(requestID) Error: Task timed out after \(seconds).00 seconds"
        case .invalidEntrypoint(let requestID, let detail):
            "RequestId: \(requestID) Error: \(detail)"
        }
    }
}

/// Error types named by the platform (as opposed to the function).
public enum PlatformErrorType {
    /// The runtime process exited.
    public static let runtimeExit = "Runtime.ExitError"
    /// The invocation or init timed out.
    public static let sandboxTimedOut = "Sandbox.Timedout"
    /// An init error whose type the runtime did not give.
    public static let runtimeUnknown = "Runtime.Unknown"
    /// A custom runtime's `bootstrap` is missing or not executable.
    public static let invalidEntrypoint = "Runtime.InvalidEntrypoint"
    /// `X-Amz-Function-Error` for every failed invocation.
    public static let unhandled = "Unhandled"
}
