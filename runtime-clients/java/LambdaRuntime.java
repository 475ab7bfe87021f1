package com.amazonaws.services.lambda.runtime;

import java.io.IOException;

/** Static access to the function's logger, for code that has no Context at hand. */
public final class LambdaRuntime {

    private LambdaRuntime() {
    }

    // The runtime client replaces this fallback by its own logger (reflectively, as AWS's does)
    // before it loads the handler; the fallback serves code run outside a Lambda runtime.
    private static volatile LambdaLogger logger = new LambdaLogger() {
        @Override
        public void log(String message) {
            System.out.print(message);
        }

        @Override
        public void log(byte[] message) {
            try {
                System.out.write(message);
            } catch (IOException e) {
                e.printStackTrace();
            }
        }
    };

    /** The logger that writes to the function's log stream. */
    public static LambdaLogger getLogger() {
        return logger;
    }
}
