package example;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaLogger;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.logging.LogLevel;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** Writes through every channel a Java function has. */
public class Logging implements RequestHandler<Map<String, Object>, String> {
    @Override
    public String handleRequest(Map<String, Object> event, Context context) {
        LambdaLogger logger = context.getLogger();
        System.out.println("stdout line");
        System.err.println("stderr line");
        logger.log("logger line\n");
        logger.log("first of two\nsecond of two\n");
        logger.log("debug line\n", LogLevel.DEBUG);
        logger.log("warn line\n", LogLevel.WARN);
        logger.log("bytes line\n".getBytes(StandardCharsets.UTF_8));
        System.out.println("unicode: h\u00e9llo \u2713");
        return "logged";
    }
}
