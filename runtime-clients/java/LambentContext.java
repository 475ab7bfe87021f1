package lambent.runtime;

import com.amazonaws.services.lambda.runtime.ClientContext;
import com.amazonaws.services.lambda.runtime.CognitoIdentity;
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaLogger;

/** The Context of one invocation: its headers plus the environment's AWS_LAMBDA_* variables. */
final class LambentContext implements Context {
    private final Invocation invocation;
    private final FunctionEnvironment environment;
    private final CognitoIdentity identity;
    private final ClientContext clientContext;
    private final LambdaLogger logger;

    LambentContext(Invocation invocation, FunctionEnvironment environment, CognitoIdentity identity,
                   ClientContext clientContext, LambdaLogger logger) {
        this.invocation = invocation;
        this.environment = environment;
        this.identity = identity;
        this.clientContext = clientContext;
        this.logger = logger;
    }

    @Override
    public String getAwsRequestId() {
        return invocation.requestId;
    }

    @Override
    public String getLogGroupName() {
        return environment.logGroupName;
    }

    @Override
    public String getLogStreamName() {
        return environment.logStreamName;
    }

    @Override
    public String getFunctionName() {
        return environment.functionName;
    }

    @Override
    public String getFunctionVersion() {
        return environment.functionVersion;
    }

    @Override
    public String getInvokedFunctionArn() {
        return invocation.invokedFunctionArn;
    }

    @Override
    public CognitoIdentity getIdentity() {
        return identity;
    }

    @Override
    public ClientContext getClientContext() {
        return clientContext;
    }

    @Override
    public int getRemainingTimeInMillis() {
        long remaining = invocation.deadlineMs - System.currentTimeMillis();
        return remaining > 0 ? (int) Math.min(remaining, Integer.MAX_VALUE) : 0;
    }

    @Override
    public int getMemoryLimitInMB() {
        return environment.memoryLimitInMB;
    }

    @Override
    public LambdaLogger getLogger() {
        return logger;
    }

    @Override
    public String getTenantId() {
        return invocation.tenantId;
    }

    @Override
    public String getXrayTraceId() {
        return invocation.traceId;
    }
}
