/// The Lambda runtimes Lambent knows, and which of them it can run.
public enum LambdaRuntime {
    /// Every runtime identifier Lambda's API accepts today (the service model's `Runtime` enum,
    /// less the deprecated ones AWS refuses for new functions).
    public static let known: [String] = [
        "nodejs20.x", "nodejs22.x", "nodejs24.x", "python3.9", "python3.10", "python3.11", "python3.12",
        "python3.13", "python3.14", "java17", "java21", "java25", "ruby3.2", "ruby3.3", "ruby3.4",
        "dotnet8", "dotnet10", "provided.al2", "provided.al2023",
    ]

    /// The runtimes AWS's validation message lists, in its order, as recorded (its enum set
    /// still holds some it refuses as deprecated).
    public static let enumeratedByAWS: [String] = [
        "nodejs20.x", "python3.14", "provided.al2023", "python3.12", "python3.13", "nodejs24.x", "nodejs22.x", "java25",
        "python3.10", "python3.11", "java21", "ruby3.3", "ruby3.4", "ruby3.2", "python3.8", "python3.9", "java17",
        "nodejs16.x", "dotnet10", "dotnet8", "java11", "dotnet6", "nodejs18.x", "provided.al2", "java8.al2",
    ]

    /// Runtimes AWS no longer accepts for creating or updating functions.
    public static let deprecated: Set<String> = [
        "python2.7", "python3.6", "python3.7", "python3.8", "nodejs", "nodejs4.3", "nodejs6.10", "nodejs8.10",
        "nodejs10.x", "nodejs12.x", "nodejs14.x", "nodejs16.x", "nodejs18.x", "java8", "java8.al2", "java11",
        "go1.x", "provided", "ruby2.5", "ruby2.7", "dotnetcore1.0", "dotnetcore2.0", "dotnetcore2.1",
        "dotnetcore3.1", "dotnet6", "dotnet7",
    ]

    /// The Python runtimes Lambent runs.
    public static let python: [String] = (9...14).map { "python3.\($0)" }

    /// The Node.js runtimes Lambent runs (`nodejs18.x` only for functions created before AWS
    /// stopped accepting it).
    public static let nodejs: [String] = [18, 20, 22, 24].map { "nodejs\($0).x" }

    /// The Ruby runtimes Lambent runs.
    public static let ruby: [String] = ["ruby3.2", "ruby3.3", "ruby3.4"]

    /// The Java runtimes Lambent runs.
    public static let java: [String] = ["java17", "java21", "java25"]

    /// Checks a runtime for CreateFunction/UpdateFunctionConfiguration: known to Lambda, not
    /// deprecated, and one Lambent can run.
    public static func validate(_ runtime: String, runnable: [String] = python) throws(LambdaError) {
        if deprecated.contains(runtime) {
            throw LambdaError.invalidParameter(
                "The runtime parameter of \(runtime) is no longer supported for creating or updating AWS Lambda functions. We recommend you use a supported runtime while creating or updating functions.")
        }
        guard known.contains(runtime) else {
            throw LambdaError.invalidParameter(
                "Value \(runtime) at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [\(enumeratedByAWS.joined(separator: ", "))] or be a valid ARN")
        }
        guard runnable.contains(runtime) else {
            throw LambdaError.invalidParameter(
                "The runtime \(runtime) is not supported by this Lambent server. Supported runtimes: \(runnable.joined(separator: ", ")).")
        }
    }
}
