package lambent.runtime;

/** Rethrows what a handler threw unchanged, checked or not, as AWS's UnsafeUtil.throwException does. */
final class Throwables {
    private Throwables() {
    }

    static RuntimeException rethrow(Throwable t) {
        throw Throwables.<RuntimeException>uncheckedCast(t);
    }

    @SuppressWarnings("unchecked")
    private static <T extends Throwable> T uncheckedCast(Throwable t) throws T {
        throw (T) t;
    }
}
