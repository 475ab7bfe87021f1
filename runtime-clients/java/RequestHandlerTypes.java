package lambent.runtime;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;

/**
 * Finds the type arguments a handler class gives RequestHandler, through generic superclasses
 * and interfaces, with AWS's search: breadth-first from the class, each type's interfaces (in
 * declaration order) before its superclass, stopping at the first parameterized type whose raw
 * class is a RequestHandler — so a sub-interface that fixes some arguments answers with its own.
 */
final class RequestHandlerTypes {
    private RequestHandlerTypes() {
    }

    /** The type arguments, with type variables substituted as far as the hierarchy binds them; null if none. */
    static Type[] find(Class<?> handler, Class<?> target) {
        ArrayDeque<Step> queue = new ArrayDeque<>();
        queue.add(new Step(handler, Collections.emptyMap()));
        while (!queue.isEmpty()) {
            Step step = queue.removeFirst();
            for (Type type : step.type.getGenericInterfaces()) {
                if (type instanceof ParameterizedType) {
                    ParameterizedType parameterized = (ParameterizedType) type;
                    Class<?> raw = (Class<?>) parameterized.getRawType();
                    Type[] arguments = substitute(parameterized.getActualTypeArguments(), step.bindings);
                    if (target.isAssignableFrom(raw)) {
                        return arguments;
                    }
                    queue.addLast(new Step(raw, bind(raw, arguments)));
                } else if (type instanceof Class) {
                    queue.addLast(new Step((Class<?>) type, Collections.emptyMap()));
                }
            }
            Type superclass = step.type.getGenericSuperclass();
            if (superclass instanceof ParameterizedType) {
                ParameterizedType parameterized = (ParameterizedType) superclass;
                Class<?> raw = (Class<?>) parameterized.getRawType();
                queue.addLast(new Step(raw, bind(raw, substitute(parameterized.getActualTypeArguments(), step.bindings))));
            } else if (superclass instanceof Class) {
                queue.addLast(new Step((Class<?>) superclass, Collections.emptyMap()));
            }
        }
        return null;
    }

    private static Type[] substitute(Type[] types, Map<String, Type> bindings) {
        Type[] result = types.clone();
        for (int i = 0; i < result.length; i++) {
            if (result[i] instanceof TypeVariable) {
                Type bound = bindings.get(((TypeVariable<?>) result[i]).getName());
                if (bound != null) {
                    result[i] = bound;
                }
            }
        }
        return result;
    }

    private static Map<String, Type> bind(Class<?> raw, Type[] arguments) {
        TypeVariable<?>[] parameters = raw.getTypeParameters();
        Map<String, Type> bindings = new HashMap<>();
        for (int i = 0; i < parameters.length && i < arguments.length; i++) {
            bindings.put(parameters[i].getName(), arguments[i]);
        }
        return bindings;
    }

    private static final class Step {
        final Class<?> type;
        final Map<String, Type> bindings;

        Step(Class<?> type, Map<String, Type> bindings) {
            this.type = type;
            this.bindings = bindings;
        }
    }
}
