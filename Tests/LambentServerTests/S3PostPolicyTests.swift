import Foundation
import Testing

@testable import LambentServer

/// POST policies: reading them (S3's `InvalidPolicyDocument` messages), their expiry, each
/// condition, and the rule that every field is named by one.
@Suite("S3 POST policy")
struct S3PostPolicyTests {
    static func policy(_ json: String) throws(S3Error) -> S3PostPolicy {
        try S3PostPolicy(base64: Data(json.utf8).base64EncodedString())
    }

    static func policy(conditions: String) throws -> S3PostPolicy {
        try policy(#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [\#(conditions)]}"#)
    }

    static func form(_ fields: [(String, String)]) -> S3PostForm {
        S3PostForm(fields: fields.map { .init(name: $0.0, value: $0.1) }, file: nil, filename: nil, bytesBeforeFile: 0)
    }

    /// The error `check` throws (nil when the form passes): code, message and details.
    static func failure(_ conditions: String, _ fields: [(String, String)], bucket: String = "photos", size: Int64 = 5,
                        signatureFields: Set<String> = ["policy", "x-amz-signature"]) throws -> S3Error? {
        do {
            try policy(conditions: conditions).check(form(fields), bucket: bucket, size: size, signatureFields: signatureFields)
            return nil
        } catch let error as S3Error {
            return error
        }
    }

    static func conditionFailed(_ text: String) -> String { "Invalid according to Policy: Policy Condition failed: \(text)" }

    @Test func readsWhatBotocoreWrites() throws {
        let policy = try Self.policy(#"""
            {"expiration": "2015-12-29T01:00:00Z", "conditions": [{"bucket": "sigv4examplebucket"}, ["starts-with", "$key", "user/"],
             {"x-amz-algorithm": "AWS4-HMAC-SHA256"}, ["content-length-range", 1, 10485760], ["eq", "$Content-Type", "image/png"]]}
            """#)
        #expect(policy.expiration == Date(timeIntervalSince1970: 1_451_350_800))
        #expect(policy.conditions.map(\.condition) == [
            .equals(field: "$bucket", value: "sigv4examplebucket"), .startsWith(field: "$key", prefix: "user/"),
            .equals(field: "$x-amz-algorithm", value: "AWS4-HMAC-SHA256"), .contentLengthRange(minimum: 1, maximum: 10_485_760),
            .equals(field: "$Content-Type", value: "image/png"),
        ])
        #expect(policy.conditions.map(\.text) == [
            #"["eq", "$bucket", "sigv4examplebucket"]"#, #"["starts-with", "$key", "user/"]"#,
            #"["eq", "$x-amz-algorithm", "AWS4-HMAC-SHA256"]"#, #"["content-length-range", 1, 10485760]"#,
            #"["eq", "$Content-Type", "image/png"]"#,
        ])
        // AWS's own examples write milliseconds.
        #expect(try Self.policy(#"{"expiration": "2015-12-30T12:00:00.000Z", "conditions": []}"#).expiration
                == Date(timeIntervalSince1970: 1_451_476_800))
    }

    @Test func expiry() throws {
        let policy = try Self.policy(#"{"expiration": "2015-12-29T01:00:00Z", "conditions": []}"#)
        #expect(!policy.isExpired(at: Date(timeIntervalSince1970: 1_451_350_800)))
        #expect(policy.isExpired(at: Date(timeIntervalSince1970: 1_451_350_801)))
    }

    @Test(arguments: [
        ("not base64 at all!", "Invalid Policy: invalid Base64 encoding."),
        (Data("[1, 2]".utf8).base64EncodedString(), "Invalid Policy: Invalid JSON."),
        (Data("{\"expiration\": ".utf8).base64EncodedString(), "Invalid Policy: Invalid JSON."),
        (Data(#"{"Statement": [], "expiration": "2030-01-01T00:00:00Z", "conditions": []}"#.utf8).base64EncodedString(),
         "Invalid Policy: Unexpected: 'statement'"),
        (Data(#"{"EXPIRATION": "2030-01-01T00:00:00Z", "conditions": []}"#.utf8).base64EncodedString(),
         "Invalid Policy: Unexpected: 'expiration'"),
        (Data(#"{"conditions": []}"#.utf8).base64EncodedString(), "Invalid Policy: Policy missing expiration."),
        (Data(#"{"expiration": "2030-01-01T00:00:00Z"}"#.utf8).base64EncodedString(), "Invalid Policy: Policy missing conditions."),
        (Data(#"{"expiration": "2011-09-13T07:52:58+02:00", "conditions": []}"#.utf8).base64EncodedString(),
         "Invalid Policy: Invalid 'expiration' value: '2011-09-13T07:52:58+02:00'"),
        (Data(#"{"expiration": "2015-10-17 03:15:59 UTC", "conditions": []}"#.utf8).base64EncodedString(),
         "Invalid Policy: Invalid 'expiration' value: '2015-10-17 03:15:59 UTC'"),
        (Data(#"{"expiration": "2030-01-01T00:00:00Z", "conditions": {}}"#.utf8).base64EncodedString(),
         "Invalid Policy: Invalid 'conditions' value: must be a List."),
    ])
    func unreadablePolicies(policy: String, message: String) {
        #expect(throws: S3Error.self) { try S3PostPolicy(base64: policy) }
        do {
            _ = try S3PostPolicy(base64: policy)
        } catch {
            #expect(error.code == "InvalidPolicyDocument")
            #expect(error.status == .badRequest)
            #expect(error.message == message)
        }
    }

    @Test(arguments: [
        (#"{}"#, "Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one property specified."),
        (#"{"bucket": "a", "acl": "private"}"#,
         "Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one property specified."),
        (#"{"Content-Length": 6199034}"#, "Invalid Policy: Invalid Simple-Condition: value must be a string."),
        (#"{"success_action_redirect": null}"#, "Invalid Policy: Invalid JSON."),
        (#"[]"#, "Invalid Policy: Invalid Condition: missing operation identifier."),
        (#"["ends-with", "$key", "x"]"#, "Invalid Policy: Invalid Condition: unknown operation 'ends-with'."),
        (#"["content-length-range", 0]"#, "Invalid Policy: Invalid content-length-range: wrong number of arguments."),
        (#"["starts-with", "$key", "user/", "test"]"#, "Invalid Policy: Invalid starts-with: wrong number of arguments."),
        (#""acl""#, "Invalid Policy: Invalid condition test: must be a List or Object."),
    ])
    func unreadableConditions(condition: String, message: String) {
        do {
            _ = try Self.policy(conditions: condition)
            Issue.record("\(condition) was read")
        } catch {
            #expect((error as? S3Error)?.code == "InvalidPolicyDocument")
            #expect((error as? S3Error)?.message == message)
        }
    }

    @Test func exactMatches() throws {
        #expect(try Self.failure(#"{"key": "a.jpg"}, ["eq", "$acl", "private"]"#, [("key", "a.jpg"), ("acl", "private")]) == nil)
        let wrong = try #require(try Self.failure(#"{"key": "a.jpg"}"#, [("key", "b.jpg")]))
        #expect((wrong.code, wrong.status, wrong.message) == ("AccessDenied", .forbidden, Self.conditionFailed(#"["eq", "$key", "a.jpg"]"#)))
        // Values are case-sensitive; names are not, in the policy or the form.
        #expect(try Self.failure(#"{"acl": "private"}"#, [("acl", "Private")])?.message == Self.conditionFailed(#"["eq", "$acl", "private"]"#))
        #expect(try Self.failure(#"["EQ", "$X-Amz-Meta-Uuid", "14365123651274"]"#, [("x-amz-meta-UUID", "14365123651274")]) == nil)
        // Quotes in values are escaped as JSON escapes them; the policy's spelling is kept.
        #expect(try Self.failure(#"["eq", "$Content-Disposition", "filename=\"test.png\""]"#, [("content-disposition", "inline")])?.message
                == Self.conditionFailed(#"["eq", "$Content-Disposition", "filename=\"test.png\""]"#))
        // Without its `$` a condition never holds.
        #expect(try Self.failure(#"["eq", "success_action_redirect", "http://x/"]"#, [("success_action_redirect", "http://x/")])?.message
                == Self.conditionFailed(#"["eq", "success_action_redirect", "http://x/"]"#))
        // A condition on a field the form lacks fails, even `starts-with ""`.
        #expect(try Self.failure(#"{"key": "k"}, ["starts-with", "$Content-Type", ""]"#, [("key", "k")])?.message
                == Self.conditionFailed(#"["starts-with", "$Content-Type", ""]"#))
    }

    @Test func bucketConditionIsAboutTheBucketPostedTo() throws {
        #expect(try Self.failure(#"{"bucket": "photos"}"#, [], bucket: "photos") == nil)
        #expect(try Self.failure(#"{"bucket": "photos"}"#, [], bucket: "other")?.message == Self.conditionFailed(#"["eq", "$bucket", "photos"]"#))
        // A `bucket` field (aws-sdk-js-v3 sends one) is named by it.
        #expect(try Self.failure(#"["eq", "$bucket", "photos"]"#, [("bucket", "photos")], bucket: "photos") == nil)
    }

    @Test func prefixes() throws {
        #expect(try Self.failure(#"["starts-with", "$key", "user/eric/"]"#, [("key", "user/eric/a.jpg")]) == nil)
        #expect(try Self.failure(#"["StArTs-WiTh", "$KeY", "user/"]"#, [("kEy", "user/a")]) == nil)
        #expect(try Self.failure(#"["starts-with", "$key", "user/eric/"]"#, [("key", "user/mallory/a.jpg")])?.message
                == Self.conditionFailed(#"["starts-with", "$key", "user/eric/"]"#))
        #expect(try Self.failure(#"["starts-with", "$key", "User/"]"#, [("key", "user/a")]) != nil)
        #expect(try Self.failure(#"["starts-with", "$success_action_redirect", ""]"#, [("success_action_redirect", "http://x/")]) == nil)
        // Content-Type with commas is a list whose every item must match; other fields are text.
        #expect(try Self.failure(#"["starts-with", "$Content-Type", "image/"]"#, [("Content-Type", "image/jpg,image/png,image/gif")]) == nil)
        #expect(try Self.failure(#"["starts-with", "$Content-Type", "image/"]"#, [("Content-Type", "image/jpg,text/plain")]) != nil)
        #expect(try Self.failure(#"["starts-with", "$x-amz-meta-tag", "a"]"#, [("x-amz-meta-tag", "a,b")]) == nil)
        // Repeated fields are read joined with commas.
        #expect(try Self.failure(#"{"x-amz-meta-tag": "Ninja,Stallman"}"#, [("x-amz-meta-tag", "Ninja"), ("x-amz-meta-tag", "Stallman")]) == nil)
    }

    @Test func contentLengthRange() throws {
        let range = #"["content-length-range", 5, 10]"#
        #expect(try Self.failure(range, [], size: 5) == nil)
        #expect(try Self.failure(range, [], size: 10) == nil)
        let large = try #require(try Self.failure(range, [], size: 12))
        #expect(large.code == "EntityTooLarge" && large.status == .badRequest)
        #expect(large.message == "Your proposed upload exceeds the maximum allowed size")
        #expect(large.details.map { "\($0.0)=\($0.1)" } == ["ProposedSize=12", "MaxSizeAllowed=10"])
        let small = try #require(try Self.failure(range, [], size: 1))
        #expect(small.code == "EntityTooSmall" && small.message == "Your proposed upload is smaller than the minimum allowed size")
        #expect(small.details.map { "\($0.0)=\($0.1)" } == ["ProposedSize=1", "MinSizeAllowed=5"])
        #expect(try Self.failure(#"["content-length-range", "5", "10"]"#, [], size: 7) == nil)
        #expect(try Self.failure(#"["content-length-range", "test", "10"]"#, [], size: 7)?.message
                == Self.conditionFailed(#"["content-length-range", "test", "10"]"#))
    }

    @Test func everyFieldMustBeNamedByACondition() throws {
        let covered = #"{"key": "k"}, ["starts-with", "$x-amz-meta-note", ""]"#
        #expect(try Self.failure(covered, [("key", "k"), ("x-amz-meta-note", "hi"), ("Policy", "…"), ("X-Amz-Signature", "…"),
                                           ("x-ignore-submit", "Upload")]) == nil)
        let extra = try #require(try Self.failure(covered, [("key", "k"), ("x-amz-meta-note", "hi"), ("acl", "private")]))
        #expect((extra.code, extra.status, extra.message) == ("AccessDenied", .forbidden, "Invalid according to Policy: Extra input fields: acl"))
        // Named as sent, each once, in the form's order.
        #expect(try Self.failure(#"{"key": "k"}"#, [("key", "k"), ("StorageClass", "x"), ("Filename", "a"), ("storageclass", "y")])?.message
                == "Invalid according to Policy: Extra input fields: StorageClass, Filename")
        // Signature Version 2's own fields.
        #expect(try Self.failure(#"{"key": "k"}"#, [("key", "k"), ("AWSAccessKeyId", "A"), ("signature", "s")],
                                 signatureFields: ["policy", "signature", "awsaccesskeyid"]) == nil)
        #expect(try Self.failure(#"{"key": "k"}"#, [("key", "k"), ("AWSAccessKeyId", "A")])?.message
                == "Invalid according to Policy: Extra input fields: AWSAccessKeyId")
        // A failed condition is reported before an extra field.
        #expect(try Self.failure(#"{"key": "k"}"#, [("key", "j"), ("acl", "private")])?.message == Self.conditionFailed(#"["eq", "$key", "k"]"#))
    }
}
