import Foundation
import HTTPTypes
import Hummingbird
import LambentCode
import LambentExecution
import LambentModel
import LambentStore
import NIOCore

/// The console's pages and form handlers, over the same services the APIs use: what the
/// console does, `aws lambda` could do too.
struct ConsoleViews {
    let console: Console

    private var functions: FunctionService { console.functions }
    typealias Query = [(String, String)]

    static let tabs = [("code", "Code"), ("test", "Test"), ("monitor", "Monitor"), ("logs", "Logs"), ("configuration", "Configuration"),
                       ("versions", "Versions, aliases and triggers")]
    static let windows: [(String, Double, Int64)] = [("1h", 3600, 60), ("3h", 3 * 3600, 60), ("12h", 12 * 3600, 300),
                                                    ("1d", 86_400, 300), ("3d", 3 * 86_400, 3600), ("1w", 7 * 86_400, 3600)]
    static let runtimes = ["python3.12", "python3.13", "python3.11", "python3.10", "nodejs22.x", "nodejs20.x", "nodejs24.x"]

    // MARK: Functions list

    func functionList(page: ConsolePage) async throws -> String {
        // The store's records, not ListFunctions' answers: those leave State out, as AWS's do.
        var all: [FunctionConfiguration] = []
        var marker: String?
        while true {
            let batch = try await console.store.listFunctions(after: marker, limit: 1000)
            all += batch.map(\.configuration)
            guard batch.count == 1000 else { break }
            marker = batch.last?.name
        }
        await console.cloudWatch.refresh()
        let since = Int64(Date().timeIntervalSince1970) - 3600
        let invocations = try await console.store.metricSums(namespace: MetricRecorder.lambdaNamespace, name: "Invocations",
                                                             dimension: "FunctionName", since: since)
        let errors = try await console.store.metricSums(namespace: MetricRecorder.lambdaNamespace, name: "Errors",
                                                        dimension: "FunctionName", since: since)
        var rows = ""
        rows.reserveCapacity(all.count * 400)
        for function in all {
            let name = HTML.escape(function.functionName)
            rows += """
                <tr data-function="\(name)"><td><a class="function-link" href="/console/functions/\(HTML.component(function.functionName))">\(name)</a></td>\
                <td class="state">\(HTML.escape(function.state?.rawValue ?? ""))</td><td class="runtime">\(HTML.escape(function.runtime))</td>\
                <td class="memory">\(function.memorySize)</td><td class="modified">\(HTML.escape(function.lastModified))</td>\
                <td class="invocations">\(Int(invocations[function.functionName] ?? 0))</td>\
                <td class="errors">\(Int(errors[function.functionName] ?? 0))</td></tr>
                """
        }
        return """
            <h1>Functions (\(all.count))</h1><p><a id="create-function" href="/console/create">Create function</a></p>
            <table id="functions"><thead><tr><th>Name</th><th>State</th><th>Runtime</th><th>Memory (MB)</th><th>Last modified</th>\
            <th>Invocations (1 h)</th><th>Errors (1 h)</th></tr></thead><tbody>\(rows)</tbody></table>
            """
    }

    // MARK: Create

    static func template(runtime: String) -> String {
        runtime.hasPrefix("nodejs")
            ? "export const handler = async (event) => {\n  console.log('event', JSON.stringify(event));\n  return { statusCode: 200, body: 'Hello from Lambent' };\n};\n"
            : "def handler(event, context):\n    print('event', event)\n    return {'statusCode': 200, 'body': 'Hello from Lambent'}\n"
    }

    /// The file the handler names: `app.handler` → `app.py` (Python) or `app.mjs` (Node.js).
    static func handlerFile(handler: String, runtime: String) -> String {
        let module = handler.split(separator: ".").dropLast().joined(separator: ".")
        return (module.isEmpty ? "app" : module) + (runtime.hasPrefix("nodejs") ? ".mjs" : ".py")
    }

    static func createForm(page: ConsolePage, values: [String: String], error: String?) -> String {
        let runtime = values["runtime"] ?? "python3.12"
        let options = runtimes.map { id in
            "<option value=\"\(id)\"\(id == runtime ? " selected" : "")>\(id)</option>"
        }.joined()
        return """
            <h1>Create function</h1>\(error.map { "<p class=\"error\">\(HTML.escape($0))</p>" } ?? "")
            <form id="create" class="panel" method="post" action="/console/create" enctype="multipart/form-data">\(page.csrfField)
            <label for="name">Function name</label><input type="text" id="name" name="name" value="\(HTML.escape(values["name"] ?? ""))" required>
            <label for="runtime">Runtime</label><select id="runtime" name="runtime">\(options)</select>
            <label for="handler">Handler</label><input type="text" id="handler" name="handler" value="\(HTML.escape(values["handler"] ?? "app.handler"))">
            <label for="memory">Memory (MB)</label><input type="number" id="memory" name="memory" value="\(HTML.escape(values["memory"] ?? "128"))">
            <label for="code">Code (the handler's file: app.py for Python, app.mjs for Node.js)</label>
            <textarea id="code" name="code" spellcheck="false">\(HTML.escape(values["code"] ?? template(runtime: runtime)))</textarea>
            <label for="zip">Or upload a .zip (up to 50 MB)</label><input type="file" id="zip" name="zip" accept=".zip">
            <div><button id="create-submit" type="submit">Create function</button></div></form>
            """
    }

    func create(form: [String: String], page: ConsolePage) async throws -> Response {
        let name = form["name"] ?? ""
        let runtime = form["runtime"] ?? "python3.12"
        let handler = (form["handler"] ?? "").isEmpty ? "app.handler" : form["handler"]!
        do {
            let zip: [UInt8]
            if let uploaded = form["zip"].flatMap({ Data(base64Encoded: $0) }), !uploaded.isEmpty {
                zip = [UInt8](uploaded)
            } else {
                zip = try ZipFolder.zip(files: [Self.handlerFile(handler: handler, runtime: runtime): Data((form["code"] ?? "").utf8)])
            }
            var request: [String: Any] = [
                "FunctionName": name, "Runtime": runtime, "Handler": handler,
                "Role": "arn:aws:iam::\(console.names.accountID):role/lambent-console", "Code": ["ZipFile": Data(zip).base64EncodedString()],
            ]
            if let memory = form["memory"], !memory.isEmpty {
                guard let value = Int(memory) else { throw LambdaError.invalidParameter("Memory must be a whole number of MB.") }
                request["MemorySize"] = value
            }
            let decoded = try JSONDecoder().decode(CreateFunctionRequest.self, from: JSONSerialization.data(withJSONObject: request))
            _ = try await functions.create(decoded)
        } catch let error as LambdaError {
            return page.html(title: "Create function", body: Self.createForm(page: page, values: form, error: error.message), status: .badRequest)
        }
        return Console.redirect("/console/functions/\(HTML.component(name))")
    }

    // MARK: Function page

    /// A function's page on one tab. `event`, `testResult` and `sent` show what a form posted
    /// (the test tab's event and result; the configuration form's values when they were refused).
    func functionPage(name: String, tab: String, page: ConsolePage, query: Query, notice: String? = nil, error: String? = nil,
                      testResult: String? = nil, event: String? = nil, sent: [String: String]? = nil) async throws -> String {
        let record: FunctionRecord
        do {
            record = try await functions.function(name)
        } catch let error as LambdaError where error.status == 404 {
            throw ConsolePage.Refusal(status: .notFound, message: "There is no function named \(name).")
        }
        let config = record.configuration
        let path = "/console/functions/\(HTML.component(name))"
        let nav = Self.tabs.map { id, title in
            "<a id=\"tab-\(id)\" href=\"\(path)?tab=\(id)\"\(id == tab ? " class=\"current\"" : "")>\(title)</a>"
        }.joined()
        let messages = (notice.map { "<p class=\"notice\">\(HTML.escape($0))</p>" } ?? "")
            + (error.map { "<p class=\"error\">\(HTML.escape($0))</p>" } ?? "")
        let value = { (key: String) in query.first { $0.0 == key }?.1 }
        let content: String
        switch tab {
        case "test": content = try await testTab(record, path: path, page: page, chosen: value("event"), event: event, result: testResult)
        case "monitor": content = try await monitorTab(config, path: path, window: value("window") ?? "1h")
        case "logs": content = try await logsTab(config, path: path, page: page, filter: value("filter"))
        case "configuration":
            content = try await configurationTab(config, path: path, page: page, saved: value("saved") != nil, values: sent)
        case "versions": content = try await versionsTab(config)
        default: content = codeTab(record, path: path, page: page, deployed: value("deployed") != nil)
        }
        return "<h1>\(HTML.escape(name))</h1><nav class=\"tabs\">\(nav)</nav>\(messages)\(content)"
    }

    private func facts(_ config: FunctionConfiguration) -> String {
        let rows: [(String, String)] = [
            ("State", config.state?.rawValue ?? ""), ("Runtime", config.runtime), ("Handler", config.handler),
            ("Architecture", config.architectures.first ?? ""), ("Memory", "\(config.memorySize) MB"), ("Timeout", "\(config.timeout) s"),
            ("Code size", "\(config.codeSize) bytes"), ("Last modified", config.lastModified), ("ARN", config.functionArn),
        ]
        return "<dl class=\"facts\">" + rows.map { "<dt>\($0.0)</dt><dd>\(HTML.escape($0.1))</dd>" }.joined() + "</dl>"
    }

    /// The handler's file, when it is small text this page can show and edit.
    private func handlerSource(_ record: FunctionRecord) -> (file: String, text: String)? {
        let config = record.configuration
        guard !config.isImage else { return nil }
        let directory = functions.codeDirectory(for: record.codeKey)
        let module = config.handler.split(separator: ".").dropLast().joined(separator: ".")
        for ext in [".py", ".mjs", ".js", ".cjs", ".rb"] {
            let file = directory.appendingPathComponent(module + ext)
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: file.path),
                  let size = attributes[.size] as? Int, size <= 256 * 1024,
                  let data = FileManager.default.contents(atPath: file.path), let text = String(data: data, encoding: .utf8) else { continue }
            return (module + ext, text)
        }
        return nil
    }

    private func codeTab(_ record: FunctionRecord, path: String, page: ConsolePage, deployed: Bool) -> String {
        var html = (deployed ? "<p class=\"notice\">Deployed.</p>" : "") + "<section class=\"panel\">\(facts(record.configuration))</section>"
        let source = handlerSource(record)
        if let source {
            html += "<h2>\(HTML.escape(source.file))</h2><pre id=\"handler-source\">\(HTML.escape(source.text))</pre>"
        }
        html += """
            <form id="code" class="panel" method="post" action="\(path)/code" enctype="multipart/form-data">\(page.csrfField)
            <label for="code-editor">\(source.map { "Edit \(HTML.escape($0.file))" } ?? "Replace the handler's file")</label>
            <textarea id="code-editor" name="code" spellcheck="false">\(HTML.escape(source?.text ?? ""))</textarea>
            <label for="zip">Or upload a .zip (up to 50 MB)</label><input type="file" id="zip" name="zip" accept=".zip">
            <div><button id="deploy" type="submit">Deploy</button></div></form>
            """
        return html
    }

    func deployCode(name: String, form: [String: String], page: ConsolePage) async throws -> Response {
        let record = try await functions.function(name)
        let zip: [UInt8]
        if let uploaded = form["zip"].flatMap({ Data(base64Encoded: $0) }), !uploaded.isEmpty {
            zip = [UInt8](uploaded)
        } else {
            // The package as it is, with the handler's file replaced.
            let directory = functions.codeDirectory(for: record.codeKey)
            let file = handlerSource(record)?.file ?? Self.handlerFile(handler: record.configuration.handler, runtime: record.configuration.runtime)
            var files: [String: Data] = [:]
            var total = 0
            if let walker = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.isRegularFileKey]) {
                for case let url as URL in walker where (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
                    let relative = String(url.path.dropFirst(directory.path.count + 1))
                    let data = try Data(contentsOf: url)
                    total += data.count
                    guard total <= 20 * 1024 * 1024 else {
                        throw ConsolePage.Refusal(status: .badRequest, message: "This package is too large to edit here: upload a .zip instead.")
                    }
                    files[relative] = data
                }
            }
            files[file] = Data((form["code"] ?? "").utf8)
            zip = try ZipFolder.zip(files: files)
        }
        do {
            let request = try JSONDecoder().decode(UpdateFunctionCodeRequest.self, from: JSONSerialization.data(withJSONObject: [
                "ZipFile": Data(zip).base64EncodedString(),
            ]))
            _ = try await functions.updateCode(name, request)
        } catch let error as LambdaError {
            let body = try await functionPage(name: name, tab: "code", page: page, query: [], error: error.message)
            return page.html(title: name, body: body, status: .badRequest)
        }
        return Console.redirect("/console/functions/\(HTML.component(name))?tab=code&deployed=1")
    }

    // MARK: Test

    private func testTab(_ record: FunctionRecord, path: String, page: ConsolePage, chosen: String?, event: String?,
                         result: String?) async throws -> String {
        let saved = try await console.store.consoleTestEvents(function: record.name)
        let body = event ?? chosen.flatMap { name in saved.first { $0.name == name }?.body } ?? "{\n  \"key\": \"value\"\n}"
        let list = saved.isEmpty ? "<p>No saved events yet: name one below to keep it.</p>" : "<p>Saved events: " + saved.map { item in
            "<a class=\"saved-event\" href=\"\(path)?tab=test&amp;event=\(HTML.component(item.name))\">\(HTML.escape(item.name))</a>"
        }.joined(separator: " · ") + "</p>"
        return """
            \(result ?? "")
            <form id="test-form" class="panel" method="post" action="\(path)/test">\(page.csrfField)\(list)
            <label for="event">Event (JSON)</label><textarea id="event" name="event" spellcheck="false">\(HTML.escape(body))</textarea>
            <label for="eventName">Save as (optional)</label><input type="text" id="eventName" name="eventName" maxlength="25" value="\(HTML.escape(chosen ?? ""))">
            <div><button id="run-test" type="submit">Test</button></div></form>
            """
    }

    func runTest(name: String, form: [String: String], page: ConsolePage) async throws -> Response {
        let event = form["event"] ?? "{}"
        let eventName = (form["eventName"] ?? "").trimmingCharacters(in: .whitespaces)
        func again(_ error: String) async throws -> Response {
            let body = try await functionPage(name: name, tab: "test", page: page, query: [], error: error, event: event)
            return page.html(title: name, body: body, status: .badRequest)
        }
        guard (try? JSONSerialization.jsonObject(with: Data(event.utf8), options: [.fragmentsAllowed])) != nil else {
            return try await again("The event is not valid JSON.")
        }
        if !eventName.isEmpty {
            guard eventName.count <= 25, eventName.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
                return try await again("An event name is 1 to 25 letters, digits, hyphens or underscores.")
            }
            try await console.store.saveConsoleTestEvent(function: name, name: eventName, body: event)
        }
        let result: String
        do {
            let reply = try await console.invocations.invoke(InvocationRequest(
                target: InvocationTarget(function: name), payload: ByteBuffer(string: event), wantsLogTail: true))
            guard case .completed(let completed) = reply else { return try await again("The function did not run.") }
            let (payload, completion) = try await completed.collect()
            result = Self.testResult(payload: String(buffer: payload), completion: completion)
        } catch let error as LambdaError {
            result = "<section id=\"test-result\" class=\"panel\"><p id=\"result-status\" class=\"failed\">Failed</p>"
                + "<pre id=\"result-payload\">\(HTML.escape(error.type + ": " + error.message))</pre></section>"
        }
        let body = try await functionPage(name: name, tab: "test", page: page, query: eventName.isEmpty ? [] : [("event", eventName)],
                                          testResult: result, event: event)
        return page.html(title: name, body: body)
    }

    /// The result panel: status, response, and REPORT's figures, as the AWS console shows them.
    static func testResult(payload: String, completion: InvocationCompletion) -> String {
        let lines = completion.logTail ?? []
        let report = lines.last { $0.hasPrefix("REPORT ") } ?? ""
        func field(_ label: String) -> String {
            guard let range = report.range(of: label + ": ") else { return "" }
            return String(report[range.upperBound...].prefix { $0 != "\t" }).trimmingCharacters(in: .whitespaces)
        }
        let failed = completion.functionError != nil
        var pretty = payload
        if let object = try? JSONSerialization.jsonObject(with: Data(payload.utf8), options: [.fragmentsAllowed]),
           let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .fragmentsAllowed, .withoutEscapingSlashes]) {
            pretty = String(decoding: data, as: UTF8.self)
        }
        return """
            <section id="test-result" class="panel"><p id="result-status" class="\(failed ? "failed" : "ok")">\(failed ? "Failed" : "Succeeded")</p>
            <pre id="result-payload">\(HTML.escape(pretty))</pre><dl class="facts">
            <dt>Duration</dt><dd id="result-duration">\(HTML.escape(field("Duration")))</dd>
            <dt>Billed duration</dt><dd id="result-billed">\(HTML.escape(field("Billed Duration")))</dd>
            <dt>Memory size</dt><dd id="result-memory">\(HTML.escape(field("Memory Size")))</dd>
            <dt>Max memory used</dt><dd id="result-max-memory">\(HTML.escape(field("Max Memory Used")))</dd></dl>
            <h3>Log output</h3><pre id="result-log">\(HTML.escape(lines.map { $0.trimmingCharacters(in: .newlines) }.joined(separator: "\n")))</pre></section>
            """
    }

    // MARK: Monitor

    private func monitorTab(_ config: FunctionConfiguration, path: String, window: String) async throws -> String {
        let chosen = Self.windows.first { $0.0 == window } ?? Self.windows[0]
        let end = Date().timeIntervalSince1970
        let start = end - chosen.1
        let series = { (metric: String) in
            MetricSeries(namespace: MetricRecorder.lambdaNamespace, name: metric,
                         dimensions: [MetricDimension(name: "FunctionName", value: config.functionName)])
        }
        var charts = ""
        let specs: [(title: String, metric: String, unit: String, statistic: CloudWatchService.Statistic)] = [
            ("Invocations", "Invocations", "count", .simple("Sum")), ("Errors", "Errors", "count", .simple("Sum")),
            ("Throttles", "Throttles", "count", .simple("Sum")), ("Duration p50", "Duration", "ms", .percentile("p50", 50)),
            ("Duration p99", "Duration", "ms", .percentile("p99", 99)), ("ConcurrentExecutions", "ConcurrentExecutions", "max", .simple("Maximum")),
        ]
        await console.cloudWatch.refresh()
        // Duration's points serve both percentile charts: each metric is read once.
        var read: [String: [CloudWatchService.Period]] = [:]
        for spec in specs {
            let periods: [CloudWatchService.Period]
            if let cached = read[spec.metric] {
                periods = cached
            } else {
                periods = try await console.cloudWatch.periods(series(spec.metric), start: start, end: end + 60, period: chosen.2, unit: nil)
                read[spec.metric] = periods
            }
            let points = periods.compactMap { period in spec.statistic.value(of: period.statistics).map { (Double(period.start), $0) } }
            let chart = SVGChart(metric: spec.title, unit: spec.unit, start: start, end: end, points: points)
            charts += "<div class=\"chart-box\"><h3>\(HTML.escape(spec.title))</h3>\(chart.svg)</div>"
        }
        let options = Self.windows.map { "<option value=\"\($0.0)\"\($0.0 == chosen.0 ? " selected" : "")>\($0.0)</option>" }.joined()
        return """
            <form id="window" method="get" action="\(path)"><input type="hidden" name="tab" value="monitor">
            <label for="window-select">Window</label><select id="window-select" name="window">\(options)</select>
            <button class="plain" type="submit">Show</button></form><div class="charts">\(charts)</div>
            """
    }

    // MARK: Logs

    private func logsTab(_ config: FunctionConfiguration, path: String, page: ConsolePage, filter: String?) async throws -> String {
        let group = config.loggingConfig.logGroup
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        var events: [FunctionLogEvent] = []
        var problem: String?
        do {
            events = try await console.logs.filterEvents(group: group, streams: nil, streamPrefix: nil, start: now - 3600 * 1000, end: nil,
                                                         pattern: (filter ?? "").isEmpty ? nil : filter, token: nil, limit: 10_000).events
        } catch let error as LogsError {
            if error.code != "ResourceNotFoundException" { problem = error.message }
        }
        let shown = events.suffix(500)
        let text = shown.map { HTML.escape(Self.logTime($0.timestamp) + "  " + $0.message.trimmingCharacters(in: .newlines)) }
            .joined(separator: "\n")
        // The tail follows the store's rows from the last one shown (or, when nothing is shown,
        // from the first: logs.json skips rows over an hour old).
        let next = shown.map(\.id).max() ?? 0
        // The live tail: only while not searching.
        let script = (filter ?? "").isEmpty ? """
            <script nonce="\(page.nonce)">(function(){var after=\(next),out=document.getElementById('log-lines');
            function time(ms){return new Date(ms).toISOString().replace('T',' ').slice(0,23);}
            function poll(){fetch('\(path)/logs.json?after='+after,{credentials:'same-origin'}).then(function(r){return r.json();}).then(function(d){
            d.events.forEach(function(e){out.appendChild(document.createTextNode((out.textContent?'\\n':'')+time(e.timestamp)+'  '+e.message.replace(/\\n$/,'')));});
            after=d.next;}).catch(function(){}).finally(function(){setTimeout(poll,1000);});}
            setTimeout(poll,1000);})();</script>
            """ : ""
        return """
            <form id="log-search" method="get" action="\(path)"><input type="hidden" name="tab" value="logs">
            <label for="filter">Filter pattern (CloudWatch Logs syntax)</label>
            <input type="text" id="filter" name="filter" value="\(HTML.escape(filter ?? ""))"><button class="plain" type="submit">Search</button></form>
            \(problem.map { "<p class=\"error\">\(HTML.escape($0))</p>" } ?? "")
            <p>Group <code>\(HTML.escape(group))</code>, last hour\((filter ?? "").isEmpty ? ", following new lines" : "").</p>
            <pre id="log-lines">\(text)</pre>\(script)
            """
    }

    static func logTime(_ milliseconds: Int64) -> String {
        String(LambdaTimestamp.format(Date(timeIntervalSince1970: Double(milliseconds) / 1000)).prefix(23)).replacingOccurrences(of: "T", with: " ")
    }

    // MARK: Configuration

    private func configurationTab(_ config: FunctionConfiguration, path: String, page: ConsolePage, saved: Bool,
                                  values: [String: String]? = nil) async throws -> String {
        let reserved = try await functions.concurrency(config.functionName)
        let environment = config.environment.variables.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "\n")
        let value = { (key: String, current: String) in HTML.escape(values?[key] ?? current) }
        return """
            \(saved ? "<p class=\"notice\">Saved.</p>" : "")
            <form id="configuration" class="panel" method="post" action="\(path)/configuration">\(page.csrfField)
            <label for="memory">Memory (MB, 128 to 10240)</label><input type="number" id="memory" name="memory" value="\(value("memory", String(config.memorySize)))">
            <label for="timeout">Timeout (seconds, 1 to 900)</label><input type="number" id="timeout" name="timeout" value="\(value("timeout", String(config.timeout)))">
            <label for="environment">Environment variables (KEY=VALUE, one a line)</label>
            <textarea id="environment" name="environment" spellcheck="false">\(value("environment", environment))</textarea>
            <label for="reservedConcurrency">Reserved concurrency (empty: none)</label>
            <input type="number" id="reservedConcurrency" name="reservedConcurrency" value="\(value("reservedConcurrency", reserved.map(String.init) ?? ""))">
            <div><button id="save-configuration" type="submit">Save</button></div></form>
            """
    }

    func configure(name: String, form: [String: String], page: ConsolePage) async throws -> Response {
        func again(_ message: String) async throws -> Response {
            let body = try await functionPage(name: name, tab: "configuration", page: page, query: [], error: message, sent: form)
            return page.html(title: name, body: body, status: .badRequest)
        }
        var variables: [String: String] = [:]
        for line in (form["environment"] ?? "").split(whereSeparator: \.isNewline) where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            let parts = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty else { return try await again("Each environment line is KEY=VALUE: \(line)") }
            variables[String(parts[0]).trimmingCharacters(in: .whitespaces)] = String(parts[1])
        }
        guard let memory = Int(form["memory"] ?? ""), let timeout = Int(form["timeout"] ?? "") else {
            return try await again("Memory and timeout are whole numbers.")
        }
        let reservedText = (form["reservedConcurrency"] ?? "").trimmingCharacters(in: .whitespaces)
        let reserved = reservedText.isEmpty ? nil : Int(reservedText)
        if !reservedText.isEmpty && reserved == nil { return try await again("Reserved concurrency is a whole number, or empty.") }
        do {
            let request = try JSONDecoder().decode(UpdateFunctionConfigurationRequest.self, from: JSONSerialization.data(withJSONObject: [
                "MemorySize": memory, "Timeout": timeout, "Environment": ["Variables": variables],
            ] as [String: Any]))
            _ = try await functions.updateConfiguration(name, request)
            if let reserved {
                _ = try await functions.putConcurrency(name, reserved: reserved)
            } else if try await functions.concurrency(name) != nil {
                try await functions.deleteConcurrency(name)
            }
        } catch let error as LambdaError {
            return try await again(error.message)
        }
        return Console.redirect("/console/functions/\(HTML.component(name))?tab=configuration&saved=1")
    }

    // MARK: Versions, aliases, URL, triggers

    private func versionsTab(_ config: FunctionConfiguration) async throws -> String {
        let name = config.functionName
        var versions: [FunctionConfiguration] = []
        var marker: String?
        repeat {
            let page = try await functions.listVersions(name, marker: marker, maxItems: 50)
            versions += page.versions
            marker = page.nextMarker
        } while marker != nil
        let aliases = try await functions.listAliases(name, functionVersion: nil, marker: nil, maxItems: 10_000).aliases
        let url = try? await functions.functionUrl(name, qualifier: nil, base: console.urlBase)
        let mappings = try await console.mappings.list(functionName: name, sourceArn: nil, marker: nil, maxItems: 100).mappings
        let versionRows = versions.map {
            "<tr><td>\(HTML.escape($0.version))</td><td>\(HTML.escape($0.description))</td><td>\(HTML.escape($0.lastModified))</td></tr>"
        }.joined()
        let aliasRows = aliases.map { alias -> String in
            let weights = alias.routingConfig?.additionalVersionWeights?.map { "\($0.key): \($0.value)" }.sorted().joined(separator: ", ") ?? ""
            return "<tr><td>\(HTML.escape(alias.name))</td><td>\(HTML.escape(alias.functionVersion))</td><td>\(HTML.escape(weights))</td></tr>"
        }.joined()
        let mappingRows = mappings.map {
            "<tr><td>\(HTML.escape($0.eventSourceArn))</td><td>\(HTML.escape($0.state))</td><td>\($0.batchSize)</td><td>\(HTML.escape($0.uuid))</td></tr>"
        }.joined()
        let urlText = url.map { "<a href=\"\(HTML.escape($0.functionUrl))\">\(HTML.escape($0.functionUrl))</a> (auth \(HTML.escape($0.authType)))" }
            ?? "None."
        return """
            <h2>Versions</h2><table id="versions"><thead><tr><th>Version</th><th>Description</th><th>Last modified</th></tr></thead><tbody>\(versionRows)</tbody></table>
            <h2>Aliases</h2><table id="aliases"><thead><tr><th>Alias</th><th>Version</th><th>Additional weights</th></tr></thead><tbody>\(aliasRows)</tbody></table>
            <h2>Function URL</h2><p id="function-url">\(urlText)</p>
            <h2>Triggers (event source mappings)</h2><table id="triggers"><thead><tr><th>Source</th><th>State</th><th>Batch size</th><th>UUID</th></tr></thead>\
            <tbody>\(mappingRows)</tbody></table>
            """
    }

    // MARK: Queues

    func queueList() async throws -> String {
        // Lambent's own queues (the asynchronous events') are not the user's.
        let queues = try await console.queues.depths().filter { !$0.name.hasPrefix("lambent:") }
        let rows = queues.map { queue in
            "<tr data-queue=\"\(HTML.escape(queue.name))\"><td>\(HTML.escape(queue.name))</td><td class=\"visible\">\(queue.visible)</td>"
                + "<td class=\"in-flight\">\(queue.inFlight)</td><td class=\"delayed\">\(queue.delayed)</td>"
                + "<td>\(queue.oldestAgeMillis / 1000) s</td></tr>"
        }.joined()
        return """
            <h1>Queues (\(queues.count))</h1><table id="queues"><thead><tr><th>Queue</th><th>Visible</th><th>In flight</th>\
            <th>Delayed</th><th>Oldest message</th></tr></thead><tbody>\(rows)</tbody></table>
            """
    }

    // MARK: Usage

    func usage() async throws -> String {
        await console.cloudWatch.refresh()
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let now = Date()
        let monthStart = calendar.date(from: calendar.dateComponents([.year, .month], from: now))!.timeIntervalSince1970
        let series = try await console.store.listMetricSeries(namespace: MetricRecorder.usageNamespace, name: "Requests", filters: [],
                                                              activeSince: Int64(monthStart), after: 0, limit: 100_000)
        var rows: [(day: Int64, function: String, architecture: String, requests: Double, gbSeconds: Double)] = []
        for (_, requestSeries) in series {
            let dimensions = Dictionary(uniqueKeysWithValues: requestSeries.dimensions.map { ($0.name, $0.value) })
            let gbSeries = MetricSeries(namespace: MetricRecorder.usageNamespace, name: "GBSeconds", dimensions: requestSeries.dimensions)
            let end = now.timeIntervalSince1970 + 60
            let requests = try await console.cloudWatch.periods(requestSeries, start: monthStart, end: end, period: 86_400, unit: nil)
            let gbSeconds = try await console.cloudWatch.periods(gbSeries, start: monthStart, end: end, period: 86_400, unit: nil)
            let gbByDay = Dictionary(gbSeconds.map { ($0.start, $0.statistics.sum) }, uniquingKeysWith: +)
            for period in requests {
                rows.append((period.start, dimensions["FunctionName"] ?? "", dimensions["Architecture"] ?? "x86_64", period.statistics.sum,
                             gbByDay[period.start] ?? 0))
            }
        }
        rows.sort { ($0.day, $0.function) < ($1.day, $1.function) }
        var total = 0.0
        let body = rows.map { row -> String in
            let cost = LambdaPricing.cost(requests: row.requests, gbSeconds: row.gbSeconds, architecture: row.architecture)
            total += cost.requests + cost.duration
            let day = String(LambdaTimestamp.format(Date(timeIntervalSince1970: Double(row.day))).prefix(10))
            return "<tr><td>\(day)</td><td>\(HTML.escape(row.function))</td><td>\(HTML.escape(row.architecture))</td><td>\(Int(row.requests))</td>"
                + "<td>\(String(format: "%.3f", row.gbSeconds))</td><td>$\(String(format: "%.8f", cost.requests + cost.duration))</td></tr>"
        }.joined()
        return """
            <h1>Usage this month</h1>
            <p>Requests and billed GB-seconds (billed milliseconds × configured memory), priced at AWS Lambda's on-demand prices \
            (us-east-1: $0.20 per million requests; $0.0000166667 per GB-second on x86_64, $0.0000133334 on arm64). \
            AWS's monthly free tier (1,000,000 requests, 400,000 GB-seconds) is not taken off here; <code>lambent usage</code> shows it.</p>
            <table id="usage"><thead><tr><th>Day</th><th>Function</th><th>Architecture</th><th>Requests</th><th>GB-seconds</th><th>Cost</th></tr></thead>\
            <tbody>\(body)</tbody></table><p>Total before the free tier: $\(String(format: "%.8f", total))</p>
            """
    }
}
