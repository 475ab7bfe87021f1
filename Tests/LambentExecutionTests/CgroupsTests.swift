import Foundation
import LambentExecution
import Testing

@Suite("Cgroups")
struct CgroupsTests {
    @Test("CPU is proportional to memory: one vCPU at 1,769 MB", arguments: [
        (128, 7235), (512, 28942), (1769, 100_000), (3538, 200_000), (10240, 578_858),
    ])
    func cpuShare(_ memory: Int, _ quota: Int) {
        #expect(ResourceLimits(memoryMB: memory).cpuQuotaMicros == quota)
    }

    @Test("Lambda's process quota is the default")
    func pids() {
        #expect(ResourceLimits(memoryMB: 128).pids == 1024)
    }

    @Test("a machine without cgroup controllers is reported, not fatal")
    func unavailable() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("cgroups-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: base) }
        guard case .failure(let error) = Cgroups.detect(base: base) else {
            Issue.record("expected no cgroups in an empty directory")
            return
        }
        #expect(error.code == .unavailable)
    }

    @Test("cgroup v2 without the memory controller is reported")
    func v2WithoutMemory() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("cgroups-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: base) }
        try "cpu pids io".write(toFile: "\(base)/cgroup.controllers", atomically: true, encoding: .utf8)
        guard case .failure(let error) = Cgroups.detect(base: base) else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.message.contains("memory"))
    }
}
