import Crypto
import Foundation

/// Browser-based uploads signed with Signature Version 2, which boto3's
/// `generate_presigned_post` still makes unless told `signature_version="s3v4"`: the form's
/// `signature` is the base64 HMAC-SHA1 of its `policy` field as sent, under the secret of its
/// `AWSAccessKeyId`.
extension SigV2Presigned {
    /// Verifies a version 2 POST policy signature; returns the access key id.
    /// - Throws: ``SigV4Error`` `unrecognizedClient` for an unknown key, `invalidSignature`
    ///   when the signature does not match.
    public static func verifyPostPolicy(
        _ policy: String, accessKeyID: String, signature: String, lookup: (String) -> AccessKey?
    ) throws(SigV4Error) -> String {
        guard let key = lookup(accessKeyID) else { throw .unrecognizedClient }
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: Array(policy.utf8), using: SymmetricKey(data: Array(key.secretAccessKey.utf8)))
        let expected = Data(mac).base64EncodedString()
        guard Hex.constantTimeEquals(Array(expected.utf8), signature.utf8) else { throw .signatureDoesNotMatch }
        return accessKeyID
    }
}
