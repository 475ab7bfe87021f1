// The baseline for Lambent's warm-invoke benchmark: the smallest Hummingbird server,
// answering GET / with "ok". `lambent-bench-hello [port]` (default 9560), loopback only.
import Hummingbird

let port = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 9560 : 9560
let router = Router()
router.get("/") { _, _ in "ok" }
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
try await app.runService()
