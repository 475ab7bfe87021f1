package lambent.runtime;

import java.lang.reflect.Method;

/**
 * Puts the request id into Log4j's thread context ("AWSRequestId") for functions that use
 * aws-lambda-java-log4j2 (which turns LambdaRuntimeInternal.setUseLog4jAppender on), trying
 * Log4j 1's MDC and Log4j 2's ThreadContext from the function's class loader, as AWS does.
 */
final class Log4jContext {
    private Log4jContext() {
    }

    static void putRequestId(String requestId) {
        boolean found = put("org.apache.log4j.MDC", Object.class, requestId)
                | put("org.apache.logging.log4j.ThreadContext", String.class, requestId);
        if (!found) {
            System.err.println("Customer using log4j appender but unable to load either "
                    + "org.apache.log4j.MDC or org.apache.logging.log4j.ThreadContext. "
                    + "Customer cannot see RequestId in log4j log lines.");
        }
    }

    private static boolean put(String className, Class<?> valueType, String requestId) {
        try {
            Class<?> type = Class.forName(className, true, Thread.currentThread().getContextClassLoader());
            Method put = type.getMethod("put", String.class, valueType);
            put.invoke(null, "AWSRequestId", requestId);
            return true;
        } catch (ReflectiveOperationException | LinkageError e) {
            return false;
        }
    }
}
