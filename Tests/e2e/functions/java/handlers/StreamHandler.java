package example;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** RequestStreamHandler: answers with the event's bytes upper-cased, untouched by any JSON codec. */
public class StreamHandler implements RequestStreamHandler {
    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        String event = new String(input.readAllBytes(), StandardCharsets.UTF_8);
        output.write(("STREAM:" + event.toUpperCase()).getBytes(StandardCharsets.UTF_8));
    }
}
