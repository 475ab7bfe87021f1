import NIOHTTP1

/// A Runtime API request, recognised from its method and URI.
public enum RuntimeAPIRoute: Sendable, Equatable {
    /// `GET /2018-06-01/runtime/invocation/next`
    case next
    /// `POST /2018-06-01/runtime/invocation/{id}/response`
    case response(requestID: String)
    /// `POST /2018-06-01/runtime/invocation/{id}/error`
    case error(requestID: String)
    /// `POST /2018-06-01/runtime/init/error`
    case initError
    /// A known path with the wrong method (405).
    case methodNotAllowed
    /// Any other path (404).
    case notFound

    /// The route for `method` and `uri` (a query string is ignored).
    public init(method: HTTPMethod, uri: String) {
        let path = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        // "/2018-06-01/runtime/..." splits into ["", "2018-06-01", "runtime", ...].
        guard parts.count >= 4, parts[0].isEmpty, parts[1] == "2018-06-01", parts[2] == "runtime" else {
            self = .notFound
            return
        }
        switch (parts.count, parts[3]) {
        case (5, "invocation") where parts[4] == "next":
            self = method == .GET ? .next : .methodNotAllowed
        case (6, "invocation") where parts[5] == "response" || parts[5] == "error":
            let id = String(parts[4])
            guard method == .POST else {
                self = .methodNotAllowed
                return
            }
            self = parts[5] == "response" ? .response(requestID: id) : .error(requestID: id)
        case (5, "init") where parts[4] == "error":
            self = method == .POST ? .initError : .methodNotAllowed
        default:
            self = .notFound
        }
    }
}
