import Foundation

/// RFC 8949 CBOR, the subset AWS's Smithy RPC v2 CBOR protocol uses, to and from the same
/// value shapes JSONSerialization gives (so one route reads JSON 1.0 and CBOR bodies alike).
///
/// ```swift
/// let body = CBOR.encode(["FunctionName": "fn", "Timeout": 3])
/// let request = try CBOR.decode(body) as? [String: Any]
/// ```
///
/// Decoding is strict: one item and nothing after it, text-string map keys only, at most
/// ``maximumDepth`` nested containers or tags, and every declared length checked against the
/// bytes that remain before anything is allocated.
enum CBOR {
    /// A timestamp: encoded as tag 1 with a float64 of epoch seconds; decoding tag 1 gives a
    /// `Double` of epoch seconds (the tag is dropped) — JSON 1.0 carries timestamps as epoch-second numbers.
    struct Timestamp: Hashable, Sendable { var seconds: Double }

    /// Why bytes are not a CBOR item this decoder accepts.
    struct DecodingError: Error, Equatable { var message: String }

    /// How deep arrays, maps and tags may nest, so a hostile body cannot exhaust the stack.
    static let maximumDepth = 64

    /// Decodes one CBOR item: integers as `Int`, floats as `Double`, byte strings as `Data`,
    /// text as `String`, arrays as `[Any]`, maps as `[String: Any]`, null and undefined as `NSNull`.
    static func decode(_ bytes: [UInt8]) throws(DecodingError) -> Any {
        var reader = Reader(bytes: bytes)
        let value = try reader.item(depth: 0)
        guard reader.index == bytes.count else {
            throw DecodingError(message: "\(bytes.count - reader.index) trailing bytes after the CBOR item")
        }
        return value
    }

    /// Encodes JSONSerialization-shaped values; map keys are sorted bytewise (RFC 8949 §4.2.1),
    /// so equal values give equal bytes. Values with no CBOR shape, such as `nil`, become null.
    static func encode(_ value: Any) -> [UInt8] {
        var writer = Writer()
        writer.append(value)
        return writer.bytes
    }
}

extension CBOR {
    private struct Reader {
        let bytes: [UInt8]
        var index = 0

        var remaining: UInt64 { UInt64(bytes.count - index) }

        mutating func item(depth: Int) throws(DecodingError) -> Any {
            let initial = try byte()
            let major = initial >> 5
            if major == 7 { return try simple(initial & 0x1f) }
            let argument = try argument(initial & 0x1f)
            if major >= 4, depth >= CBOR.maximumDepth {
                throw DecodingError(message: "CBOR nests deeper than \(CBOR.maximumDepth) levels")
            }
            switch (major, argument) {
            case (0, let value?):
                return try integer(value)
            case (1, let value?):
                return try -1 - integer(value)
            case (2, _):
                return Data(try string(major: 2, length: argument).joined())
            case (3, _):
                return try text(string(major: 3, length: argument))
            case (4, _):
                try check(argument, itemSize: 1)
                var array: [Any] = []
                var left = argument
                while try more(&left) { array.append(try item(depth: depth + 1)) }
                return array
            case (5, _):
                try check(argument, itemSize: 2)
                var map: [String: Any] = [:]
                var left = argument
                while try more(&left) {
                    let key = try key()
                    guard map.updateValue(try item(depth: depth + 1), forKey: key) == nil else {
                        throw DecodingError(message: "CBOR map repeats the key \"\(key)\"")
                    }
                }
                return map
            case (6, let tag?):
                let content = try item(depth: depth + 1)
                guard tag == 1 else { return content }
                switch content {
                case let seconds as Int: return Double(seconds)
                case let seconds as Double: return seconds
                default: throw DecodingError(message: "CBOR tag 1 (epoch time) must hold a number")
                }
            default:
                throw DecodingError(message: "CBOR major type \(major) cannot have an indefinite length")
            }
        }

        mutating func byte() throws(DecodingError) -> UInt8 {
            guard index < bytes.count else { throw DecodingError(message: "CBOR input ends early") }
            defer { index += 1 }
            return bytes[index]
        }

        mutating func take(_ count: UInt64) throws(DecodingError) -> ArraySlice<UInt8> {
            guard count <= remaining else {
                throw DecodingError(message: "CBOR length \(count) runs past the end of the input")
            }
            defer { index += Int(count) }
            return bytes[index..<index + Int(count)]
        }

        /// The argument after an initial byte with additional information `info`; nil for an indefinite length.
        mutating func argument(_ info: UInt8) throws(DecodingError) -> UInt64? {
            switch info {
            case ..<24: return UInt64(info)
            case 24...27: return try unsigned(byteCount: 1 << (info - 24))
            case 31: return nil
            default: throw DecodingError(message: "CBOR additional information \(info) is reserved")
            }
        }

        mutating func unsigned(byteCount: UInt64) throws(DecodingError) -> UInt64 {
            try take(byteCount).reduce(0) { $0 << 8 | UInt64($1) }
        }

        /// Rejects a declared count whose items, each at least `itemSize` bytes, cannot fit in what remains.
        func check(_ count: UInt64?, itemSize: UInt64) throws(DecodingError) {
            if let count, count > remaining / itemSize {
                throw DecodingError(message: "CBOR length \(count) runs past the end of the input")
            }
        }

        /// Whether another element follows: a definite count runs down, an indefinite length ends at a break (0xff).
        mutating func more(_ left: inout UInt64?) throws(DecodingError) -> Bool {
            guard let count = left else {
                guard index < bytes.count else { throw DecodingError(message: "CBOR input ends early") }
                guard bytes[index] == 0xff else { return true }
                index += 1
                return false
            }
            guard count > 0 else { return false }
            left = count - 1
            return true
        }

        func integer(_ argument: UInt64) throws(DecodingError) -> Int {
            guard argument <= UInt64(Int64.max) else {
                throw DecodingError(message: "CBOR integer does not fit in 64 signed bits")
            }
            return Int(argument)
        }

        /// A string's bytes: one piece, or the definite-length chunks of an indefinite-length string.
        mutating func string(major: UInt8, length: UInt64?) throws(DecodingError) -> [ArraySlice<UInt8>] {
            if let length { return [try take(length)] }
            var chunks: [ArraySlice<UInt8>] = []
            var left: UInt64? = nil
            while try more(&left) {
                let initial = try byte()
                guard initial >> 5 == major, let length = try argument(initial & 0x1f) else {
                    throw DecodingError(message: "CBOR indefinite-length string holds a chunk of another kind")
                }
                chunks.append(try take(length))
            }
            return chunks
        }

        func text(_ chunks: [ArraySlice<UInt8>]) throws(DecodingError) -> String {
            var text = ""
            for chunk in chunks {
                guard let piece = String(validating: chunk, as: UTF8.self) else {
                    throw DecodingError(message: "CBOR text string is not valid UTF-8")
                }
                text += piece
            }
            return text
        }

        mutating func key() throws(DecodingError) -> String {
            let initial = try byte()
            guard initial >> 5 == 3 else { throw DecodingError(message: "CBOR map key is not a text string") }
            return try text(string(major: 3, length: argument(initial & 0x1f)))
        }

        mutating func simple(_ info: UInt8) throws(DecodingError) -> Any {
            switch info {
            case 20: return false
            case 21: return true
            case 22, 23: return NSNull()
            case 25: return Self.half(UInt16(try unsigned(byteCount: 2)))
            case 26: return Double(Float(bitPattern: UInt32(try unsigned(byteCount: 4))))
            case 27: return Double(bitPattern: try unsigned(byteCount: 8))
            case 31: throw DecodingError(message: "CBOR break (0xff) outside an indefinite-length item")
            default: throw DecodingError(message: "CBOR simple value \(info) is not supported")
            }
        }

        /// An IEEE 754 half-precision float (1 sign, 5 exponent, 10 fraction bits) widened to a `Double`.
        static func half(_ bits: UInt16) -> Double {
            let sign: FloatingPointSign = bits & 0x8000 == 0 ? .plus : .minus
            let exponent = Int(bits >> 10 & 0x1f), fraction = Double(bits & 0x3ff)
            switch exponent {
            case 0: return Double(sign: sign, exponent: -24, significand: fraction)
            case 31: return fraction == 0 ? Double(sign: sign, exponent: 0, significand: .infinity) : .nan
            default: return Double(sign: sign, exponent: exponent - 25, significand: 1024 + fraction)
            }
        }
    }

    private struct Writer {
        var bytes: [UInt8] = []

        mutating func append(_ value: Any) {
            // JSONSerialization's numbers, booleans included, are NSNumber; a Swift Bool or Int also casts
            // to NSNumber, so only a value whose own type is NSNumber takes this path.
            if type(of: value) is NSNumber.Type, let number = value as? NSNumber { return append(number: number) }
            switch value {
            case let bool as Bool: bytes.append(bool ? 0xf5 : 0xf4)
            case let integer as any BinaryInteger: append(integer: integer)
            case let float as any BinaryFloatingPoint: append(float: Double(float))
            case let string as String:
                head(3, UInt64(string.utf8.count))
                bytes += string.utf8
            case let data as Data:
                head(2, UInt64(data.count))
                bytes += data
            // An empty or all-UInt8 `[Any]` also casts to `[UInt8]`; only a real `[UInt8]` is a byte string.
            case let raw as [UInt8] where type(of: value) == [UInt8].self:
                head(2, UInt64(raw.count))
                bytes += raw
            case let array as [Any]:
                head(4, UInt64(array.count))
                for element in array { append(element) }
            case let map as [String: Any]:
                let entries = map.map { (key: CBOR.encode($0.key), value: $0.value) }
                    .sorted { $0.key.lexicographicallyPrecedes($1.key) }
                head(5, UInt64(entries.count))
                for entry in entries {
                    bytes += entry.key
                    append(entry.value)
                }
            case let timestamp as Timestamp:
                head(6, 1)
                append(float: timestamp.seconds)
            case let date as Date:
                head(6, 1)
                append(float: date.timeIntervalSince1970)
            default:
                bytes.append(0xf6)
            }
        }

        mutating func append(number: NSNumber) {
            switch String(cString: number.objCType) {
            case "c", "B": bytes.append(number.boolValue ? 0xf5 : 0xf4)
            case "C", "s", "S", "i", "I", "l", "q": append(integer: number.int64Value)
            case "L", "Q": append(integer: number.uint64Value)
            default: append(float: number.doubleValue)
            }
        }

        /// Major type 0 for n ≥ 0, major type 1 (holding -1 - n) below; wider than 64 bits falls back to float64.
        mutating func append(integer: some BinaryInteger) {
            guard let argument = UInt64(exactly: integer < 0 ? ~integer : integer) else {
                return append(float: Double(integer))
            }
            head(integer < 0 ? 1 : 0, argument)
        }

        mutating func append(float: Double) {
            bytes.append(0xfb)
            bigEndian(float.bitPattern, count: 8)
        }

        /// An initial byte and its argument in the fewest bytes.
        mutating func head(_ major: UInt8, _ argument: UInt64) {
            let (info, count): (UInt8, Int) = switch argument {
            case ..<24: (UInt8(argument), 0)
            case ...0xff: (24, 1)
            case ...0xffff: (25, 2)
            case ...0xffff_ffff: (26, 4)
            default: (27, 8)
            }
            bytes.append(major << 5 | info)
            bigEndian(argument, count: count)
        }

        mutating func bigEndian(_ value: UInt64, count: Int) {
            for shift in stride(from: (count - 1) * 8, through: 0, by: -8) {
                bytes.append(UInt8(truncatingIfNeeded: value >> shift))
            }
        }
    }
}
