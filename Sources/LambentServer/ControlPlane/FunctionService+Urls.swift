import Foundation
import LambentModel
import LambentStore
import Synchronization

/// Where function URLs answer: `http://<id>.lambda-url.<region>.localhost:<port>/` by default,
/// `https://<id>.lambda-url.<region>.<domain>/` with `--url-domain` (a wildcard DNS name and a
/// TLS proxy in front of Lambent).
public struct FunctionUrlBase: Sendable, Equatable {
    public var scheme: String
    /// `localhost:9550`, or the `--url-domain`.
    public var domain: String

    public init(scheme: String, domain: String) {
        self.scheme = scheme
        self.domain = domain
    }

    /// The default for a server on `port`.
    public static func local(port: Int) -> FunctionUrlBase { FunctionUrlBase(scheme: "http", domain: "localhost:\(port)") }

    func url(id: String, region: String) -> String { "\(scheme)://\(id).lambda-url.\(region).\(domain)/" }
}

/// `Create/Get/Update/Delete/ListFunctionUrlConfig(s)`: one URL per `$LATEST` or alias, kept as
/// a function setting (deleted with the function or alias) and indexed by its id for routing.
extension FunctionService {
    static let urlSetting = FunctionSettingKind(rawValue: "functionUrl")

    public func createFunctionUrl(_ reference: String, qualifier: String?, _ request: FunctionUrlRequest, base: FunctionUrlBase)
        async throws -> FunctionUrlConfig.Answer {
        let target = try await urlTarget(reference, qualifier: qualifier)
        guard let authType = request.authType else { throw missing("AuthType") }
        try Self.validateUrl(authType: authType, invokeMode: request.invokeMode, cors: request.cors)
        let now = LambdaTimestamp.iso8601(Date())
        let id = Self.newUrlID()
        let config = FunctionUrlConfig(urlID: id, functionUrl: base.url(id: id, region: names.region), functionArn: target.arn,
                                       authType: authType, cors: request.cors, creationTime: now, lastModifiedTime: now,
                                       invokeMode: request.invokeMode ?? "BUFFERED")
        let arn = target.arn
        try await updateUrl(target) { (existing: FunctionUrlConfig?) in
            if existing != nil {
                throw LambdaError(status: 409, type: "ResourceConflictException",
                                  message: "Failed to create function url config for [functionArn = \(arn)]. Error message:  FunctionUrlConfig exists for this Lambda function")
            }
            return config
        }
        urls.put(config, for: target.id)
        var answer = config.answer
        answer.lastModifiedTime = nil
        if request.invokeMode == nil { answer.invokeMode = nil }
        return answer
    }

    public func functionUrl(_ reference: String, qualifier: String?, base: FunctionUrlBase) async throws -> FunctionUrlConfig.Answer {
        let target = try await urlTarget(reference, qualifier: qualifier, missing: Self.urlNotFound)
        guard let config = try await store.setting(Self.urlSetting, of: target.id, as: FunctionUrlConfig.self) else {
            throw Self.urlNotFound
        }
        return answer(config, base: base)
    }

    public func updateFunctionUrl(_ reference: String, qualifier: String?, _ request: FunctionUrlRequest, base: FunctionUrlBase)
        async throws -> FunctionUrlConfig.Answer {
        let target = try await urlTarget(reference, qualifier: qualifier)
        if let authType = request.authType { try Self.validateUrl(authType: authType, invokeMode: nil, cors: nil) }
        try Self.validateUrl(authType: nil, invokeMode: request.invokeMode, cors: request.cors)
        let now = LambdaTimestamp.iso8601(Date())
        let updated = try await updateUrl(target) { (existing: FunctionUrlConfig?) in
            guard var config = existing else { throw Self.urlNotFound }
            if let authType = request.authType { config.authType = authType }
            if let cors = request.cors { config.cors = cors }
            if let mode = request.invokeMode { config.invokeMode = mode }
            config.lastModifiedTime = now
            return config
        }
        guard let updated else { throw Self.urlNotFound }
        urls.put(updated, for: target.id)
        var result = answer(updated, base: base)
        if request.invokeMode == nil && updated.invokeMode == "BUFFERED" { result.invokeMode = nil }
        return result
    }

    public func deleteFunctionUrl(_ reference: String, qualifier: String?) async throws {
        let target = try await urlTarget(reference, qualifier: qualifier, missing: Self.urlNotFound)
        try await updateUrl(target) { (existing: FunctionUrlConfig?) in
            guard existing != nil else { throw Self.urlNotFound }
            return nil
        }
        urls.remove(function: target.id.functionName, qualifier: target.id.qualifier)
    }

    public func listFunctionUrls(_ reference: String, marker: String?, maxItems: Int?, base: FunctionUrlBase) async throws
        -> (configs: [FunctionUrlConfig.Answer], nextMarker: String?) {
        let latest: FunctionRecord
        do {
            latest = try await latestFunction(reference)
        } catch let error as LambdaError where error.type == "ResourceNotFoundException" {
            throw Self.functionDoesNotExist
        }
        let request = try PageRequest(marker: marker, maxItems: maxItems, cap: 50)
        let all = try await store.settings(Self.urlSetting, function: latest.name, as: FunctionUrlConfig.self)
            .map { (key: $0.id.qualifier ?? "", config: $0.value) }
            .filter { request.after == nil || $0.key > request.after! }
        let page = all.prefix(request.limit)
        return (page.map { answer($0.config, base: base) }, PageRequest.marker(after: page.last?.key, more: all.count > request.limit))
    }

    /// The function a URL id routes to, with its configuration; nil for an unknown id.
    func functionUrl(id: String) async throws -> (id: FunctionSettingID, config: FunctionUrlConfig)? {
        if !urls.isLoaded { try await loadFunctionUrls() }
        return urls.lookup(id)
    }

    /// Reads every function URL into the routing index (at startup).
    public func loadFunctionUrls() async throws {
        let all = try await store.settings(Self.urlSetting, function: nil, as: FunctionUrlConfig.self)
        urls.load(all.map { ($0.id, $0.value) })
    }

    /// The API's answer, with the URL as this server serves it now (its port or `--url-domain`
    /// may have changed since the URL was created; the id never does).
    private func answer(_ config: FunctionUrlConfig, base: FunctionUrlBase) -> FunctionUrlConfig.Answer {
        var answer = config.answer
        answer.functionUrl = base.url(id: config.urlID, region: names.region)
        return answer
    }

    // MARK: Rules

    private struct UrlTarget {
        var id: FunctionSettingID
        var arn: String
    }

    /// `$LATEST` or an alias; AWS refuses version numbers (the qualifier's pattern excludes them).
    /// A missing function or alias is "Function does not exist" to Create, Update and List,
    /// "The resource you requested does not exist." to Get and Delete, as AWS words it.
    private func urlTarget(_ reference: String, qualifier: String?, missing: LambdaError = Self.functionDoesNotExist) async throws
        -> UrlTarget {
        if let qualifier {
            let valid = !qualifier.isEmpty && qualifier.utf8.count <= 128 && !Self.isVersionNumber(qualifier)
                && qualifier.utf8.allSatisfy(QueueRules.isNameByte)
            guard valid else {
                throw LambdaError.validation(value: qualifier, field: "qualifier",
                                             constraint: #"Member must satisfy regular expression pattern: ((?!^\d+$)^[0-9a-zA-Z-_]+$)"#)
            }
        }
        let target: QualifiedName
        do {
            target = try await qualifiedName(reference, qualifier: qualifier)
        } catch let error as LambdaError where error.type == "ResourceNotFoundException" {
            throw missing
        }
        if let inName = target.qualifier, Self.isVersionNumber(inName) || inName == FunctionVersion.latest.rawValue {
            throw LambdaError.validation(value: inName, field: "qualifier",
                                         constraint: #"Member must satisfy regular expression pattern: ((?!^\d+$)^[0-9a-zA-Z-_]+$)"#)
        }
        return UrlTarget(id: FunctionSettingID(functionName: target.functionName, qualifier: target.qualifier), arn: target.arn)
    }

    @discardableResult
    private func updateUrl(_ target: UrlTarget, _ change: @escaping @Sendable (FunctionUrlConfig?) throws -> FunctionUrlConfig?)
        async throws -> FunctionUrlConfig? {
        do {
            return try await store.updateSetting(Self.urlSetting, of: target.id, change)
        } catch FunctionSettingError.functionMissing {
            throw LambdaError.functionNotFound(arn: target.arn)
        }
    }

    static func validateUrl(authType: String?, invokeMode: String?, cors: Cors?) throws {
        if let authType, !FunctionUrlConfig.authTypes.contains(authType) {
            throw LambdaError.validation(value: authType, field: "authType", constraint: "Member must satisfy enum value set: [AWS_IAM, NONE]")
        }
        if let invokeMode, !FunctionUrlConfig.invokeModes.contains(invokeMode) {
            throw LambdaError.validation(value: invokeMode, field: "invokeMode",
                                         constraint: "Member must satisfy enum value set: [BUFFERED, RESPONSE_STREAM]")
        }
        guard let cors else { return }
        if let maxAge = cors.maxAge, !(0...86_400).contains(maxAge) {
            throw LambdaError.validation(value: "\(maxAge)", field: "cors.maxAge",
                                         constraint: maxAge < 0 ? "Member must have value greater than or equal to 0"
                                                                : "Member must have value less than or equal to 86400")
        }
        let lists: [(String, [String]?, Int, Int)] = [
            ("cors.allowOrigins", cors.allowOrigins, 100, 253), ("cors.allowMethods", cors.allowMethods, 6, 6),
            ("cors.allowHeaders", cors.allowHeaders, 100, 1024), ("cors.exposeHeaders", cors.exposeHeaders, 100, 1024),
        ]
        for (field, values, maxItems, maxLength) in lists {
            guard let values else { continue }
            if values.count > maxItems {
                throw LambdaError.validation(value: "[\(values.joined(separator: ", "))]", field: field,
                                             constraint: "Member must have length less than or equal to \(maxItems)")
            }
            for value in values where value.utf8.count > maxLength || (field == "cors.allowOrigins" && value.isEmpty) {
                throw LambdaError.validation(value: "[\(values.joined(separator: ", "))]", field: field,
                                             constraint: "Member must satisfy constraint: [Member must have length less than or equal to \(maxLength), Member must have length greater than or equal to \(field == "cors.allowOrigins" ? 1 : 0)]")
            }
        }
    }

    static let functionDoesNotExist = LambdaError(status: 404, type: "ResourceNotFoundException", message: "Function does not exist")
    static let urlNotFound = LambdaError(status: 404, type: "ResourceNotFoundException", message: "The resource you requested does not exist.")

    /// 32 random characters of `[a-z0-9]`, as AWS's URL ids.
    static func newUrlID() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8)
        var generator = SystemRandomNumberGenerator()
        return String(decoding: (0..<32).map { _ in alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))] }, as: UTF8.self)
    }
}

/// Function URLs by id, for routing: loaded from the store on first use, then kept current by
/// `FunctionService`, through which every change goes (URL operations, and deleting a
/// function or an alias, which deletes its URL).
final class FunctionUrlIndex: Sendable {
    private struct State {
        var loaded = false
        var byID: [String: (id: FunctionSettingID, config: FunctionUrlConfig)] = [:]
    }

    private let state = Mutex(State())

    var isLoaded: Bool { state.withLock { $0.loaded } }

    func load(_ all: [(FunctionSettingID, FunctionUrlConfig)]) {
        state.withLock { state in
            guard !state.loaded else { return }
            for (id, config) in all { state.byID[config.urlID] = (id, config) }
            state.loaded = true
        }
    }

    func lookup(_ urlID: String) -> (id: FunctionSettingID, config: FunctionUrlConfig)? {
        state.withLock { $0.byID[urlID] }
    }

    func put(_ config: FunctionUrlConfig, for id: FunctionSettingID) {
        state.withLock { state in
            state.byID = state.byID.filter { $0.value.id != id }
            state.byID[config.urlID] = (id, config)
        }
    }

    func remove(function: String, qualifier: String?) {
        state.withLock { state in state.byID = state.byID.filter { $0.value.id != FunctionSettingID(functionName: function, qualifier: qualifier) } }
    }

    func removeFunction(_ function: String) {
        state.withLock { state in state.byID = state.byID.filter { $0.value.id.functionName != function } }
    }
}
