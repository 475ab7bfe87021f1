// The control channel's wire format.
//
//   frame  = length:UInt32 kind:UInt8 field*       length counts kind and fields
//   field  = size:UInt32 bytes[size]               size 0xFFFF_FFFF = absent (nil), no bytes
//   number = a field of size 8: UInt64
//   text   = a field: UTF-8 bytes
//   bytes  = a field: raw bytes (payloads, logs)
//
// All integers are big-endian. Fields come in the order below; a frame with bytes
// left after its last field, a field running past its frame, an unknown kind or a
// length over the decoder's maximum is a `ControlProtocolError`.
//
//   kind  message        fields
//   1     invoke         requestID:text deadlineMs:number invokedFunctionARN:text
//                        traceID:text clientContext:text? cognitoIdentity:text? payload:bytes
//   2     shutdown       -
//   3     ready          initDurationMicros:number
//   4     initError      errorType:text body:bytes
//   5     response       requestID:text body:bytes maxMemoryKB:number
//   6     invokeError    requestID:text errorType:text body:bytes maxMemoryKB:number
//   7     log            bytes:bytes
//   8     exited         reason:text
//   9     nextRequested  -
//   10    streamStarted  requestID:text contentType:text
//   11    streamChunk    bytes:bytes

/// The kind byte of each frame (see the format at the top of this file).
enum ControlFrameKind: UInt8 {
    case invoke = 1
    case shutdown = 2
    case ready = 3
    case initError = 4
    case response = 5
    case invokeError = 6
    case log = 7
    case exited = 8
    case nextRequested = 9
    case streamStarted = 10
    case streamChunk = 11
}

/// The field size that marks an absent optional field.
let absentFieldSize: UInt32 = 0xFFFF_FFFF
/// Bytes before the kind: the frame length.
let frameLengthSize = 4
