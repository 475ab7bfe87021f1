import Crypto

/// The SigV4 canonical request and string to sign, built the way botocore builds them for
/// non-S3 services (Lambda included).
///
/// The one surprise is the path: botocore signs `quote(remove_dot_segments(path), safe="/~")`
/// of the path *as sent*, which is already percent-encoded, so `%3A` on the wire is `%253A`
/// in the canonical request. Every AWS SDK does the same for Lambda (only S3 differs).
struct CanonicalRequest {
    /// How the path is canonicalised: botocore's way for every service but S3, or S3's.
    enum PathStyle {
        /// Dot segments removed, the path as sent percent-encoded again.
        case standard
        /// Percent-encoded once, as S3 signs it: the path as sent is decoded and re-encoded
        /// (so any client's escaping gives the same result), `/` and empty segments kept.
        case s3
    }

    /// The canonical request text, as UTF-8 bytes.
    private(set) var bytes: [UInt8] = []

    /// Builds the canonical request.
    /// - Parameters:
    ///   - signedHeaders: lower-case names, in the order they appear in `SignedHeaders`.
    ///   - excludingQueryKey: a query parameter left out, `X-Amz-Signature` for presigned URLs.
    init(
        method: String, rawPath: String, pathStyle: PathStyle = .standard, rawQuery: String, excludingQueryKey: String? = nil,
        headers: [(name: String, value: String)], signedHeaders: [Substring], payloadHash: String
    ) {
        bytes.reserveCapacity(256 + rawPath.utf8.count + rawQuery.utf8.count)
        for byte in method.utf8 {
            bytes.append(byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") ? byte - 32 : byte)
        }
        bytes.append(newline)
        switch pathStyle {
        case .standard: Self.appendCanonicalPath(rawPath, to: &bytes)
        case .s3: Self.appendS3Path(rawPath, to: &bytes)
        }
        bytes.append(newline)
        Self.appendCanonicalQuery(rawQuery, excluding: excludingQueryKey, to: &bytes)
        bytes.append(newline)
        for name in signedHeaders {
            bytes.append(contentsOf: name.utf8)
            bytes.append(UInt8(ascii: ":"))
            let nameString = String(name)
            var first = true
            for header in headers where asciiCaseInsensitiveEquals(header.name, nameString) {
                if !first { bytes.append(UInt8(ascii: ",")) }
                first = false
                Self.appendTrimmed(header.value, to: &bytes)
            }
            bytes.append(newline)
        }
        bytes.append(newline)
        for (index, name) in signedHeaders.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ";")) }
            bytes.append(contentsOf: name.utf8)
        }
        bytes.append(newline)
        bytes.append(contentsOf: payloadHash.utf8)
    }

    /// The canonical request as text (tests and debugging).
    var text: String { String(decoding: bytes, as: UTF8.self) }

    /// `AWS4-HMAC-SHA256\n<timestamp>\n<scope>\n<hex sha256(canonical request)>`.
    func stringToSign(timestamp: String, scope: String) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(17 + 17 + scope.utf8.count + 64)
        out.append(contentsOf: "AWS4-HMAC-SHA256\n".utf8)
        out.append(contentsOf: timestamp.utf8)
        out.append(newline)
        out.append(contentsOf: scope.utf8)
        out.append(newline)
        Hex.append(SHA256.hash(data: bytes), to: &out)
        return out
    }

    // MARK: Path

    /// botocore's `quote(remove_dot_segments(path), safe="/~")`: dot segments and empty
    /// segments (`//`) are dropped, then every byte outside the unreserved set and `/` is
    /// percent-encoded, including the `%` of existing escapes.
    static func appendCanonicalPath(_ rawPath: String, to out: inout [UInt8]) {
        let path = Array(rawPath.utf8)
        if path.isEmpty {
            out.append(UInt8(ascii: "/"))
            return
        }
        var segments: [ArraySlice<UInt8>] = []
        for segment in path.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true) {
            if segment.elementsEqual([UInt8(ascii: ".")]) { continue }
            if segment.elementsEqual([UInt8(ascii: "."), UInt8(ascii: ".")]) {
                _ = segments.popLast()
                continue
            }
            segments.append(segment)
        }
        if path.first == UInt8(ascii: "/") { out.append(UInt8(ascii: "/")) }
        for (index, segment) in segments.enumerated() {
            if index > 0 { out.append(UInt8(ascii: "/")) }
            for byte in segment { PercentEncoding.append(byte, to: &out) }
        }
        if path.last == UInt8(ascii: "/") && !segments.isEmpty { out.append(UInt8(ascii: "/")) }
    }

    static func appendS3Path(_ rawPath: String, to out: inout [UInt8]) {
        if rawPath.isEmpty {
            out.append(UInt8(ascii: "/"))
            return
        }
        for byte in PercentEncoding.decode(rawPath.utf8) {
            if byte == UInt8(ascii: "/") { out.append(byte) } else { PercentEncoding.append(byte, to: &out) }
        }
    }

    // MARK: Query

    /// Each `key=value` is percent-decoded, re-encoded strictly (RFC 3986 unreserved kept)
    /// and the pairs sorted by encoded key, then encoded value. Decoding first makes the
    /// result independent of how a client escaped the query (botocore, Go, JS all agree).
    static func appendCanonicalQuery(_ rawQuery: String, excluding excludedKey: String?, to out: inout [UInt8]) {
        if rawQuery.isEmpty { return }
        var pairs: [(key: [UInt8], value: [UInt8])] = []
        for piece in rawQuery.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let equals = piece.firstIndex(of: UInt8(ascii: "="))
            let rawKey = piece[piece.startIndex..<(equals ?? piece.endIndex)]
            let rawValue = equals.map { piece[piece.index(after: $0)...] } ?? piece[piece.endIndex...]
            let key = PercentEncoding.decode(rawKey)
            if let excludedKey, key.elementsEqual(excludedKey.utf8) { continue }
            pairs.append((PercentEncoding.encode(key), PercentEncoding.encode(PercentEncoding.decode(rawValue))))
        }
        pairs.sort { lhs, rhs in
            lhs.key == rhs.key
                ? lhs.value.lexicographicallyPrecedes(rhs.value)
                : lhs.key.lexicographicallyPrecedes(rhs.key)
        }
        for (index, pair) in pairs.enumerated() {
            if index > 0 { out.append(UInt8(ascii: "&")) }
            out.append(contentsOf: pair.key)
            out.append(UInt8(ascii: "="))
            out.append(contentsOf: pair.value)
        }
    }

    // MARK: Headers

    /// SigV4 `Trimall`: leading and trailing whitespace removed, inner runs collapsed to one
    /// space (botocore: `' '.join(value.split())`, which also folds obsolete line folding).
    static func appendTrimmed(_ value: String, to out: inout [UInt8]) {
        var pendingSpace = false
        var wroteAny = false
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"), 0x0B, 0x0C:
                pendingSpace = wroteAny
            default:
                if pendingSpace { out.append(UInt8(ascii: " ")) }
                pendingSpace = false
                wroteAny = true
                out.append(byte)
            }
        }
    }
}

private let newline = UInt8(ascii: "\n")

/// RFC 3986 percent-encoding as SigV4 uses it: only `A-Z a-z 0-9 - _ . ~` stay literal.
public enum PercentEncoding {
    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    @inline(__always)
    static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
            UInt8(ascii: "~"):
            true
        default:
            false
        }
    }

    /// Appends `byte`, escaped unless unreserved.
    @inline(__always)
    static func append(_ byte: UInt8, to out: inout [UInt8]) {
        if isUnreserved(byte) {
            out.append(byte)
        } else {
            out.append(UInt8(ascii: "%"))
            out.append(hexDigits[Int(byte >> 4)])
            out.append(hexDigits[Int(byte & 0x0F)])
        }
    }

    static func encode(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count)
        for byte in bytes { append(byte, to: &out) }
        return out
    }

    /// Decodes `%XX` escapes; a `%` not followed by two hex digits stays literal. `+` is not
    /// a space here: SigV4 clients never send a bare `+` for a space.
    public static func decode(_ bytes: some Collection<UInt8>) -> [UInt8] {
        let input = Array(bytes)
        var out = [UInt8]()
        out.reserveCapacity(input.count)
        var index = 0
        while index < input.count {
            if input[index] == UInt8(ascii: "%"), index + 2 < input.count,
                let high = Hex.value(of: input[index + 1]), let low = Hex.value(of: input[index + 2])
            {
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(input[index])
                index += 1
            }
        }
        return out
    }
}
