import Crypto
import Synchronization

/// The SigV4 signing key for one (secret, date, region, service):
/// `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
struct SigningKey: Sendable {
    let key: SymmetricKey
    /// HMAC state with the key already absorbed; each signature starts from a copy of it.
    private let keyed: HMAC<SHA256>

    init(secretAccessKey: String, date: Substring, region: Substring, service: Substring) {
        let secret = SymmetricKey(data: Array(("AWS4" + secretAccessKey).utf8))
        let kDate = Self.hmac(secret, Array(date.utf8))
        let kRegion = Self.hmac(kDate, Array(region.utf8))
        let kService = Self.hmac(kRegion, Array(service.utf8))
        self.key = Self.hmac(kService, Array("aws4_request".utf8))
        self.keyed = HMAC<SHA256>(key: key)
    }

    /// The lower-case hex signature of `stringToSign`.
    func signature(for stringToSign: [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(64)
        var mac = keyed
        mac.update(data: stringToSign)
        Hex.append(mac.finalize(), to: &out)
        return out
    }

    private static func hmac(_ key: SymmetricKey, _ message: [UInt8]) -> SymmetricKey {
        SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: message, using: key))
    }
}

/// Derived signing keys, shared by every verification: deriving one costs four HMACs and
/// a key only changes once a day per (secret, region, service).
final class SigningKeyCache: Sendable {
    private struct Entry: Hashable {
        var secret: String
        var date: String
        var region: String
        var service: String
    }

    private let capacity: Int
    private let entries = Mutex<[Entry: SigningKey]>([:])

    init(capacity: Int = 256) {
        self.capacity = capacity
    }

    func key(secretAccessKey: String, date: Substring, region: Substring, service: Substring) -> SigningKey {
        let entry = Entry(secret: secretAccessKey, date: String(date), region: String(region), service: String(service))
        if let cached = entries.withLock({ $0[entry] }) { return cached }
        // Derive outside the lock; a concurrent miss derives the same key twice, harmlessly.
        let derived = SigningKey(secretAccessKey: secretAccessKey, date: date, region: region, service: service)
        entries.withLock { entries in
            // Keys roll over daily, so dropping everything when full is a fine eviction policy.
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[entry] = derived
        }
        return derived
    }
}

/// Lower-case hex encoding and the constant-time comparison of signatures.
/// Lower-case hex, as SigV4 writes hashes and signatures.
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    static func append(_ bytes: some Sequence<UInt8>, to out: inout [UInt8]) {
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
    }

    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var out = [UInt8]()
        append(bytes, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The value of one hex digit (either case).
    @inline(__always)
    public static func value(of byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// True when `text` is exactly 64 lower- or upper-case hex digits (a SHA-256 in hex).
    static func isSHA256(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { value(of: $0) != nil }
    }

    /// Compares in time that depends only on the lengths, never on where the bytes differ.
    static func constantTimeEquals(_ lhs: [UInt8], _ rhs: some Collection<UInt8>) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for (left, right) in zip(lhs, rhs) { difference |= left ^ right }
        return difference == 0
    }
}
