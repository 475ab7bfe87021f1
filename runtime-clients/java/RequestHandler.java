package com.amazonaws.services.lambda.runtime;

/**
 * A handler whose input and output the runtime converts from and to JSON.
 *
 * <pre>{@code
 * public class Hello implements RequestHandler<Map<String, String>, String> {
 *     public String handleRequest(Map<String, String> event, Context context) {
 *         return "Hello, " + event.get("name");
 *     }
 * }
 * }</pre>
 *
 * @param <I> the input type, decoded from the event's JSON
 * @param <O> the output type, encoded as the response's JSON
 */
public interface RequestHandler<I, O> {

    /** Handles one invocation. */
    O handleRequest(I input, Context context);
}
