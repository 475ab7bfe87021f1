import LambentModel
import Testing

@Suite("ResourceNames")
struct ResourceNamesTests {
    let names = ResourceNames(region: "us-east-1", accountID: "000000000000")

    @Test("builds ARNs, log groups and runtime version ARNs")
    func builds() {
        #expect(names.functionARN("fn") == "arn:aws:lambda:us-east-1:000000000000:function:fn")
        #expect(names.functionARN("fn", qualifier: nil) == "arn:aws:lambda:us-east-1:000000000000:function:fn")
        #expect(names.functionARN("fn", qualifier: "$LATEST") == "arn:aws:lambda:us-east-1:000000000000:function:fn:$LATEST")
        #expect(names.logGroup("fn") == "/aws/lambda/fn")
        #expect(names.runtimeVersionARN("python3.12") == "arn:aws:lambda:us-east-1::runtime:lambent-python3.12")
    }
}
