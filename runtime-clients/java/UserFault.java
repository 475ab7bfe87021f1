package lambent.runtime;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * A failure the function's code or configuration caused, as AWS's runtime models it: a message,
 * the exception's class name and its printed stack trace. A fatal fault ends the environment
 * (reported on init/error, or the runtime exits after reporting the invocation).
 *
 * The messages built here are AWS's (aws-lambda-java-runtime-interface-client's UserFault and
 * EventHandlerLoader) word for word: clients compare them.
 */
final class UserFault extends RuntimeException {
    private static final long serialVersionUID = 1L;
    // Frames of this client are cut from user-visible traces, as AWS cuts its own package's.
    private static final String RUNTIME_PREFIX = UserFault.class.getPackageName() + ".";

    final String msg;
    final String exception;
    final String trace;
    final boolean fatal;

    UserFault(String msg, String exception, String trace, boolean fatal) {
        super(msg, null, false, false);
        this.msg = msg;
        this.exception = exception;
        this.trace = trace;
        this.fatal = fatal;
    }

    /** A fault with only a message (no exception type, no trace). */
    static UserFault of(String msg) {
        return new UserFault(msg, null, null, false);
    }

    static UserFault of(Throwable t) {
        return t instanceof UserFault ? (UserFault) t : of(t, false);
    }

    static UserFault of(Throwable t, boolean fatal) {
        String message = t.getLocalizedMessage() == null ? t.getClass().getName() : t.getLocalizedMessage();
        return new UserFault(message, t.getClass().getName(), trace(t), fatal);
    }

    static UserFault classNotFound(Throwable e, String className) {
        return new UserFault("Class not found: " + className, e.getClass().getName(), trace(e), false);
    }

    static UserFault initError(Throwable e, String className) {
        return new UserFault(
                "Error loading class " + className + (e.getMessage() == null ? "" : ": " + e.getMessage()),
                e.getClass().getName(), trace(e), true);
    }

    /** The record logged for the fault: "message: type\ntrace\n", or "message\n". */
    String reportableError() {
        if (exception != null || trace != null) {
            return String.format("%s: %s\n%s\n", msg, exception == null ? "" : exception, trace == null ? "" : trace);
        }
        return msg + "\n";
    }

    /** The throwable's printed stack trace, without this client's frames. */
    static String trace(Throwable t) {
        filterStackTrace(t);
        StringWriter out = new StringWriter();
        t.printStackTrace(new PrintWriter(out));
        return out.toString();
    }

    /** Cuts each trace (causes and suppressed included) at its first frame of this client. */
    static <T extends Throwable> T filterStackTrace(T t) {
        filter(t, Collections.newSetFromMap(new IdentityHashMap<>()));
        return t;
    }

    private static void filter(Throwable t, Set<Throwable> seen) {
        if (t == null || !seen.add(t)) {
            return;
        }
        StackTraceElement[] frames = t.getStackTrace();
        for (int i = 0; i < frames.length; i++) {
            if (frames[i].getClassName().startsWith(RUNTIME_PREFIX)) {
                StackTraceElement[] kept = new StackTraceElement[i];
                System.arraycopy(frames, 0, kept, 0, i);
                t.setStackTrace(kept);
                break;
            }
        }
        filter(t.getCause(), seen);
        for (Throwable suppressed : t.getSuppressed()) {
            filter(suppressed, seen);
        }
    }
}
