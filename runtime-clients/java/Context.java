package com.amazonaws.services.lambda.runtime;

/**
 * What a function can learn about the invocation it is serving and the environment it runs
 * in: the same interface as aws-lambda-java-core's, so handlers compile against either.
 *
 * <pre>{@code
 * public String handleRequest(Map<String, Object> event, Context context) {
 *     context.getLogger().log("request " + context.getAwsRequestId());
 *     return context.getFunctionName();
 * }
 * }</pre>
 */
public interface Context {

    /** The id of this invocation, unique per request (the Lambda-Runtime-Aws-Request-Id header). */
    String getAwsRequestId();

    /** The CloudWatch Logs group the function writes to ($AWS_LAMBDA_LOG_GROUP_NAME). */
    String getLogGroupName();

    /** The CloudWatch Logs stream of this execution environment ($AWS_LAMBDA_LOG_STREAM_NAME). */
    String getLogStreamName();

    /** The name of the function ($AWS_LAMBDA_FUNCTION_NAME). */
    String getFunctionName();

    /** The version of the function that is running ($AWS_LAMBDA_FUNCTION_VERSION). */
    String getFunctionVersion();

    /** The ARN the caller invoked, with an alias or version qualifier when one was used. */
    String getInvokedFunctionArn();

    /** The Amazon Cognito identity of the caller, or null when the invocation carried none. */
    CognitoIdentity getIdentity();

    /** The client context a mobile SDK sent with the invocation, or null. */
    ClientContext getClientContext();

    /** Milliseconds left before the invocation's deadline, never negative. */
    int getRemainingTimeInMillis();

    /** The memory configured for the function, in MB ($AWS_LAMBDA_FUNCTION_MEMORY_SIZE). */
    int getMemoryLimitInMB();

    /** The logger that writes to the function's log stream. */
    LambdaLogger getLogger();

    /** The tenant id of a tenant-isolated function's invocation, or null (aws-lambda-java-core 1.3.0). */
    default String getTenantId() {
        return null;
    }

    /** The X-Ray trace id of the invocation, or null (aws-lambda-java-core 1.4.0). */
    default String getXrayTraceId() {
        return null;
    }
}
