import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// An error of the CloudWatch metrics API. CloudWatch is query-compatible: its JSON 1.0 and
/// RPC v2 CBOR errors name the shape in `__type` and the query code in `x-amzn-query-error`,
/// which is what botocore raises (`InvalidParameterValue`, …).
struct CloudWatchError: Error, Equatable {
    /// The error shape (`InvalidParameterValueException`).
    var shape: String
    /// The query code (`InvalidParameterValue`).
    var code: String
    var message: String
    var status = 400

    static func invalidValue(_ message: String) -> CloudWatchError {
        CloudWatchError(shape: "InvalidParameterValueException", code: "InvalidParameterValue", message: message)
    }

    static func combination(_ message: String) -> CloudWatchError {
        CloudWatchError(shape: "InvalidParameterCombinationException", code: "InvalidParameterCombination", message: message)
    }

    static func missing(_ field: String) -> CloudWatchError {
        CloudWatchError(shape: "MissingRequiredParameterException", code: "MissingParameter",
                        message: "The parameter \(field) is required.")
    }

    static func unknownOperation(_ operation: String) -> CloudWatchError {
        CloudWatchError(shape: "UnknownOperationException", code: "UnknownOperation",
                        message: "Lambent does not implement the CloudWatch operation \(operation)", status: 400)
    }

    static let serialization = CloudWatchError(shape: "SerializationException", code: "SerializationException",
                                               message: "The request body could not be read.")

    func response(cbor: Bool) -> Response {
        let document: [String: Any] = ["__type": "com.amazonaws.cloudwatch#\(shape)", "message": message]
        var headers: HTTPFields = [HTTPField.Name("x-amzn-query-error")!: "\(code);Sender"]
        let body: ByteBuffer
        if cbor {
            headers[.contentType] = "application/cbor"
            headers[HTTPField.Name("smithy-protocol")!] = "rpc-v2-cbor"
            body = ByteBuffer(bytes: CBOR.encode(document))
        } else {
            headers[.contentType] = "application/x-amz-json-1.0"
            body = ByteBuffer(bytes: (try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])) ?? Data())
        }
        return Response(status: HTTPResponse.Status(code: status), headers: headers, body: ResponseBody(byteBuffer: body))
    }
}
