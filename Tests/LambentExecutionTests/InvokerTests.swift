import Foundation
import LambentControl
import LambentModel
import LambentStore
import Logging
import NIOCore
import Synchronization
import Testing

@testable import LambentExecution

/// The invoker on a fake sandbox driver: scripted agents on socketpairs, no processes.
@Suite("Invoker")
struct InvokerTests {
    /// A language runtime that needs nothing: the fake driver never runs its command.
    struct FakeRuntime: LanguageRuntime {
        var identifiers: [String] { ["python3.12", "provided.al2023"] }
        var isAvailable: Bool { true }
        func provision(_ request: RuntimeRequest) async throws(SandboxError) -> RuntimeLaunch {
            RuntimeLaunch(command: ["/var/task/bootstrap"], variables: ["FAKE_RUNTIME": request.runtimeID],
                          missingEntrypointMessage: "Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]")
        }
    }

    /// A settable offset, shared with the clock closure.
    final class Skew: Sendable {
        private let state = Mutex(Duration.zero)
        var value: Duration {
            get { state.withLock { $0 } }
            set { state.withLock { $0 = newValue } }
        }
    }

    final class Fixture: Sendable {
        let driver: FakeSandboxDriver
        let invoker: Invoker
        let directory: URL

        /// How far the fixture's lifecycle clock is ahead of the real one.
        let skew = Skew()

        init(script: AgentScript = AgentScript(), initLimit: Duration = .seconds(2), maxLifetime: Duration = .seconds(7200)) throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("invoker-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            driver = FakeSandboxDriver(script: script)
            let store = try SQLiteStore(path: directory.appendingPathComponent("store.sqlite").path)
            let logger = Logger(label: "invoker-tests")
            let skew = self.skew
            invoker = Invoker(
                configuration: .init(agentPath: "/bin/false", stateDirectory: directory.appendingPathComponent("environments"),
                                     region: "us-east-1", initLimit: initLimit, maxLifetime: maxLifetime,
                                     clock: LifecycleClock { ContinuousClock.now + skew.value }),
                driver: driver, runtimes: LanguageRuntimeRegistry([FakeRuntime()]),
                logSink: LogSink(store: store, logger: logger), logger: logger)
        }

        func request(_ payload: String = #"{"n":1}"#, revision: String = "r1", timeout: Int = 3,
                     reserved: Int? = nil, tail: Bool = false) -> InvokeRequest {
            let configuration = FunctionConfiguration(
                functionName: "f", functionArn: "arn:aws:lambda:us-east-1:000000000000:function:f", runtime: "python3.12",
                role: "arn:aws:iam::000000000000:role/r", handler: "app.handler", codeSize: 1, description: "",
                timeout: timeout, memorySize: 128, lastModified: "", codeSha256: "", environment: ["MINE": "1"],
                revisionId: revision, state: .active, ephemeralStorage: 512, runtimeVersionArn: "", logGroup: "/aws/lambda/f")
            return InvokeRequest(
                function: FunctionRecord(configuration: configuration, tags: [:], codeKey: "k", reservedConcurrency: reserved),
                codeDirectory: directory.path, payload: ByteBuffer(string: payload), clientContext: nil,
                wantsLogTail: tail, invokedFunctionARN: configuration.functionArn)
        }

        func invoke(_ request: InvokeRequest) async throws -> InvokeResult {
            try await invoker.invoke(request)
        }

        func finish() async {
            await invoker.shutdown()
            try? FileManager.default.removeItem(at: directory)
        }
    }

    static func json(_ buffer: ByteBuffer) -> [String: String] {
        (try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView))) as? [String: String] ?? [:]
    }

    @Test("a cold start, then the warm environment serves the next invocation")
    func warmReuse() async throws {
        let fixture = try Fixture()
        let first = try await fixture.invoke(fixture.request(#"{"n":1}"#, tail: true))
        #expect(String(buffer: first.payload) == #"{"n":1}"#)
        #expect(first.functionError == nil)
        #expect(first.executedVersion == "$LATEST")
        #expect(first.logTail?.first == "START RequestId: \(first.requestID) Version: $LATEST")
        #expect(first.logTail?.last?.contains("Init Duration: 1.00 ms") == true)
        let second = try await fixture.invoke(fixture.request(#"{"n":2}"#, tail: true))
        #expect(String(buffer: second.payload) == #"{"n":2}"#)
        #expect(second.logTail?.last?.contains("Init Duration") == false)
        #expect(fixture.driver.sandboxes.count == 1)
        #expect(fixture.driver.sandboxes[0].initFinishedCount == 1, "the CPU limit is applied once init is over")
        await fixture.finish()
    }

    @Test("the sandbox gets the runtime's command and Lambda's variables over the function's")
    func spec() async throws {
        let fixture = try Fixture()
        _ = try await fixture.invoke(fixture.request())
        let spec = try #require(fixture.driver.sandboxes.first?.spec)
        #expect(spec.runtimeCommand == ["/var/task/bootstrap"])
        #expect(spec.codeDirectory == fixture.directory.path)
        #expect(spec.environment["MINE"] == "1")
        #expect(spec.environment["FAKE_RUNTIME"] == "python3.12")
        #expect(spec.environment["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST")
        #expect(spec.environment["AWS_LAMBDA_RUNTIME_API"] == "127.0.0.1:9001")
        #expect(spec.environment["AWS_LAMBDA_LOG_STREAM_NAME"]?.contains("/[$LATEST]") == true)
        #expect(spec.memoryMB == 128)
        await fixture.finish()
    }

    @Test("an invocation the runtime never took reruns in a fresh environment")
    func undeliveredInvocationReruns() async throws {
        // The first environment's runtime answers once, never asks for more, and dies when
        // handed the second invocation: that invocation never started.
        let script = AgentScript(onInvoke: { invocation, environment, index in
            if environment == 0 {
                return index == 0 ? [.response(requestID: invocation.requestID, body: invocation.payload, maxMemoryKB: 1)]
                                  : [.exited(reason: "exit status 1")]
            }
            return AgentScript.echo(invocation)
        })
        let fixture = try Fixture(script: script)
        _ = try await fixture.invoke(fixture.request(#"{"n":1}"#))
        let second = try await fixture.invoke(fixture.request(#"{"n":2}"#))
        #expect(second.functionError == nil)
        #expect(String(buffer: second.payload) == #"{"n":2}"#)
        #expect(fixture.driver.sandboxes.count == 2)
        #expect(fixture.driver.sandboxes[0].isDestroyed)
        await fixture.finish()
    }

    @Test("a runtime that exits during an invocation it took fails it with Runtime.ExitError")
    func exitDuringInvocation() async throws {
        let script = AgentScript(onInvoke: { _, _, _ in [.exited(reason: "exit status 3")] })
        let fixture = try Fixture(script: script)
        let result = try await fixture.invoke(fixture.request())
        #expect(result.functionError == "Unhandled")
        let error = Self.json(result.payload)
        #expect(error["errorType"] == "Runtime.ExitError")
        #expect(error["errorMessage"] == "RequestId: \(result.requestID) Error: Runtime exited with error: exit status 3")
        await fixture.finish()
    }

    @Test("a timeout fails the invocation with Sandbox.Timedout and destroys the environment")
    func timeout() async throws {
        let script = AgentScript(onInvoke: { invocation, environment, _ in environment == 0 ? [] : AgentScript.echo(invocation) })
        let fixture = try Fixture(script: script)
        let result = try await fixture.invoke(fixture.request(timeout: 1, tail: true))
        #expect(result.functionError == "Unhandled")
        let error = Self.json(result.payload)
        #expect(error["errorType"] == "Sandbox.Timedout")
        #expect(error["errorMessage"] == "RequestId: \(result.requestID) Error: Task timed out after 1.00 seconds")
        #expect(result.logTail?.contains { $0.hasSuffix("\(result.requestID) Task timed out after 1.00 seconds") } == true)
        #expect(fixture.driver.sandboxes[0].isDestroyed)
        let next = try await fixture.invoke(fixture.request(timeout: 1))
        #expect(next.functionError == nil)
        #expect(fixture.driver.sandboxes.count == 2)
        await fixture.finish()
    }

    @Test("an init error is the caller's result, and the environment goes")
    func initError() async throws {
        let body = #"{"errorMessage":"Unable to import module 'app'","errorType":"Runtime.ImportModuleError"}"#
        let script = AgentScript(onStart: { _ in [.initError(errorType: "Runtime.ImportModuleError", body: ByteBuffer(string: body))] })
        let fixture = try Fixture(script: script)
        let result = try await fixture.invoke(fixture.request())
        #expect(result.functionError == "Unhandled")
        #expect(String(buffer: result.payload) == body)
        #expect(fixture.driver.sandboxes[0].isDestroyed)
        await fixture.finish()
    }

    @Test("a command that cannot start is Runtime.InvalidEntrypoint, in the runtime's words")
    func invalidEntrypoint() async throws {
        let script = AgentScript(onStart: { environment in
            [.exited(reason: environment == 0 ? "fork/exec /var/task/bootstrap: no such file or directory"
                                              : "fork/exec /var/task/bootstrap: permission denied")]
        })
        let fixture = try Fixture(script: script)
        let missing = try await fixture.invoke(fixture.request())
        #expect(Self.json(missing.payload) == [
            "errorType": "Runtime.InvalidEntrypoint",
            "errorMessage": "RequestId: \(missing.requestID) Error: Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]",
        ])
        let denied = try await fixture.invoke(fixture.request())
        #expect(Self.json(denied.payload)["errorMessage"] == "RequestId: \(denied.requestID) Error: fork/exec /var/task/bootstrap: permission denied")
        await fixture.finish()
    }

    @Test("init that outlives the init limit is Sandbox.Timedout")
    func initTimeout() async throws {
        let fixture = try Fixture(script: AgentScript(onStart: { _ in [] }), initLimit: .seconds(1))
        let result = try await fixture.invoke(fixture.request())
        let error = Self.json(result.payload)
        #expect(error["errorType"] == "Sandbox.Timedout")
        #expect(error["errorMessage"] == "RequestId: \(result.requestID) Error: Task timed out after 1.00 seconds")
        #expect(fixture.driver.sandboxes[0].isDestroyed)
        await fixture.finish()
    }

    @Test("a change of revision retires the old environments; the new revision starts its own")
    func revisionChange() async throws {
        let fixture = try Fixture()
        _ = try await fixture.invoke(fixture.request(revision: "r1"))
        fixture.invoker.functionChanged(FunctionVersionID(functionName: "f"), revisionID: "r2")
        #expect(fixture.driver.sandboxes[0].isDestroyed)
        _ = try await fixture.invoke(fixture.request(revision: "r2"))
        _ = try await fixture.invoke(fixture.request(revision: "r2"))
        #expect(fixture.driver.sandboxes.count == 2)
        #expect(!fixture.driver.sandboxes[1].isDestroyed)
        await fixture.finish()
    }

    /// Waits (up to 5 s) until `condition` holds.
    static func eventually(_ condition: () -> Bool) async throws {
        for _ in 0..<500 where !condition() { try await Task.sleep(for: .milliseconds(10)) }
    }

    @Test("provisioned environments start ahead of demand, serve without Init Duration, are kept when idle and replaced when they die")
    func provisioned() async throws {
        let fixture = try Fixture()
        let request = fixture.request(tail: true)
        fixture.invoker.provision(ProvisionedConcurrencyTarget(
            id: "f:live", function: request.function, codeDirectory: request.codeDirectory, layersDirectory: "/layers", count: 2))
        try await Self.eventually { fixture.invoker.provisionedStatus("f:live")?.ready == 2 }
        #expect(fixture.invoker.provisionedStatus("f:live") == ProvisionedConcurrencyStatus(requested: 2, ready: 2, failure: nil))
        #expect(fixture.driver.sandboxes.count == 2)
        let spec = fixture.driver.sandboxes[0].spec
        #expect(spec.environment["AWS_LAMBDA_INITIALIZATION_TYPE"] == "provisioned-concurrency")
        #expect(spec.mounts.contains(SandboxMount(host: "/layers", sandbox: "/opt")))

        let result = try await fixture.invoke(request)
        #expect(result.logTail?.last?.contains("Init Duration") == false, "the init happened before")
        #expect(fixture.driver.sandboxes.count == 2, "no on-demand start")
        #expect(fixture.invoker.reapIdle(now: .now + .seconds(100_000)) == 0, "never reclaimed as idle")

        // One dies: a replacement starts.
        fixture.driver.sandboxes[0].destroy()
        try await Self.eventually { fixture.driver.sandboxes.count == 3 && fixture.invoker.provisionedStatus("f:live")?.ready == 2 }
        #expect(fixture.invoker.provisionedStatus("f:live")?.ready == 2)

        fixture.invoker.deprovision("f:live")
        #expect(fixture.invoker.provisionedStatus("f:live") == nil)
        try await Self.eventually { fixture.driver.sandboxes.allSatisfy { $0.isDestroyed } }
        #expect(fixture.driver.sandboxes.allSatisfy { $0.isDestroyed })
        await fixture.finish()
    }

    @Test("a function whose reservation is 0 is throttled")
    func reservedZero() async throws {
        let fixture = try Fixture()
        await #expect(throws: LambdaError.throttled(reason: "ReservedFunctionConcurrentInvocationLimitExceeded")) {
            _ = try await fixture.invoke(fixture.request(reserved: 0))
        }
        #expect(fixture.driver.sandboxes.isEmpty)
        await fixture.finish()
    }

    @Test("idle reaping retires environments unused for the idle timeout")
    func idleReaping() async throws {
        let fixture = try Fixture()
        _ = try await fixture.invoke(fixture.request())
        #expect(fixture.invoker.reapIdle(now: .now) == 0)
        #expect(fixture.invoker.reapIdle(now: .now + .seconds(601)) == 1)
        #expect(fixture.driver.sandboxes[0].isDestroyed)
        await fixture.finish()
    }

    @Test("an environment past its maximum lifetime is retired after its invocation, not during it")
    func maxLifetime() async throws {
        let fixture = try Fixture(maxLifetime: .seconds(60))
        _ = try await fixture.invoke(fixture.request())
        #expect(!fixture.driver.sandboxes[0].isDestroyed)
        fixture.skew.value = .seconds(61)
        let late = try await fixture.invoke(fixture.request())
        #expect(late.functionError == nil, "the invocation runs in the old environment")
        #expect(fixture.driver.sandboxes.count == 1)
        #expect(fixture.driver.sandboxes[0].isDestroyed, "and the environment goes after it")
        _ = try await fixture.invoke(fixture.request())
        #expect(fixture.driver.sandboxes.count == 2)
        await fixture.finish()
    }

    @Test("shutdown destroys and tears down every environment")
    func shutdown() async throws {
        let fixture = try Fixture()
        _ = try await fixture.invoke(fixture.request())
        await fixture.invoker.shutdown()
        #expect(fixture.driver.sandboxes.allSatisfy { $0.isDestroyed && $0.isTornDown })
        #expect(fixture.invoker.environmentCount == 0)
        await fixture.finish()
    }
}
