package lambent.runtime;

import com.amazonaws.services.lambda.runtime.LambdaLogger;
import com.amazonaws.services.lambda.runtime.logging.LogFormat;
import com.amazonaws.services.lambda.runtime.logging.LogLevel;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * The LambdaLogger behind Context.getLogger() and LambdaRuntime.getLogger(), formatting as AWS's
 * LambdaContextLogger does:
 *
 * - TEXT: a record without a level is written as is (no newline added); one with a level is
 *   prefixed "[LEVEL] ".
 * - JSON: each string record becomes one line
 *   {"timestamp":"2024-01-01T00:00:00.000Z","message":…,"level":…,"AWSRequestId":…}
 *   (level "UNDEFINED" for LambdaLogger.log(String)); byte records are never formatted.
 *
 * Records below $AWS_LAMBDA_LOG_LEVEL are dropped; records without a level never are.
 */
final class RuntimeLogger implements LambdaLogger {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter TIMESTAMP =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
    private static final byte[] NULL_BYTES = "null".getBytes(StandardCharsets.UTF_8);

    private final LogSink sink;
    private final LogLevel minimumLevel;
    private final LogFormat format;
    // The invocation each thread serves, for JSON records' AWSRequestId and tenantId.
    private final ThreadLocal<LambentContext> context = new ThreadLocal<>();

    RuntimeLogger(LogSink sink, LogLevel minimumLevel, LogFormat format) {
        this.sink = sink;
        this.minimumLevel = minimumLevel;
        this.format = format;
    }

    LogFormat format() {
        return format;
    }

    void setContext(LambentContext current) {
        if (current == null) {
            context.remove();
        } else {
            context.set(current);
        }
    }

    /** Logs one of the runtime's own records: ERROR in JSON, as is in TEXT (AWS's choice). */
    void logRuntimeError(String message) {
        log(message, format == LogFormat.JSON ? LogLevel.ERROR : LogLevel.UNDEFINED);
    }

    @Override
    public void log(String message) {
        log(message, LogLevel.UNDEFINED);
    }

    @Override
    public void log(byte[] message) {
        log(message, LogLevel.UNDEFINED);
    }

    @Override
    public void log(String message, LogLevel level) {
        if (!enabled(level)) {
            return;
        }
        String formatted = format == LogFormat.JSON ? json(message, level) : text(message, level);
        sink.write(level, format, formatted == null ? NULL_BYTES : formatted.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void log(byte[] message, LogLevel level) {
        if (enabled(level)) {
            sink.write(level, format, message == null ? NULL_BYTES : message);
        }
    }

    private boolean enabled(LogLevel level) {
        return level == LogLevel.UNDEFINED || level.ordinal() >= minimumLevel.ordinal();
    }

    private static String text(String message, LogLevel level) {
        return level == LogLevel.UNDEFINED ? message : "[" + level + "] " + message;
    }

    private String json(String message, LogLevel level) {
        ObjectNode record = JSON.createObjectNode();
        record.put("timestamp", TIMESTAMP.format(java.time.Instant.now()));
        if (message != null) {
            record.put("message", message);
        }
        record.put("level", level.name());
        LambentContext current = context.get();
        if (current != null) {
            record.put("AWSRequestId", current.getAwsRequestId());
            if (current.getTenantId() != null) {
                record.put("tenantId", current.getTenantId());
            }
        }
        try {
            return JSON.writeValueAsString(record) + "\n";
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
