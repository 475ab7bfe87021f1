/// Lambda's documented quotas that Lambent enforces.
public enum Limits {
    /// Maximum request and response payload of a synchronous invocation (6 MB).
    public static let syncPayloadBytes = 6_291_456
    /// Maximum payload of an asynchronous (`Event`) invocation (1 MB since 2025).
    public static let asyncPayloadBytes = 1_048_576
    /// The response limit the Runtime API enforces (6 MB plus AWS's 100 bytes of slack).
    public static let runtimeResponseBytes = 6_291_556
    /// Maximum zipped deployment package uploaded directly in the request (50 MB).
    public static let zippedCodeBytes = 52_428_800
    /// Maximum unzipped deployment package (250 MB).
    public static let unzippedCodeBytes = 262_144_000
    /// A container image's uncompressed size (10 GB).
    public static let imageBytes = 10_737_418_240
    /// Maximum total size of a function's environment variables (4 KB).
    public static let environmentBytes = 4096
    /// Memory range in MB.
    public static let memory = 128...10240
    /// Timeout range in seconds.
    public static let timeout = 1...900
    /// Ephemeral storage (/tmp) range in MB.
    public static let ephemeralStorage = 512...10240
    /// Default values.
    public static let defaultMemory = 128
    public static let defaultTimeout = 3
    public static let defaultEphemeralStorage = 512
    /// Maximum characters of a description.
    public static let descriptionLength = 256
    /// How many bytes of an invocation's log `LogType: Tail` returns (4 KB).
    public static let logTailBytes = 4096
}
