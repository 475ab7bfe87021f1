package example;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;

/** Its constructor throws: the init fails. */
public class ThrowingConstructor implements RequestHandler<Object, String> {
    public ThrowingConstructor() {
        throw new IllegalStateException("constructor refused");
    }

    @Override
    public String handleRequest(Object input, Context context) {
        return "unreachable";
    }
}
