package lambent.runtime;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * An error as AWS's Java runtime reports it on the Runtime API:
 * {"errorMessage", "errorType", "stackTrace"} with absent members left out (a fault of the
 * handler's configuration carries no stackTrace, some no errorType), the
 * Lambda-Runtime-Function-Error-Type header ("Runtime.UserException" for what the handler threw,
 * "Runtime.BadFunctionCode" for faults) and, for thrown exceptions, an X-Ray error cause.
 */
final class ErrorReport {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String message;
    private final String type;
    private final String[] stackTrace;
    private final String rapidErrorType;
    private final Throwable thrown;

    private ErrorReport(String message, String type, String[] stackTrace, String rapidErrorType, Throwable thrown) {
        this.message = message;
        this.type = type;
        this.stackTrace = stackTrace;
        this.rapidErrorType = rapidErrorType;
        this.thrown = thrown;
    }

    /** What a fault reports: its message and type, no stack trace (as AWS's runtime does). */
    static ErrorReport of(UserFault fault) {
        return new ErrorReport(fault.msg, fault.exception, null, "Runtime.BadFunctionCode", null);
    }

    /** What an exception the handler threw reports: message, class and the top-level frames. */
    static ErrorReport of(Throwable t) {
        if (t instanceof UserFault) {
            return of((UserFault) t);
        }
        String message = t.getLocalizedMessage() == null ? t.getClass().getName() : t.getLocalizedMessage();
        StackTraceElement[] frames = t.getStackTrace();
        String[] stackTrace = new String[frames.length];
        for (int i = 0; i < frames.length; i++) {
            stackTrace[i] = frames[i].toString();
        }
        return new ErrorReport(message, t.getClass().getName(), stackTrace, "Runtime.UserException", t);
    }

    String rapidErrorType() {
        return rapidErrorType;
    }

    byte[] body() {
        ObjectNode body = JSON.createObjectNode();
        if (message != null) {
            body.put("errorMessage", message);
        }
        if (type != null) {
            body.put("errorType", type);
        }
        if (stackTrace != null) {
            ArrayNode frames = body.putArray("stackTrace");
            for (String frame : stackTrace) {
                frames.add(frame);
            }
        }
        return write(body).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** The X-Ray error cause document for a thrown exception, null for faults. */
    String xrayCause() {
        if (thrown == null) {
            return null;
        }
        ObjectNode cause = JSON.createObjectNode();
        cause.put("working_directory", System.getProperty("user.dir"));
        ObjectNode exception = cause.putArray("exceptions").addObject();
        if (thrown.getMessage() != null) {
            exception.put("message", thrown.getMessage());
        }
        exception.put("type", thrown.getClass().getName());
        ArrayNode stack = exception.putArray("stack");
        Set<String> paths = new LinkedHashSet<>();
        for (StackTraceElement frame : thrown.getStackTrace()) {
            String path = fileName(frame);
            paths.add(path);
            stack.addObject().put("label", frame.getMethodName()).put("path", path).put("line", frame.getLineNumber());
        }
        ArrayNode pathArray = cause.putArray("paths");
        paths.forEach(pathArray::add);
        return write(cause);
    }

    private static String fileName(StackTraceElement frame) {
        if (frame.getFileName() != null) {
            return frame.getFileName();
        }
        String className = frame.getClassName();
        return className.substring(className.lastIndexOf('.') + 1) + ".java";
    }

    private static String write(ObjectNode node) {
        try {
            return JSON.writeValueAsString(node);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
