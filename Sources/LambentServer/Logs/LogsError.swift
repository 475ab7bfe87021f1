import Foundation
import HTTPTypes
import Hummingbird
import LambentModel
import NIOCore

/// An error of the CloudWatch Logs API, as its JSON 1.1 protocol writes it:
/// `{"__type": "<Code>", "message": …}`, status 400.
struct LogsError: Error, Sendable, Equatable {
    var code: String
    var message: String
    var status = 400

    var response: Response { JSONProtocolError.response(code: code, message: message, status: status) }

    static func invalidParameter(_ message: String) -> LogsError {
        LogsError(code: "InvalidParameterException", message: message)
    }

    static let groupNotFound = LogsError(code: "ResourceNotFoundException", message: "The specified log group does not exist.")
    static let streamNotFound = LogsError(code: "ResourceNotFoundException", message: "The specified log stream does not exist.")
    static let groupExists = LogsError(code: "ResourceAlreadyExistsException", message: "The specified log group already exists")
    static let streamExists = LogsError(code: "ResourceAlreadyExistsException", message: "The specified log stream already exists")
    static let invalidToken = invalidParameter("The specified nextToken is invalid.")

    /// AWS's validation wording for a value out of its range.
    static func validation(_ value: Any, field: String, constraint: String) -> LogsError {
        invalidParameter("1 validation error detected: Value '\(value)' at '\(field)' failed to satisfy constraint: \(constraint)")
    }
}

/// How the JSON 1.1 services (CloudWatch Logs, EventBridge) write an error:
/// `{"__type": "<Code>", "message": …}` with the status.
enum JSONProtocolError {
    static func response(code: String, message: String, status: Int) -> Response {
        let body = "{\"__type\":\"\(code)\",\"message\":\(JSONText.quoted(message))}"
        return Response(status: HTTPResponse.Status(code: status), headers: [.contentType: "application/x-amz-json-1.1"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }
}
