package example;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;

/** Handler classes that cannot serve. */
public class Misconfigured {
    /** Implements no handler interface. */
    public static class NotAHandler {
    }

    /** Has no public zero-argument constructor. */
    public static class NoDefaultConstructor implements RequestHandler<String, String> {
        public NoDefaultConstructor(String required) {
        }

        @Override
        public String handleRequest(String input, Context context) {
            return input;
        }
    }
}
