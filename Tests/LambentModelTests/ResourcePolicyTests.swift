import Testing

@testable import LambentModel

@Suite struct ResourcePolicyTests {
    static let function = "arn:aws:lambda:us-east-1:000000000000:function:f"

    @Test("statements render in AWS's key order, StringEquals before ArnLike")
    func rendering() {
        let statement = PolicyStatement(
            sid: "url", principal: .anyone, action: "lambda:InvokeFunctionUrl", resource: Self.function,
            stringEquals: [PolicyCondition(key: "AWS:SourceAccount", value: "000000000000"),
                           PolicyCondition(key: "lambda:FunctionUrlAuthType", value: "NONE")],
            sourceArnLike: "arn:aws:s3:::bucket/*")
        #expect(statement.json == #"{"Sid":"url","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunctionUrl","Resource":"arn:aws:lambda:us-east-1:000000000000:function:f","Condition":{"StringEquals":{"AWS:SourceAccount":"000000000000","lambda:FunctionUrlAuthType":"NONE"},"ArnLike":{"AWS:SourceArn":"arn:aws:s3:::bucket/*"}}}"#)
        let policy = ResourcePolicy(revisionId: "r", statements: [statement])
        #expect(policy.document.hasPrefix(#"{"Version":"2012-10-17","Id":"default","Statement":[{"Sid":"url""#))
    }

    @Test("a service principal with a source ARN pattern")
    func serviceAndSource() {
        let policy = ResourcePolicy(revisionId: "r", statements: [
            PolicyStatement(sid: "s3", principal: .service("s3.amazonaws.com"), action: "lambda:InvokeFunction",
                            resource: Self.function, sourceArnLike: "arn:aws:s3:::photos-*"),
        ])
        let allowed = PolicyRequest(caller: .service("s3.amazonaws.com"), action: "lambda:InvokeFunction", sourceArn: "arn:aws:s3:::photos-2026")
        #expect(policy.allows(allowed))
        var otherBucket = allowed
        otherBucket.sourceArn = "arn:aws:s3:::private"
        #expect(!policy.allows(otherBucket))
        var noSource = allowed
        noSource.sourceArn = nil
        #expect(!policy.allows(noSource))
        var otherService = allowed
        otherService.caller = .service("sqs.amazonaws.com")
        #expect(!policy.allows(otherService))
        var otherAction = allowed
        otherAction.action = "lambda:GetFunction"
        #expect(!policy.allows(otherAction))
    }

    @Test("an account root allows that account's principals; conditions must all hold")
    func accountsAndConditions() {
        let policy = ResourcePolicy(revisionId: "r", statements: [
            PolicyStatement(sid: "a", principal: .aws(arn: "arn:aws:iam::111111111111:root"), action: "lambda:*", resource: Self.function),
            PolicyStatement(sid: "url", principal: .anyone, action: "lambda:InvokeFunctionUrl", resource: Self.function,
                            stringEquals: [PolicyCondition(key: "lambda:FunctionUrlAuthType", value: "NONE")]),
        ])
        #expect(policy.allows(PolicyRequest(caller: .iam(arn: "arn:aws:iam::111111111111:user/alice"), action: "lambda:InvokeFunction")))
        #expect(!policy.allows(PolicyRequest(caller: .iam(arn: "arn:aws:iam::222222222222:user/bob"), action: "lambda:InvokeFunction")))
        #expect(policy.allows(PolicyRequest(caller: .anonymous, action: "lambda:InvokeFunctionUrl", functionUrlAuthType: "NONE")))
        #expect(!policy.allows(PolicyRequest(caller: .anonymous, action: "lambda:InvokeFunctionUrl", functionUrlAuthType: "AWS_IAM")))
        #expect(!ResourcePolicy(revisionId: "r", statements: []).allows(PolicyRequest(caller: .anonymous, action: "lambda:InvokeFunction")))
    }

    @Test("IAM wildcards", arguments: [
        ("arn:aws:s3:::a*", "arn:aws:s3:::abc", true), ("arn:aws:s3:::a?c", "arn:aws:s3:::abc", true),
        ("arn:aws:s3:::a?c", "arn:aws:s3:::abbc", false), ("*", "anything", true), ("a*b*c", "aXbYc", true), ("a*b", "ab c", false),
    ])
    func wildcards(pattern: String, text: String, matches: Bool) {
        #expect(PolicyStatement.wildcardMatches(pattern, text) == matches)
    }
}
