import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// An error of the SQS API, rendered as the JSON protocol does: `{"__type":
/// "com.amazonaws.sqs#<Code>", "message": …}` with `x-amzn-query-error: <QueryCode>;Sender`,
/// which botocore turns back into the query-protocol code clients know (`AWS.SimpleQueueService.NonExistentQueue`).
struct SQSError: Error, Sendable, Equatable {
    var code: String
    /// The awsQueryError code; nil when it is the shape name itself.
    var queryCode: String?
    var status: Int
    var message: String
    var senderFault = true
    /// In a `SendMessageBatch`, fails only its entry (an HTTP 200 with a `Failed` item) rather
    /// than the whole request.
    var failsEntryOnly = false

    var response: Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/x-amz-json-1.0"
        headers[HTTPField.Name("x-amzn-query-error")!] = "\(queryCode ?? code);\(senderFault ? "Sender" : "Receiver")"
        let body: [String: String] = ["__type": "com.amazonaws.sqs#\(code)", "message": message]
        let data = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return Response(status: HTTPResponse.Status(code: status), headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    static let queueDoesNotExist = SQSError(
        code: "QueueDoesNotExist", queryCode: "AWS.SimpleQueueService.NonExistentQueue", status: 400,
        message: "The specified queue does not exist.")

    /// A message over the queue's `MaximumMessageSize`; SQS words it differently in a batch.
    static func messageTooLong(maximum: Int, inBatch: Bool) -> SQSError {
        var error = invalidParameter(
            "One or more parameters \(inBatch ? "cannot be validated" : "are invalid"). Reason: Message must be shorter than \(maximum) bytes.")
        error.failsEntryOnly = true
        return error
    }

    static func invalidParameter(_ message: String) -> SQSError {
        SQSError(code: "InvalidParameterValueException", queryCode: "InvalidParameterValue", status: 400, message: message)
    }

    static func invalidAttributeName(_ name: String) -> SQSError {
        SQSError(code: "InvalidAttributeName", status: 400, message: "Unknown Attribute \(name).")
    }

    static func invalidAttributeValue(_ message: String) -> SQSError {
        SQSError(code: "InvalidAttributeValue", status: 400, message: message)
    }

    static func missingParameter(_ name: String) -> SQSError {
        SQSError(code: "MissingRequiredParameterException", queryCode: "MissingParameter", status: 400,
                 message: "The request must contain the parameter \(name).")
    }

    static func receiptHandleIsInvalid(_ handle: String) -> SQSError {
        SQSError(code: "ReceiptHandleIsInvalid", status: 404,
                 message: "The input receipt handle \"\(handle)\" is not a valid receipt handle.")
    }

    static let emptyBatch = SQSError(
        code: "EmptyBatchRequest", queryCode: "AWS.SimpleQueueService.EmptyBatchRequest", status: 400,
        message: "There should be at least one SendMessageBatchRequestEntry in the request.")

    static func emptyBatch(_ entry: String) -> SQSError {
        SQSError(code: "EmptyBatchRequest", queryCode: "AWS.SimpleQueueService.EmptyBatchRequest", status: 400,
                 message: "There should be at least one \(entry) in the request.")
    }

    static func tooManyEntries(_ count: Int) -> SQSError {
        SQSError(code: "TooManyEntriesInBatchRequest", queryCode: "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", status: 400,
                 message: "Maximum number of entries per request are 10. You have sent \(count).")
    }

    static func batchEntryIdsNotDistinct(_ id: String) -> SQSError {
        SQSError(code: "BatchEntryIdsNotDistinct", queryCode: "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", status: 400,
                 message: "Id \(id) repeated.")
    }

    static let invalidBatchEntryId = SQSError(
        code: "InvalidBatchEntryId", queryCode: "AWS.SimpleQueueService.InvalidBatchEntryId", status: 400,
        message: "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.")

    static func unknownOperation(_ target: String) -> SQSError {
        SQSError(code: "UnknownOperationException", status: 400, message: "An unknown operation was requested: \(target)")
    }
}
