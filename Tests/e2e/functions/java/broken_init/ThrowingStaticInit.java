package example;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;

/** Its static initializer throws: loading the class fails the init. */
public class ThrowingStaticInit implements RequestHandler<Object, String> {
    static final int VALUE = compute();

    private static int compute() {
        throw new IllegalStateException("static init refused");
    }

    @Override
    public String handleRequest(Object input, Context context) {
        return "unreachable " + VALUE;
    }
}
