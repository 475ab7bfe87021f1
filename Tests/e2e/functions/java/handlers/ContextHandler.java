package example;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaRuntime;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import java.util.LinkedHashMap;
import java.util.Map;

/** Answers with what the Context says, and logs through both loggers. */
public class ContextHandler implements RequestHandler<Object, Map<String, Object>> {
    @Override
    public Map<String, Object> handleRequest(Object event, Context context) {
        context.getLogger().log("context logger: " + context.getAwsRequestId() + "\n");
        LambdaRuntime.getLogger().log("runtime logger\n");
        Map<String, Object> seen = new LinkedHashMap<>();
        seen.put("functionName", context.getFunctionName());
        seen.put("functionVersion", context.getFunctionVersion());
        seen.put("awsRequestId", context.getAwsRequestId());
        seen.put("invokedFunctionArn", context.getInvokedFunctionArn());
        seen.put("logGroupName", context.getLogGroupName());
        seen.put("logStreamName", context.getLogStreamName());
        seen.put("memoryLimitInMB", context.getMemoryLimitInMB());
        seen.put("remainingTimeInMillis", context.getRemainingTimeInMillis());
        seen.put("identity", context.getIdentity() == null ? null : context.getIdentity().getIdentityId());
        seen.put("clientContext", context.getClientContext() == null ? null : context.getClientContext().getCustom());
        seen.put("sameLogger", context.getLogger() == LambdaRuntime.getLogger());
        seen.put("traceHeader", System.getProperty("com.amazonaws.xray.traceHeader"));
        seen.put("classLoaderParentIsSystem",
                getClass().getClassLoader().getParent() == ClassLoader.getSystemClassLoader());
        seen.put("contextClassLoaderIsOwn", Thread.currentThread().getContextClassLoader() == getClass().getClassLoader());
        seen.put("userDir", System.getProperty("user.dir"));
        seen.put("event", event);
        return seen;
    }
}
