package lambent.runtime;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;

/**
 * A RequestHandler (or a POJO method wrapped as one) seen as a stream handler: the event is
 * decoded to the input type, the result encoded from the output type. A handler without input
 * gets null; one returning void answers `null`. The two wrapping errors carry AWS's messages.
 */
final class PojoStreamHandler implements RequestStreamHandler {
    private static final byte[] JSON_NULL = "null".getBytes(StandardCharsets.US_ASCII);

    @SuppressWarnings("rawtypes")
    private final RequestHandler inner;
    private final PojoSerializer input;
    private final PojoSerializer output;

    /** inputType null: no input; outputType null: void. */
    @SuppressWarnings("rawtypes")
    PojoStreamHandler(RequestHandler inner, Type inputType, Type outputType, ClassLoader customerLoader) {
        this.inner = inner;
        this.input = inputType == null ? null : PojoSerializer.forType(inputType, customerLoader);
        this.output = outputType == null ? null : PojoSerializer.forType(outputType, customerLoader);
    }

    static boolean isVoid(Type type) {
        return Void.TYPE.equals(type) || type instanceof Class && Void.class.isAssignableFrom((Class<?>) type);
    }

    @Override
    @SuppressWarnings("unchecked")
    public void handleRequest(InputStream in, OutputStream out, Context context) throws IOException {
        Object event;
        try {
            event = input == null ? null : input.fromJson(in);
        } catch (Throwable t) {
            throw new RuntimeException("An error occurred during JSON parsing", UserFault.filterStackTrace(t));
        }
        Object result;
        try {
            result = inner.handleRequest(event, context);
        } catch (Throwable t) {
            throw Throwables.rethrow(UserFault.filterStackTrace(t));
        }
        try {
            if (output == null) {
                out.write(JSON_NULL);
            } else {
                output.toJson(result, out);
            }
        } catch (Throwable t) {
            throw new RuntimeException("An error occurred during JSON serialization of response", t);
        }
    }
}
