package lambent.runtime;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Stands in for a handler that could not be loaded: each invocation fails with the fault. AWS's
 * runtime reports most loading problems (class or method not found, no public constructor…) on
 * each invoke this way rather than as an init error; only fatal faults end the init.
 */
final class FaultHandler implements RequestStreamHandler {
    final UserFault fault;

    FaultHandler(UserFault fault) {
        this.fault = fault;
    }

    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) {
        throw fault;
    }
}
