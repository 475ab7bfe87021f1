package com.amazonaws.services.lambda.runtime;

/**
 * A switch for logging libraries: aws-lambda-java-log4j2 turns it on so that the runtime puts
 * each invocation's request id into Log4j's thread context ("AWSRequestId").
 */
public final class LambdaRuntimeInternal {

    private LambdaRuntimeInternal() {
    }

    private static boolean useLog4jAppender;

    /** Asks the runtime to publish the request id to Log4j's MDC / ThreadContext. */
    public static void setUseLog4jAppender(boolean useLog4j) {
        useLog4jAppender = useLog4j;
    }

    /** Whether the request id is published to Log4j. */
    public static boolean getUseLog4jAppender() {
        return useLog4jAppender;
    }
}
