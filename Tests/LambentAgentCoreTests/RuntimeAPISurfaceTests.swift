import Glibc
@testable import LambentAgentCore
import NIOHTTP1
import Testing

@Suite("Runtime API routes and strings")
struct RuntimeAPISurfaceTests {
    @Test("routes", arguments: [
        (HTTPMethod.GET, "/2018-06-01/runtime/invocation/next", RuntimeAPIRoute.next),
        (.GET, "/2018-06-01/runtime/invocation/next?x=1", .next),
        (.POST, "/2018-06-01/runtime/invocation/next", .methodNotAllowed),
        (.POST, "/2018-06-01/runtime/invocation/abc-1/response", .response(requestID: "abc-1")),
        (.POST, "/2018-06-01/runtime/invocation/abc-1/error", .error(requestID: "abc-1")),
        (.GET, "/2018-06-01/runtime/invocation/abc-1/response", .methodNotAllowed),
        (.PUT, "/2018-06-01/runtime/invocation/abc-1/error", .methodNotAllowed),
        (.POST, "/2018-06-01/runtime/init/error", .initError),
        (.GET, "/2018-06-01/runtime/init/error", .methodNotAllowed),
        (.GET, "/", .notFound),
        (.GET, "/2018-06-01/runtime/invocation", .notFound),
        (.POST, "/2018-06-01/runtime/invocation/a/b/response", .notFound),
        (.POST, "/2020-01-01/runtime/init/error", .notFound),
        (.GET, "/2018-06-01/runtime/invocation/next/", .notFound),
    ])
    func route(method: HTTPMethod, uri: String, expected: RuntimeAPIRoute) {
        #expect(RuntimeAPIRoute(method: method, uri: uri) == expected)
    }

    @Test("error bodies are RIE's, byte for byte")
    func errorBodies() {
        #expect(RuntimeAPIError.invalidRequestID.body == "{\"errorMessage\":\"Invalid request ID\",\"errorType\":\"InvalidRequestID\"}\n")
        #expect(RuntimeAPIError.requestEntityTooLarge.status == 413)
        #expect(RuntimeAPIError.requestEntityTooLarge.body == "{\"errorMessage\":\"Exceeded maximum allowed payload size (6291556 bytes).\",\"errorType\":\"RequestEntityTooLarge\"}\n")
        #expect(RuntimeAPIError.invalidStateTransition(from: "RuntimeResponseSentState", to: "InvocationResponse").body
            == "{\"errorMessage\":\"State transition from RuntimeResponseSentState to InvocationResponse failed for runtime. Error: State transition is not allowed\",\"errorType\":\"InvalidStateTransition\"}\n")
        #expect(jsonQuoted("a\"b\\c\n<&>\u{1}") == "\"a\\\"b\\\\c\\n\\u003c\\u0026\\u003e\\u0001\"")
    }

    @Test("exit reasons are Go's", arguments: [
        (0, "exit status 0"),
        (3 << 8, "exit status 3"),
        (255 << 8, "exit status 255"),
        (9, "signal: killed"),
        (11, "signal: segmentation fault"),
        (11 | 0x80, "signal: segmentation fault (core dumped)"),
        (6, "signal: aborted"),
        (15, "signal: terminated"),
        (2, "signal: interrupt"),
        (40, "signal: signal 40"),
    ] as [(Int32, String)])
    func exitReason(status: Int32, expected: String) {
        #expect(ExitReason.describe(waitStatus: status) == expected)
    }

    @Test("command line and AWS_LAMBDA_RUNTIME_API")
    func configuration() throws {
        let parsed = try AgentConfiguration(arguments: ["--control-fd", "5", "--", "python3", "-m", "x"], runtimeAPI: "127.0.0.1:9002")
        #expect(parsed == AgentConfiguration(controlFD: 5, runtimeArguments: ["python3", "-m", "x"], host: "127.0.0.1", port: 9002))
        let defaults = try AgentConfiguration(arguments: ["--", "/var/runtime/bootstrap"], runtimeAPI: nil)
        #expect(defaults == AgentConfiguration(controlFD: 3, runtimeArguments: ["/var/runtime/bootstrap"]))
        #expect(throws: AgentError.self) { try AgentConfiguration(arguments: ["--control-fd", "3"], runtimeAPI: nil) }
        #expect(throws: AgentError.self) { try AgentConfiguration(arguments: ["--", "x"], runtimeAPI: "nonsense") }
        #expect(throws: AgentError.self) { try AgentConfiguration(arguments: ["--bogus", "--", "x"], runtimeAPI: nil) }
    }

    @Test("VmHWM is read from /proc/<pid>/status")
    func procStatus() {
        let status = "Name:\tpython3\nVmPeak:\t  30000 kB\nVmHWM:\t   12345 kB\nVmRSS:\t 10000 kB\n"
        #expect(RuntimeProcess.procStatusValue(status, key: "VmHWM") == 12345)
        #expect(RuntimeProcess.procStatusValue(status, key: "VmSwap") == nil)
        #expect(RuntimeProcess.peakMemoryKB(pid: getpid()) > 0)
    }
}
