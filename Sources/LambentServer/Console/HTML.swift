import Foundation

/// Writing the console's HTML: every value from users, functions or the store goes through
/// ``escape(_:)``; the page frame carries the styles and nothing from outside the server.
enum HTML {
    /// Text safe in element content and in quoted attributes: XML's five escapes, which HTML5 reads alike.
    static func escape(_ text: String) -> String {
        XMLText.escaped(text)
    }

    /// A path segment or query value, percent-encoded.
    static func component(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? ""
    }

    static let style = """
        body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#16191f;background:#f2f3f3}
        header{background:#232f3e;color:#fff;padding:8px 20px;display:flex;align-items:center;gap:20px}
        header a{color:#fff;text-decoration:none;font-weight:600}header form{margin-left:auto}
        main{padding:16px 24px;max-width:1200px}h1{font-size:22px;margin:8px 0 12px}
        table{border-collapse:collapse;background:#fff;width:100%}th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #e9ebed}
        th{background:#fafafa;font-weight:600}a{color:#0972d3}
        nav.tabs{display:flex;gap:4px;border-bottom:1px solid #d1d5db;margin-bottom:14px}
        nav.tabs a{padding:6px 14px;text-decoration:none;border:1px solid transparent;border-bottom:0}
        nav.tabs a.current{background:#fff;border-color:#d1d5db;border-radius:6px 6px 0 0;font-weight:600;color:#16191f}
        form.panel,section.panel{background:#fff;padding:14px 16px;margin-bottom:14px;border:1px solid #e9ebed}
        label{display:block;margin:8px 0 2px;font-weight:600}input[type=text],input[type=password],input[type=number],select{padding:5px;min-width:280px}
        textarea{width:100%;min-height:200px;font:13px/1.4 ui-monospace,Menlo,monospace}
        button{background:#ff9900;border:0;padding:7px 16px;border-radius:16px;font-weight:600;cursor:pointer;margin-top:10px}
        button.plain{background:#e9ebed}pre{background:#0f1b2a;color:#d1d5db;padding:10px;overflow:auto;white-space:pre-wrap;max-height:480px}
        .error{background:#fff0ef;border:1px solid #d91515;padding:8px 12px;margin:8px 0;color:#8a0a00}
        .notice{background:#f2fcf3;border:1px solid #037f0c;padding:8px 12px;margin:8px 0}
        .charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(360px,1fr));gap:12px}
        .chart-box{background:#fff;border:1px solid #e9ebed;padding:8px}.chart-box h3{margin:0 0 4px;font-size:13px}
        .ok{color:#037f0c;font-weight:600}.failed{color:#d91515;font-weight:600}dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px}
        dl.facts dt{font-weight:600}
        """

    /// A whole page: the header (with sign-out when signed in), the title and the body.
    static func page(title: String, csrf: String?, nonce: String, body: String) -> String {
        let signOut = csrf.map { csrf in
            """
            <form id="sign-out" method="post" action="/console/logout"><input type="hidden" name="csrf" value="\(escape(csrf))">\
            <button class="plain" type="submit">Sign out</button></form>
            """
        } ?? ""
        let links = csrf == nil ? "" : #"<a href="/console/">Functions</a><a href="/console/queues">Queues</a><a href="/console/usage">Usage</a>"#
        return """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>\(escape(title)) · Lambent</title>
            <meta name="viewport" content="width=device-width, initial-scale=1"><style nonce="\(nonce)">\(style)</style></head>
            <body><header><a href="/console/">Lambent</a>\(links)\(signOut)</header><main>\(body)</main></body></html>
            """
    }
}
