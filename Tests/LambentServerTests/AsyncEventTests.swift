import Foundation
import Testing

@testable import LambentServer

@Suite("AsyncEvent")
struct AsyncEventJSONTests {
    @Test("the hand-written JSON decodes to the same event", arguments: [nil, "live"])
    func roundTrip(qualifier: String?) throws {
        let event = AsyncEvent(requestID: "r-1", function: "f", qualifier: qualifier, payload: #"{"a": "b\"c", "n": [1, 2]}"#,
                               queuedAt: 1_700_000_000_123, invokes: 2, throttles: 3)
        #expect(try JSONDecoder().decode(AsyncEvent.self, from: Data(event.json.utf8)) == event)
    }
}
