package com.amazonaws.services.lambda.runtime;

import com.amazonaws.services.lambda.runtime.logging.LogLevel;

/**
 * Writes to the function's log stream. Each call is one log record: a message may span several
 * lines and still arrive as one event, which System.out cannot promise.
 */
public interface LambdaLogger {

    /** Logs a string as is: no newline is added. */
    void log(String message);

    /** Logs raw bytes as is. */
    void log(byte[] message);

    /** Logs a string at a level; records below $AWS_LAMBDA_LOG_LEVEL are dropped. */
    default void log(String message, LogLevel logLevel) {
        log(message);
    }

    /** Logs raw bytes at a level; records below $AWS_LAMBDA_LOG_LEVEL are dropped. */
    default void log(byte[] message, LogLevel logLevel) {
        log(message);
    }
}
