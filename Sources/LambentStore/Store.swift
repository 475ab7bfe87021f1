import LambentModel

/// Functions and their versions. A function has function-level attributes (tags, reserved
/// concurrency) and one record per version, keyed by (name, version): `$LATEST` always,
/// published numbers once versions exist.
///
/// One protocol, with SQLite now and PostgreSQL later, so that both pass one conformance suite.
public protocol FunctionStore: Sendable {
    /// Inserts a new function with its `$LATEST` record; returns false when the name is taken.
    func insertFunction(_ record: FunctionRecord) async throws -> Bool
    /// One version of a function, if both exist.
    func function(_ id: FunctionVersionID) async throws -> FunctionRecord?
    /// Replaces a function's `$LATEST` record (and its attributes) inside one transaction:
    /// `change` sees the current record and returns the new one (or throws to abort).
    /// Returns nil when there is no such function.
    func updateFunction(
        named name: String, _ change: @Sendable (FunctionRecord) throws -> FunctionRecord
    ) async throws -> FunctionRecord?
    /// Deletes a function and every version of it; returns its `$LATEST` record, or nil if
    /// there was none.
    func deleteFunction(named name: String) async throws -> FunctionRecord?
    /// Functions (their `$LATEST` records) in name order, strictly after `marker`, at most `limit`.
    func listFunctions(after marker: String?, limit: Int) async throws -> [FunctionRecord]
    /// Adds a published version of an existing function; false when that version exists
    /// or the function does not.
    func insertVersion(_ record: FunctionRecord) async throws -> Bool
    /// Deletes one published version (never `$LATEST`); returns it, or nil if there was none.
    func deleteVersion(_ id: FunctionVersionID) async throws -> FunctionRecord?
    /// A function's versions in version order (`$LATEST` first, then by number), after
    /// `marker` (a version), at most `limit`.
    func listVersions(of name: String, after marker: FunctionVersion?, limit: Int) async throws -> [FunctionRecord]
    /// How many functions exist and the sum of the code sizes of all their versions.
    func usage() async throws -> (functionCount: Int, totalCodeSize: Int)
    /// Whether any version of any function still uses this code blob.
    func isCodeReferenced(_ codeKey: String) async throws -> Bool
}

extension FunctionStore {
    /// A function's `$LATEST` record.
    public func function(named name: String) async throws -> FunctionRecord? {
        try await function(FunctionVersionID(functionName: name, version: .latest))
    }
}

/// Aliases of functions, keyed by (function name, alias name). Deleting a function deletes
/// its aliases.
public protocol AliasStore: Sendable {
    /// Adds an alias; false when the function has one of that name.
    func insertAlias(_ alias: AliasConfiguration, function: String) async throws -> Bool
    func alias(_ name: String, function: String) async throws -> AliasConfiguration?
    /// Replaces an alias inside one transaction; nil when there is no such alias.
    func updateAlias(
        _ name: String, function: String, _ change: @Sendable (AliasConfiguration) throws -> AliasConfiguration
    ) async throws -> AliasConfiguration?
    /// Deletes an alias; the deleted one, or nil if there was none.
    func deleteAlias(_ name: String, function: String) async throws -> AliasConfiguration?
    /// A function's aliases in name order, after `marker`, at most `limit`.
    func listAliases(function: String, after marker: String?, limit: Int) async throws -> [AliasConfiguration]
}

/// Layers: versions numbered per layer name, never reusing a number, even after the
/// versions are deleted.
public protocol LayerStore: Sendable {
    /// Stores a new version of `layerName`, numbered one past the last ever published;
    /// `make` builds it from that number.
    func publishLayerVersion(
        _ layerName: String, _ make: @Sendable (Int) throws -> LayerVersionRecord
    ) async throws -> LayerVersionRecord
    func layerVersion(_ layerName: String, version: Int) async throws -> LayerVersionRecord?
    /// Every version of every layer (of `layerName` when given), by name, then newest first.
    func listLayerVersions(_ layerName: String?) async throws -> [LayerVersionRecord]
    func updateLayerVersion(
        _ layerName: String, version: Int, _ change: @Sendable (LayerVersionRecord) throws -> LayerVersionRecord
    ) async throws -> LayerVersionRecord?
    func deleteLayerVersion(_ layerName: String, version: Int) async throws -> LayerVersionRecord?
}

/// Records that hang off a function or one of its qualifiers — resource policies, provisioned
/// concurrency, runtime-management and recursion settings — kept as JSON documents by kind
/// and deleted with the function, version or alias they belong to.
public protocol FunctionSettingStore: Sendable {
    func setting<T: Codable & Sendable>(_ kind: FunctionSettingKind, of id: FunctionSettingID, as type: T.Type) async throws -> T?
    /// Replaces (or, when `change` returns nil, removes) one setting in a transaction.
    /// - Throws: `FunctionSettingError.functionMissing` when the function is gone.
    func updateSetting<T: Codable & Sendable>(
        _ kind: FunctionSettingKind, of id: FunctionSettingID, _ change: @Sendable (T?) throws -> T?
    ) async throws -> T?
    /// Every setting of a kind, across functions (or of one function), by function, then qualifier.
    func settings<T: Codable & Sendable>(_ kind: FunctionSettingKind, function: String?, as type: T.Type) async throws
        -> [(id: FunctionSettingID, value: T)]
}

/// What a setting is.
public struct FunctionSettingKind: RawRepresentable, Sendable, Hashable {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let policy = FunctionSettingKind(rawValue: "policy")
    public static let provisionedConcurrency = FunctionSettingKind(rawValue: "provisionedConcurrency")
    public static let runtimeManagement = FunctionSettingKind(rawValue: "runtimeManagement")
    public static let recursion = FunctionSettingKind(rawValue: "recursion")
}

/// Whose a setting is: a function, and a qualifier (a version number or an alias name), or
/// none for the unqualified function.
public struct FunctionSettingID: Sendable, Hashable {
    public var functionName: String
    public var qualifier: String?

    public init(functionName: String, qualifier: String? = nil) {
        self.functionName = functionName
        self.qualifier = qualifier
    }
}

public enum FunctionSettingError: Error, Sendable {
    case functionMissing
}

/// Event source mappings, by UUID.
public protocol EventSourceMappingStore: Sendable {
    /// Inserts a mapping unless one maps the same source to the same function; returns the
    /// existing one then.
    func insertMapping(_ mapping: EventSourceMapping, functionName: String) async throws -> EventSourceMapping?
    func mapping(_ uuid: String) async throws -> EventSourceMapping?
    func updateMapping(_ uuid: String, _ change: @Sendable (EventSourceMapping) throws -> EventSourceMapping) async throws -> EventSourceMapping?
    func deleteMapping(_ uuid: String) async throws -> EventSourceMapping?
    /// Mappings by UUID, optionally of one function and/or one source.
    func listMappings(functionName: String?, sourceArn: String?) async throws -> [EventSourceMapping]
    /// A mapping's tags (kept beside it, not in its configuration); nil when there is no such mapping.
    func mappingTags(_ uuid: String) async throws -> [String: String]?
    /// Changes a mapping's tags in one transaction; nil when there is no such mapping.
    func updateMappingTags(_ uuid: String, _ change: @Sendable ([String: String]) throws -> [String: String]) async throws
        -> [String: String]?
}

/// Everything Lambent keeps, by concern. A queue store (async events, SQS) joins these as a
/// protocol of its own, so that a PostgreSQL implementation can take each part in turn.
public typealias Store = FunctionStore & AliasStore & LayerStore & FunctionSettingStore & QueueStore & EventSourceMappingStore & LogStore & ScheduleStore
    & MetricStore
