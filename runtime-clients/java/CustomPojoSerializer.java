package com.amazonaws.services.lambda.runtime;

import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Type;

/**
 * Replaces the runtime's JSON (de)serialization of RequestHandler and POJO method inputs and
 * outputs. Register exactly one implementation in
 * META-INF/services/com.amazonaws.services.lambda.runtime.CustomPojoSerializer.
 */
public interface CustomPojoSerializer {

    /** Decodes an event of the handler's input type. */
    <T> T fromJson(InputStream input, Type type);

    /** Decodes an event of the handler's input type. */
    <T> T fromJson(String input, Type type);

    /** Encodes the handler's result. */
    <T> void toJson(T value, OutputStream output, Type type);
}
