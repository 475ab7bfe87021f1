import Testing

@testable import LambentAuth

@Suite("CanonicalRequest")
struct CanonicalRequestTests {
    static func path(_ raw: String) -> String {
        var out: [UInt8] = []
        CanonicalRequest.appendCanonicalPath(raw, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static func query(_ raw: String, excluding: String? = nil) -> String {
        var out: [UInt8] = []
        CanonicalRequest.appendCanonicalQuery(raw, excluding: excluding, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    @Test(arguments: [
        ("", "/"),
        ("/", "/"),
        ("/2015-03-31/functions/my%20fn/invocations", "/2015-03-31/functions/my%2520fn/invocations"),
        ("/functions/arn%3Aaws%3Alambda", "/functions/arn%253Aaws%253Alambda"),
        ("/example space/", "/example%20space/"),
        ("/a/./b/../c//d/", "/a/c/d/"),
        ("/..", "/"),
        ("/-._~azAZ09", "/-._~azAZ09"),
        ("/$+=,;@", "/%24%2B%3D%2C%3B%40"),
        ("/ሴ", "/%E1%88%B4"),
    ])
    func pathIsEncodedOnceMoreLikeBotocore(raw: String, canonical: String) {
        #expect(Self.path(raw) == canonical)
    }

    @Test(arguments: [
        ("", ""),
        ("b=2&a=1", "a=1&b=2"),
        ("a=2&a=1&a=10", "a=1&a=10&a=2"),
        ("Marker=a%20b%2Fc&MaxItems=2", "Marker=a%20b%2Fc&MaxItems=2"),
        ("k=a%2fb", "k=a%2Fb"),
        ("k=a b", "k=a%20b"),
        ("k=a+b", "k=a%2Bb"),
        ("flag", "flag="),
        ("a=1&&b=", "a=1&b="),
        ("B=1&a=1", "B=1&a=1"),
        ("k=100%", "k=100%25"),
    ])
    func queryIsDecodedReencodedAndSorted(raw: String, canonical: String) {
        #expect(Self.query(raw) == canonical)
    }

    @Test func presignedSignatureIsLeftOut() {
        #expect(Self.query("X-Amz-Signature=abc&X-Amz-Date=1&a=b", excluding: "X-Amz-Signature") == "X-Amz-Date=1&a=b")
    }

    @Test func headerValuesAreTrimmedAndJoined() {
        let canonical = CanonicalRequest(
            method: "post", rawPath: "/", rawQuery: "",
            headers: [("Host", "h"), ("My-Header", "  a   b \t c  "), ("my-header", "d"), ("Other", "x")],
            signedHeaders: ["host", "my-header"], payloadHash: "UNSIGNED-PAYLOAD")
        #expect(canonical.text == "POST\n/\n\nhost:h\nmy-header:a b c,d\n\nhost;my-header\nUNSIGNED-PAYLOAD")
    }
}
