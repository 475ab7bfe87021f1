package example;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import java.util.Map;

/** Throws what the event asks for. */
public class Failing implements RequestHandler<Map<String, Object>, String> {
    @Override
    public String handleRequest(Map<String, Object> event, Context context) {
        String kind = String.valueOf(event.get("kind"));
        switch (kind) {
            case "custom":
                throw new FunctionError("custom failure");
            case "nomessage":
                throw new UnsupportedOperationException();
            default:
                throw new IllegalStateException("boom: " + kind, new IllegalArgumentException("the cause"));
        }
    }

    /** A function's own exception type. */
    public static class FunctionError extends RuntimeException {
        public FunctionError(String message) {
            super(message);
        }
    }
}
