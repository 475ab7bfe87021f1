package com.amazonaws.services.lambda.runtime;

import java.util.Map;

/** The context a mobile SDK client sent with an invocation (the Lambda-Runtime-Client-Context header). */
public interface ClientContext {

    /** The application that invoked the function. */
    Client getClient();

    /** Custom values the client set. */
    Map<String, String> getCustom();

    /** The client's environment (platform, make, model, locale…). */
    Map<String, String> getEnvironment();
}
