package lambent.runtime;

/**
 * One invocation as the Runtime API hands it out on GET /2018-06-01/runtime/invocation/next:
 * the event body and the Lambda-Runtime-* headers that describe it.
 */
final class Invocation {
    final String requestId;
    final long deadlineMs;
    final String invokedFunctionArn;
    final String traceId;
    final String clientContext;
    final String cognitoIdentity;
    final String tenantId;
    final byte[] event;

    Invocation(String requestId, long deadlineMs, String invokedFunctionArn, String traceId,
               String clientContext, String cognitoIdentity, String tenantId, byte[] event) {
        this.requestId = requestId;
        this.deadlineMs = deadlineMs;
        this.invokedFunctionArn = invokedFunctionArn;
        this.traceId = traceId;
        this.clientContext = clientContext;
        this.cognitoIdentity = cognitoIdentity;
        this.tenantId = tenantId;
        this.event = event;
    }
}
