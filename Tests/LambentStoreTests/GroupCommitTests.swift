import Synchronization
import Testing

@testable import LambentStore

@Suite struct GroupCommitTests {
    struct Refused: Error {}

    @Test("waiting requests share a commit; a failing batch is retried one by one so only the bad request fails")
    func batchesAndIsolation() async throws {
        let batches = Mutex<[[Int]]>([])
        let commits = GroupCommit<Int, Int> { requests in
            batches.withLock { $0.append(requests) }
            try await Task.sleep(for: .milliseconds(5))
            if requests.contains(13) { throw Refused() }
            return requests.map { $0 * 2 }
        }
        let answers = await withTaskGroup(of: (Int, Int?).self) { group in
            for request in 0..<100 {
                group.addTask { (request, try? await commits.submit(request)) }
            }
            return await group.reduce(into: [Int: Int?]()) { $0[$1.0] = $1.1 }
        }
        for request in 0..<100 {
            #expect(answers[request] == (request == 13 ? nil : request * 2))
        }
        let shared = batches.withLock { $0.filter { $0.count > 1 } }
        #expect(!shared.isEmpty, "requests waiting during a commit share the next one")
    }
}
