/// An error answer of the Runtime API, with AWS's exact status, type and message.
///
/// The strings are AWS's Runtime Interface Emulator's (`internal/lambda/rapi/rendering`,
/// `rapi/handler`, `core`, `fatalerror`), which runtime clients and tests compare with.
public struct RuntimeAPIError: Error, Sendable, Equatable {
    /// The HTTP status code.
    public var status: Int
    /// The `errorType` of the JSON body.
    public var errorType: String
    /// The `errorMessage` of the JSON body.
    public var errorMessage: String

    /// Creates an error answer.
    public init(status: Int, errorType: String, errorMessage: String) {
        self.status = status
        self.errorType = errorType
        self.errorMessage = errorMessage
    }

    /// The body, as RIE's `RenderJSON` writes it (Go's `json.Encoder`: field order of
    /// `model.ErrorResponse`, then a newline).
    public var body: String {
        "{\"errorMessage\":\(jsonQuoted(errorMessage)),\"errorType\":\(jsonQuoted(errorType))}\n"
    }

    /// 400 for a request id that is not the current invocation's
    /// (RIE `rendering.RenderInvalidRequestID`).
    public static let invalidRequestID = RuntimeAPIError(
        status: 400,
        errorType: "InvalidRequestID",
        errorMessage: "Invalid request ID"
    )

    /// 413 for a response over ``RuntimeAPILimits/maxPayloadSize``
    /// (RIE `rendering.RenderRequestEntityTooLarge`).
    public static let requestEntityTooLarge = RuntimeAPIError(
        status: 413,
        errorType: "RequestEntityTooLarge",
        errorMessage: "Exceeded maximum allowed payload size (\(RuntimeAPILimits.maxPayloadSize) bytes)."
    )

    /// 400 for a response whose `Lambda-Runtime-Function-Response-Mode` is not `streaming`
    /// (RIE `rendering.RenderInvalidFunctionResponseMode`).
    public static let invalidFunctionResponseMode = RuntimeAPIError(
        status: 400,
        errorType: "InvalidFunctionResponseMode",
        errorMessage: "Invalid function response mode"
    )

    /// 403 for a call the runtime's state does not allow, such as a second response
    /// (RIE `rendering.RenderForbiddenWithTypeMsg` with
    /// `StateTransitionFailedForRuntimeMessageFormat` and `core.ErrNotAllowed`).
    public static func invalidStateTransition(from: String, to: String) -> RuntimeAPIError {
        RuntimeAPIError(
            status: 403,
            errorType: "InvalidStateTransition",
            errorMessage: "State transition from \(from) to \(to) failed for runtime. Error: State transition is not allowed"
        )
    }
}

/// Limits of the Runtime API.
public enum RuntimeAPILimits {
    /// The largest response payload: 6 MB plus 100 bytes (RIE `interop.MaxPayloadSize`).
    public static let maxPayloadSize = 6 * 1024 * 1024 + 100
    /// The largest streamed response: 200 MB, AWS's default maximum for response streaming.
    public static let maxStreamedPayloadSize = 200 * 1024 * 1024
}

/// What the agent reports to the server for errors of its own making, with the
/// strings AWS returns to the invoker.
enum AgentReportedError {
    /// The error type of a response over the limit (RIE `fatalerror.FunctionOversizedResponse`).
    static let responseTooLargeType = "Function.ResponseSizeTooLarge"
    /// The body AWS Lambda returns to the invoker for a response over the limit.
    static var responseTooLargeBody: String {
        "{\"errorMessage\":\"Response payload size exceeded maximum allowed payload size (\(RuntimeAPILimits.maxPayloadSize) bytes).\",\"errorType\":\"Function.ResponseSizeTooLarge\"}"
    }
    /// The body AWS Lambda returns for a streamed response over its limit.
    static var streamTooLargeBody: String {
        "{\"errorMessage\":\"Response payload size exceeded maximum allowed payload size (\(RuntimeAPILimits.maxStreamedPayloadSize) bytes).\",\"errorType\":\"Function.ResponseSizeTooLarge\"}"
    }
    /// The error type of a response posted with an unknown response mode
    /// (RIE `fatalerror.RuntimeInvalidResponseModeHeader`); the invocation fails with an empty body.
    static let invalidResponseModeType = "Runtime.InvalidResponseModeHeader"
    /// The error type of a response whose connection closed before its end
    /// (RIE `fatalerror.TruncatedResponse`).
    static let truncatedResponseType = "Runtime.TruncatedResponse"
    /// The body reported for a truncated response.
    static let truncatedResponseBody =
        "{\"errorMessage\":\"HTTP request detected as truncated\",\"errorType\":\"Runtime.TruncatedResponse\"}"
    /// The error type of an invocation the agent could not queue.
    static let busyType = "Sandbox.Failure"
    /// The body reported for an invocation the agent could not queue.
    static let busyBody =
        "{\"errorMessage\":\"The execution environment already has an invocation queued\",\"errorType\":\"Sandbox.Failure\"}"
}

/// `text` as a JSON string literal.
func jsonQuoted(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        // Go's encoder escapes these with SetEscapeHTML(true).
        case "<": out += "\\u003c"
        case ">": out += "\\u003e"
        case "&": out += "\\u0026"
        default:
            if scalar.value < 0x20 {
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}
