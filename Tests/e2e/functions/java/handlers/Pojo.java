package example;

import com.amazonaws.services.lambda.runtime.Context;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** POJO handlers named Class::method, with the signatures AWS accepts. */
public class Pojo {
    /** (String, Context) */
    public String greet(String name, Context context) {
        return "greetings, " + name + " from " + context.getFunctionName();
    }

    /** static (int) */
    public static int twice(int n) {
        return 2 * n;
    }

    /** Overloads: the one ending with Context wins. */
    public String pick(Map<String, Object> event) {
        return "without context";
    }

    public String pick(Map<String, Object> event, Context context) {
        return "with context";
    }

    /** void: the response is null. */
    public void nothing(Map<String, Object> event) {
        System.out.println("nothing to return");
    }

    /** (InputStream, OutputStream, Context) */
    public void echo(InputStream in, OutputStream out, Context context) throws IOException {
        out.write(("echo:" + new String(in.readAllBytes(), StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8));
    }

    /** A checked exception from a POJO method. */
    public String fail(Map<String, Object> event) throws IOException {
        throw new IOException("checked failure");
    }
}
