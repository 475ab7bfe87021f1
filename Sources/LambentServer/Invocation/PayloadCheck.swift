import Foundation
import LambentAuth

/// Checks that an invocation payload is JSON, without keeping what it parses.
enum PayloadCheck {
    /// nil when the bytes are one JSON value; otherwise a description of the problem.
    static func jsonProblem(_ bytes: some Collection<UInt8>) -> String? {
        let verdict = bytes.withContiguousStorageIfAvailable { JSONSyntax.check($0) }
            ?? Array(bytes).withUnsafeBufferPointer { JSONSyntax.check($0) }
        switch verdict {
        case .valid: return nil
        case .invalid: return problem
        case .undecided: break
        }
        do {
            _ = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
            return nil
        } catch {
            return problem
        }
    }

    static let problem = "Unexpected content: the payload is not valid JSON"
}

/// A syntax check of one JSON value (RFC 8259) that allocates nothing. Foundation's parser
/// builds every object and string it reads, which was most of the cost of checking an
/// asynchronous event; this decides the common case (ASCII, ordinary nesting and numbers)
/// itself and leaves the rest — any byte above 0x7F, exponents, numbers of more than 15
/// digits, `\u` escapes of surrogates, nesting deeper than 64 — to Foundation, so that the two
/// never disagree.
enum JSONSyntax {
    enum Verdict: Equatable {
        case valid, invalid, undecided
    }

    static func check(_ bytes: UnsafeBufferPointer<UInt8>) -> Verdict {
        var scanner = Scanner(bytes: bytes)
        do throws(Stop) {
            scanner.skipSpace()
            try scanner.value(depth: 0)
            scanner.skipSpace()
            return scanner.index == bytes.count ? .valid : .invalid
        } catch {
            return error == .invalid ? .invalid : .undecided
        }
    }

    enum Stop: Error {
        case invalid, undecided
    }

    private struct Scanner {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        var current: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skipSpace() {
            while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
        }

        mutating func expect(_ byte: UInt8) throws(Stop) {
            guard current == byte else { throw current.map { $0 >= 0x80 } == true ? .undecided : .invalid }
            index += 1
        }

        mutating func value(depth: Int) throws(Stop) {
            guard depth < 64 else { throw .undecided }
            guard let byte = current else { throw .invalid }
            switch byte {
            case UInt8(ascii: "{"):
                index += 1
                skipSpace()
                if current == UInt8(ascii: "}") { index += 1; return }
                while true {
                    guard current == UInt8(ascii: "\"") else { throw current.map { $0 >= 0x80 } == true ? .undecided : .invalid }
                    try string()
                    skipSpace()
                    try expect(UInt8(ascii: ":"))
                    skipSpace()
                    try value(depth: depth + 1)
                    skipSpace()
                    if current == UInt8(ascii: ",") { index += 1; skipSpace(); continue }
                    return try expect(UInt8(ascii: "}"))
                }
            case UInt8(ascii: "["):
                index += 1
                skipSpace()
                if current == UInt8(ascii: "]") { index += 1; return }
                while true {
                    try value(depth: depth + 1)
                    skipSpace()
                    if current == UInt8(ascii: ",") { index += 1; skipSpace(); continue }
                    return try expect(UInt8(ascii: "]"))
                }
            case UInt8(ascii: "\""):
                try string()
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                try number()
            case UInt8(ascii: "t"): try literal("true")
            case UInt8(ascii: "f"): try literal("false")
            case UInt8(ascii: "n"): try literal("null")
            default:
                throw byte >= 0x80 ? .undecided : .invalid
            }
        }

        mutating func literal(_ word: StaticString) throws(Stop) {
            let count = word.utf8CodeUnitCount
            guard bytes.count - index >= count else { throw .invalid }
            for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { throw .invalid }
            index += count
        }

        /// A string, from its opening quote.
        mutating func string() throws(Stop) {
            index += 1
            while let byte = current {
                index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return
                case UInt8(ascii: "\\"):
                    guard let escaped = current else { throw .invalid }
                    index += 1
                    switch escaped {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                         UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                        continue
                    case UInt8(ascii: "u"):
                        var scalar: UInt32 = 0
                        for _ in 0..<4 {
                            guard let digit = current.flatMap(Hex.value(of:)) else { throw .invalid }
                            scalar = scalar << 4 | UInt32(digit)
                            index += 1
                        }
                        if (0xD800...0xDFFF).contains(scalar) { throw .undecided }
                    default:
                        throw escaped >= 0x80 ? .undecided : .invalid
                    }
                case 0x80...:
                    throw .undecided
                case ..<0x20:
                    throw .invalid
                default:
                    continue
                }
            }
            throw .invalid
        }

        mutating func number() throws(Stop) {
            let start = index
            if current == UInt8(ascii: "-") { index += 1 }
            guard let first = current, Self.isDigit(first) else { throw .invalid }
            index += 1
            if first != UInt8(ascii: "0") {
                while let byte = current, Self.isDigit(byte) { index += 1 }
            }
            if current == UInt8(ascii: ".") {
                index += 1
                guard let byte = current, Self.isDigit(byte) else { throw .invalid }
                while let byte = current, Self.isDigit(byte) { index += 1 }
            }
            if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") || index - start > 16 { throw .undecided }
        }

        static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    }
}
