import Foundation
import HTTPTypes
import Hummingbird
import LambentModel
import NIOCore

/// An error of the EventBridge Scheduler API (REST-JSON): the type in `x-amzn-ErrorType`,
/// `{"Message": …}` in the body.
struct SchedulerError: Error, Sendable, Equatable {
    var code: String
    var message: String
    var status: Int

    var response: Response {
        let body = "{\"Message\":\(JSONText.quoted(message))}"
        return Response(status: HTTPResponse.Status(code: status),
                        headers: [.contentType: "application/json", HTTPField.Name("x-amzn-ErrorType")!: code],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    static func validation(_ message: String) -> SchedulerError { SchedulerError(code: "ValidationException", message: message, status: 400) }
    static func notFound(_ message: String) -> SchedulerError { SchedulerError(code: "ResourceNotFoundException", message: message, status: 404) }
    static func conflict(_ message: String) -> SchedulerError { SchedulerError(code: "ConflictException", message: message, status: 409) }
}

/// An error of the EventBridge API (JSON 1.1): `{"__type": …, "message": …}`.
struct EventsError: Error, Sendable, Equatable {
    var code: String
    var message: String
    var status = 400

    var response: Response { JSONProtocolError.response(code: code, message: message, status: status) }

    static func validation(_ message: String) -> EventsError { EventsError(code: "ValidationException", message: message) }
    static func ruleNotFound(_ name: String, bus: String) -> EventsError {
        EventsError(code: "ResourceNotFoundException", message: "Rule \(name) does not exist on EventBus \(bus).")
    }
}
