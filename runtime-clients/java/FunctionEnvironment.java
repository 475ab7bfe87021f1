package lambent.runtime;

/** The AWS_LAMBDA_* variables the runtime reads once at startup (AWS's LambdaEnvironment). */
final class FunctionEnvironment {
    final int memoryLimitInMB;
    final String logGroupName;
    final String logStreamName;
    final String functionName;
    final String functionVersion;
    final String logLevel;
    final String logFormat;
    final String runtimeApi;

    FunctionEnvironment() {
        this.memoryLimitInMB = Integer.parseInt(getOrDefault("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"));
        this.logGroupName = System.getenv("AWS_LAMBDA_LOG_GROUP_NAME");
        this.logStreamName = System.getenv("AWS_LAMBDA_LOG_STREAM_NAME");
        this.functionName = System.getenv("AWS_LAMBDA_FUNCTION_NAME");
        this.functionVersion = System.getenv("AWS_LAMBDA_FUNCTION_VERSION");
        this.logLevel = getOrDefault("AWS_LAMBDA_LOG_LEVEL", "UNDEFINED");
        this.logFormat = getOrDefault("AWS_LAMBDA_LOG_FORMAT", "TEXT");
        this.runtimeApi = System.getenv("AWS_LAMBDA_RUNTIME_API");
    }

    private static String getOrDefault(String name, String fallback) {
        String value = System.getenv(name);
        return value == null ? fallback : value;
    }
}
