package example;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import java.util.Map;
import java.util.TreeMap;

/** RequestHandler<Map, String>: answers with the event it decoded, as a string. */
public class MapHandler implements RequestHandler<Map<String, Object>, String> {
    @Override
    public String handleRequest(Map<String, Object> event, Context context) {
        System.out.println("MapHandler saw " + new TreeMap<>(event));
        return "Hello, " + event.get("name") + "! " + new TreeMap<>(event);
    }
}
