/// AWS Lambda's published on-demand prices (us-east-1, the first duration tier), in US dollars,
/// and the monthly free tier: what `lambent usage` and the console price usage at.
public enum LambdaPricing {
    public static let perRequest = 0.20 / 1_000_000
    /// Per GB-second, by architecture.
    public static let perGBSecond = ["x86_64": 0.0000166667, "arm64": 0.0000133334]
    public static let freeRequests = 1_000_000.0
    public static let freeGBSeconds = 400_000.0

    public static func gbSecondPrice(_ architecture: String) -> Double {
        perGBSecond[architecture] ?? perGBSecond["x86_64"]!
    }

    /// The cost of some requests and GB-seconds on one architecture, before the free tier.
    public static func cost(requests: Double, gbSeconds: Double, architecture: String) -> (requests: Double, duration: Double) {
        (requests * perRequest, gbSeconds * gbSecondPrice(architecture))
    }
}
