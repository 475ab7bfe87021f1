import Foundation

/// A function URL's configuration (`FunctionUrlConfig`), as stored and as the API answers it.
public struct FunctionUrlConfig: Codable, Sendable, Equatable {
    /// The 32-character lower-case id, the first label of the URL's host.
    public var urlID: String
    public var functionUrl: String
    public var functionArn: String
    public var authType: String
    public var cors: Cors?
    public var creationTime: String
    public var lastModifiedTime: String
    public var invokeMode: String

    public init(urlID: String, functionUrl: String, functionArn: String, authType: String, cors: Cors?, creationTime: String,
                lastModifiedTime: String, invokeMode: String) {
        self.urlID = urlID
        self.functionUrl = functionUrl
        self.functionArn = functionArn
        self.authType = authType
        self.cors = cors
        self.creationTime = creationTime
        self.lastModifiedTime = lastModifiedTime
        self.invokeMode = invokeMode
    }

    enum CodingKeys: String, CodingKey {
        case urlID = "LambentUrlId", functionUrl = "FunctionUrl", functionArn = "FunctionArn", authType = "AuthType", cors = "Cors"
        case creationTime = "CreationTime", lastModifiedTime = "LastModifiedTime", invokeMode = "InvokeMode"
    }

    /// The API's view: every field but the internal id.
    public var answer: Answer {
        Answer(functionUrl: functionUrl, functionArn: functionArn, authType: authType, cors: cors, creationTime: creationTime,
               lastModifiedTime: lastModifiedTime, invokeMode: invokeMode)
    }

    public struct Answer: Encodable, Sendable, Equatable {
        public var functionUrl: String
        public var functionArn: String
        public var authType: String
        public var cors: Cors?
        public var creationTime: String
        public var lastModifiedTime: String?
        /// Always in `Get` and `List`; in `Create` and `Update` only when given or not `BUFFERED`, as AWS answers.
        public var invokeMode: String?

        enum CodingKeys: String, CodingKey {
            case functionUrl = "FunctionUrl", functionArn = "FunctionArn", authType = "AuthType", cors = "Cors"
            case creationTime = "CreationTime", lastModifiedTime = "LastModifiedTime", invokeMode = "InvokeMode"
        }
    }

    public static let authTypes = ["NONE", "AWS_IAM"]
    public static let invokeModes = ["BUFFERED", "RESPONSE_STREAM"]
}

/// `Cors` of a function URL.
public struct Cors: Codable, Sendable, Equatable {
    public var allowCredentials: Bool?
    public var allowHeaders: [String]?
    public var allowMethods: [String]?
    public var allowOrigins: [String]?
    public var exposeHeaders: [String]?
    public var maxAge: Int?

    public init(allowCredentials: Bool? = nil, allowHeaders: [String]? = nil, allowMethods: [String]? = nil,
                allowOrigins: [String]? = nil, exposeHeaders: [String]? = nil, maxAge: Int? = nil) {
        self.allowCredentials = allowCredentials
        self.allowHeaders = allowHeaders
        self.allowMethods = allowMethods
        self.allowOrigins = allowOrigins
        self.exposeHeaders = exposeHeaders
        self.maxAge = maxAge
    }

    enum CodingKeys: String, CodingKey {
        case allowCredentials = "AllowCredentials", allowHeaders = "AllowHeaders", allowMethods = "AllowMethods"
        case allowOrigins = "AllowOrigins", exposeHeaders = "ExposeHeaders", maxAge = "MaxAge"
    }
}

/// The body of `CreateFunctionUrlConfig` and `UpdateFunctionUrlConfig`.
public struct FunctionUrlRequest: Decodable, Sendable {
    public var authType: String?
    public var cors: Cors?
    public var invokeMode: String?

    public init(authType: String? = nil, cors: Cors? = nil, invokeMode: String? = nil) {
        self.authType = authType
        self.cors = cors
        self.invokeMode = invokeMode
    }

    enum CodingKeys: String, CodingKey { case authType = "AuthType", cors = "Cors", invokeMode = "InvokeMode" }
}
