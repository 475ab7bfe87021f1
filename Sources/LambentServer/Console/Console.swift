import Foundation
import HTTPTypes
import Hummingbird
import LambentAuth
import LambentCode
import LambentModel
import LambentStore
import Logging
import MultipartKit
import NIOCore

/// The web console at `/console`, on the server's port only (never on the socket functions
/// reach). Signed in with the root access key and secret; a session cookie (`lambent_console`:
/// HttpOnly, SameSite=Strict, Path=/console, short-lived) and a per-session CSRF token on every
/// form. Pages are HTML written by the server with every value escaped, charts are SVG drawn
/// by the server, and the only script is inline (the log tail's poller): nothing is fetched
/// from anywhere else.
struct Console: RouterMiddleware {
    typealias Context = LambentRequestContext

    let rootKey: AccessKey
    let sessions: ConsoleSessions
    let functions: FunctionService
    let invocations: InvocationService
    let logs: LogsService
    let cloudWatch: CloudWatchService
    let store: SQLiteStore
    let mappings: EventSourceMappingService
    let queues: QueueService
    let urlBase: FunctionUrlBase
    let names: ResourceNames
    let logger: Logger

    static let cookie = "lambent_console"
    static let loginCookie = "lambent_console_login"
    /// Uploads: Lambda's 50 MB zip limit, with room for the form around it.
    static let maxUpload = 52 * 1024 * 1024
    static let maxForm = 1024 * 1024

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard path == "/console" || path.hasPrefix("/console/") else { return try await next(request, context) }
        do {
            return try await route(request, path: String(path.dropFirst("/console".count)))
        } catch let page as ConsolePage.Refusal {
            return page.response
        } catch {
            logger.error("console: \(error)")
            return ConsolePage.Refusal(status: .internalServerError, message: "Something went wrong: \(error)").response
        }
    }

    private func route(_ request: Request, path: String) async throws -> Response {
        let method = request.method
        if path == "/login" {
            return method == .post ? try await signIn(request) : loginPage(error: nil, status: .ok)
        }
        guard let session = cookie(Self.cookie, in: request).flatMap({ sessions.session($0) }) else {
            return Self.redirect("/console/login")
        }
        let page = ConsolePage(session: session, nonce: RandomID.hex(32))
        if method == .post {
            let form = try await self.form(request)
            guard let token = form["csrf"], ConsoleSessions.same(token, session.csrf) else {
                throw ConsolePage.Refusal(status: .forbidden, message: "The form has expired or was not sent by this console.")
            }
            return try await post(path, form: form, page: page)
        }
        guard method == .get || method == .head else { throw ConsolePage.Refusal(status: .methodNotAllowed, message: "Not allowed.") }
        let query = request.uri.queryParameters
        switch path {
        case "", "/":
            return page.html(title: "Functions", body: try await ConsoleViews(console: self).functionList(page: page))
        case "/create":
            return page.html(title: "Create function", body: ConsoleViews.createForm(page: page, values: [:], error: nil))
        case "/usage":
            return page.html(title: "Usage", body: try await ConsoleViews(console: self).usage())
        case "/queues":
            return page.html(title: "Queues", body: try await ConsoleViews(console: self).queueList())
        default:
            guard let (name, rest) = Self.functionPath(path) else { throw ConsolePage.Refusal(status: .notFound, message: "No such page.") }
            if rest == "/logs.json" {
                return try await logLines(name: name, after: query.get("after").flatMap { Int64($0) } ?? 0)
            }
            guard rest.isEmpty else { throw ConsolePage.Refusal(status: .notFound, message: "No such page.") }
            let views = ConsoleViews(console: self)
            let tab = query.get("tab") ?? "code"
            let body = try await views.functionPage(name: name, tab: tab, page: page, query: query.map { (String($0.key), String($0.value)) })
            return page.html(title: name, body: body)
        }
    }

    private func post(_ path: String, form: [String: String], page: ConsolePage) async throws -> Response {
        let views = ConsoleViews(console: self)
        switch path {
        case "/logout":
            sessions.end(page.session.id)
            var response = Self.redirect("/console/login")
            response.headers.append(HTTPField(name: .setCookie, value: "\(Self.cookie)=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0"))
            return response
        case "/create":
            return try await views.create(form: form, page: page)
        default:
            guard let (name, action) = Self.functionPath(path) else { throw ConsolePage.Refusal(status: .notFound, message: "No such page.") }
            switch action {
            case "/code": return try await views.deployCode(name: name, form: form, page: page)
            case "/test": return try await views.runTest(name: name, form: form, page: page)
            case "/configuration": return try await views.configure(name: name, form: form, page: page)
            default: throw ConsolePage.Refusal(status: .notFound, message: "No such page.")
            }
        }
    }

    /// `/functions/<name>[/<rest>]` → (name, rest).
    static func functionPath(_ path: String) -> (String, String)? {
        guard path.hasPrefix("/functions/") else { return nil }
        let remainder = path.dropFirst("/functions/".count)
        let name = remainder.prefix { $0 != "/" }
        guard !name.isEmpty, let decoded = String(name).removingPercentEncoding else { return nil }
        return (decoded, String(remainder.dropFirst(name.count)))
    }

    // MARK: Signing in

    private func loginPage(error: String?, status: HTTPResponse.Status) -> Response {
        let token = RandomID.hex(32)
        let nonce = RandomID.hex(32)
        let notice = error.map { "<p class=\"error\">\(HTML.escape($0))</p>" } ?? ""
        let body = """
            <h1>Sign in</h1>\(notice)
            <form id="login" class="panel" method="post" action="/console/login">
            <input type="hidden" name="csrf" value="\(token)">
            <label for="accessKeyId">Access key ID</label><input type="text" id="accessKeyId" name="accessKeyId" autocomplete="username">
            <label for="secretAccessKey">Secret access key</label>
            <input type="password" id="secretAccessKey" name="secretAccessKey" autocomplete="current-password">
            <div><button type="submit">Sign in</button></div>
            <p>The server's key: <code>lambent serve</code> prints where it keeps it (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY).</p>
            </form>
            """
        var response = ConsolePage.response(status: status, html: HTML.page(title: "Sign in", csrf: nil, nonce: nonce, body: body), nonce: nonce)
        response.headers.append(HTTPField(name: .setCookie, value: "\(Self.loginCookie)=\(token); Path=/console/login; HttpOnly; SameSite=Strict; Max-Age=900"))
        return response
    }

    private func signIn(_ request: Request) async throws -> Response {
        let form = try await self.form(request)
        guard let token = form["csrf"], let expected = cookie(Self.loginCookie, in: request), ConsoleSessions.same(token, expected) else {
            throw ConsolePage.Refusal(status: .forbidden, message: "The form has expired or was not sent by this console.")
        }
        let keyMatches = ConsoleSessions.same(form["accessKeyId"] ?? "", rootKey.accessKeyID)
        let secretMatches = ConsoleSessions.same(form["secretAccessKey"] ?? "", rootKey.secretAccessKey)
        guard keyMatches && secretMatches else {
            logger.notice("console: a sign-in was refused")
            return loginPage(error: "The access key or secret is not right.", status: .unauthorized)
        }
        let session = sessions.create()
        var response = Self.redirect("/console/")
        response.headers.append(HTTPField(name: .setCookie, value: """
            \(Self.cookie)=\(session.id); Path=/console; HttpOnly; SameSite=Strict; Max-Age=\(Int(sessions.lifetimeSeconds.rounded(.up)))
            """))
        response.headers.append(HTTPField(name: .setCookie, value: "\(Self.loginCookie)=; Path=/console/login; HttpOnly; SameSite=Strict; Max-Age=0"))
        return response
    }

    // MARK: Logs for the live tail

    /// The group's events stored after row `after` (the tail follows storage order, so lines
    /// that reach the store late, with earlier timestamps, are not passed over); events over an
    /// hour old are skipped. `next` is the last row seen.
    private func logLines(name: String, after: Int64) async throws -> Response {
        let record = try await functions.function(name)
        let group = record.configuration.loggingConfig.logGroup
        let hourAgo = Int64(Date().timeIntervalSince1970 * 1000) - 3600 * 1000
        let events = try await store.logEvents(group: group, afterID: after, limit: 1000)
        let shown = events.filter { $0.timestamp >= hourAgo }.suffix(500)
        let body: [String: Any] = ["events": shown.map { ["timestamp": $0.timestamp, "message": $0.message] },
                                   "next": events.last?.id ?? after]
        let data = try JSONSerialization.data(withJSONObject: body)
        return Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    // MARK: Requests

    private func cookie(_ name: String, in request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name {
                    return parts[1].trimmingCharacters(in: .whitespaces)
                }
            }
        }
        return nil
    }

    /// A posted form, URL-encoded or multipart (an uploaded file arrives base64-encoded under its field's name).
    private func form(_ request: Request) async throws -> [String: String] {
        let contentType = request.headers[.contentType] ?? ""
        let limit = contentType.hasPrefix("multipart/form-data") ? Self.maxUpload : Self.maxForm
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: limit)
        } catch {
            throw ConsolePage.Refusal(status: .contentTooLarge, message: "The upload is larger than \(limit / 1024 / 1024) MB.")
        }
        if contentType.hasPrefix("multipart/form-data") {
            guard let boundary = contentType.split(separator: ";").compactMap({ part -> String? in
                let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                return pair.count == 2 && pair[0] == "boundary" ? pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")) : nil
            }).first else {
                throw ConsolePage.Refusal(status: .badRequest, message: "The form has no multipart boundary.")
            }
            var fields: [String: String] = [:]
            let parser = MultipartParser(boundary: boundary)
            var disposition = ""
            var part = ByteBuffer()
            parser.onHeader = { name, value in
                if name.lowercased() == "content-disposition" { disposition = value }
            }
            parser.onBody = { chunk in part.writeBuffer(&chunk) }
            parser.onPartComplete = {
                if let name = Self.dispositionParameter("name", in: disposition) {
                    // A file arrives base64-encoded; an empty file input leaves its field empty.
                    let isFile = Self.dispositionParameter("filename", in: disposition) != nil
                    fields[name] = isFile ? Data(part.readableBytesView).base64EncodedString() : String(buffer: part)
                }
                disposition = ""
                part = ByteBuffer()
            }
            do {
                try parser.execute(body)
            } catch {
                throw ConsolePage.Refusal(status: .badRequest, message: "The form could not be read.")
            }
            return fields
        }
        var fields: [String: String] = [:]
        for pair in String(buffer: body).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                String(decoding: PercentEncoding.decode(Array(text.replacingOccurrences(of: "+", with: " ").utf8)), as: UTF8.self)
            }
            fields[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }

    /// `name="value"` from a Content-Disposition header.
    static func dispositionParameter(_ parameter: String, in header: String) -> String? {
        for item in header.split(separator: ";") {
            let pair = item.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            if pair.count == 2, pair[0] == parameter { return pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        }
        return nil
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }
}

/// One page being answered: the session it is for and the nonce its inline style and script carry.
struct ConsolePage {
    var session: ConsoleSessions.Session
    var nonce: String

    /// A refusal shown as a page (wrong CSRF token, too large an upload, an unknown function).
    struct Refusal: Error {
        var status: HTTPResponse.Status
        var message: String

        var response: Response {
            let nonce = RandomID.hex(32)
            let body = "<h1>\(status.code) \(HTML.escape(status.reasonPhrase))</h1><p class=\"error\">\(HTML.escape(message))</p>"
            return ConsolePage.response(status: status, html: HTML.page(title: status.reasonPhrase, csrf: nil, nonce: nonce, body: body),
                                        nonce: nonce)
        }
    }

    func html(title: String, body: String, status: HTTPResponse.Status = .ok) -> Response {
        Self.response(status: status, html: HTML.page(title: title, csrf: session.csrf, nonce: nonce, body: body), nonce: nonce)
    }

    /// A hidden input with the session's CSRF token.
    var csrfField: String { "<input type=\"hidden\" name=\"csrf\" value=\"\(session.csrf)\">" }

    static func response(status: HTTPResponse.Status, html: String, nonce: String) -> Response {
        Response(status: status, headers: [
            .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
            HTTPField.Name("Content-Security-Policy")!: "default-src 'none'; style-src 'nonce-\(nonce)'; script-src 'nonce-\(nonce)'; "
                + "connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            HTTPField.Name("X-Content-Type-Options")!: "nosniff",
            HTTPField.Name("Referrer-Policy")!: "same-origin",
        ], body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }
}
