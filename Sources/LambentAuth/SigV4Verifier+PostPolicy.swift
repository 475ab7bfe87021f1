/// Browser-based uploads (S3's POST Object): an HTML form carries a base64 `policy` and its
/// signature instead of a signed request. The string to sign is the `policy` field exactly as
/// sent (the base64 text, not the JSON it encodes), signed with the SigV4 signing key of the
/// form's `x-amz-credential` (`<key id>/<yyyyMMdd>/<region>/<service>/aws4_request`).
extension SigV4Verifier {
    /// Verifies the `x-amz-signature` field of a browser-based upload: the hex HMAC-SHA256 of
    /// `policy` under the signing key for the credential's date, region and service. The
    /// policy's own expiration and conditions are the caller's to check.
    ///
    /// ```swift
    /// let accessKeyID = try verifier.verifyPostPolicy(
    ///     form["policy"], credential: form["x-amz-credential"], signature: form["x-amz-signature"])
    /// ```
    ///
    /// - Returns: the access key id that signed the policy.
    /// - Throws: ``SigV4Error`` `unrecognizedClient` for an unknown key, `invalidSignature`
    ///   when the signature does not match, `incompleteSignature` (with S3's message) when the
    ///   credential is malformed.
    public func verifyPostPolicy(_ policy: String, credential: String, signature: String) throws(SigV4Error) -> String {
        let scope = Substring(credential).split(separator: "/", omittingEmptySubsequences: false)
        guard scope.count == 5, !scope[2].isEmpty else { throw .malformedPostCredential }
        let (accessKeyID, date, region, service, terminal) = (scope[0], scope[1], scope[2], scope[3], scope[4])
        guard !accessKeyID.isEmpty else { throw .emptyPostAccessKey }
        guard date.utf8.count == 8, date.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
            throw .postCredentialDate(String(date))
        }
        guard services.contains(where: { $0 == service }) else { throw .postCredentialService(String(service), expected: self.service) }
        guard terminal == "aws4_request" else { throw .postCredentialTerminal(String(terminal)) }
        guard let key = lookup(String(accessKeyID)) else { throw .unrecognizedClient }
        let signingKey = keys.key(secretAccessKey: key.secretAccessKey, date: date, region: region, service: service)
        let expected = signingKey.signature(for: Array(policy.utf8))
        guard Hex.constantTimeEquals(expected, signature.utf8.lazy.map(asciiLowercased)) else { throw .signatureDoesNotMatch }
        return String(accessKeyID)
    }
}
