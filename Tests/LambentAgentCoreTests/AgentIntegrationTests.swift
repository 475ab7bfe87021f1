import Foundation
import Glibc
import LambentControl
import NIOCore
import Testing

/// A runtime in python speaking raw HTTP/1.1 to the agent, printing what it got back.
private let rawRuntime = #"""
import os, sys, http.client, json
host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
c = http.client.HTTPConnection(host, int(port))
def call(method, path, body=None, headers={}):
    c.request(method, "/2018-06-01/runtime" + path, body=body, headers=headers)
    r = c.getresponse()
    return r.status, r.read().decode(), r
print("init", flush=True)

s, event, r = call("GET", "/invocation/next")
rid = r.getheader("Lambda-Runtime-Aws-Request-Id")
print("HEADERS " + json.dumps(dict(r.getheaders()), sort_keys=True), flush=True)
print("before-response-1", flush=True)
s, b, _ = call("POST", f"/invocation/{rid}/response", body=event.upper())
print("RESULT response", s, b.strip(), flush=True)
s, b, _ = call("POST", f"/invocation/{rid}/response", body="again")
print("RESULT second", s, b.strip(), flush=True)
s, b, _ = call("POST", "/invocation/not-the-id/response", body="x")
print("RESULT unknown", s, b.strip(), flush=True)
s, b, _ = call("GET", "/nope")
print("RESULT notfound", s, flush=True)
s, b, _ = call("POST", "/invocation/next")
print("RESULT method", s, flush=True)

s, event, r = call("GET", "/invocation/next")
rid = r.getheader("Lambda-Runtime-Aws-Request-Id")
sys.stderr.write("stderr-before-error\n"); sys.stderr.flush()
s, b, _ = call("POST", f"/invocation/{rid}/error", body='{"errorMessage":"boom","errorType":"Oops"}',
               headers={"Lambda-Runtime-Function-Error-Type": "Function.Oops"})
print("RESULT error", s, b.strip(), flush=True)

s, event, r = call("GET", "/invocation/next")
rid = r.getheader("Lambda-Runtime-Aws-Request-Id")
def chunks():
    for i in range(7):
        yield b"x" * (1024 * 1024)
c.request("POST", f"/2018-06-01/runtime/invocation/{rid}/response", body=chunks(), encode_chunked=True)
r = c.getresponse()
print("RESULT oversize", r.status, r.read().decode().strip(), flush=True)

s, event, r = call("GET", "/invocation/next")
rid = r.getheader("Lambda-Runtime-Aws-Request-Id")
s, b, _ = call("POST", f"/invocation/{rid}/response", body=b"y" * 6291556)
print("RESULT limit", s, flush=True)
sys.exit(3)
"""#

/// A runtime that prints its pid, then waits for an invocation forever.
private let parkingRuntime = #"""
import os, http.client
host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
print("PID", os.getpid(), flush=True)
c = http.client.HTTPConnection(host, int(port))
c.request("GET", "/2018-06-01/runtime/invocation/next")
c.getresponse().read()
"""#

private let initErrorRuntime = #"""
import os, http.client
host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
c = http.client.HTTPConnection(host, int(port))
c.request("POST", "/2018-06-01/runtime/init/error",
          body='{"errorMessage":"Unable to import module \'app\'","errorType":"Runtime.ImportModuleError"}',
          headers={"Lambda-Runtime-Function-Error-Type": "Runtime.ImportModuleError"})
r = c.getresponse(); print("RESULT init", r.status, r.read().decode().strip(), flush=True)
c.request("GET", "/2018-06-01/runtime/invocation/next")
r = c.getresponse(); print("RESULT next", r.status, r.read().decode().strip(), flush=True)
raise SystemExit(1)
"""#

private func isGone(_ pid: pid_t) -> Bool {
    for _ in 0..<250 {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
        if let close = stat.lastIndex(of: ")"), stat[stat.index(close, offsetBy: 2)] == "Z" { return true }
        usleep(20_000)
    }
    return false
}

private func runtimePID(_ harness: AgentHarness) throws -> pid_t {
    try harness.waitFor { _ in harness.logText.contains("PID ") && harness.logText.contains("\n") }
    let line = harness.logText.split(separator: "\n").first { $0.hasPrefix("PID ") }!
    return pid_t(line.dropFirst(4))!
}

@Suite("lambent-agent with real runtimes", .serialized)
struct AgentIntegrationTests {
    @Test("the runtime inherits its three standard descriptors and nothing else of the agent's")
    func runtimeInheritsNoDescriptors() throws {
        let script = "import os; print('FDS', ' '.join(sorted(os.listdir('/proc/self/fd'), key=int)), flush=True)"
        let agent = try AgentHarness(runtime: ["python3", "-c", script])
        try agent.waitFor { _ in agent.logText.contains("FDS ") && agent.logText.contains("\n") }
        let line = agent.logText.split(separator: "\n").first { $0.hasPrefix("FDS ") } ?? ""
        // 0, 1, 2, and the descriptor listdir itself holds open while it reads.
        let descriptors = line.dropFirst(4).split(separator: " ").compactMap { Int($0) }
        #expect(descriptors.allSatisfy { $0 <= 3 }, "the runtime inherited \(line)")
    }

    @Test("a raw-HTTP runtime: next, response, error, unknown id, oversize, logs, exit status")
    func rawRuntimeScenario() throws {
        let directory = try writeScript("runtime.py", rawRuntime)
        let agent = try AgentHarness(runtime: ["python3", "\(directory)/runtime.py"])

        guard case .ready(let initMicros) = try agent.nextEvent() else { Issue.record("no ready: \(agent.received)"); return }
        #expect(initMicros > 0 && initMicros < 20_000_000)
        #expect(agent.logText.contains("init\n"))

        try agent.send(.invoke(makeInvocation("req-1", payload: "{\"hello\":\"world\"}", clientContext: "{\"c\":1}")))
        guard case .response(let id, let body, let memory) = try agent.nextEvent() else { Issue.record("\(agent.received)"); return }
        #expect(id == "req-1")
        #expect(String(buffer: body) == "{\"HELLO\":\"WORLD\"}")
        #expect(memory > 1000)
        // The line printed just before the POST arrived before the response frame.
        #expect(agent.logText.contains("before-response-1\n"))
        let headers = agent.logText.split(separator: "\n").first { $0.hasPrefix("HEADERS ") } ?? ""
        #expect(headers.contains("\"Lambda-Runtime-Aws-Request-Id\": \"req-1\""))
        #expect(headers.contains("\"Lambda-Runtime-Deadline-Ms\": \"1900000000000\""))
        #expect(headers.contains("\"Lambda-Runtime-Invoked-Function-Arn\": \"arn:aws:lambda:us-east-1:000000000000:function:test\""))
        #expect(headers.contains("\"Lambda-Runtime-Trace-Id\": \"Root=1-00000000-000000000000000000000000;Sampled=0\""))
        #expect(headers.contains("\"Lambda-Runtime-Client-Context\": \"{\\\"c\\\":1}\""))
        #expect(!headers.contains("Cognito"))
        #expect(headers.contains("\"Content-Type\": \"application/json\""))

        // Every /next after the first tells the server the runtime is ready again.
        try agent.waitFor { $0 == .nextRequested }

        try agent.send(.invoke(makeInvocation("req-2", payload: "{}")))
        guard case .invokeError(let id2, let type2, let body2, _) = try agent.nextEvent() else { Issue.record("\(agent.received)"); return }
        #expect(id2 == "req-2")
        #expect(type2 == "Function.Oops")
        #expect(String(buffer: body2) == "{\"errorMessage\":\"boom\",\"errorType\":\"Oops\"}")
        #expect(agent.logText.contains("stderr-before-error\n"))

        try agent.send(.invoke(makeInvocation("req-3", payload: "{}")))
        guard case .invokeError(let id3, let type3, let body3, _) = try agent.nextEvent() else { Issue.record("\(agent.received)"); return }
        #expect(id3 == "req-3")
        #expect(type3 == "Function.ResponseSizeTooLarge")
        #expect(String(buffer: body3) == "{\"errorMessage\":\"Response payload size exceeded maximum allowed payload size (6291556 bytes).\",\"errorType\":\"Function.ResponseSizeTooLarge\"}")

        try agent.send(.invoke(makeInvocation("req-4", payload: "{}")))
        guard case .response(let id4, let body4, _) = try agent.nextEvent() else { Issue.record("\(agent.received)"); return }
        #expect(id4 == "req-4")
        #expect(body4.readableBytes == 6_291_556)

        #expect(try agent.nextEvent() == .exited(reason: "exit status 3"))
        #expect(try agent.next() == nil)
        #expect(try agent.waitExit() == 0)

        let log = agent.logText
        #expect(log.contains("RESULT response 202 {\"status\":\"OK\"}\n"))
        #expect(log.contains("RESULT second 403 {\"errorMessage\":\"State transition from RuntimeResponseSentState to InvocationResponse failed for runtime. Error: State transition is not allowed\",\"errorType\":\"InvalidStateTransition\"}\n"))
        #expect(log.contains("RESULT unknown 400 {\"errorMessage\":\"Invalid request ID\",\"errorType\":\"InvalidRequestID\"}\n"))
        #expect(log.contains("RESULT notfound 404\n"))
        #expect(log.contains("RESULT method 405\n"))
        #expect(log.contains("RESULT error 202 {\"status\":\"OK\"}\n"))
        #expect(log.contains("RESULT oversize 413 {\"errorMessage\":\"Exceeded maximum allowed payload size (6291556 bytes).\",\"errorType\":\"RequestEntityTooLarge\"}\n"))
        #expect(log.contains("RESULT limit 202\n"))
    }

    @Test("an invocation sent before the runtime asks is queued")
    func queuedInvocation() throws {
        let directory = try writeScript("runtime.py", #"""
        import os, time, http.client
        time.sleep(0.3)
        host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
        c = http.client.HTTPConnection(host, int(port))
        c.request("GET", "/2018-06-01/runtime/invocation/next")
        r = c.getresponse(); event = r.read()
        c.request("POST", "/2018-06-01/runtime/invocation/%s/response" % r.getheader("Lambda-Runtime-Aws-Request-Id"), body=event)
        c.getresponse().read()
        """#)
        let agent = try AgentHarness(runtime: ["python3", "\(directory)/runtime.py"])
        try agent.send(.invoke(makeInvocation("early", payload: "[1,2,3]")))
        guard case .ready = try agent.nextEvent() else { Issue.record("\(agent.received)"); return }
        guard case .response(let id, let body, _) = try agent.nextEvent() else { Issue.record("\(agent.received)"); return }
        #expect(id == "early")
        #expect(String(buffer: body) == "[1,2,3]")
        #expect(try agent.nextEvent() == .exited(reason: "exit status 0"))
    }

    @Test("init/error is reported; /next afterwards is a 403")
    func initError() throws {
        let directory = try writeScript("runtime.py", initErrorRuntime)
        let agent = try AgentHarness(runtime: ["python3", "\(directory)/runtime.py"])
        guard case .initError(let type, let body) = try agent.nextEvent() else { Issue.record("\(agent.received)"); return }
        #expect(type == "Runtime.ImportModuleError")
        #expect(String(buffer: body).contains("Unable to import module"))
        #expect(try agent.nextEvent() == .exited(reason: "exit status 1"))
        #expect(agent.logText.contains("RESULT init 202 {\"status\":\"OK\"}\n"))
        #expect(agent.logText.contains("RESULT next 403 {\"errorMessage\":\"State transition from InitError to Ready failed for runtime. Error: State transition is not allowed\",\"errorType\":\"InvalidStateTransition\"}\n"))
    }

    @Test("a runtime killed by SIGKILL is reported as 'signal: killed'")
    func killed() throws {
        let directory = try writeScript("runtime.py", parkingRuntime)
        let agent = try AgentHarness(runtime: ["python3", "\(directory)/runtime.py"])
        let pid = try runtimePID(agent)
        try agent.waitFor { if case .ready = $0 { true } else { false } }
        kill(pid, SIGKILL)
        #expect(try agent.nextEvent() == .exited(reason: "signal: killed"))
        #expect(try agent.waitExit() == 0)
    }

    @Test("a shutdown frame kills the runtime's process group and the agent exits 0")
    func shutdown() throws {
        let directory = try writeScript("runtime.py", parkingRuntime)
        let agent = try AgentHarness(runtime: ["python3", "\(directory)/runtime.py"])
        let pid = try runtimePID(agent)
        try agent.waitFor { if case .ready = $0 { true } else { false } }
        try agent.send(.shutdown)
        // No `exited`: the server asked for the end.
        #expect(try agent.nextEvent() == nil)
        #expect(try agent.waitExit() == 0)
        #expect(isGone(pid))
    }

    @Test("EOF on the control channel kills the runtime and the agent exits 0")
    func controlEOF() throws {
        let directory = try writeScript("runtime.py", parkingRuntime)
        let agent = try AgentHarness(runtime: ["python3", "\(directory)/runtime.py"])
        let pid = try runtimePID(agent)
        agent.closeControl()
        #expect(try agent.waitExit() == 0)
        #expect(isGone(pid))
    }

    @Test("curl's Expect: 100-continue gets an interim 100 before the body is sent")
    func expectContinue() throws {
        let directory = try writeScript("bootstrap", #"""
        #!/bin/sh
        H=$(mktemp); B=$(mktemp)
        curl -s -D $H -o /dev/null "http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/invocation/next"
        ID=$(grep -i lambda-runtime-aws-request-id $H | tr -d '\r' | awk '{print $2}')
        head -c 100000 /dev/zero | tr '\0' 'z' > $B
        curl -sv -H "Expect: 100-continue" --data-binary @$B "http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/invocation/$ID/response" 2>&1 | grep "< HTTP/1.1"
        """#)
        chmod("\(directory)/bootstrap", 0o755)
        let agent = try AgentHarness(runtime: ["\(directory)/bootstrap"])
        guard case .ready = try agent.nextEvent() else { Issue.record("\(agent.received)"); return }
        try agent.send(.invoke(makeInvocation("curl-1", payload: "{}")))
        guard case .response(let id, let body, _) = try agent.nextEvent() else { Issue.record("\(agent.received)"); return }
        #expect(id == "curl-1")
        #expect(body.readableBytes == 100_000)
        #expect(try agent.nextEvent() == .exited(reason: "exit status 0"))
        #expect(agent.logText.contains("< HTTP/1.1 100 Continue"))
        #expect(agent.logText.contains("< HTTP/1.1 202 Accepted"))
    }

    @Test("a runtime that cannot be started is reported as Go words it")
    func missingRuntime() throws {
        let agent = try AgentHarness(runtime: ["/nonexistent/bootstrap"])
        #expect(try agent.nextEvent() == .exited(reason: "fork/exec /nonexistent/bootstrap: no such file or directory"))
    }

    @Test("the real awslambdaric runs one invocation", .enabled(if: RuntimeInterfaceClient.path != nil, "awslambdaric could not be installed (pip install --target /tmp/ric awslambdaric failed)"))
    func awslambdaric() throws {
        let directory = try writeScript("app.py", #"""
        def handler(event, context):
            print("handling", context.aws_request_id)
            return event
        """#)
        let agent = try AgentHarness(
            runtime: ["python3", "-m", "awslambdaric", "app.handler"],
            environment: [
                "PYTHONPATH": "\(RuntimeInterfaceClient.path!):\(directory)",
                "LAMBDA_TASK_ROOT": directory,
                "_HANDLER": "app.handler",
            ]
        )
        guard case .ready = try agent.nextEvent(timeout: 60) else { Issue.record("\(agent.received) \(agent.logText)"); return }
        try agent.send(.invoke(makeInvocation("ric-1", payload: "{\"hello\": \"ric\"}")))
        guard case .response(let id, let body, _) = try agent.nextEvent() else { Issue.record("\(agent.received) \(agent.logText)"); return }
        #expect(id == "ric-1")
        #expect(String(buffer: body) == "{\"hello\": \"ric\"}")
        #expect(agent.logText.contains("handling ric-1"))
        try agent.send(.shutdown)
        #expect(try agent.waitExit() == 0)
    }
}

/// Where awslambdaric can be imported from: `/tmp/ric`, installed there with pip if needed.
enum RuntimeInterfaceClient {
    static let path: String? = {
        let target = "/tmp/ric"
        func importable() -> Bool {
            run(["python3", "-c", "import awslambdaric.bootstrap"], environment: ["PYTHONPATH": target])
        }
        if importable() { return target }
        _ = run(["python3", "-m", "pip", "install", "--quiet", "--target", target, "awslambdaric"], environment: [:])
        return importable() ? target : nil
    }()

    private static func run(_ arguments: [String], environment: [String: String]) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus == 0
        } catch {
            return false
        }
    }
}
