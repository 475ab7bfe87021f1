package lambent.runtime;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;

/**
 * A POJO handler method over streams — any ordered subset of (InputStream, OutputStream,
 * Context) that AWS accepts — as a RequestStreamHandler. Without an OutputStream parameter the
 * response is `null`; without an InputStream the event stream is closed unread.
 */
final class MethodStreamHandler implements RequestStreamHandler {
    private static final byte[] JSON_NULL = "null".getBytes(StandardCharsets.US_ASCII);

    private final Method method;
    private final Object instance;
    private final boolean takesInput;
    private final boolean takesOutput;
    private final boolean takesContext;

    MethodStreamHandler(Method method, Object instance, boolean takesInput, boolean takesOutput, boolean takesContext) {
        this.method = method;
        this.instance = instance;
        this.takesInput = takesInput;
        this.takesOutput = takesOutput;
        this.takesContext = takesContext;
    }

    @Override
    public void handleRequest(InputStream in, OutputStream out, Context context) throws IOException {
        Object[] arguments = new Object[(takesInput ? 1 : 0) + (takesOutput ? 1 : 0) + (takesContext ? 1 : 0)];
        int index = 0;
        if (takesInput) {
            arguments[index++] = in;
        } else {
            in.close();
        }
        if (takesOutput) {
            arguments[index++] = out;
        }
        if (takesContext) {
            arguments[index] = context;
        }
        try {
            method.invoke(instance, arguments);
            if (!takesOutput) {
                out.write(JSON_NULL);
            }
        } catch (InvocationTargetException e) {
            throw Throwables.rethrow(UserFault.filterStackTrace(e.getCause() != null ? e.getCause() : e));
        } catch (Throwable t) {
            throw Throwables.rethrow(UserFault.filterStackTrace(t));
        }
    }
}
