package lambent.runtime;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

/**
 * A POJO handler method — m(), m(I), m(Context) or m(I, Context) — as a RequestHandler.
 * Invoked through reflection, as AWS does, so a thrown exception's trace shows the same frames.
 */
final class MethodRequestHandler implements RequestHandler<Object, Object> {
    private final Method method;
    private final Object instance;
    private final boolean takesInput;
    private final boolean takesContext;

    MethodRequestHandler(Method method, Object instance, boolean takesInput, boolean takesContext) {
        this.method = method;
        this.instance = instance;
        this.takesInput = takesInput;
        this.takesContext = takesContext;
    }

    @Override
    public Object handleRequest(Object input, Context context) {
        Object[] arguments = new Object[(takesInput ? 1 : 0) + (takesContext ? 1 : 0)];
        int index = 0;
        if (takesInput) {
            arguments[index++] = input;
        }
        if (takesContext) {
            arguments[index] = context;
        }
        try {
            return method.invoke(instance, arguments);
        } catch (InvocationTargetException e) {
            throw Throwables.rethrow(UserFault.filterStackTrace(e.getCause() != null ? e.getCause() : e));
        } catch (Throwable t) {
            throw Throwables.rethrow(UserFault.filterStackTrace(t));
        }
    }
}
