import LambentModel

/// The variables Lambda sets in every execution environment, which a function's own
/// variables cannot override. Language runtimes add theirs (`RuntimeLaunch.variables`).
enum LambdaVariables {
    /// Where every environment finds the Runtime API (drivers sharing the host's network
    /// replace it with a port of their own).
    static let runtimeAPI = "127.0.0.1:9001"

    static func reserved(
        for config: FunctionConfiguration, region: String, logGroup: String, logStream: String,
        initializationType: String = "on-demand"
    ) -> [String: String] {
        [
            "AWS_LAMBDA_FUNCTION_NAME": config.functionName,
            "AWS_LAMBDA_FUNCTION_VERSION": config.version,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": String(config.memorySize),
            "AWS_LAMBDA_LOG_GROUP_NAME": logGroup,
            "AWS_LAMBDA_LOG_STREAM_NAME": logStream,
            "AWS_LAMBDA_RUNTIME_API": runtimeAPI,
            "AWS_LAMBDA_INITIALIZATION_TYPE": initializationType,
            "_HANDLER": config.handler,
            "LAMBDA_TASK_ROOT": "/var/task",
            "LAMBDA_RUNTIME_DIR": "/var/runtime",
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "TZ": ":UTC",
            "PATH": "/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin",
            "LANG": "en_US.UTF-8",
            "LD_LIBRARY_PATH": "/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib",
            "HOME": "/tmp",
        ].merging(loggingVariables(config.loggingConfig)) { $1 }
    }

    /// `JSON` logging switches the runtime client's own JSON output on, at the application
    /// level (awslambdaric reads these two, as AWS's runtimes do).
    static func loggingVariables(_ config: LoggingConfig) -> [String: String] {
        guard config.isJSON else { return [:] }
        return ["AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": config.applicationLogLevel ?? "INFO"]
    }

    /// The runtime's defaults, the function's variables, then Lambda's, then the runtime's:
    /// later ones win.
    static func merged(runtimeDefaults: [String: String] = [:], function: [String: String], reserved: [String: String],
                       runtime: [String: String]) -> [String: String] {
        var variables = runtimeDefaults
        variables.merge(function) { _, function in function }
        variables.merge(reserved) { _, platform in platform }
        variables.merge(runtime) { _, runtime in runtime }
        return variables
    }
}
