import Foundation
import Testing

@testable import LambentServer

@Suite("Functions' credentials")
struct PlatformScopeTests {
    @Test("the data plane is allowed, the control plane is not")
    func scope() {
        #expect(PlatformScope.allowedAction(service: "lambda", method: "POST", path: "/2015-03-31/functions/f/invocations", target: nil)
            == "lambda:InvokeFunction")
        #expect(PlatformScope.allowedAction(service: "lambda", method: "POST", path: "/2021-11-15/functions/f/response-streaming-invocations",
                                            target: nil) == "lambda:InvokeFunction")
        #expect(PlatformScope.allowedAction(service: "lambda", method: "POST", path: "/2014-11-13/functions/f/invoke-async/", target: nil)
            == "lambda:InvokeFunction")
        #expect(PlatformScope.allowedAction(service: "lambda", method: "GET", path: "/2015-03-31/functions/f", target: nil) == nil)
        #expect(PlatformScope.allowedAction(service: "lambda", method: "POST", path: "/2015-03-31/functions", target: nil) == nil)
        #expect(PlatformScope.allowedAction(service: "sqs", method: "POST", path: "/", target: "AmazonSQS.SendMessage") == "sqs:SendMessage")
        #expect(PlatformScope.allowedAction(service: "sqs", method: "POST", path: "/", target: "AmazonSQS.CreateQueue") == nil)
        #expect(PlatformScope.allowedAction(service: "logs", method: "POST", path: "/", target: "Logs_20140328.PutLogEvents") == "logs:PutLogEvents")
        #expect(PlatformScope.allowedAction(service: "logs", method: "POST", path: "/", target: "Logs_20140328.DeleteLogGroup") == nil)
        #expect(PlatformScope.allowedAction(service: "scheduler", method: "POST", path: "/schedules/x", target: nil) == nil)
    }

    @Test("sessions are minted apart, found by key, and expire")
    func sessions() {
        let credentials = PlatformCredentials(lifetime: 60)
        let now = Date()
        let first = credentials.mint(function: "f", role: "arn:aws:iam::000000000000:role/r", now: now)
        let second = credentials.mint(function: "f", role: "arn:aws:iam::000000000000:role/r", now: now)
        #expect(first.key.accessKeyID != second.key.accessKeyID && first.token != second.token)
        #expect(first.key.accessKeyID.hasPrefix("ASIA") && first.key.accessKeyID.count == 20)
        #expect(credentials.session(first.key.accessKeyID)?.function == "f")
        #expect(credentials.session("AKIAUNKNOWN") == nil)
        #expect(first.expires == now.addingTimeInterval(60))
    }
}
