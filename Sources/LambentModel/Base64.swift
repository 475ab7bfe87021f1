import Foundation

/// Base64 helpers over byte arrays.
public enum Base64 {
    /// Decodes standard base64; nil when the text is not base64.
    public static func decode(_ text: String) -> [UInt8]? {
        Data(base64Encoded: text).map { [UInt8]($0) }
    }

    /// Encodes bytes as standard base64.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        Data(bytes).base64EncodedString()
    }
}
