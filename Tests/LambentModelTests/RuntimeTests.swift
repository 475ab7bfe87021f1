import LambentModel
import Testing

@Suite("LambdaRuntime.validate")
struct RuntimeTests {
    @Test("accepts the Python runtimes Lambent runs", arguments: LambdaRuntime.python)
    func runnable(_ runtime: String) {
        #expect(lambdaError { try LambdaRuntime.validate(runtime) } == nil)
    }

    @Test("runs python3.9 through python3.14")
    func pythonList() {
        #expect(LambdaRuntime.python == ["python3.9", "python3.10", "python3.11", "python3.12", "python3.13", "python3.14"])
        #expect(Set(LambdaRuntime.python).isSubset(of: Set(LambdaRuntime.known)))
        #expect(Set(LambdaRuntime.known).isDisjoint(with: LambdaRuntime.deprecated))
    }

    /// Every runtime AWS refused with this message in the recorded snapshots.
    @Test("refuses deprecated runtimes with AWS's message", arguments: [
        "java8", "go1.x", "provided", "ruby2.7", "nodejs14.x", "python3.7", "dotnetcore3.1", "nodejs12.x", "python2.7",
    ])
    func deprecated(_ runtime: String) {
        #expect(lambdaError { try LambdaRuntime.validate(runtime) } == LambdaError(
            status: 400, type: "InvalidParameterValueException",
            message: "The runtime parameter of \(runtime) is no longer supported for creating or updating AWS Lambda functions. We recommend you use a supported runtime while creating or updating functions."))
    }

    @Test("refuses unknown runtimes with the enum constraint message", arguments: ["non-existent-runtime", "PYTHON3.9", "python3", ""])
    func unknown(_ runtime: String) {
        let error = lambdaError { try LambdaRuntime.validate(runtime) }
        #expect(error == LambdaError(
            status: 400, type: "InvalidParameterValueException",
            message: "Value \(runtime) at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [\(LambdaRuntime.enumeratedByAWS.joined(separator: ", "))] or be a valid ARN"))
        #expect(error?.message.contains("python3.12, ") == true)
    }

    @Test("refuses runtimes Lambda knows but this server cannot run", arguments: ["nodejs22.x", "java21", "provided.al2023"])
    func notRunnable(_ runtime: String) {
        #expect(lambdaError { try LambdaRuntime.validate(runtime) } == LambdaError(
            status: 400, type: "InvalidParameterValueException",
            message: "The runtime \(runtime) is not supported by this Lambent server. Supported runtimes: python3.9, python3.10, python3.11, python3.12, python3.13, python3.14."))
    }

    @Test("lists the server's runnable runtimes, whatever they are")
    func customRunnable() {
        #expect(lambdaError { try LambdaRuntime.validate("python3.12", runnable: ["python3.12"]) } == nil)
        let error = lambdaError { try LambdaRuntime.validate("python3.11", runnable: ["python3.12"]) }
        #expect(error?.message == "The runtime python3.11 is not supported by this Lambent server. Supported runtimes: python3.12.")
    }

    @Test("checks deprecation before the server's runnable list")
    func deprecationFirst() {
        let error = lambdaError { try LambdaRuntime.validate("python3.8", runnable: []) }
        #expect(error?.message.hasPrefix("The runtime parameter of python3.8 is no longer supported") == true)
    }
}
