package com.amazonaws.services.lambda.runtime.logging;

/** Levels of LambdaLogger records, in increasing severity after UNDEFINED. */
public enum LogLevel {
    // UNDEFINED marks a record logged without a level (LambdaLogger.log(String)): it is never
    // filtered out, whatever $AWS_LAMBDA_LOG_LEVEL says.
    UNDEFINED,
    TRACE,
    DEBUG,
    INFO,
    WARN,
    ERROR,
    FATAL;

    /** Parses a level name, case-insensitively. */
    public static LogLevel fromString(String logLevel) {
        try {
            return LogLevel.valueOf(logLevel.toUpperCase());
        } catch (Exception e) {
            throw new IllegalArgumentException(
                    "Invalid log level: '" + logLevel + "' expected one of [TRACE, DEBUG, INFO, WARN, ERROR, FATAL]");
        }
    }
}
