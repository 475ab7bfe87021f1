import Foundation
import LambentExecution
import LambentModel
import LambentStore
import NIOCore

/// Runs functions for every entry point: the `Invoke` API today; asynchronous events, queue
/// pollers, Function URLs and schedules as they come. It resolves the target to a function
/// version, checks its state and the payload, and hands the invocation to the invoker.
/// Entry points only translate their wire format to an `InvocationRequest` and the reply back.
///
/// ```swift
/// let reply = try await invocations.invoke(InvocationRequest(
///     target: InvocationTarget(function: "hello", qualifier: nil), payload: ByteBuffer(string: "{}")))
/// if case .completed(let result) = reply {
///     let (body, completion) = try await result.collect()
/// }
/// ```
public struct InvocationService: Sendable {
    let functions: FunctionService
    let invoker: Invoker
    let names: ResourceNames
    /// Where `Event` invocations are queued.
    let events: EventQueue?

    init(functions: FunctionService, invoker: Invoker, names: ResourceNames, events: EventQueue? = nil) {
        self.functions = functions
        self.invoker = invoker
        self.names = names
        self.events = events
    }

    public func invoke(_ request: InvocationRequest) async throws(LambdaError) -> InvocationReply {
        let (record, qualifier) = try await resolve(request.target)
        guard request.payload.readableBytes <= Limits.syncPayloadBytes else { throw LambdaError.invokeRequestTooLarge }

        switch request.type {
        case .dryRun:
            return .dryRun(executedVersion: record.configuration.version)
        case .event:
            return try await queue(request, record: record, qualifier: qualifier)
        case .requestResponse:
            break
        }
        switch record.configuration.state {
        case .pending?, .inactive?, .failed?:
            throw LambdaError.functionNotReady(state: record.configuration.state!.rawValue)
        default:
            break
        }
        let payload = try Self.checkedPayload(request.payload)

        let result = try await invoker.invoke(InvokeRequest(
            function: record,
            codeDirectory: functions.codeDirectory(for: record.codeKey).path,
            payload: payload,
            clientContext: request.clientContext,
            wantsLogTail: request.wantsLogTail,
            invokedFunctionARN: names.functionARN(record.name, qualifier: qualifier),
            layersDirectory: record.layersKey.map { functions.codeDirectory(for: $0).path },
            requestID: request.requestID, traceHeader: request.traceHeader, queuedAtMs: request.queuedAtMs))
        let body: InvocationBody = if let stream = result.stream {
            .streamed(stream)
        } else {
            .buffered(result.payload, InvocationCompletion(functionError: result.functionError, logTail: result.logTail))
        }
        return .completed(InvocationResult(requestID: result.requestID, executedVersion: result.executedVersion, body: body))
    }

    /// `Event`: checks the payload and queues the event durably; the dispatcher runs it.
    private func queue(_ request: InvocationRequest, record: FunctionRecord, qualifier: String?) async throws(LambdaError) -> InvocationReply {
        guard let events else { throw LambdaError.service("asynchronous invocation is not available") }
        guard request.payload.readableBytes <= Limits.asyncPayloadBytes else {
            throw LambdaError(status: 413, type: "RequestEntityTooLargeException",
                              message: "Request must be smaller than \(Limits.asyncPayloadBytes) bytes for the Invoke operation")
        }
        let payload = try Self.checkedPayload(request.payload)
        let requestID = RandomID.uuid()
        let event = AsyncEvent(requestID: requestID, function: record.name, qualifier: qualifier, payload: String(buffer: payload),
                               queuedAt: Int64(Date().timeIntervalSince1970 * 1000), traceHeader: request.traceHeader)
        do {
            try await events.enqueue(event, now: event.queuedAt)
            events.metrics?.event(record.name, outcome: "queued")
        } catch {
            throw LambdaError.service("could not queue the event: \(error)")
        }
        return .queued(requestID: requestID)
    }

    /// The event a function receives: the payload, which must be JSON; `{}` when empty.
    static func checkedPayload(_ payload: ByteBuffer) throws(LambdaError) -> ByteBuffer {
        if payload.readableBytes == 0 { return ByteBuffer(string: "{}") }
        if let problem = PayloadCheck.jsonProblem(payload.readableBytesView) { throw LambdaError.invalidPayload(problem) }
        return payload
    }

    /// The function version a target names, and the qualifier it was named with.
    private func resolve(_ target: InvocationTarget) async throws(LambdaError) -> (record: FunctionRecord, qualifier: String?) {
        do {
            return try await functions.resolve(target.function, qualifier: target.qualifier, routed: true)
        } catch let error as LambdaError {
            throw error
        } catch {
            throw LambdaError.service("could not read the function: \(error)")
        }
    }
}

