import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("FunctionRoutes")
struct FunctionRoutesTests {
    static func arn(_ name: String) -> String { "arn:aws:lambda:us-east-1:000000000000:function:\(name)" }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    @Test("CreateFunction answers 201 with the function Pending")
    func create() async throws {
        try await ServerHarness.run { client in
            let response = try await client.createFunction("hello")
            #expect(response.status == .created)
            let body = try response.json()
            #expect(body["FunctionName"] as? String == "hello")
            #expect(body["FunctionArn"] as? String == Self.arn("hello"))
            #expect(body["State"] as? String == "Pending")
            #expect(body["StateReason"] as? String == "The function is being created.")
            #expect(body["StateReasonCode"] as? String == "Creating")
            #expect(body["CodeSize"] as? Int == ZipBuilder.hello.count)
            #expect(body["Runtime"] as? String == "python3.12")
            #expect(body["MemorySize"] as? Int == 128)
            #expect(body["Timeout"] as? Int == 3)
            #expect(body["Version"] as? String == "$LATEST")
            #expect((body["RevisionId"] as? String)?.isEmpty == false)
            #expect(body["LastUpdateStatus"] == nil)
        }
    }

    @Test("GetFunction shows it Active with a pre-signed Code.Location that serves the zip")
    func getAndDownload() async throws {
        try await ServerHarness.run { client in
            let created = try await client.createFunction("hello").json()
            let response = try await client.send(.get, "/2015-03-31/functions/hello")
            #expect(response.status == .ok)
            let body = try response.json()
            let configuration = try #require(body["Configuration"] as? [String: Any])
            #expect(configuration["State"] as? String == "Active")
            #expect(configuration["LastUpdateStatus"] as? String == "Successful")
            #expect(configuration["RevisionId"] as? String == created["RevisionId"] as? String)
            let code = try #require(body["Code"] as? [String: Any])
            #expect(code["RepositoryType"] as? String == "S3")

            let shaText = try #require(configuration["CodeSha256"] as? String)
            let sha = try #require(Data(base64Encoded: shaText))
            let digest = Self.hex(Array(sha))
            let location = try #require(code["Location"] as? String)
            let prefix = "http://localhost/lambent/v1/code/\(digest)?token="
            #expect(location.hasPrefix(prefix), "\(location)")

            let path = String(location.dropFirst("http://localhost".count))
            let download = try await client.unsigned(.get, path)
            #expect(download.status == .ok)
            #expect(download.headers[.contentType] == "application/zip")
            #expect(download.bytes == ZipBuilder.hello)

            let token = String(location.dropFirst(prefix.count))
            let wrong = String(token.dropLast()) + (token.hasSuffix("0") ? "1" : "0")
            let refused = try await client.unsigned(.get, "/lambent/v1/code/\(digest)?token=\(wrong)")
            #expect(refused.status == .forbidden)
            let otherKey = String(repeating: "0", count: 64)
            #expect(try await client.unsigned(.get, "/lambent/v1/code/\(otherKey)?token=\(token)").status == .forbidden)
        }
    }

    @Test("GetFunction accepts an ARN and GetFunctionConfiguration returns the bare configuration")
    func getByARN() async throws {
        try await ServerHarness.run { client in
            _ = try await client.createFunction("hello")
            let escaped = Self.arn("hello").addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "-_.~")))!
            let byARN = try await client.send(.get, "/2015-03-31/functions/\(escaped)")
            #expect(byARN.status == .ok)
            let configuration = try await client.send(.get, "/2015-03-31/functions/hello/configuration")
            #expect(configuration.status == .ok)
            let body = try configuration.json()
            #expect(body["FunctionName"] as? String == "hello")
            #expect(body["Code"] == nil)
        }
    }

    @Test("CreateFunction refuses a name that exists")
    func createTwice() async throws {
        try await ServerHarness.run { client in
            _ = try await client.createFunction("hello")
            let response = try await client.createFunction("hello")
            #expect(response.status == .conflict)
            let error = try response.awsError()
            #expect(error.type == "ResourceConflictException")
            #expect(error.message == "Function already exist: hello")
        }
    }

    @Test("CreateFunction refuses a zip it cannot open, with AWS's message")
    func invalidZip() async throws {
        try await ServerHarness.run { client in
            let response = try await client.createFunction("broken", zip: Array("this is not a zip file".utf8))
            #expect(response.status == .badRequest)
            let error = try response.awsError()
            #expect(error.type == "InvalidParameterValueException")
            #expect(error.isUser)
            #expect(error.message == "Could not unzip uploaded file. Please check your file, then try to upload again.")
            #expect(try await client.send(.get, "/2015-03-31/functions/broken").status == .notFound)
        }
    }

    @Test("CreateFunction validates before it stores anything")
    func createValidation() async throws {
        try await ServerHarness.run { client in
            let response = try await client.createFunction("hello", extra: ["MemorySize": 64])
            #expect(response.status == .badRequest)
            #expect(try response.awsError().message
                == "1 validation error detected: Value '64' at 'memorySize' failed to satisfy constraint: Member must have value greater than or equal to 128")
            let deprecated = try await client.createFunction("hello", extra: ["Runtime": "python3.7"])
            #expect(try deprecated.awsError().type == "InvalidParameterValueException")
            #expect(try await client.send(.get, "/2015-03-31/functions/hello").status == .notFound)
        }
    }

    @Test("ListFunctions pages with MaxItems and NextMarker")
    func listPagination() async throws {
        try await ServerHarness.run { client in
            for name in ["fn-c", "fn-a", "fn-e", "fn-b", "fn-d"] {
                #expect(try await client.createFunction(name).status == .created)
            }
            var names: [String] = []
            var marker: String?
            var pages = 0
            repeat {
                var uri = "/2015-03-31/functions?MaxItems=2"
                if let marker {
                    uri += "&Marker=" + marker.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
                }
                let response = try await client.send(.get, uri)
                #expect(response.status == .ok)
                let body = try response.json()
                let functions = try #require(body["Functions"] as? [[String: Any]])
                #expect(functions.count <= 2)
                for function in functions {
                    #expect(function["State"] == nil, "ListFunctions omits State")
                    #expect(function["RuntimeVersionConfig"] == nil)
                }
                names += functions.compactMap { $0["FunctionName"] as? String }
                marker = body["NextMarker"] as? String
                pages += 1
            } while marker != nil && pages < 10
            #expect(pages == 3)
            #expect(names == ["fn-a", "fn-b", "fn-c", "fn-d", "fn-e"])
        }
    }

    @Test("ListFunctions without MaxItems returns everything and no NextMarker")
    func listAll() async throws {
        try await ServerHarness.run { client in
            _ = try await client.createFunction("only")
            let body = try await client.send(.get, "/2015-03-31/functions").json()
            #expect((body["Functions"] as? [Any])?.count == 1)
            #expect(body["NextMarker"] == nil)
        }
    }

    @Test("UpdateFunctionConfiguration applies changes and checks RevisionId")
    func updateConfiguration() async throws {
        try await ServerHarness.run { client in
            let created = try await client.createFunction("hello").json()
            let revision = try #require(created["RevisionId"] as? String)

            let stale = try await client.send(.put, "/2015-03-31/functions/hello/configuration",
                                              json: ["MemorySize": 256, "RevisionId": "00000000-0000-0000-0000-000000000000"])
            #expect(stale.status == .preconditionFailed)
            let error = try stale.awsError()
            #expect(error.type == "PreconditionFailedException")
            #expect(error.message == "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id")

            let updated = try await client.send(.put, "/2015-03-31/functions/hello/configuration",
                                                json: ["MemorySize": 256, "RevisionId": revision])
            #expect(updated.status == .ok)
            let body = try updated.json()
            #expect(body["MemorySize"] as? Int == 256)
            #expect(body["LastUpdateStatus"] as? String == "InProgress")
            #expect(body["RevisionId"] as? String != revision)

            let again = try await client.send(.put, "/2015-03-31/functions/hello/configuration",
                                              json: ["Timeout": 10, "RevisionId": revision])
            #expect(again.status == .preconditionFailed, "the first update made the old revision stale")
            let read = try await client.send(.get, "/2015-03-31/functions/hello/configuration").json()
            #expect(read["MemorySize"] as? Int == 256)
            #expect(read["Timeout"] as? Int == 3)
            #expect(read["LastUpdateStatus"] as? String == "Successful")
        }
    }

    @Test("DeleteFunction answers 204, then the function is not found")
    func delete() async throws {
        try await ServerHarness.run { client in
            _ = try await client.createFunction("doomed")
            let deleted = try await client.send(.delete, "/2015-03-31/functions/doomed")
            #expect(deleted.status == .noContent)
            #expect(deleted.body.readableBytes == 0)
            for response in [try await client.send(.get, "/2015-03-31/functions/doomed"),
                             try await client.send(.delete, "/2015-03-31/functions/doomed")] {
                #expect(response.status == .notFound)
                let error = try response.awsError()
                #expect(error.type == "ResourceNotFoundException")
                #expect(error.message == "Function not found: \(Self.arn("doomed"))")
            }
        }
    }

    @Test("GetAccountSettings has AWS's shape and counts functions")
    func accountSettings() async throws {
        try await ServerHarness.run { client in
            _ = try await client.createFunction("hello")
            let response = try await client.send(.get, "/2016-08-19/account-settings")
            #expect(response.status == .ok)
            let body = try response.json()
            #expect(Set(body.keys) == ["AccountLimit", "AccountUsage"])
            let limit = try #require(body["AccountLimit"] as? [String: Any])
            #expect(Set(limit.keys) == ["CodeSizeUnzipped", "CodeSizeZipped", "ConcurrentExecutions", "TotalCodeSize",
                                        "UnreservedConcurrentExecutions"])
            #expect(limit["CodeSizeZipped"] as? Int == 52_428_800)
            #expect(limit["CodeSizeUnzipped"] as? Int == 262_144_000)
            #expect(limit["ConcurrentExecutions"] as? Int == 1000)
            let usage = try #require(body["AccountUsage"] as? [String: Any])
            #expect(Set(usage.keys) == ["FunctionCount", "TotalCodeSize"])
            #expect(usage["FunctionCount"] as? Int == 1)
            #expect(usage["TotalCodeSize"] as? Int == ZipBuilder.hello.count)
        }
    }
}
